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

Building holds at most ``KEEP`` connections as wide (int64) arrays: a first pass counts
the words of every key, a second takes the chunks again (kept from the first pass while
they fit, else encoded again) and scatters their words into place, a third orders each key's words by core and cuts them into rows. Per synapse
this keeps the 4-byte word plus, while building, a 4-byte target core (and for plastic
networks a flag and the connection's number, to find its weight again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from neuroemu.errors import MappingError
from neuroemu.spinnaker import kernel, mapping

#: connections encoded at once (bounds the wide temporary arrays to ~100 MB)
CHUNK = 1 << 20
#: encodings of the first pass kept for the second up to this many connections
KEEP = 1 << 23
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
    """Encodes a projection's connections, chunk by chunk, as (key, core, word)."""

    def __init__(self, program) -> None:
        m = program.mapping
        self.mapping = m
        self.cores = program.cores
        self.core_of_atom = program.core_of_atom
        layouts = list(m.layouts.values())
        self.layouts = layouts
        self.offsets = np.array([lay.offset for lay in layouts], dtype=np.int64)
        self.slots = np.array([lay.slots for lay in layouts], dtype=np.int64)
        self.atom_bits = np.array([lay.atom_bits for lay in layouts], dtype=np.int64)
        self.type_bits = np.array([mapping.type_bits(lay.n_types) for lay in layouts],
                                  dtype=np.int64)
        n_types = max([lay.n_types for lay in layouts] + [1])
        self.scales = np.ones((len(layouts), n_types))
        for i, lay in enumerate(layouts):
            self.scales[i, :lay.n_types] = lay.scales
        dcs = program.delay_cores
        self.dc_key0 = np.array([dc["key0"] for dc in dcs], dtype=np.int64)
        self.dc_lo = np.array([dc["lo"] for dc in dcs], dtype=np.int64)
        self.dc_n = np.array([dc["hi"] - dc["lo"] for dc in dcs], dtype=np.int64)
        # first delay core of each (source layout, slots) delay vertex
        index = {id(lay.population): i for i, lay in enumerate(layouts)}
        self.first_dc = {(index[pop_id], slots): j
                         for (pop_id, slots), j in program.delay_vertex.items()}

    def chunks(self, pl):
        """(slice of connections, key, core, word) per chunk of a projection."""
        for lo in range(0, pl.size, CHUNK):
            sel = slice(lo, min(lo + CHUNK, pl.size))
            yield (sel, *self.encode(pl, sel))

    def encode(self, pl, sel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Multicast key, target core (int32) and 32-bit word of the connections ``sel``."""
        pre = pl.pre_atoms(sel)
        post = pl.post_atoms(sel)
        d = pl.delays(sel)
        which = np.searchsorted(self.offsets, post, side="right") - 1
        slots = self.slots[which]
        a_bits = self.atom_bits[which]
        core = self.core_of_atom[post]
        local = post - self.cores[core, kernel.C_LO]
        stage = (d - 1) // slots
        remaining = d - stage * slots
        ctrl = ((remaining & (slots - 1)) << (a_bits + self.type_bits[which])) | \
            (pl.synapse_type << a_bits) | local
        weight = mapping.quantise_weights(pl.weights(sel), self.scales[which, pl.synapse_type])
        word = ((weight.astype(np.int64) << 16) | ctrl).astype(np.uint32)
        key = pre
        delayed = stage > 0
        if delayed.any():
            src = np.searchsorted(self.offsets, pre, side="right") - 1
            first = np.zeros(pre.size, dtype=np.int64)
            for s_lay, n_slots in set(zip(src[delayed].tolist(), slots[delayed].tolist())):
                here = delayed & (src == s_lay) & (slots == n_slots)
                first[here] = self.first_dc[(s_lay, n_slots)] - self.layouts[s_lay].first_core
            dc = first[delayed] + self.core_of_atom[pre[delayed]]
            key = pre.copy()
            key[delayed] = self.dc_key0[dc] + (stage[delayed] - 1) * self.dc_n[dc] + \
                (pre[delayed] - self.dc_lo[dc])
        return key, core.astype(np.int32), word


def build_rows(program, projections, plastic_of) -> SynapticRows:
    """All synaptic rows of ``projections`` (``plastic_of(proj)`` says which are STDP)."""
    m = program.mapping
    encoder = RowEncoder(program)
    n_keys = program.n_keys
    items = [(proj, m.projections[id(proj)]) for proj in projections]
    counts = np.zeros(n_keys, dtype=np.int64)
    kept: dict = {}
    n_kept = 0
    for proj, pl in items:
        for chunk in encoder.chunks(pl):
            _count(chunk[1], counts)
            if n_kept + chunk[1].size <= KEEP:
                kept[(id(proj), chunk[0].start)] = chunk
                n_kept += chunk[1].size
    word_ptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(counts, out=word_ptr[1:])
    n_words = int(word_ptr[-1])
    del counts
    any_plastic = any(plastic_of(proj) for proj, _ in items)
    words = np.empty(n_words, dtype=np.uint32)
    wcore = np.empty(n_words, dtype=np.int32)
    wflag = np.zeros(n_words if any_plastic else 0, dtype=np.uint8)
    worigin = np.full(n_words if any_plastic else 0, -1, dtype=np.int64)
    cursor = word_ptr[:-1].copy()
    conn_offset, n_plastic_conns = {}, 0
    for proj, pl in items:
        plastic = plastic_of(proj)
        if plastic:
            conn_offset[id(proj)] = n_plastic_conns
        for sel, key, core, word in _again(encoder, proj, pl, kept):
            base = n_plastic_conns + sel.start if plastic else -1
            _scatter(key, core, word, plastic, base, cursor, words, wcore, wflag, worigin)
        if plastic:
            n_plastic_conns += pl.size
    del cursor, kept
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


def _again(encoder: RowEncoder, proj, pl, kept: dict):
    """The chunks of a projection once more: kept from the first pass, else re-encoded."""
    for lo in range(0, pl.size, CHUNK):
        chunk = kept.pop((id(proj), lo), None)
        if chunk is None:
            sel = slice(lo, min(lo + CHUNK, pl.size))
            chunk = (sel, *encoder.encode(pl, sel))
        yield chunk


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
def _count(key, counts):
    for i in range(key.size):
        counts[key[i]] += 1


@njit(cache=True)
def _scatter(key, core, word, plastic, base, cursor, words, wcore, wflag, worigin):
    """Put each connection's word at the next free place of its key (connection order)."""
    for i in range(key.size):
        k = key[i]
        at = cursor[k]
        cursor[k] = at + 1
        words[at] = word[i]
        wcore[at] = core[i]
        if plastic:
            wflag[at] = 1
            worigin[at] = base + i


@njit(cache=True)
def _order_key(a, b, words, wcore, wflag, worigin, any_plastic):
    """Order the words of one key by (core, static before plastic), stably."""
    ordered = True
    for i in range(a + 1, b):
        prev = np.int64(wcore[i - 1]) * 2 + (wflag[i - 1] if any_plastic else 0)
        this = np.int64(wcore[i]) * 2 + (wflag[i] if any_plastic else 0)
        if this < prev:
            ordered = False
            break
    if ordered:
        return
    comp = wcore[a:b].astype(np.int64) * 2
    if any_plastic:
        comp += wflag[a:b]
    order = np.argsort(comp, kind="mergesort")
    words[a:b] = words[a:b][order]
    wcore[a:b] = wcore[a:b][order]
    if any_plastic:
        wflag[a:b] = wflag[a:b][order]
        worigin[a:b] = worigin[a:b][order]


@njit(cache=True)
def _same_row(i, wcore, wflag, any_plastic):
    return wcore[i] == wcore[i - 1] and (not any_plastic or wflag[i] == wflag[i - 1])


@njit(cache=True)
def _cut_rows(word_ptr, words, wcore, wflag, worigin, dr_ptr, dr_core, any_plastic):
    """Rows per key (runs of one core and plasticity), then its delay-extension entries."""
    n_keys = word_ptr.size - 1
    route_ptr = np.zeros(n_keys + 1, dtype=np.int64)
    for k in range(n_keys):
        a, b = word_ptr[k], word_ptr[k + 1]
        _order_key(a, b, words, wcore, wflag, worigin, any_plastic)
        n = 0
        for i in range(a, b):
            if i == a or not _same_row(i, wcore, wflag, any_plastic):
                n += 1
        route_ptr[k + 1] = route_ptr[k] + n + dr_ptr[k + 1] - dr_ptr[k]
    n_rows = route_ptr[n_keys]
    route_core = np.empty(n_rows, dtype=np.int32)
    route_len = np.empty(n_rows, dtype=np.uint16)
    route_prow = np.full(n_rows if any_plastic else 0, -1, dtype=np.int32)
    n_plastic = 0
    longest = 0
    for k in range(n_keys):
        r = route_ptr[k]
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
    return route_ptr, route_core, route_len, route_prow, n_plastic, longest
