"""Synaptic rows in the machine's encoding, built in bounded memory.

What the kernel reads (``n_keys`` multicast keys, ``n_rows`` rows):

==========  ======  ===============  ====================================================
words       uint32  [n_synapses]     sPyNNaker's word: weight << 16 | delay | type | index
word_ptr    int64   [n_keys + 1]     the words of key k are word_ptr[k] .. word_ptr[k+1]
route_ptr   int64   [n_keys + 1]     the rows of key k are route_ptr[k] .. route_ptr[k+1]
route_core  int32   [n_rows]         the core a row goes to
route_len   uint16  [n_rows]         words in the row; 0 for a delay-extension entry
route_prow  int32   [n_rows or 0]    plastic row number (-1 static); empty without STDP
==========  ======  ===============  ====================================================

The rows of a key are its words grouped by target core (static before plastic, in core
order), followed by its delay-extension entries; a row's start is ``word_ptr[key]`` plus
the lengths of the rows before it. Within a row the words keep connection order.

Building is three compiled passes with no per-connection temporaries: the first counts
the words of every key, the second encodes each connection again and writes its word at
its key's next free place, the third orders each key's words by core and cuts them into
rows. Per synapse this keeps the 4-byte word plus, while building, its target core (2 bytes,
or 4 beyond 65,536 cores: :func:`core_dtype`), and for plastic networks a flag and the
connection's number, to find its weight again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from neuroemu.errors import MappingError
from neuroemu.spinnaker import kernel, mapping

#: a row's length is stored in 16 bits
MAX_ROW_LENGTH = np.iinfo(np.uint16).max


@dataclass
class SynapticRows:
    """The encoded synaptic rows and the routes of every key (see the module doc)."""

    words: np.ndarray
    word_ptr: np.ndarray
    route_ptr: np.ndarray
    route_core: np.ndarray
    route_len: np.ndarray
    route_prow: np.ndarray
    n_plastic_rows: int
    word_of_connection: dict

    @property
    def n_synapses(self) -> int:
        return int(self.words.size)

    def nbytes(self) -> int:
        """Bytes of everything the kernel keeps for the synapses and their routes."""
        return sum(int(a.nbytes) for a in (self.words, self.word_ptr, self.route_ptr,
                                           self.route_core, self.route_len, self.route_prow))


class RowEncoder:
    """The machine's lookup tables for encoding connections as (key, core, word): per
    population layout its delay slots, index and type bits and weight scales; per
    delay-extension core its first key and atoms."""

    def __init__(self, program) -> None:
        m = program.mapping
        self.cores = program.cores
        self.core_of_atom = program.core_of_atom
        layouts = list(m.layouts.values())
        self.offsets = np.array([lay.offset for lay in layouts], dtype=np.int64)
        self.slots = np.array([lay.slots for lay in layouts], dtype=np.int64)
        # slots are powers of two (spec §3.2): the stage of a delay is a shift, not a division
        self.slot_bits = np.array([int(n).bit_length() - 1 for n in self.slots], dtype=np.int64)
        self.atom_bits = np.array([lay.atom_bits for lay in layouts], dtype=np.int64)
        self.type_bits = np.array([mapping.type_bits(lay.n_types) for lay in layouts],
                                  dtype=np.int64)
        n_types = max([lay.n_types for lay in layouts] + [1])
        self.scales = np.ones((len(layouts), n_types))
        for i, lay in enumerate(layouts):
            self.scales[i, :lay.n_types] = lay.scales
        dcs = program.delay_cores
        self.dc_key0 = np.array([dc["key0"] for dc in dcs] + [0], dtype=np.int64)
        self.dc_lo = np.array([dc["lo"] for dc in dcs] + [0], dtype=np.int64)
        self.dc_n = np.array([dc["hi"] - dc["lo"] for dc in dcs] + [0], dtype=np.int64)
        # per (source layout, target layout): first delay core of the source's delay
        # vertex for the target's slots, minus the source's first core
        index = {id(lay.population): i for i, lay in enumerate(layouts)}
        self.dc_base = np.zeros((len(layouts), len(layouts)), dtype=np.int64)
        for (pop_id, n_slots), j in program.delay_vertex.items():
            q = index[pop_id]
            for p in np.flatnonzero(self.slots == n_slots):
                self.dc_base[q, p] = j - layouts[q].first_core

    def tables(self, pl) -> tuple:
        """Per position of the projection's pre and post cells: atom, core, layout (pre);
        core, index on the core, layout (post)."""
        pre_atom = pl.pre_atom_of
        post_atom = pl.post_atom_of
        post_core = self.core_of_atom[post_atom]
        return (pre_atom, self.core_of_atom[pre_atom],
                np.searchsorted(self.offsets, pre_atom, side="right") - 1,
                post_core, post_atom - self.cores[post_core, kernel.C_LO],
                np.searchsorted(self.offsets, post_atom, side="right") - 1)

    def count(self, pl, counts: np.ndarray) -> None:
        """Add the words each key gets from this projection to ``counts``."""
        self._run(pl, True, counts, np.zeros(0, dtype=np.uint32),
                  np.zeros(0, dtype=core_dtype(self.cores.shape[0])),
                  np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64), -1)

    def write(self, pl, cursor: np.ndarray, words: np.ndarray, wcore: np.ndarray,
              wflag: np.ndarray | None = None, worigin: np.ndarray | None = None,
              origin_base: int = -1) -> None:
        """Write each connection's word and target core at its key's ``cursor`` (advanced);
        for a plastic projection also its flag and number (``origin_base`` + index)."""
        if wflag is None:
            wflag = np.zeros(0, dtype=np.uint8)
            worigin = np.zeros(0, dtype=np.int64)
        self._run(pl, False, cursor, words, wcore, wflag, worigin, origin_base)

    def _run(self, pl, count_only, per_key, words, wcore, wflag, worigin, origin_base):
        tables = self.tables(pl)
        scale = np.ascontiguousarray(self.scales[:, pl.synapse_type])
        done = 0
        for pre, post, weights, delays in pl.blocks(weights=not count_only):
            _encode(count_only, pre, post, weights, delays, pl.dt, pl.synapse_type,
                    *tables, self.slot_bits, self.atom_bits, self.type_bits, scale,
                    self.dc_base, self.dc_key0, self.dc_lo, self.dc_n, per_key, words, wcore,
                    wflag, worigin, origin_base + done)
            done += pre.size


def core_dtype(n_cores: int) -> type:
    """The narrowest type that numbers ``n_cores`` cores: the build keeps one per synapse
    (at full microcircuit scale 0.3 billion; 2 bytes instead of 4 spare 0.6 GB, and on this
    VM every fresh gigabyte costs seconds of page faults)."""
    return np.uint16 if n_cores <= 1 << 16 else np.int32


def _host_ticks(delays, i, dt):
    """Connection ``i``'s delay in ticks as the host rounds it, ``rint(delay / dt)`` (spec
    §2), from delays in ms; delays already in ticks (uint8) are taken as they are."""
    return np.int64(delays[i]) if delays.dtype == np.uint8 else np.int64(
        np.rint(delays[i] / dt))


@overload(_host_ticks, inline="always")
def _host_ticks_jit(delays, i, dt):
    if delays.dtype == types.uint8:
        return lambda delays, i, dt: np.int64(delays[i])
    return lambda delays, i, dt: np.int64(np.rint(delays[i] / dt))


@njit(cache=True, nogil=True)
def _encode(count_only, pre_idx, post_idx, weights, delays, dt, syn_type, pre_atom, pre_core,
            pre_layout, post_core, post_local, post_layout, slot_bits, atom_bits, type_bits,
            scale, dc_base, dc_key0, dc_lo, dc_n, per_key, words, wcore, wflag, worigin,
            origin_base):
    """Each connection's key (its source, or a delay-extension stage key: spec §3), then
    advance the key's ``per_key`` entry (a count, or the next free place) and, unless
    ``count_only``, write the word ``weight(16) | delay | type | index`` (spec §1.4) at
    that place, in connection order."""
    for i in range(pre_idx.size):
        source = pre_idx[i]
        target = post_idx[i]
        p = post_layout[target]
        s_bits = slot_bits[p]
        d = max(_host_ticks(delays, i, dt), 1)
        stage = (d - 1) >> s_bits
        key = pre_atom[source]
        if stage > 0:
            dc = dc_base[pre_layout[source], p] + pre_core[source]
            key = dc_key0[dc] + (stage - 1) * dc_n[dc] + (key - dc_lo[dc])
        at = per_key[key]
        per_key[key] = at + 1
        if count_only:
            continue
        a_bits = atom_bits[p]
        remaining = d - (stage << s_bits)
        ctrl = ((remaining & ((1 << s_bits) - 1)) << (a_bits + type_bits[p])) | \
            (syn_type << a_bits) | post_local[target]
        weight = np.int64(np.rint(abs(weights[i]) * scale[p])) & 0xFFFF
        words[at] = np.uint32((weight << 16) | ctrl)
        wcore[at] = post_core[target]
        if worigin.size:
            wflag[at] = 1
            worigin[at] = origin_base + i


@njit(cache=True, nogil=True)
def _first_touch(words, wcore):
    """Write every 4 KiB page of two fresh arrays once, so the kernel maps them now."""
    for i in range(0, words.size, 1024):
        words[i] = 0
        wcore[i] = 0


def build_rows(program, projections, plastic_of) -> SynapticRows:
    """All synaptic rows of ``projections`` (``plastic_of(proj)`` says which are STDP)."""
    m = program.mapping
    encoder = RowEncoder(program)
    n_keys = program.n_keys
    items = [(proj, m.projections[id(proj)]) for proj in projections]
    # one word per connection: the words are allocated before the counting pass, and their
    # pages faulted in on a second thread meanwhile (gigabytes at full scale, where the
    # first touch -- zeroing, huge-page compaction -- took seconds inside the write pass)
    n_words = sum(pl.size for _, pl in items)
    words = np.empty(n_words, dtype=np.uint32)
    wcore = np.empty(n_words, dtype=core_dtype(program.cores.shape[0]))
    counts = np.zeros(n_keys, dtype=np.int64)
    with ThreadPoolExecutor(max_workers=1) as pool:
        touched = pool.submit(_first_touch, words, wcore) if n_words >= PARALLEL_MIN_WORDS \
            else None
        for _, pl in items:
            encoder.count(pl, counts)
        if touched is not None:
            touched.result()
    word_ptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(counts, out=word_ptr[1:])
    if int(word_ptr[-1]) != n_words:
        raise AssertionError(f"counted {int(word_ptr[-1])} words for {n_words} connections")
    del counts
    any_plastic = any(plastic_of(proj) for proj, _ in items)
    wflag = np.zeros(n_words if any_plastic else 0, dtype=np.uint8)
    worigin = np.full(n_words if any_plastic else 0, -1, dtype=np.int64)
    cursor = word_ptr[:-1].copy()
    conn_offset, n_plastic_conns = {}, 0
    for proj, pl in items:
        if plastic_of(proj):
            conn_offset[id(proj)] = n_plastic_conns
            encoder.write(pl, cursor, words, wcore, wflag, worigin, n_plastic_conns)
            n_plastic_conns += pl.size
        else:
            encoder.write(pl, cursor, words, wcore)
    del cursor
    dr_ptr, dr_core = _delay_entries(program, n_keys)
    route_ptr, route_core, route_len, route_prow, n_plastic_rows, longest = _cut_rows(
        word_ptr, words, wcore, wflag, worigin, dr_ptr, dr_core, any_plastic)
    if longest > MAX_ROW_LENGTH:
        raise MappingError(
            "synaptic row length", f"{longest} synapses", f"{MAX_ROW_LENGTH} synapses",
            "a row (one source neuron onto one core)",
            "too many connections (multapses) from one neuron onto one core")
    word_of_connection = {}
    if any_plastic:
        position = np.empty(n_plastic_conns, dtype=np.int64)
        placed = worigin >= 0
        position[worigin[placed]] = np.flatnonzero(placed)
        for proj, pl in items:
            if id(proj) in conn_offset:
                first = conn_offset[id(proj)]
                word_of_connection[id(proj)] = position[first:first + pl.size]
    return SynapticRows(words, word_ptr, route_ptr, route_core, route_len, route_prow,
                        n_plastic_rows, word_of_connection)


def _delay_entries(program, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Per key, the delay-extension cores its spikes also go to, in core order."""
    if not program.delay_cores:
        return np.zeros(n_keys + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    keys = np.concatenate([np.arange(dc["lo"], dc["hi"], dtype=np.int64)
                           for dc in program.delay_cores])
    cores = np.concatenate([np.full(dc["hi"] - dc["lo"], dc["core"], dtype=np.int32)
                            for dc in program.delay_cores])
    order = np.lexsort((cores, keys))
    ptr = np.searchsorted(keys[order], np.arange(n_keys + 1))
    return ptr.astype(np.int64), cores[order]


@njit(cache=True)
def _order_key(a, b, words, wcore, wflag, worigin, any_plastic, tally, scratch_w, scratch_o):
    """Order the words of one key by (core, static before plastic), stably: a counting
    sort over the key's range of row classes (``tally``: zeros, at least as long as the
    class range; scratch arrays at least as long as the key)."""
    first = np.int64(wcore[a]) * 2 + (wflag[a] if any_plastic else 0)
    lowest = first
    highest = first
    ordered = True
    prev = first
    for i in range(a + 1, b):
        this = np.int64(wcore[i]) * 2 + (wflag[i] if any_plastic else 0)
        if this < prev:
            ordered = False
        prev = this
        lowest = min(lowest, this)
        highest = max(highest, this)
    if ordered:
        return
    for i in range(a, b):
        tally[np.int64(wcore[i]) * 2 + (wflag[i] if any_plastic else 0) - lowest + 1] += 1
    for k in range(1, highest - lowest + 2):
        tally[k] += tally[k - 1]
    for i in range(a, b):
        cls = np.int64(wcore[i]) * 2 + (wflag[i] if any_plastic else 0) - lowest
        at = tally[cls]
        tally[cls] = at + 1
        scratch_w[at] = words[i]
        if any_plastic:
            scratch_o[at] = worigin[i]
    # class k now fills [tally[k - 1], tally[k]) (from 0 for k = 0): rewrite core and flag
    n = b - a
    words[a:b] = scratch_w[:n]
    if any_plastic:
        worigin[a:b] = scratch_o[:n]
    start = 0
    for k in range(highest - lowest + 1):
        cls = lowest + k
        for j in range(start, tally[k]):
            wcore[a + j] = cls // 2
            if any_plastic:
                wflag[a + j] = cls % 2
        start = tally[k]
    for k in range(highest - lowest + 2):
        tally[k] = 0


@njit(cache=True)
def _same_row(i, wcore, wflag, any_plastic):
    return wcore[i] == wcore[i - 1] and (not any_plastic or wflag[i] == wflag[i - 1])


#: groups of keys the threads of :func:`_cut_rows` share out ...
CUT_CHUNKS = 64
#: ... from this many words (below it, starting threads costs more than they save)
PARALLEL_MIN_WORDS = 1 << 22


@njit(cache=True, nogil=True)
def _order_keys(k0, k1, word_ptr, words, wcore, wflag, worigin, any_plastic, n_classes,
                n_rows, n_plastic_rows):
    """Order the words of keys [k0, k1) (:func:`_order_key`) and count each key's rows
    and plastic rows."""
    longest_key = 0
    for k in range(k0, k1):
        longest_key = max(longest_key, word_ptr[k + 1] - word_ptr[k])
    tally = np.zeros(n_classes, dtype=np.int64)
    scratch_w = np.empty(longest_key, dtype=np.uint32)
    scratch_o = np.empty(longest_key if any_plastic else 0, dtype=np.int64)
    for k in range(k0, k1):
        a, b = word_ptr[k], word_ptr[k + 1]
        if b > a:
            _order_key(a, b, words, wcore, wflag, worigin, any_plastic, tally, scratch_w,
                       scratch_o)
        n = 0
        n_plastic = 0
        for i in range(a, b):
            if i == a or not _same_row(i, wcore, wflag, any_plastic):
                n += 1
                if any_plastic and wflag[i]:
                    n_plastic += 1
        n_rows[k] = n
        n_plastic_rows[k] = n_plastic


@njit(cache=True, nogil=True)
def _fill_routes(k0, k1, word_ptr, wcore, wflag, dr_ptr, dr_core, any_plastic, route_ptr,
                 plastic_ptr, route_core, route_len, route_prow):
    """The routes of keys [k0, k1): one per row (a run of one core and plasticity; plastic
    rows numbered from ``plastic_ptr[k]``), then the key's delay-extension entries; returns
    the longest row."""
    longest = 0
    for k in range(k0, k1):
        r = route_ptr[k]
        n_plastic = plastic_ptr[k]
        a, b = word_ptr[k], word_ptr[k + 1]
        start = a
        for i in range(a, b + 1):
            if i == b or (i > a and not _same_row(i, wcore, wflag, any_plastic)):
                if i > start:
                    route_core[r] = wcore[start]
                    longest = max(longest, i - start)
                    route_len[r] = min(i - start, 65535)
                    if any_plastic and wflag[start]:
                        route_prow[r] = n_plastic
                        n_plastic += 1
                    r += 1
                start = i
        for j in range(dr_ptr[k], dr_ptr[k + 1]):
            route_core[r] = dr_core[j]
            route_len[r] = 0
            r += 1
    return longest


@njit(cache=True, parallel=True)
def _cut_rows(word_ptr, words, wcore, wflag, worigin, dr_ptr, dr_core, any_plastic):
    """Rows per key (runs of one core and plasticity), then its delay-extension entries.
    Keys are independent, so from PARALLEL_MIN_WORDS words groups of keys go to parallel
    threads (same result)."""
    n_keys = word_ptr.size - 1
    n_classes = 2 * (np.int64(wcore.max()) + 1) + 2 if wcore.size else 2
    n_rows = np.zeros(n_keys, dtype=np.int64)
    n_plastic_rows = np.zeros(n_keys, dtype=np.int64)
    parallel = words.size >= PARALLEL_MIN_WORDS
    n_chunks = max(1, min(n_keys, CUT_CHUNKS)) if parallel else 1
    if parallel:
        for ch in prange(n_chunks):
            _order_keys(ch * n_keys // n_chunks, (ch + 1) * n_keys // n_chunks, word_ptr,
                        words, wcore, wflag, worigin, any_plastic, n_classes, n_rows,
                        n_plastic_rows)
    else:
        _order_keys(0, n_keys, word_ptr, words, wcore, wflag, worigin, any_plastic, n_classes,
                    n_rows, n_plastic_rows)
    route_ptr = np.zeros(n_keys + 1, dtype=np.int64)
    plastic_ptr = np.zeros(n_keys + 1, dtype=np.int64)
    for k in range(n_keys):
        route_ptr[k + 1] = route_ptr[k] + n_rows[k] + dr_ptr[k + 1] - dr_ptr[k]
        plastic_ptr[k + 1] = plastic_ptr[k] + n_plastic_rows[k]
    n_routes = route_ptr[n_keys]
    route_core = np.empty(n_routes, dtype=np.int32)
    route_len = np.empty(n_routes, dtype=np.uint16)
    route_prow = np.full(n_routes if any_plastic else 0, -1, dtype=np.int32)
    longest = np.zeros(n_chunks, dtype=np.int64)
    if parallel:
        for ch in prange(n_chunks):
            longest[ch] = _fill_routes(ch * n_keys // n_chunks, (ch + 1) * n_keys // n_chunks,
                                       word_ptr, wcore, wflag, dr_ptr, dr_core, any_plastic,
                                       route_ptr, plastic_ptr, route_core, route_len,
                                       route_prow)
    else:
        longest[0] = _fill_routes(0, n_keys, word_ptr, wcore, wflag, dr_ptr, dr_core,
                                  any_plastic, route_ptr, plastic_ptr, route_core, route_len,
                                  route_prow)
    return route_ptr, route_core, route_len, route_prow, plastic_ptr[n_keys], longest.max()
