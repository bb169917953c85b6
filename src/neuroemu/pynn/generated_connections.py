"""Connections kept as a recipe and generated block by block, never stored as a list.

sPyNNaker does not send large random connectivity to the machine as a list: the host writes
the connector's parameters and RNG seeds, and each core expands its own synaptic rows (the
"synapse expander"). neuroemu does the same for a large projection (more than
:data:`GENERATE_ABOVE` connections expected) whose connector is all-to-all, fixed
probability or fixed total number (with replacement), between two whole populations, with
static synapses whose parameters are constants or random distributions of the kinds the
expander knows (uniform, normal, normal_clipped, normal_clipped_to_boundary, exponential).

The connections are generated in blocks of source rows. Each block has its own seed for the
pairs and one per random parameter, derived from seeds drawn once from the user's RNGs, so
every pass over the projection (the summary when it is created, the toolchain's row
counting and row writing, ``get``) sees exactly the same connections, and no pass holds
more than one block. The one thing kept per connection is its delay in ticks (one byte,
from the summary), so the toolchain's two passes need not draw the delays again; the
counting pass also skips the targets where only their population matters. As on the machine, the draws come from the machine's own generator
stream, not the host RNG's: the same seeds give the same network, but not the one the
host-built (stored) path gives for a smaller projection.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from pyNN import connectors as pc
from pyNN.random import RandomDistribution
from scipy import stats

from neuroemu.pynn.connectors import (
    INDEX_DTYPE,
    bernoulli_positions,
    constant_column,
    is_constant_column,
    numpy_generator,
)

#: projections expected to hold more connections than this are generated, not stored
GENERATE_ABOVE = 1 << 20
#: connections per block (expected); bounds the memory of one pass to ~24 bytes x this
BLOCK_CONNECTIONS = 1 << 20
#: blocks generated ahead of the one in use, each on its own thread
BLOCKS_AHEAD = 2

CONSTANT, UNIFORM, NORMAL, NORMAL_CLIPPED, NORMAL_CLIPPED_TO_BOUNDARY, EXPONENTIAL = range(6)
_KINDS = {"uniform": (UNIFORM, ("low", "high")), "normal": (NORMAL, ("mu", "sigma")),
          "normal_clipped": (NORMAL_CLIPPED, ("mu", "sigma", "low", "high")),
          "normal_clipped_to_boundary": (NORMAL_CLIPPED_TO_BOUNDARY,
                                         ("mu", "sigma", "low", "high")),
          "exponential": (EXPONENTIAL, ("beta",))}
#: smallest probability of a draw landing in a normal_clipped range (else redraws hang)
_MIN_CLIPPED_MASS = 1e-6

ALL_TO_ALL, PROBABILITY, TOTAL_NUMBER = range(3)
#: self-connection rule of a projection from a population onto itself
SELF_ALLOWED, SELF_DROPPED, SELF_NO_MUTUAL = range(3)


@dataclass
class GeneratedParameter:
    """One synaptic parameter: a constant, or a distribution drawn per block from ``seed``,
    then passed through the LazyArray's scalar operations."""

    kind: int
    args: np.ndarray
    seed: int = 0
    lazy: object = None

    def values(self, block: int, n: int) -> np.ndarray:
        if self.kind == CONSTANT:
            return constant_column(float(self.args[0]), n)
        out = _draw(_block_generator(self.seed, block), self.kind, self.args, n)
        if self.lazy is not None and self.lazy.operations:
            out = np.asarray(self.lazy._apply_operations(out), dtype=float).reshape(n)
        return out


@dataclass
class ConnectionSummary:
    """What the toolchain needs before it encodes anything, gathered in the creation pass:
    each parameter's largest magnitude, and the delays per tick."""

    abs_max: dict = field(default_factory=dict)
    delay_ticks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class GeneratedConnections:
    """A projection's connections as blocks of source rows, regenerated on every pass."""

    def __init__(self, rule: int, n_pre: int, n_post: int, self_rule: int, p: float,
                 row_bounds: np.ndarray, block_counts: np.ndarray | None, pair_seed: int,
                 parameters: dict[str, GeneratedParameter]) -> None:
        self.rule = rule
        self.n_pre = n_pre
        self.n_post = n_post
        self.self_rule = self_rule
        self.p = p
        self.row_bounds = row_bounds
        self.drawn = block_counts            # pairs drawn per block (fixed total number)
        self.counts = np.zeros(row_bounds.size - 1, dtype=np.int64)   # kept, after passes
        self.pair_seed = pair_seed
        self.parameters = parameters
        self.summary = ConnectionSummary()
        self.delay_ticks: list[np.ndarray] | None = None   # per block, uint8, from summarise
        # per block, the connections of each source row once drawn (fixed total number):
        # a pass that needs no targets then repeats the rows without drawing them again
        self.row_counts: list[np.ndarray | None] = [None] * self.n_blocks
        self.dt = 0.0

    @property
    def n_blocks(self) -> int:
        return int(self.row_bounds.size - 1)

    def __len__(self) -> int:
        return int(self.counts.sum())

    def pairs(self, b: int, targets: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """int32 (pre, post) positions of block ``b``, sorted by pre. Without ``targets``
        (and where no self-connection rule needs them) post is all zeros: the pre positions
        are drawn before the post ones, so they are the same."""
        lo, hi = int(self.row_bounds[b]), int(self.row_bounds[b + 1])
        gen = _block_generator(self.pair_seed, b)
        n_post = self.n_post
        if self.rule == ALL_TO_ALL:
            pre = np.repeat(np.arange(lo, hi, dtype=INDEX_DTYPE), n_post)
            post = np.tile(np.arange(n_post, dtype=INDEX_DTYPE), hi - lo)
        elif self.rule == TOTAL_NUMBER:
            per_row = self.row_counts[b]
            if per_row is not None and not targets and self.self_rule == SELF_ALLOWED:
                pre = np.repeat(np.arange(lo, hi, dtype=INDEX_DTYPE), per_row)
                return pre, np.zeros(pre.size, dtype=INDEX_DTYPE)
            rows = gen.integers(0, hi - lo, size=int(self.drawn[b]))
            per_row = np.bincount(rows, minlength=hi - lo).astype(np.int32)
            self.row_counts[b] = per_row
            pre = np.repeat(np.arange(lo, hi, dtype=INDEX_DTYPE), per_row)
            if not targets and self.self_rule == SELF_ALLOWED:
                return pre, np.zeros(pre.size, dtype=INDEX_DTYPE)
            post = gen.integers(0, n_post, size=pre.size, dtype=INDEX_DTYPE)
        else:
            flat = np.concatenate(list(bernoulli_positions(gen, lo * n_post, hi * n_post,
                                                           self.p)))
            pre = (flat // n_post).astype(INDEX_DTYPE)
            post = (flat - pre.astype(np.int64) * n_post).astype(INDEX_DTYPE)
        if self.self_rule == SELF_DROPPED:
            keep = pre != post
        elif self.self_rule == SELF_NO_MUTUAL:
            keep = pre > post
        else:
            return pre, post
        return pre[keep], post[keep]

    def block(self, b: int, names=None, machine: bool = False, targets: bool = True
              ) -> tuple[np.ndarray, np.ndarray, dict]:
        """(pre, post, {parameter: values}) of block ``b`` (the parameters ``names``, or
        all): the same on every call. ``machine``: for the toolchain, delays as their ticks
        (uint8, from :attr:`delay_ticks`) where those are kept, and targets only if a weight
        is asked for. Without ``targets``, post may be zeros (:meth:`pairs`)."""
        pre, post = self.pairs(b, targets=targets and (
            not machine or names is None or "weight" in names))
        values = {}
        for name, par in self.parameters.items():
            if names is not None and name not in names:
                continue
            if machine and name == "delay" and self.delay_ticks is not None:
                values[name] = self.delay_ticks[b]
            else:
                values[name] = par.values(b, pre.size)
        return pre, post, values

    def blocks(self, names=None, machine: bool = False, targets: bool = True):
        """Every block in order (:meth:`block`); the next :data:`BLOCKS_AHEAD` are
        generated on other threads while the caller works on the current one (numpy's
        generators release the GIL; drawing is the slower side of every pass). At most
        BLOCKS_AHEAD + 2 blocks are alive at once: while a block is handed over, the caller
        still holds the previous one."""
        with ThreadPoolExecutor(max_workers=BLOCKS_AHEAD) as pool:
            pending = deque(pool.submit(self.block, b, names, machine, targets)
                            for b in range(min(BLOCKS_AHEAD, self.n_blocks)))
            for b in range(self.n_blocks):
                current = pending.popleft().result()
                if b + BLOCKS_AHEAD < self.n_blocks:
                    pending.append(pool.submit(self.block, b + BLOCKS_AHEAD, names, machine,
                                               targets))
                yield current

    def materialise(self) -> tuple[np.ndarray, np.ndarray, dict]:
        """The whole connection list (what a stored projection keeps)."""
        parts = list(self.blocks())
        pre = np.concatenate([p for p, _, _ in parts]) if parts else np.zeros(0, INDEX_DTYPE)
        post = np.concatenate([q for _, q, _ in parts]) if parts else np.zeros(0, INDEX_DTYPE)
        values = {}
        for name, par in self.parameters.items():
            if par.kind == CONSTANT:
                values[name] = constant_column(float(par.args[0]), pre.size)
            else:
                values[name] = np.concatenate([v[name] for _, _, v in parts]) if parts \
                    else np.zeros(0)
        return pre, post, values

    def summarise(self, dt: float, check) -> None:
        """The creation pass: count every block's connections, check their values with
        ``check(values)`` (the projection's safe checks), fill :attr:`summary` and, for
        drawn delays of at most 255 ticks, keep each connection's ticks
        (:attr:`delay_ticks`). None of it needs the targets, so they are not drawn here
        where the rule allows (:meth:`pairs`)."""
        abs_max = dict.fromkeys(self.parameters, 0.0)
        delay_ticks = np.zeros(1, dtype=np.int64)
        delay = self.parameters.get("delay")
        cache = [] if delay is not None and delay.kind != CONSTANT else None
        for b, (pre, _, values) in enumerate(self.blocks(targets=False)):
            self.counts[b] = pre.size
            if pre.size:
                check(values)
            for name, column in values.items():
                sample = column[:1] if is_constant_column(column) else column
                if sample.size:
                    abs_max[name] = max(abs_max[name], float(np.abs(sample).max()))
            if "delay" in values:
                column = values["delay"]
                ticks = _delay_ticks(column, dt)
                delay_ticks = _add_histogram(
                    delay_ticks, ticks, column.size if is_constant_column(column) else 1)
                if cache is not None and ticks.size and ticks.max() > 255:
                    cache = None
                if cache is not None:
                    cache.append(ticks.astype(np.uint8))
        self.summary = ConnectionSummary(abs_max, delay_ticks)
        self.delay_ticks, self.dt = cache, dt


def _delay_ticks(delays: np.ndarray, dt: float) -> np.ndarray:
    """``rint(delay / dt)`` in double precision, at least 0, as the machine's host rounds
    delays (spec §2); one value for a constant column."""
    if is_constant_column(delays):
        delays = delays[:1]
    return np.maximum(np.rint(np.asarray(delays, dtype=np.float64) / dt), 0).astype(np.int64)


def _add_histogram(hist: np.ndarray, ticks: np.ndarray, each: int) -> np.ndarray:
    """``hist`` plus ``each`` connections per entry of ``ticks`` (a constant column's one
    value stands for all its connections)."""
    weights = np.full(ticks.size, each) if each != 1 else None
    add = np.bincount(ticks, weights=weights, minlength=hist.size).astype(np.int64)
    add[:hist.size] += hist
    return add


def _block_generator(seed: int, block: int) -> np.random.Generator:
    """The generator of one block of one stream: independent of every other block."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence((seed, block))))


# -- deciding ---------------------------------------------------------------------------
def plan(connector, projection, parameters: dict, min_delay: float
         ) -> GeneratedConnections | None:
    """A generated table for this projection, or None where it is stored (small, or a
    connector, population view, parameter or synapse the expander does not handle)."""
    pre, post = projection.pre, projection.post
    if not (_is_population(pre) and _is_population(post)):
        return None
    if getattr(connector, "callback", None) is not None or set(parameters.keys()) != {"weight",
                                                                               "delay"}:
        return None  # plastic synapses keep a list (their weights change per connection)
    n_pre, n_post = pre.size, post.size
    if type(connector) is pc.AllToAllConnector:
        rule, expected, p = ALL_TO_ALL, n_pre * n_post, 1.0
    elif type(connector) is pc.FixedProbabilityConnector and 0 < connector.p_connect < 1:
        rule, p = PROBABILITY, float(connector.p_connect)
        expected = p * n_pre * n_post
    elif type(connector) is pc.FixedTotalNumberConnector and connector.with_replacement:
        rule, expected, p = TOTAL_NUMBER, int(connector.n), 0.0
    else:
        return None
    if expected <= GENERATE_ABOVE or n_pre * n_post == 0:
        return None
    specs = {}
    for name, value in parameters.items():
        spec = _parameter(value, min_delay if name == "delay" else None)
        if spec is None:
            return None
        specs[name] = spec
    self_rule = SELF_ALLOWED
    if pre is post:
        allow = getattr(connector, "allow_self_connections", True)
        if allow in ("NoMutual", "NoMutualConnections") and rule != TOTAL_NUMBER:
            self_rule = SELF_NO_MUTUAL
        elif allow is not True:
            self_rule = SELF_DROPPED
    per_row = max(1.0, expected / n_pre)
    rows = max(1, int(BLOCK_CONNECTIONS // per_row))
    bounds = np.append(np.arange(0, n_pre, rows), n_pre).astype(np.int64)
    gen = numpy_generator(getattr(connector, "rng", None))
    drawn = None
    if rule == TOTAL_NUMBER:
        n = int(connector.n)  # > GENERATE_ABOVE here
        drawn = gen.multinomial(n, np.diff(bounds) / n_pre).astype(np.int64)
    for spec in specs.values():
        if spec.kind != CONSTANT:
            spec.seed = int(numpy_generator(spec.lazy.base_value.rng).integers(0, 2**63))
    return GeneratedConnections(rule, n_pre, n_post, self_rule, p, bounds, drawn,
                                int(gen.integers(0, 2**63)), specs)


def _is_population(cells) -> bool:
    from pyNN.common import Population
    return isinstance(cells, Population)


def _parameter(value, nan_default: float | None) -> GeneratedParameter | None:
    """The expander's description of a synaptic parameter (a PyNN LazyArray), or None."""
    if value.is_homogeneous:
        v = float(value.evaluate(simplify=True))
        if np.isnan(v) and nan_default is not None:
            v = nan_default
        return GeneratedParameter(CONSTANT, np.array([v, 0.0, 0.0, 0.0]))
    base = value.base_value
    if not isinstance(base, RandomDistribution) or base.name not in _KINDS:
        return None
    if not all(arg is None or np.isscalar(arg) for _, arg in value.operations):
        return None
    kind, names = _KINDS[base.name]
    args = np.zeros(4)
    args[:len(names)] = [float(base.parameters[n]) for n in names]
    if kind == NORMAL_CLIPPED:
        mu, sigma, low, high = args
        mass = stats.norm.cdf(high, mu, sigma) - stats.norm.cdf(low, mu, sigma) \
            if sigma > 0 else float(low <= mu <= high)
        if mass < _MIN_CLIPPED_MASS:
            raise ValueError(f"normal_clipped(mu={mu}, sigma={sigma}, low={low}, "
                             f"high={high}): the range [low, high] holds a fraction {mass:.3g} "
                             f"of the distribution (need at least {_MIN_CLIPPED_MASS})")
    return GeneratedParameter(kind, args, lazy=value)


# -- draws -------------------------------------------------------------------------------
def _draw(gen: np.random.Generator, kind: int, args: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws of a distribution with parameters ``args`` (PyNN's names, in the order
    of ``_KINDS``); normal_clipped redraws values outside [low, high] as PyNN does.

    The standard variates are single precision (24-bit mantissa: finer than the machine's
    16-bit weights and its delay ticks, and about twice as fast to draw), scaled in double.
    """
    a, b, c, d = (float(x) for x in args)
    if kind == UNIFORM:
        return a + (b - a) * gen.random(n, dtype=np.float32)
    if kind == EXPONENTIAL:
        return a * gen.standard_exponential(n, dtype=np.float32)
    out = a + b * gen.standard_normal(n, dtype=np.float32)
    if kind == NORMAL_CLIPPED_TO_BOUNDARY:
        np.clip(out, c, d, out=out)
    elif kind == NORMAL_CLIPPED:
        bad = np.flatnonzero((out < c) | (out > d))
        while bad.size:
            out[bad] = a + b * gen.standard_normal(bad.size, dtype=np.float32)
            bad = bad[(out[bad] < c) | (out[bad] > d)]
    return out
