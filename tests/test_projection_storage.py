"""How a Projection stores its connections (issue 5: <= 6 bytes per synapse is the goal).

Rules tested here:

* indices: ``_pre_idx`` and ``_post_idx`` are int32 for every connector (4 + 4 bytes per
  connection); a population larger than 2**31 - 1 cells is refused with a clear error;
* constants: a synaptic parameter equal for all connections (a scalar, PyNN's default
  delay = ``min_delay``, STDP parameters) is a read-only zero-stride view: 0 bytes per
  connection; ``set`` with a scalar keeps it so, ``set`` with a distribution or an array
  stores one float64 per connection;
* same seed => same connections: the pairs and values are compared with references computed
  here from numpy alone, following the documented draws (PyNN's ``NumpyRNG`` is a seeded
  ``RandomState``; FixedProbability keeps the running sum of geometric gaps, PyNN's
  Bernoulli trial per pair; FixedTotalNumber draws ``n`` flat positions uniformly); the
  block size of the generation must not change the result.
"""

from __future__ import annotations

import contextlib
import tracemalloc

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyNN import errors
from pyNN.random import NumpyRNG, RandomDistribution

from neuroemu.pynn import connectors, generated_connections

INT32_MAX = 2**31 - 1


def _stored_bytes(proj) -> int:
    """Bytes per connection held by the stored arrays (a zero-stride view holds none)."""
    arrays = [proj._pre_idx, proj._post_idx, *proj._values.values()]
    return sum(0 if a.strides == (0,) else a.nbytes for a in arrays)


def _generator_of(seed: int) -> np.random.Generator:
    """The numpy Generator a connector seeded with ``NumpyRNG(seed)`` draws from: four
    words of the seeded RandomState seed it (neuroemu.pynn.connectors.numpy_generator)."""
    words = np.random.RandomState(seed).randint(0, 2**31 - 1, size=4)
    return np.random.default_rng(words.astype(np.uint64))


@pytest.fixture
def net():
    sim.setup(timestep=0.1, min_delay=0.1)
    pops = sim.Population(60, sim.IF_curr_exp()), sim.Population(45, sim.IF_curr_exp())
    yield pops
    sim.end()


def _connectors(rng_seed: int):
    rng = NumpyRNG(rng_seed)
    return {
        "AllToAll": sim.AllToAllConnector(allow_self_connections=False),
        "OneToOne": sim.OneToOneConnector(),
        "FixedProbability": sim.FixedProbabilityConnector(0.2, rng=rng),
        "FixedTotalNumber": sim.FixedTotalNumberConnector(300, rng=rng),
        "FixedNumberPre": sim.FixedNumberPreConnector(7, rng=rng),
        "FixedNumberPost": sim.FixedNumberPostConnector(5, rng=rng),
        "DistanceDependent": sim.DistanceDependentProbabilityConnector("exp(-d/20)", rng=rng),
        "Array": sim.ArrayConnector(np.eye(60, dtype=bool)),
        "FromList": sim.FromListConnector([(0, 1, 0.5, 1.0), (59, 59, 0.2, 2.0)],
                                          column_names=["weight", "delay"]),
        "SmallWorld": sim.SmallWorldConnector(3.0, 0.2, rng=rng),
    }


@pytest.mark.parametrize("name", sorted(_connectors(1)))
def test_indices_are_int32_for_every_connector(net, name):
    pop = net[0]
    proj = sim.Projection(pop, pop, _connectors(1)[name], sim.StaticSynapse(weight=0.1))
    assert len(proj) > 0
    assert proj._pre_idx.dtype == np.int32 and proj._post_idx.dtype == np.int32
    assert proj._pre_idx.max() < pop.size and proj._post_idx.max() < pop.size


def test_clone_copies_int32_pairs(net):
    pre, post = net
    ref = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(3)),
                         sim.StaticSynapse(weight=0.1))
    clone = sim.Projection(pre, post, sim.CloneConnector(ref), sim.StaticSynapse(weight=0.2))
    assert clone._pre_idx.dtype == np.int32
    assert np.array_equal(clone._pre_idx, ref._pre_idx)
    assert np.array_equal(clone._post_idx, ref._post_idx)
    assert clone._pre_idx is not ref._pre_idx


def test_population_beyond_int32_is_refused():
    with pytest.raises(errors.ConnectionError, match=r"2147483648 exceeds 2147483647"):
        connectors._check_index_range(INT32_MAX + 1, 10)
    connectors._check_index_range(INT32_MAX, INT32_MAX)


def test_constant_weight_and_delay_cost_8_bytes_per_connection(net):
    pre, post = net
    proj = sim.Projection(pre, post, sim.AllToAllConnector(),
                          sim.StaticSynapse(weight=0.25, delay=1.5))
    assert _stored_bytes(proj) == 8 * len(proj)
    for name, value in (("weight", 0.25), ("delay", 1.5)):
        column = proj._values[name]
        assert column.shape == (len(proj),) and not column.flags.writeable
        assert np.all(column == value)


def test_random_weight_constant_delay_cost_16_bytes(net):
    pre, post = net
    w = RandomDistribution("uniform", (0.1, 0.2), rng=NumpyRNG(5))
    proj = sim.Projection(pre, post, sim.AllToAllConnector(),
                          sim.StaticSynapse(weight=w, delay=1.0))
    assert _stored_bytes(proj) == 16 * len(proj)


def test_random_weight_and_delay_cost_24_bytes(net):
    pre, post = net
    w = RandomDistribution("uniform", (0.1, 0.2), rng=NumpyRNG(5))
    d = RandomDistribution("uniform", (0.5, 2.0), rng=NumpyRNG(6))
    proj = sim.Projection(pre, post, sim.AllToAllConnector(),
                          sim.StaticSynapse(weight=w, delay=d))
    assert _stored_bytes(proj) == 24 * len(proj)


def test_stdp_parameters_are_constants(net):
    pre, post = net
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=20.0),
                             weight_dependence=sim.AdditiveWeightDependence(w_max=0.5),
                             weight=0.1, delay=1.0)
    proj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    assert len(proj._values) > 4  # weight, delay and the rule's parameters
    assert _stored_bytes(proj) == 8 * len(proj)
    assert np.all(proj._values["tau_plus"] == 20.0)


def test_default_delay_is_min_delay_without_memory(net):
    """PyNN: a synapse without a delay gets the simulator's min_delay (0.1 ms here)."""
    pre, post = net
    proj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    delay = proj._values["delay"]
    assert delay.strides == (0,) and np.all(delay == 0.1)


def test_set_scalar_stays_constant_and_distribution_materialises(net):
    pre, post = net
    proj = sim.Projection(pre, post, sim.AllToAllConnector(),
                          sim.StaticSynapse(weight=0.1, delay=1.0))
    n = len(proj)
    proj.set(weight=0.3)
    assert proj._values["weight"].strides == (0,) and np.all(proj._values["weight"] == 0.3)
    proj.set(weight=RandomDistribution("uniform", (0.0, 1.0), rng=NumpyRNG(9)))
    expected = np.random.RandomState(9).uniform(0.0, 1.0, size=n)
    assert np.array_equal(proj._values["weight"], expected)
    assert _stored_bytes(proj) == 16 * n
    matrix = (1.0 + np.arange(pre.size * post.size) % 40 * 0.1).reshape(pre.size, post.size)
    proj.set(delay=matrix)
    assert np.array_equal(proj._values["delay"], matrix[proj._pre_idx, proj._post_idx])
    proj.set(delay=2.0, weight=0.5)
    assert _stored_bytes(proj) == 8 * n


def test_get_reads_constants_like_arrays(net):
    pre, post = net
    proj = sim.Projection(pre, post, sim.OneToOneConnector() if pre.size == post.size else
                          sim.FromListConnector([(3, 4), (10, 2)]),
                          sim.StaticSynapse(weight=0.5, delay=2.0))
    assert proj.get("delay", format="list", with_address=True) == [(3, 4, 2.0), (10, 2, 2.0)]
    delays = proj.get("delay", format="array")
    assert delays[3, 4] == 2.0 and delays[10, 2] == 2.0
    assert np.isnan(delays).sum() == pre.size * post.size - 2


def test_from_list_columns_own_their_memory(net):
    pre, post = net
    proj = sim.Projection(pre, post, sim.FromListConnector(
        [(0, 1, 0.5, 1.0), (2, 3, 0.25, 2.0)], column_names=["weight", "delay"]),
        sim.StaticSynapse())
    assert _stored_bytes(proj) == 24 * 2
    assert proj._values["weight"].base is None
    assert np.array_equal(proj._values["delay"], [1.0, 2.0])


def test_no_mutual_keeps_pairs_with_pre_above_post(net):
    """PyNN's allow_self_connections='NoMutual' (pre == post): only pairs with i > j."""
    pop = net[0]
    proj = sim.Projection(pop, pop, sim.FixedProbabilityConnector(
        1.0, allow_self_connections="NoMutual"), sim.StaticSynapse(weight=0.1))
    assert len(proj) == pop.size * (pop.size - 1) // 2
    assert np.all(proj._pre_idx > proj._post_idx)


def _fixed_probability_reference(seed: int, n_pre: int, n_post: int, p: float):
    """Flat positions kept with probability p: running sum of geometric gaps from -1."""
    gaps = _generator_of(seed).geometric(p, size=int(n_pre * n_post * p * 2 + 200))
    flat = np.cumsum(gaps) - 1
    assert flat[-1] >= n_pre * n_post  # the reference drew enough gaps
    flat = flat[flat < n_pre * n_post]
    return flat // n_post, flat % n_post


@contextlib.contextmanager
def _pair_block(size: int):
    """Generate connections in blocks of ``size`` (the result must not depend on it)."""
    saved = connectors._PAIR_BLOCK
    connectors._PAIR_BLOCK = size
    try:
        yield
    finally:
        connectors._PAIR_BLOCK = saved


@settings(max_examples=25, deadline=None)
@given(n_pre=st.integers(1, 40), n_post=st.integers(1, 40), p=st.floats(0.01, 0.99),
       seed=st.integers(1, 2**30), block=st.sampled_from([1, 7, 64, 1 << 20]))
def test_fixed_probability_pairs_match_numpy_reference(n_pre, n_post, p, seed, block):
    sim.setup(timestep=0.1)
    with _pair_block(block):
        proj = sim.Projection(sim.Population(n_pre, sim.IF_curr_exp()),
                              sim.Population(n_post, sim.IF_curr_exp()),
                              sim.FixedProbabilityConnector(p, rng=NumpyRNG(seed)),
                              sim.StaticSynapse(weight=0.1))
    pre, post = _fixed_probability_reference(seed, n_pre, n_post, p)
    assert np.array_equal(proj._pre_idx, pre) and np.array_equal(proj._post_idx, post)
    sim.end()


def test_fixed_probability_count_is_binomial():
    """10^6 Bernoulli(0.1) trials: the count is within 5 sigma of n p = 10^5."""
    sim.setup(timestep=0.1)
    proj = sim.Projection(sim.Population(1000, sim.IF_curr_exp()),
                          sim.Population(1000, sim.IF_curr_exp()),
                          sim.FixedProbabilityConnector(0.1, rng=NumpyRNG(77)),
                          sim.StaticSynapse(weight=0.1))
    assert abs(len(proj) - 1e5) < 5 * np.sqrt(1e6 * 0.1 * 0.9)
    pre, post = _fixed_probability_reference(77, 1000, 1000, 0.1)
    assert np.array_equal(proj._pre_idx, pre) and np.array_equal(proj._post_idx, post)
    sim.end()


@pytest.mark.parametrize("block", [7, 1 << 16])
@pytest.mark.parametrize("with_replacement", [True, False])
def test_fixed_total_number_matches_numpy_reference(with_replacement, block):
    n_pre, n_post, n, seed = 70, 90, 2000, 31
    sim.setup(timestep=0.1)
    w = RandomDistribution("normal", (0.5, 0.1), rng=NumpyRNG(8))
    with _pair_block(block):
        proj = sim.Projection(sim.Population(n_pre, sim.IF_curr_exp()),
                              sim.Population(n_post, sim.IF_curr_exp()),
                              sim.FixedTotalNumberConnector(
                                  n, with_replacement=with_replacement, rng=NumpyRNG(seed)),
                              sim.StaticSynapse(weight=w, delay=1.0))
    gen = _generator_of(seed)
    flat = np.sort(gen.integers(0, n_pre * n_post, size=n) if with_replacement else
                   gen.choice(n_pre * n_post, size=n, replace=False))
    assert np.array_equal(proj._pre_idx, flat // n_post)
    assert np.array_equal(proj._post_idx, flat % n_post)
    assert np.array_equal(proj._values["weight"],
                          np.random.RandomState(8).normal(0.5, 0.1, size=n))
    sim.end()


@settings(max_examples=15, deadline=None)
@given(n_pre=st.integers(2, 30), n_post=st.integers(1, 30), data=st.data())
def test_fixed_number_pre_rows_are_distinct_without_self(n_pre, n_post, data):
    """FixedNumberPre(k, no replacement): each post cell gets exactly k distinct pre cells,
    never itself (pre and post are the same population here)."""
    n = max(n_pre, n_post)
    k = data.draw(st.integers(0, n - 1))
    sim.setup(timestep=0.1)
    pop = sim.Population(n, sim.IF_curr_exp())
    proj = sim.Projection(pop, pop, sim.FixedNumberPreConnector(
        k, allow_self_connections=False, rng=NumpyRNG(data.draw(st.integers(1, 1000)))),
        sim.StaticSynapse(weight=0.1))
    assert proj._pre_idx.dtype == np.int32
    assert np.array_equal(np.bincount(proj._post_idx, minlength=n), np.full(n, k))
    pairs = set(zip(proj._pre_idx.tolist(), proj._post_idx.tolist()))
    assert len(pairs) == n * k and all(i != j for i, j in pairs)
    sim.end()


def test_building_keeps_temporaries_bounded():
    """Creating 2000 x 4000 FixedProbability(0.5) (~4e6 connections, constant weight and
    delay, generated) holds at most BLOCKS_AHEAD + 2 blocks at a time (BLOCKS_AHEAD being
    drawn, the one handed over and, for that moment, the one the caller still holds), each
    at most 20 bytes per connection at its peak (the int64 positions and float64 columns
    took > 32), whatever the projection's size; the list it keeps once asked for is 8 bytes
    per connection. (With BLOCKS_AHEAD + 1 the bound failed now and then, by thread timing:
    peaks of 47-67 MB for a 60 MB bound.)"""
    sim.setup(timestep=0.1)
    pre = sim.Population(2000, sim.IF_curr_exp())
    post = sim.Population(4000, sim.IF_curr_exp())
    tracemalloc.start()
    try:
        proj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(4)),
                              sim.StaticSynapse(weight=0.1, delay=1.0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert proj._generated is not None
    block = generated_connections.BLOCK_CONNECTIONS
    assert peak <= 20 * block * (generated_connections.BLOCKS_AHEAD + 2)
    assert _stored_bytes(proj) == 8 * len(proj)
    sim.end()


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 40), p=st.floats(0.05, 1.0), seed=st.integers(1, 2**30),
       no_mutual=st.booleans(), block=st.sampled_from([1, 5, 1 << 16]))
def test_self_connections_dropped_as_pynn_rule(n, p, seed, no_mutual, block):
    """allow_self_connections=False drops i == j, 'NoMutual' keeps only i > j (PyNN
    MapConnector, pre == post); the rest of the Bernoulli draw is unchanged."""
    sim.setup(timestep=0.1)
    pop = sim.Population(n, sim.IF_curr_exp())
    with _pair_block(block):
        proj = sim.Projection(pop, pop, sim.FixedProbabilityConnector(
            p, allow_self_connections="NoMutual" if no_mutual else False, rng=NumpyRNG(seed)),
            sim.StaticSynapse(weight=0.1))
    if p >= 1.0:
        pre, post = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    else:
        pre, post = _fixed_probability_reference(seed, n, n, p)
    keep = pre > post if no_mutual else pre != post
    assert np.array_equal(proj._pre_idx, pre[keep])
    assert np.array_equal(proj._post_idx, post[keep])
    sim.end()


def test_pairs_beyond_int32_positions():
    """50000 x 50000 = 2.5e9 flat positions (> 2**31): the int64 positions still give
    int32 indices equal to numpy's divmod of the same draws."""
    n_pre = n_post = 50_000
    sim.setup(timestep=0.1)
    pre_pop = sim.Population(n_pre, sim.SpikeSourceArray())
    post_pop = sim.Population(n_post, sim.IF_curr_exp())
    proj = sim.Projection(pre_pop, post_pop, sim.FixedTotalNumberConnector(
        5000, with_replacement=True, rng=NumpyRNG(12)), sim.StaticSynapse(weight=0.1))
    flat = np.sort(_generator_of(12).integers(0, n_pre * n_post, size=5000))
    assert flat.max() > INT32_MAX  # the case under test
    assert np.array_equal(proj._pre_idx, flat // n_post)
    assert np.array_equal(proj._post_idx, flat % n_post)
    proj = sim.Projection(pre_pop, post_pop, sim.FixedProbabilityConnector(
        2e-6, rng=NumpyRNG(13)), sim.StaticSynapse(weight=0.1))
    pre, post = _fixed_probability_reference(13, n_pre, n_post, 2e-6)
    assert np.array_equal(proj._pre_idx, pre) and np.array_equal(proj._post_idx, post)
    sim.end()


@settings(max_examples=20, deadline=None)
@given(n_pre=st.integers(1, 30), n_post=st.integers(1, 30),
       weight=st.floats(0.0, 10.0), delay=st.floats(0.1, 10.0))
def test_scalar_parameters_never_cost_memory_per_connection(n_pre, n_post, weight, delay):
    """Any scalar weight and delay: 8 bytes per connection (the int32 pair), values exact."""
    sim.setup(timestep=0.1, min_delay=0.1)
    proj = sim.Projection(sim.Population(n_pre, sim.IF_curr_exp()),
                          sim.Population(n_post, sim.IF_curr_exp()), sim.AllToAllConnector(),
                          sim.StaticSynapse(weight=weight, delay=delay))
    assert len(proj) == n_pre * n_post
    assert _stored_bytes(proj) == 8 * n_pre * n_post
    assert np.all(proj._values["weight"] == weight) and np.all(proj._values["delay"] == delay)
    sim.end()


def test_save_and_from_file_round_trip(net, tmp_path):
    """PyNN save (list with addresses) then FromFileConnector gives the same connections."""
    pre, post = net
    w = RandomDistribution("uniform", (0.1, 0.2), rng=NumpyRNG(3))
    proj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.2, rng=NumpyRNG(2)),
                          sim.StaticSynapse(weight=w, delay=1.0))
    path = str(tmp_path / "conns.txt")
    proj.save(["weight", "delay"], path, format="list")
    saved = np.array(proj.get(["weight", "delay"], format="list", with_address=False))
    loaded = sim.Projection(pre, post, sim.FromFileConnector(path), sim.StaticSynapse())
    assert loaded._pre_idx.dtype == np.int32
    assert np.array_equal(loaded._pre_idx, proj._pre_idx)
    assert np.array_equal(loaded._post_idx, proj._post_idx)
    assert np.allclose(loaded._values["weight"], saved[:, 0], rtol=0, atol=1e-12)
    assert np.allclose(loaded._values["delay"], saved[:, 1], rtol=0, atol=1e-12)
    connection = proj.connections[0]
    assert isinstance(connection.presynaptic_index, int)
    assert (connection.presynaptic_index, connection.postsynaptic_index) == \
        (int(proj._pre_idx[0]), int(proj._post_idx[0]))
