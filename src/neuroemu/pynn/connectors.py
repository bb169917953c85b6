"""Vectorised connection generation for PyNN's standard connectors.

PyNN's generic path calls ``Projection._convergent_connect`` once per post-synaptic cell
from Python (3.5 s for 320k synapses). Here each connector becomes a few numpy/numba
operations producing flat ``(pre, post)`` index arrays, and synaptic parameters are
evaluated for all connections at once. Indices are relative to ``projection.pre`` and
``projection.post`` (which may be views or assemblies).

Memory (issue 5: ~3e8 synapses on a laptop): indices are int32 (8 bytes per connection for
the pair), produced block by block without int64 arrays as long as the connection list; a
parameter that is the same for every connection is a read-only zero-stride view
(:func:`constant_column`, no memory per connection).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from pyNN import connectors as pc
from pyNN import errors
from pyNN.core import IndexBasedExpression
from pyNN.parameters import LazyArray
from pyNN.random import NativeRNG as _PyNNNativeRNG
from pyNN.random import NumpyRNG, RandomDistribution

from neuroemu.errors import UnsupportedFeatureError

#: evaluate dense (pre x post) maps in column blocks of at most this many elements
_BLOCK_ELEMENTS = 1 << 22
#: connections generated per block (bounds the temporaries of the index generation)
_PAIR_BLOCK = 1 << 16
#: dtype of the stored pre/post indices; population sizes must stay below its maximum
INDEX_DTYPE = np.int32
MAX_POPULATION_SIZE = int(np.iinfo(INDEX_DTYPE).max)


def constant_column(value: float, n: int) -> np.ndarray:
    """``n`` copies of ``value`` as a read-only float64 view of one number (0 bytes each)."""
    return np.broadcast_to(np.float64(value), (n,))


def is_constant_column(column: np.ndarray) -> bool:
    """True for a column made by :func:`constant_column` (zero stride, or at most one value)."""
    return column.size <= 1 or column.strides == (0,)


def _check_index_range(n_pre: int, n_post: int) -> None:
    for side, size in (("presynaptic", n_pre), ("postsynaptic", n_post)):
        if size > MAX_POPULATION_SIZE:
            raise errors.ConnectionError(
                f"{side} population size {size} exceeds {MAX_POPULATION_SIZE}, the largest "
                f"a projection's int32 connection indices can address")


def _split_flat(flat: np.ndarray, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    """int32 (pre, post) of flat positions ``pre * n_post + post``, block by block; int32
    positions are overwritten by the post indices (no third array)."""
    pre = np.empty(flat.size, INDEX_DTYPE)
    post = flat if flat.dtype == INDEX_DTYPE else np.empty(flat.size, INDEX_DTYPE)
    for b0 in range(0, flat.size, _PAIR_BLOCK):
        block = flat[b0:b0 + _PAIR_BLOCK]
        row = block // n_post
        pre[b0:b0 + block.size] = row
        post[b0:b0 + block.size] = block - row * n_post
    return pre, post


class _PairBuffer:
    """int32 (pre, post) pairs appended block by block into a preallocated capacity;
    pairs beyond it are kept aside and joined at the end (one copy only then)."""

    def __init__(self, capacity: int) -> None:
        self.pre = np.empty(capacity, INDEX_DTYPE)
        self.post = np.empty(capacity, INDEX_DTYPE)
        self.n = 0
        self.overflow: list[tuple[np.ndarray, np.ndarray]] = []

    def append(self, pre: np.ndarray, post: np.ndarray) -> None:
        room = min(pre.size, self.pre.size - self.n)
        self.pre[self.n:self.n + room] = pre[:room]
        self.post[self.n:self.n + room] = post[:room]
        self.n += room
        if room < pre.size:
            self.overflow.append((pre[room:].astype(INDEX_DTYPE),
                                  post[room:].astype(INDEX_DTYPE)))

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        if self.overflow:
            return (np.concatenate([self.pre[:self.n]] + [p for p, _ in self.overflow]),
                    np.concatenate([self.post[:self.n]] + [q for _, q in self.overflow]))
        return _truncated(self.pre, self.n), _truncated(self.post, self.n)


def numpy_generator(rng) -> np.random.Generator:
    """A numpy Generator derived deterministically from a PyNN RNG (or fresh if None)."""
    if rng is None:
        rng = NumpyRNG()
    if isinstance(rng, NumpyRNG):
        words = rng.rng.randint(0, 2**31 - 1, size=4)
    else:
        words = (np.asarray(rng.next(4, "uniform", {"low": 0.0, "high": 1.0})) * 2**31)
    return np.random.default_rng(np.asarray(words, dtype=np.uint64))


#: PyNN's ``allow_self_connections`` value keeping only one of (i, j), (j, i): i > j
_NO_MUTUAL = ("NoMutual", "NoMutualConnections")


def _self_pairs_allowed(connector) -> bool:
    allow = getattr(connector, "allow_self_connections", True)
    if allow in _NO_MUTUAL:
        return False
    return bool(allow)


def _drop_self(projection, pre_idx, post_idx, mutual=False):
    """Remove pairs whose pre and post are the same cell (``mutual``: keep pre id > post id).

    Compacts the (freshly generated) arrays in place block by block, so no second copy of
    the connections exists."""
    pre_cells = projection.pre.all_cells.astype(np.int64)
    post_cells = projection.post.all_cells.astype(np.int64)
    n_kept = 0
    for b0 in range(0, pre_idx.size, _PAIR_BLOCK):
        pre, post = pre_idx[b0:b0 + _PAIR_BLOCK], post_idx[b0:b0 + _PAIR_BLOCK]
        pre_ids, post_ids = pre_cells[pre], post_cells[post]
        keep = pre_ids > post_ids if mutual else pre_ids != post_ids
        n = int(np.count_nonzero(keep))
        pre_idx[n_kept:n_kept + n] = pre[keep]
        post_idx[n_kept:n_kept + n] = post[keep]
        n_kept += n
    return _truncated(pre_idx, n_kept), _truncated(post_idx, n_kept)


def _truncated(array: np.ndarray, n: int) -> np.ndarray:
    """The first n elements, shrinking the buffer in place when the array owns it."""
    if array.base is None and array.flags.c_contiguous:
        array.resize(n, refcheck=False)
        return array
    return array[:n].copy()


def _all_pairs(n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (pre, post) pair, row by row."""
    return (np.repeat(np.arange(n_pre, dtype=INDEX_DTYPE), n_post),
            np.tile(np.arange(n_post, dtype=INDEX_DTYPE), n_pre))


def _bernoulli_pairs(gen: np.random.Generator, n_pre: int, n_post: int,
                     p: float) -> tuple[np.ndarray, np.ndarray]:
    """int32 (pre, post) of the flat positions in [0, n_pre * n_post) each kept
    independently with probability p: the running sum of a stream of geometric gaps,
    drawn in blocks (one stream, so the pairs do not depend on the block size)."""
    n_total = n_pre * n_post
    if p <= 0.0 or n_total == 0:
        return np.zeros(0, INDEX_DTYPE), np.zeros(0, INDEX_DTYPE)
    if p >= 1.0:
        return _all_pairs(n_pre, n_post)
    mean = n_total * p
    pairs = _PairBuffer(int(mean + 7.0 * np.sqrt(mean * (1.0 - p)) + 64))
    for positions in bernoulli_positions(gen, 0, n_total, p):
        pairs.append(*_split_flat(positions, n_post))
    return pairs.finish()


def bernoulli_positions(gen: np.random.Generator, start: int, stop: int, p: float):
    """The positions in [start, stop) each kept with probability p, as chunks of at most
    ``_PAIR_BLOCK`` draws: the running sum of one stream of geometric gaps (so the
    positions do not depend on the chunk size)."""
    position = start - 1
    while position < stop - 1:
        size = max(16, min(_PAIR_BLOCK, int((stop - position) * p * 1.05) + 16))
        pos = position + np.cumsum(gen.geometric(p, size=size))
        position = int(pos[-1])
        yield pos[pos < stop]


@njit(cache=True)
def _sample_rows(n_rows, counts, n_pop, exclude, with_replacement, seed):
    """For each row r draw counts[r] indices in [0, n_pop) (Floyd's algorithm if unique).

    ``exclude[r]`` (or -1) is an index that may not be drawn (self-connections)."""
    np.random.seed(seed)
    total = 0
    for r in range(n_rows):
        total += counts[r]
    out_row = np.empty(total, np.int32)
    out_idx = np.empty(total, np.int32)
    k = 0
    chosen = np.zeros(n_pop, np.bool_)
    for r in range(n_rows):
        n = counts[r]
        ex = exclude[r]
        avail = n_pop - (1 if ex >= 0 else 0)
        start = k
        if with_replacement:
            for _ in range(n):
                v = np.random.randint(0, avail)
                if ex >= 0 and v >= ex:
                    v += 1
                out_row[k] = r
                out_idx[k] = v
                k += 1
        else:
            for jj in range(avail - n, avail):
                t = np.random.randint(0, jj + 1)
                v = t if not chosen[t] else jj
                chosen[v] = True
                out_row[k] = r
                out_idx[k] = v
                k += 1
            for q in range(start, k):
                chosen[out_idx[q]] = False
                if ex >= 0 and out_idx[q] >= ex:
                    out_idx[q] += 1
            out_idx[start:k] = np.sort(out_idx[start:k])
    return out_row, out_idx


def _fixed_number(connector, projection, per_pre: bool):
    gen = numpy_generator(getattr(connector, "rng", None))
    n_rows, n_pop = (projection.pre.size, projection.post.size) if per_pre else \
        (projection.post.size, projection.pre.size)
    n = connector.n
    if isinstance(n, RandomDistribution):
        counts = np.asarray(n.next(n_rows), dtype=np.int64)
    else:
        counts = np.full(n_rows, int(n), dtype=np.int64)
    exclude = np.full(n_rows, -1, dtype=np.int64)
    if not _self_pairs_allowed(connector):
        row_cells = (projection.pre if per_pre else projection.post).all_cells.astype(np.int64)
        pop_cells = (projection.post if per_pre else projection.pre).all_cells.astype(np.int64)
        where = {int(c): i for i, c in enumerate(pop_cells)}
        exclude = np.array([where.get(int(c), -1) for c in row_cells], dtype=np.int64)
    avail = n_pop - (exclude >= 0)
    with_replacement = bool(connector.with_replacement)
    if not with_replacement and np.any(counts > avail):
        raise errors.ConnectionError(
            f"{type(connector).__name__}: cannot choose {int(counts.max())} distinct cells "
            f"out of {int(avail.min())} without replacement")
    if np.any(counts < 0):
        raise errors.ConnectionError(f"{type(connector).__name__}: negative number of "
                                     f"connections {int(counts.min())}")
    rows, idx = _sample_rows(n_rows, counts, n_pop, exclude, with_replacement,
                             int(gen.integers(0, 2**31 - 1)))
    return (rows, idx) if per_pre else (idx, rows)


def _fixed_total_number(connector, n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    """PyNN's FixedTotalNumberConnector: ``n`` flat positions drawn uniformly (with or
    without replacement), sorted; int32 positions when ``n_pre * n_post`` fits (the same
    draws as int64: numpy's bounded integers do not depend on the output dtype)."""
    gen = numpy_generator(getattr(connector, "rng", None))
    n_total = n_pre * n_post
    n = int(connector.n)
    if n < 0:
        raise errors.ConnectionError(f"FixedTotalNumberConnector: n={n} connections, "
                                     f"must be >= 0")
    if n > 0 and n_total == 0:
        raise errors.ConnectionError(f"FixedTotalNumberConnector: {n} connections asked "
                                     f"for between {n_pre} and {n_post} cells")
    if n == 0:
        flat = np.zeros(0, np.int64)
    elif connector.with_replacement:
        dtype = INDEX_DTYPE if n_total <= MAX_POPULATION_SIZE + 1 else np.int64
        flat = gen.integers(0, n_total, size=n, dtype=dtype)
    else:
        if n > n_total:
            raise errors.ConnectionError(f"FixedTotalNumberConnector: {n} connections "
                                         f"asked for, only {n_total} pairs exist")
        flat = gen.choice(n_total, size=n, replace=False)
    flat.sort()
    return _split_flat(flat, n_post)


def _dense_map(projection, mask_of_block):
    """int32 pairs of ``mask_of_block(cols) -> bool (n_pre, len(cols))``, block by block."""
    n_pre, n_post = projection.pre.size, projection.post.size
    block = max(1, _BLOCK_ELEMENTS // max(1, n_pre))
    pairs = _PairBuffer(0)
    for c0 in range(0, n_post, block):
        cols = np.arange(c0, min(n_post, c0 + block))
        m = np.asarray(mask_of_block(cols), dtype=bool).reshape(n_pre, cols.size)
        i, j = np.nonzero(m)
        pairs.append(i, cols[j])
    return pairs.finish()


def _distances(projection, cols):
    pre_pos = projection.pre.positions.T
    post_pos = projection.post.positions.T[cols]
    d = projection.space.distances(pre_pos, post_pos)
    return d.reshape(pre_pos.shape[0], cols.size)


def _index_expression_block(expression: IndexBasedExpression, projection, cols):
    expression.projection = projection
    i = np.arange(projection.pre.size)[:, None] * np.ones((1, cols.size), dtype=int)
    j = np.ones((projection.pre.size, 1), dtype=int) * cols[None, :]
    return np.asarray(expression(i, j), dtype=float)


def _small_world(connector, projection):
    """PyNN's SmallWorldConnector: every pair closer than ``degree`` (``d < degree`` in the
    projection's space, PyNN's ``d_expression``), optionally cut to ``n_connections``
    efferent connections per pre cell chosen at random, then each connection rewired with
    probability ``rewiring`` to a uniformly drawn post cell (its pre cell is kept, so
    rewiring changes neither the count nor any out-degree)."""
    degree = float(connector.d_expression.split("<")[1])
    gen = numpy_generator(connector.rng)
    pre, post = _dense_map(projection, lambda cols: _distances(projection, cols) < degree)
    allow = connector.allow_self_connections
    if allow is not True:
        mutual = allow in _NO_MUTUAL
        pre, post = _drop_self(projection, pre, post, mutual=mutual)
    if connector.n_connections is not None:
        pre, post = _keep_per_pre(gen, pre, post, int(connector.n_connections),
                                  projection.pre.size)
    rewired = np.flatnonzero(gen.random(pre.size) < float(connector.rewiring))
    if rewired.size:
        post = post.copy()
        if allow is True:
            post[rewired] = gen.integers(0, projection.post.size, size=rewired.size)
        else:
            post[rewired] = _draw_other_than(gen, projection, pre[rewired])
    order = np.lexsort((post, pre))
    return pre[order], post[order]


def _keep_per_pre(gen, pre, post, n, n_pre):
    """n of each pre cell's candidate connections, chosen uniformly without replacement."""
    counts = np.bincount(pre, minlength=n_pre)
    if n < 0 or (counts < n).any():
        short = int(np.argmax(counts < n)) if n >= 0 else 0
        raise errors.ConnectionError(
            f"SmallWorldConnector: n_connections={n} but pre cell {short} has only "
            f"{int(counts[short])} cells within the degree distance")
    order = np.lexsort((gen.random(pre.size), pre))
    rank = np.arange(pre.size) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = order[rank < n]
    return pre[keep], post[keep]


def _draw_other_than(gen, projection, pre_idx):
    """A uniform post index per entry, never the post cell that is its own pre cell."""
    post_ids = projection.post.all_cells.astype(np.int64)
    pre_ids = projection.pre.all_cells.astype(np.int64)[pre_idx]
    order = np.argsort(post_ids)
    k = np.minimum(np.searchsorted(post_ids[order], pre_ids), post_ids.size - 1)
    is_post = post_ids[order][k] == pre_ids
    own = order[k]
    choices = post_ids.size - is_post.astype(np.int64)
    if (choices < 1).any():
        raise errors.ConnectionError("SmallWorldConnector: cannot rewire without "
                                     "self-connections onto a single post cell")
    draw = gen.integers(0, choices)
    return np.where(is_post & (draw >= own), draw + 1, draw)


def _csa(connector, projection):
    """PyNN's CSAConnector: the finite part of the connection set; an arity-2 set also
    gives each connection's weight and delay."""
    import csa
    n_pre, n_post = projection.pre.size, projection.post.size
    cset = csa.cross((0, n_pre - 1), (0, n_post - 1)) * connector.cset
    if csa.arity(connector.cset) == 2:
        table = np.array([tuple(c) for c in cset], dtype=float).reshape(-1, 4)
        pre, post = table[:, 0].astype(INDEX_DTYPE), table[:, 1].astype(INDEX_DTYPE)
        return pre, post, {"weight": table[:, 2].copy(), "delay": table[:, 3].copy()}
    pairs = np.array([tuple(c) for c in cset], dtype=INDEX_DTYPE).reshape(-1, 2)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[order, 0], pairs[order, 1], {}


def generate_pairs(connector, projection) -> tuple[np.ndarray, np.ndarray, dict]:
    """(pre_idx, post_idx, per-connection column values) for ``connector`` on ``projection``.

    The dict holds parameter columns given by the connector itself (FromList/FromFile)."""
    n_pre, n_post = projection.pre.size, projection.post.size
    _check_index_range(n_pre, n_post)
    columns: dict = {}
    if isinstance(connector, pc.FromListConnector):
        if isinstance(connector, pc.FromFileConnector):
            names = connector.file.get_metadata().get("columns", ("weight", "delay"))
            connector.column_names = [n for n in names if n not in ("i", "j")]
            connector.conn_list = np.asarray(connector.file.read())
        table = np.asarray(connector.conn_list, dtype=float)
        if table.size == 0:
            return np.zeros(0, INDEX_DTYPE), np.zeros(0, INDEX_DTYPE), columns
        valid = projection.synapse_type.get_parameter_names()
        for name in connector.column_names:
            if name not in valid:
                raise ValueError(f"{name} is not a valid parameter for "
                                 f"{type(projection.synapse_type).__name__}")
        pre, post = np.trunc(table[:, 0]), np.trunc(table[:, 1])
        if pre.size and (pre.max() >= n_pre or pre.min() < 0):
            raise errors.ConnectionError(f"source index out of range [0, {n_pre}) "
                                         f"in FromListConnector")
        if post.size and (post.max() >= n_post or post.min() < 0):
            raise errors.ConnectionError(f"target index out of range [0, {n_post}) "
                                         f"in FromListConnector")
        for col, name in enumerate(connector.column_names, 2):
            columns[name] = np.ascontiguousarray(table[:, col])
        return pre.astype(INDEX_DTYPE), post.astype(INDEX_DTYPE), columns
    if isinstance(connector, pc.CloneConnector):
        ref = connector.reference_projection
        return ref._pre_idx.copy(), ref._post_idx.copy(), columns
    if isinstance(connector, pc.OneToOneConnector):
        if n_pre != n_post:
            raise errors.ConnectionError("OneToOneConnector needs pre and post of equal size "
                                         f"({n_pre} != {n_post})")
        idx = np.arange(n_pre, dtype=INDEX_DTYPE)
        return idx, idx.copy(), columns
    if isinstance(connector, pc.ArrayConnector):
        arr = np.asarray(connector.array, dtype=bool)
        if arr.shape != (n_pre, n_post):
            raise errors.ConnectionError(f"ArrayConnector array has shape {arr.shape}, "
                                         f"projection is {(n_pre, n_post)}")
        pre, post = np.nonzero(arr)
        return pre.astype(INDEX_DTYPE), post.astype(INDEX_DTYPE), columns
    if isinstance(connector, pc.FixedTotalNumberConnector):
        pre, post = _fixed_total_number(connector, n_pre, n_post)
        if not _self_pairs_allowed(connector):
            pre, post = _drop_self(projection, pre, post)
        return pre, post, columns
    if isinstance(connector, pc.FixedNumberPreConnector):
        pre, post = _fixed_number(connector, projection, per_pre=False)
        return pre, post, columns
    if isinstance(connector, pc.FixedNumberPostConnector):
        pre, post = _fixed_number(connector, projection, per_pre=True)
        return pre, post, columns
    if isinstance(connector, pc.SmallWorldConnector):
        pre, post = _small_world(connector, projection)
        return pre, post, columns
    if isinstance(connector, pc.CSAConnector):
        return _csa(connector, projection)
    if isinstance(connector, pc.AllToAllConnector):
        pre, post = _all_pairs(n_pre, n_post)
    elif isinstance(connector, pc.FixedProbabilityConnector):
        gen = numpy_generator(connector.rng)
        pre, post = _bernoulli_pairs(gen, n_pre, n_post, float(connector.p_connect))
    elif isinstance(connector, pc.DistanceDependentProbabilityConnector):
        gen = numpy_generator(connector.rng)

        def mask(cols):
            p = np.broadcast_to(
                np.asarray(connector.distance_function(_distances(projection, cols)),
                           dtype=float), (n_pre, cols.size))
            return gen.random((n_pre, cols.size)) < p
        pre, post = _dense_map(projection, mask)
    elif isinstance(connector, pc.IndexBasedProbabilityConnector):
        gen = numpy_generator(connector.rng)

        def mask(cols):
            p = _index_expression_block(connector.index_expression, projection, cols)
            return gen.random((n_pre, cols.size)) < p
        pre, post = _dense_map(projection, mask)
    else:
        raise UnsupportedFeatureError(
            type(connector).__name__, "neuroemu (any machine)",
            "use one of the standard PyNN connectors listed in the README")
    if not _self_pairs_allowed(connector):
        mutual = getattr(connector, "allow_self_connections", True) in _NO_MUTUAL
        pre, post = _drop_self(projection, pre, post, mutual=mutual)
    return pre, post, columns


def evaluate_for_connections(value: LazyArray, projection, pre_idx: np.ndarray,
                             post_idx: np.ndarray) -> np.ndarray:
    """Evaluate one synaptic parameter (a PyNN LazyArray) for every connection at once; a
    homogeneous value gives a :func:`constant_column` (no memory per connection)."""
    n = pre_idx.size
    if value.is_homogeneous:
        return constant_column(float(value.evaluate(simplify=True)), n)
    base = value.base_value
    scalar_ops = all(arg is None or np.isscalar(arg) for _, arg in value.operations)
    if isinstance(base, RandomDistribution) and scalar_ops:
        return np.asarray(value._apply_operations(np.asarray(base.next(n), dtype=float)),
                          dtype=float).reshape(n)
    if isinstance(base, np.ndarray) and base.shape == (projection.pre.size,
                                                       projection.post.size) and scalar_ops:
        return np.asarray(value._apply_operations(base[pre_idx, post_idx].astype(float)),
                          dtype=float)
    if callable(base) and isinstance(base, IndexBasedExpression):
        base.projection = projection
    value.shape = (projection.pre.size, projection.post.size)
    out = np.empty(n, dtype=float)
    order = np.argsort(post_idx, kind="stable")
    sorted_post = post_idx[order]
    n_post = projection.post.size
    block = max(1, _BLOCK_ELEMENTS // max(1, projection.pre.size))
    for c0 in range(0, n_post, block):
        c1 = min(n_post, c0 + block)
        lo, hi = np.searchsorted(sorted_post, [c0, c1])
        if lo == hi:
            continue
        dense = np.broadcast_to(np.asarray(value[:, c0:c1], dtype=float),
                                (projection.pre.size, c1 - c0))
        sel = order[lo:hi]
        out[sel] = dense[pre_idx[sel], post_idx[sel] - c0]
    return out


class NativeRNG(NumpyRNG, _PyNNNativeRNG):
    """The machine's "native" RNG: a seeded numpy stream here.

    On SpiNNaker, connectors and random parameters given a native RNG are expanded on chip
    with the chip's generator; that exact stream is not reproduced, but the result is
    deterministic for a given seed."""
