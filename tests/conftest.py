"""Shared pytest configuration for neuroemu's tests."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _reports_in_a_temporary_directory(tmp_path_factory):
    """Mapping reports of the tests go to a temporary directory, not the working copy."""
    os.environ.setdefault("NEUROEMU_REPORT_DIR", str(tmp_path_factory.mktemp("reports")))


def pytest_addoption(parser):
    group = parser.getgroup("neuroemu")
    group.addoption(
        "--pynn-scenarios",
        action="store_true",
        default=False,
        help="run PyNN 0.13's system scenarios (test/system/scenarios from the PyNN sdist, "
        "fetched at test time) against the backend under test",
    )
