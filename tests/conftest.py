"""Shared pytest configuration for neuroemu's tests."""


def pytest_addoption(parser):
    group = parser.getgroup("neuroemu")
    group.addoption(
        "--pynn-scenarios",
        action="store_true",
        default=False,
        help="run PyNN 0.13's system scenarios (test/system/scenarios from the PyNN sdist, "
        "fetched at test time) against the backend under test",
    )
