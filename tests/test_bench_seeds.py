"""Benchmark runs are repeatable: the seeding keywords reach the backend's Poisson streams."""

from __future__ import annotations

import numpy as np

from neuroemu.bench.seeds import setup_seed_kwargs, source_seed_kwargs


def _poisson_spikes(seed: int) -> list[np.ndarray]:
    import pyNN.neuroemu_spinnaker as sim

    system = "neuroemu_spinnaker"
    sim.setup(timestep=1.0, **setup_seed_kwargs(system, seed))
    sources = sim.Population(10, sim.SpikeSourcePoisson(rate=50.0),
                             **source_seed_kwargs(system, seed))
    sources.record("spikes")
    sim.run(500.0)
    trains = sources.get_data().segments[0].spiketrains
    sim.end()
    return [np.asarray(st.magnitude) for st in trains]


def test_same_seed_same_spikes_other_seed_other_spikes():
    a, b, c = _poisson_spikes(7), _poisson_spikes(7), _poisson_spikes(8)
    assert sum(t.size for t in a) > 100          # 10 sources x 50 Hz x 0.5 s = 250 expected
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_keywords_per_backend():
    # NEST seeds its kernel in setup(); sPyNNaker seeds each Poisson population
    assert setup_seed_kwargs("nest", 3) == {"rng_seed": 3}
    assert source_seed_kwargs("nest", 3) == {}
    assert source_seed_kwargs("neuroemu_spinnaker", 3) == {"additional_parameters": {"seed": 3}}
    assert setup_seed_kwargs("brian2", 3) == {} == source_seed_kwargs("brian2", 3)
