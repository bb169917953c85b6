"""Mapping.source_layouts: the population (layout) of each atom, found by binary search.

Rule (spec §3.1: populations are laid out as contiguous atom ranges): atom a belongs to the
population whose range [offset, offset + size) contains it; the reference below scans
the ranges directly."""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=20, deadline=None)
@given(sizes=st.lists(st.integers(1, 300), min_size=1, max_size=8), data=st.data())
def test_source_layouts_are_the_ranges_holding_the_atoms(sizes, data):
    sim.setup(timestep=1.0)
    pops = [sim.Population(n, sim.IF_curr_exp(), label=f"p{k}") for k, n in enumerate(sizes)]
    mapping = sim.simulator.state.toolchain.mapping
    atoms = np.array(data.draw(st.lists(st.integers(0, sum(sizes) - 1), min_size=1,
                                        max_size=30)))
    got = [lay.population for lay in mapping.source_layouts(atoms)]
    bounds = np.cumsum([0] + sizes)
    expected = [pops[k] for k in range(len(pops))
                if np.any((atoms >= bounds[k]) & (atoms < bounds[k + 1]))]
    sim.end()
    assert got == expected
