"""SmallWorldConnector and CSAConnector (PyNN 0.13 classes, generated vectorised).

SmallWorld rule (PyNN's constructor: ``d_expression = "d < degree"``, ``rewiring`` = the
probability of rewiring each edge, ``n_connections`` = efferent connections per neuron):
the reference edges here are computed independently from the cells' grid positions
(``Line(dx)``: x_i = i * dx) as |x_i - x_j| < degree.
CSA rule (PyNN's CSAConnector): the connections are the finite part
``cross((0, n_pre-1), (0, n_post-1)) * cset``; an arity-2 set carries weight and delay.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyNN.space import Line

HAVE_CSA = importlib.util.find_spec("csa") is not None


def _project(n, connector, dx=1.0):
    sim.setup(timestep=1.0)
    pop = sim.Population(n, sim.IF_curr_exp(), structure=Line(dx=dx), label="line")
    proj = sim.Projection(pop, pop, connector, sim.StaticSynapse(weight=0.5, delay=1.0))
    pairs = np.column_stack([proj._pre_idx, proj._post_idx])
    sim.end()
    return pairs


def _distance_rule(n, degree, dx, allow_self):
    x = np.arange(n) * dx
    near = np.abs(x[:, None] - x[None, :]) < degree
    if not allow_self:
        np.fill_diagonal(near, False)
    return np.argwhere(near)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 40), degree=st.floats(0.5, 12.0), dx=st.sampled_from([0.5, 1.0, 2.0]),
       allow_self=st.booleans())
def test_no_rewiring_is_the_distance_rule(n, degree, dx, allow_self):
    degree = float(f"{degree:g}")  # PyNN keeps the degree as "d < %g"
    pairs = _project(n, sim.SmallWorldConnector(degree=degree, rewiring=0.0,
                                                allow_self_connections=allow_self), dx)
    assert np.array_equal(pairs, _distance_rule(n, degree, dx, allow_self))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 40), degree=st.floats(1.0, 8.0), rewiring=st.floats(0.0, 1.0),
       seed=st.integers(1, 2**30), allow_self=st.booleans())
def test_rewiring_keeps_count_and_out_degrees(n, degree, rewiring, seed, allow_self):
    degree = float(f"{degree:g}")
    pairs = _project(n, sim.SmallWorldConnector(degree, rewiring,
                                                allow_self_connections=allow_self,
                                                rng=sim.NumpyRNG(seed)))
    ref = _distance_rule(n, degree, 1.0, allow_self)
    assert pairs.shape == ref.shape
    assert np.array_equal(np.bincount(pairs[:, 0], minlength=n),
                          np.bincount(ref[:, 0], minlength=n))
    assert pairs[:, 1].min(initial=0) >= 0 and pairs[:, 1].max(initial=0) < n
    if not allow_self:
        assert not np.any(pairs[:, 0] == pairs[:, 1])


def test_rewired_fraction_matches_probability():
    """Each edge of pre cell i is rewired with probability p to a uniform target, which
    lands outside i's neighbourhood of k_i cells with probability (n - k_i) / n; so the
    number of edges outside the neighbourhoods is a sum of Bernoulli(p (n - k_i) / n).
    Checked within 5 standard deviations."""
    n, degree, p = 400, 6.0, 0.3
    ref = _distance_rule(n, degree, 1.0, True)
    pairs = _project(n, sim.SmallWorldConnector(degree, p, rng=sim.NumpyRNG(7)))
    local = {tuple(e) for e in ref}
    outside = sum(1 for e in pairs if tuple(e) not in local)
    k = np.bincount(ref[:, 0], minlength=n)[ref[:, 0]]
    q = p * (n - k) / n
    assert abs(outside - q.sum()) < 5 * np.sqrt((q * (1 - q)).sum())


def test_n_connections_keeps_that_many_local_targets_per_cell():
    n, degree = 30, 4.0
    pairs = _project(n, sim.SmallWorldConnector(degree, 0.0, n_connections=3,
                                                rng=sim.NumpyRNG(3)))
    assert np.array_equal(np.bincount(pairs[:, 0], minlength=n), np.full(n, 3))
    local = {tuple(e) for e in _distance_rule(n, degree, 1.0, True)}
    assert all(tuple(e) in local for e in pairs)


def test_n_connections_above_the_local_neighbourhood_is_refused():
    with pytest.raises(sim.errors.ConnectionError, match="n_connections=5"):
        _project(10, sim.SmallWorldConnector(1.5, 0.0, n_connections=5))
    sim.end()


def test_same_seed_same_small_world():
    def build():
        return _project(50, sim.SmallWorldConnector(3.0, 0.4, rng=sim.NumpyRNG(11)))
    assert np.array_equal(build(), build())


@pytest.mark.skipif(HAVE_CSA, reason="csa is importable here")
def test_csa_without_csa_package_raises_pynn_error():
    with pytest.raises(RuntimeError, match="couldn't import csa module"):
        sim.CSAConnector(None)


@pytest.mark.skipif(not HAVE_CSA, reason="the csa package is not installed")
def test_csa_mask_gives_its_pairs():
    import csa
    pairs = _project(6, sim.CSAConnector(csa.oneToOne))
    assert np.array_equal(pairs, np.column_stack([np.arange(6), np.arange(6)]))


@pytest.mark.skipif(not HAVE_CSA, reason="the csa package is not installed")
def test_csa_connection_set_carries_weight_and_delay():
    import csa
    sim.setup(timestep=1.0)
    pop = sim.Population(5, sim.IF_curr_exp())
    cset = csa.cset(csa.full - csa.oneToOne, 0.75, 3.0)
    proj = sim.Projection(pop, pop, sim.CSAConnector(cset), sim.StaticSynapse())
    got = np.array(proj.get(["weight", "delay"], format="list"))
    sim.end()
    off_diagonal = [(i, j) for i in range(5) for j in range(5) if i != j]
    assert sorted((int(a), int(b)) for a, b, _, _ in got) == off_diagonal
    assert np.all(got[:, 2] == 0.75) and np.all(got[:, 3] == 3.0)
