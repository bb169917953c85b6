"""Seeding the backends' own random streams (Poisson sources), so that a benchmark run is
repeatable. PyNN has no portable way to do this; each backend has its own:

* NEST: ``setup(rng_seed=...)`` seeds the kernel's generators (PyNN's nest backend);
* neuroemu's SpiNNaker: ``Population(..., additional_parameters={"seed": s})`` seeds a
  Poisson population's KISS64 generators, as in sPyNNaker.

Other backends get no seed keywords (their runs are not repeatable).
"""

from __future__ import annotations


def setup_seed_kwargs(system: str, seed: int) -> dict:
    """Extra ``sim.setup()`` keywords that seed ``system``'s random streams."""
    return {"rng_seed": seed} if system == "nest" else {}


def source_seed_kwargs(system: str, seed: int) -> dict:
    """Extra ``sim.Population()`` keywords that seed a SpikeSourcePoisson population."""
    if system.startswith("neuroemu_"):
        return {"additional_parameters": {"seed": seed}}
    return {}
