"""Projections generated block by block from seeds (``neuroemu.pynn.generated_connections``).

The rules: a generated projection is the same on every pass (blocks replay exactly), keeps
no per-connection arrays, follows its connector's definition (PyNN's: exact counts,
index ranges, self-connection rules, the distributions' ranges and moments, checked against
scipy), and maps onto the machine exactly as the same connections stored as a list do.
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyNN import errors
from pyNN.random import NumpyRNG, RandomDistribution
from scipy import stats

import neuroemu.pynn.generated_connections as gc


@pytest.fixture
def small_blocks(monkeypatch):
    """Generate every projection above 1000 connections, in blocks of ~700."""
    monkeypatch.setattr(gc, "GENERATE_ABOVE", 1000)
    monkeypatch.setattr(gc, "BLOCK_CONNECTIONS", 700)


@pytest.fixture
def machine():
    sim.setup(timestep=0.1, min_delay=0.1)
    yield sim
    sim.end()


def _projection(pre, post, connector, weight=0.5, delay=1.0, **kwargs):
    return sim.Projection(pre, post, connector, sim.StaticSynapse(weight=weight, delay=delay),
                          **kwargs)


def test_small_projection_is_stored(machine):
    a = sim.Population(50, sim.IF_curr_exp())
    proj = _projection(a, a, sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(1)))
    assert proj._generated is None


def test_large_projection_keeps_no_connection_list(machine, small_blocks):
    a = sim.Population(400, sim.IF_curr_exp())
    proj = _projection(a, a, sim.FixedTotalNumberConnector(20000, rng=NumpyRNG(1)))
    g = proj._generated
    assert g is not None and proj._stored is None
    assert len(proj) == 20000
    assert g.n_blocks > 1
    # what is kept is per block and per target cell, not per connection
    kept = g.row_bounds.nbytes + g.counts.nbytes + g.drawn.nbytes + \
        g.summary.delay_ticks.nbytes + sum(c.nbytes for c in g.row_counts if c is not None)
    assert kept < 20000


@pytest.mark.parametrize("what", ["view", "stdp", "gamma", "array weights",
                                  "without replacement", "fixed number pre"])
def test_what_the_expander_does_not_handle_is_stored(machine, small_blocks, what):
    a = sim.Population(400, sim.IF_curr_exp())
    pre, post, weight = a, a, 0.5
    connector = sim.FixedTotalNumberConnector(20000, rng=NumpyRNG(1))
    synapse = sim.StaticSynapse(weight=weight, delay=1.0)
    if what == "view":
        pre = a[:300]
    elif what == "stdp":
        synapse = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(), weight_dependence=sim.AdditiveWeightDependence(
                w_min=0.0, w_max=1.0), weight=0.5, delay=1.0)
    elif what == "gamma":
        synapse = sim.StaticSynapse(weight=RandomDistribution("gamma", k=2.0, theta=0.1,
                                                              rng=NumpyRNG(2)), delay=1.0)
    elif what == "array weights":
        synapse = sim.StaticSynapse(weight=np.full((400, 400), 0.3), delay=1.0)
    elif what == "without replacement":
        connector = sim.FixedTotalNumberConnector(20000, with_replacement=False,
                                                  rng=NumpyRNG(1))
    else:
        connector = sim.FixedNumberPreConnector(50, rng=NumpyRNG(1))
    proj = sim.Projection(pre, post, connector, synapse)
    assert proj._generated is None


def test_blocks_replay_exactly_and_materialise_is_their_concatenation(machine, small_blocks):
    a = sim.Population(300, sim.IF_curr_exp())
    rng = NumpyRNG(7)
    w = RandomDistribution("normal_clipped", mu=0.5, sigma=0.2, low=0.0, high=np.inf, rng=rng)
    proj = _projection(a, a, sim.FixedProbabilityConnector(0.1, rng=rng), weight=w)
    g = proj._generated
    for b in range(g.n_blocks):
        pre1, post1, v1 = g.block(b)
        pre2, post2, v2 = g.block(b)
        assert np.array_equal(pre1, pre2) and np.array_equal(post1, post2)
        assert np.array_equal(v1["weight"], v2["weight"])
    pre, _post, values = g.materialise()
    parts = list(g.blocks())
    assert np.array_equal(pre, np.concatenate([p for p, _, _ in parts]))
    assert np.array_equal(values["weight"], np.concatenate([v["weight"] for _, _, v in parts]))
    assert len(proj) == pre.size == int(g.counts.sum())


def _generated_weights(seed: int) -> np.ndarray:
    sim.setup(timestep=0.1, min_delay=0.1)
    a = sim.Population(300, sim.IF_curr_exp())
    rng = NumpyRNG(seed)
    w = RandomDistribution("uniform", low=0.1, high=0.9, rng=rng)
    proj = _projection(a, a, sim.FixedTotalNumberConnector(5000, rng=rng), weight=w)
    pre, post, values = proj._generated.materialise()
    sim.end()
    return np.concatenate([pre, post, values["weight"]])


def test_same_seed_same_connections_other_seed_others(small_blocks):
    first, again, other = (_generated_weights(s) for s in (11, 11, 12))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@settings(max_examples=25, deadline=None)
@given(n_pre=st.integers(1, 120), n_post=st.integers(1, 120), n=st.integers(1, 3000),
       block=st.integers(1, 500), seed=st.integers(0, 2**31 - 1))
def test_fixed_total_number_draws_exactly_n_pairs_in_range_grouped_by_source(
        n_pre, n_post, n, block, seed):
    """PyNN's FixedTotalNumberConnector with replacement: exactly ``n`` (pre, post) pairs,
    each drawn uniformly; here grouped by source row, whatever the block size."""
    gc_rows = max(1, block // max(1, n // n_pre))
    bounds = np.append(np.arange(0, n_pre, gc_rows), n_pre).astype(np.int64)
    drawn = np.random.default_rng(seed).multinomial(n, np.diff(bounds) / n_pre)
    g = gc.GeneratedConnections(gc.TOTAL_NUMBER, n_pre, n_post, gc.SELF_ALLOWED, 0.0, bounds,
                                drawn.astype(np.int64), seed, {})
    pre, post, _ = g.materialise()
    assert pre.size == n
    assert pre.min() >= 0 and pre.max() < n_pre and post.min() >= 0 and post.max() < n_post
    assert np.all(np.diff(pre) >= 0)
    for b in range(g.n_blocks):
        p, _ = g.pairs(b)
        assert p.size == drawn[b]
        assert np.all((p >= bounds[b]) & (p < bounds[b + 1]))


@settings(max_examples=25, deadline=None)
@given(n_pre=st.integers(1, 120), n=st.integers(1, 3000), rows_per_block=st.integers(1, 50),
       seed=st.integers(0, 2**31 - 1), first_without_targets=st.booleans())
def test_a_pass_without_targets_has_the_same_sources(n_pre, n, rows_per_block, seed,
                                                     first_without_targets):
    """The count pass asks for sources only. Whether a block's per-row counts were drawn
    before (then repeated, not drawn) or not, it gets the sources of the full pass, and the
    targets of a later full pass are unchanged."""
    bounds = np.append(np.arange(0, n_pre, rows_per_block), n_pre).astype(np.int64)
    drawn = np.random.default_rng(seed).multinomial(n, np.diff(bounds) / n_pre)

    def table():
        return gc.GeneratedConnections(gc.TOTAL_NUMBER, n_pre, 50, gc.SELF_ALLOWED, 0.0,
                                       bounds, drawn.astype(np.int64), seed, {})

    fresh, used = table(), table()
    for b in range(fresh.n_blocks):
        if first_without_targets:
            used.pairs(b, targets=False)
        pre_full, post_full = fresh.pairs(b)
        pre_only, zeros = used.pairs(b, targets=False)
        assert np.array_equal(pre_only, pre_full) and not zeros.any()
        pre_again, post_again = used.pairs(b)
        assert np.array_equal(pre_again, pre_full) and np.array_equal(post_again, post_full)
    assert all(int(c.sum()) == d for c, d in zip(used.row_counts, drawn))


def test_fixed_total_number_is_uniform_over_pairs(machine, small_blocks):
    """Chi-square test of the source and target marginals (1 / n_pre, 1 / n_post each)."""
    a = sim.Population(200, sim.IF_curr_exp())
    b = sim.Population(150, sim.IF_curr_exp())
    n = 60000
    proj = _projection(a, b, sim.FixedTotalNumberConnector(n, rng=NumpyRNG(3)))
    pre, post, _ = proj._generated.materialise()
    assert pre.size == n
    for idx, size in ((pre, 200), (post, 150)):
        counts = np.bincount(idx, minlength=size)
        assert stats.chisquare(counts).pvalue > 1e-4


def test_fixed_total_number_without_self_connections_drops_self_pairs(machine, small_blocks):
    """PyNN draws n pairs and drops the self-connections (fewer than n remain)."""
    a = sim.Population(100, sim.IF_curr_exp())
    n = 30000
    proj = _projection(a, a, sim.FixedTotalNumberConnector(
        n, allow_self_connections=False, rng=NumpyRNG(4)))
    pre, post, _ = proj._generated.materialise()
    assert not np.any(pre == post)
    dropped = n - pre.size
    # each draw is a self pair with probability 1/100: binomial(30000, 0.01), mean 300
    assert stats.binom.cdf(dropped, n, 0.01) > 1e-5
    assert stats.binom.sf(dropped - 1, n, 0.01) > 1e-5


@pytest.mark.parametrize("allow", [True, False, "NoMutual"])
def test_fixed_probability_count_and_self_rule(machine, small_blocks, allow):
    a = sim.Population(300, sim.IF_curr_exp())
    p = 0.05
    proj = _projection(a, a, sim.FixedProbabilityConnector(p, allow_self_connections=allow,
                                                           rng=NumpyRNG(5)))
    pre, post, _ = proj._generated.materialise()
    candidates = {True: 300 * 300, False: 300 * 299, "NoMutual": 300 * 299 // 2}[allow]
    assert stats.binom.cdf(pre.size, candidates, p) > 1e-5
    assert stats.binom.sf(pre.size - 1, candidates, p) > 1e-5
    if allow is False:
        assert not np.any(pre == post)
    if allow == "NoMutual":
        assert np.all(pre > post)
    assert len(set(zip(pre.tolist(), post.tolist()))) == pre.size  # no pair twice


def test_all_to_all_is_every_pair_once(machine, small_blocks):
    a = sim.Population(40, sim.IF_curr_exp())
    b = sim.Population(60, sim.IF_curr_exp())
    proj = _projection(a, b, sim.AllToAllConnector())
    pre, post, _ = proj._generated.materialise()
    expected = np.array([(i, j) for i in range(40) for j in range(60)])
    assert np.array_equal(np.column_stack([pre, post]), expected)


@pytest.mark.parametrize(("name", "params", "dist"), [
    ("uniform", {"low": 0.2, "high": 0.7}, stats.uniform(0.2, 0.5)),
    ("normal", {"mu": 0.5, "sigma": 0.1}, stats.norm(0.5, 0.1)),
    ("normal_clipped", {"mu": 0.3, "sigma": 0.3, "low": 0.1, "high": 0.6},
     stats.truncnorm((0.1 - 0.3) / 0.3, (0.6 - 0.3) / 0.3, loc=0.3, scale=0.3)),
    ("exponential", {"beta": 0.25}, stats.expon(scale=0.25)),
])
def test_distributions_follow_their_definition(machine, small_blocks, name, params, dist):
    """Range, and mean and variance within 5 standard errors of scipy's."""
    a = sim.Population(200, sim.IF_curr_exp())
    w = RandomDistribution(name, rng=NumpyRNG(9), **params)
    proj = _projection(a, a, sim.FixedTotalNumberConnector(40000, rng=NumpyRNG(8)), weight=w)
    _, _, values = proj._generated.materialise()
    v = values["weight"]
    lo, hi = dist.support()
    assert v.min() >= lo and v.max() <= hi
    n = v.size
    assert abs(v.mean() - dist.mean()) < 5 * dist.std() / np.sqrt(n)
    assert abs(v.var() - dist.var()) < 5 * dist.var() * np.sqrt(2.0 / (n - 1)) * 2


def test_normal_clipped_to_boundary_puts_the_tails_on_the_bounds(machine, small_blocks):
    a = sim.Population(200, sim.IF_curr_exp())
    w = RandomDistribution("normal_clipped_to_boundary", mu=0.5, sigma=0.2, low=0.3,
                           high=0.8, rng=NumpyRNG(10))
    proj = _projection(a, a, sim.FixedTotalNumberConnector(40000, rng=NumpyRNG(8)), weight=w)
    v = proj._generated.materialise()[2]["weight"]
    n = v.size
    for value, mass in ((0.3, stats.norm.cdf(0.3, 0.5, 0.2)),
                        (0.8, stats.norm.sf(0.8, 0.5, 0.2))):
        k = int(np.count_nonzero(v == value))
        assert abs(k - n * mass) < 5 * np.sqrt(n * mass * (1 - mass))


def test_normal_clipped_with_an_empty_range_is_refused(machine, small_blocks):
    a = sim.Population(200, sim.IF_curr_exp())
    w = RandomDistribution("normal_clipped", mu=0.0, sigma=0.01, low=5.0, high=6.0,
                           rng=NumpyRNG(1))
    with pytest.raises(ValueError, match=r"normal_clipped.*low=5.0.*fraction"):
        _projection(a, a, sim.FixedTotalNumberConnector(20000, rng=NumpyRNG(1)), weight=w,
                    receptor_type="excitatory")


def test_safe_checks_run_on_generated_values(machine, small_blocks):
    """A negative excitatory weight is refused at creation, as for a stored projection."""
    a = sim.Population(200, sim.IF_curr_exp())
    w = RandomDistribution("normal", mu=0.0, sigma=1.0, rng=NumpyRNG(1))
    with pytest.raises(errors.ConnectionError):
        _projection(a, a, sim.FixedTotalNumberConnector(20000, rng=NumpyRNG(1)), weight=w,
                    receptor_type="excitatory")


def test_summary_holds_the_largest_weight_and_the_delays(machine, small_blocks):
    a = sim.Population(300, sim.IF_curr_exp())
    rng = NumpyRNG(12)
    d = RandomDistribution("uniform", low=0.1, high=2.0, rng=rng)
    w = RandomDistribution("uniform", low=0.1, high=0.9, rng=rng)
    proj = _projection(a, a, sim.FixedTotalNumberConnector(20000, rng=rng), weight=w,
                       delay=d)
    g = proj._generated
    values = g.materialise()[2]
    assert g.summary.abs_max["weight"] == np.abs(values["weight"]).max()
    ticks = np.rint(values["delay"] / 0.1).astype(int)
    assert np.array_equal(g.summary.delay_ticks[:ticks.max() + 1], np.bincount(ticks))


def test_set_turns_a_generated_projection_into_a_stored_one(machine, small_blocks):
    a = sim.Population(300, sim.IF_curr_exp())
    proj = _projection(a, a, sim.FixedTotalNumberConnector(20000, rng=NumpyRNG(1)))
    pre = proj._generated.materialise()[0]
    proj.set(weight=0.25)
    assert proj._generated is None
    assert np.array_equal(proj._pre_idx, pre)
    assert np.all(proj._values["weight"] == 0.25)


def _network(convert: bool):
    """A small network with generated projections; ``convert`` stores them as lists first."""
    sim.setup(timestep=0.1, min_delay=0.1)
    rng = NumpyRNG(3)
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0),
                         additional_parameters={"seed": 5})
    a = sim.Population(300, sim.IF_curr_exp(tau_refrac=2.0))
    a.record("spikes")
    w = RandomDistribution("normal_clipped", mu=0.8, sigma=0.3, low=0, high=np.inf, rng=rng)
    d = RandomDistribution("normal_clipped", mu=2.0, sigma=1.0, low=0.1, high=30.0, rng=rng)
    projs = [
        _projection(src, a, sim.FixedTotalNumberConnector(12000, rng=rng), weight=w, delay=d),
        _projection(a, a, sim.FixedProbabilityConnector(0.05, allow_self_connections=False,
                                                        rng=rng),
                    weight=-0.5, delay=d, receptor_type="inhibitory")]
    assert all(p._generated is not None for p in projs)
    if convert:
        for p in projs:
            p._stored, p._generated = p._generated.materialise(), None
    sim.run(200.0)
    prog = sim.simulator.state.toolchain._program
    out = ([np.asarray(s) for s in a.get_data().segments[0].spiketrains],
           prog.words.copy(), prog.route_ptr.copy(), prog.route_len.copy(),
           [p.get(["weight", "delay"], format="list") for p in projs])
    sim.end()
    return out


def test_generated_and_stored_lists_map_and_run_identically(small_blocks):
    """The toolchain's block-by-block path (summary, counting, writing) against its
    whole-list path on the same connections: same words, rows, spikes and get()."""
    generated = _network(convert=False)
    stored = _network(convert=True)
    spikes_g, *machine_g, get_g = generated
    spikes_s, *machine_s, get_s = stored
    assert sum(len(s) for s in spikes_g) > 100
    assert all(np.array_equal(x, y) for x, y in zip(spikes_g, spikes_s))
    for x, y in zip(machine_g, machine_s):
        assert np.array_equal(x, y)
    assert get_g == get_s


def test_reset_and_rerun_regenerate_the_same_network(small_blocks):
    """After ``reset()`` the machine program is rebuilt from the recipe: same spikes."""
    sim.setup(timestep=0.1, min_delay=0.1)
    rng = NumpyRNG(21)
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=30.0),
                         additional_parameters={"seed": 2})
    a = sim.Population(300, sim.IF_curr_exp())
    a.record("spikes")
    w = RandomDistribution("uniform", low=0.5, high=1.5, rng=rng)
    _projection(src, a, sim.FixedTotalNumberConnector(15000, rng=rng), weight=w)
    runs = []
    for _ in range(2):
        sim.run(100.0)
        runs.append([np.asarray(s) for s in a.get_data().segments[-1].spiketrains])
        sim.reset()
    sim.end()
    assert sum(len(s) for s in runs[0]) > 50
    assert all(np.array_equal(x, y) for x, y in zip(*runs))
