"""Input link of the Spikey system: packing of input events and loss above link capacity.

Model of ``sc_sctrl.cpp::pbEvt`` (spec §2.5): the link sends one packet per slot of
``SLOT_BINS`` = 32 time bins (0.1 ms bio: the 100 MHz clock at 10^4 speed-up); a packet
carries up to 3 events, which must address different 64-address input buffers. An event that
finds its slot full (or its buffer taken) is shifted to a later slot, keeping its phase, by at
most ``MAX_SHIFT_SLOTS`` (0.3 ms bio; this keeps a 5 kHz Poisson source below 1 %
loss, spec §2.5); beyond that its slot is past and it is dropped ("event rate exceeds
link capacity"). So one buffer carries at most 10 kHz bio and the link at most 30 kHz bio
when three buffers are used; a regular 5 kHz source is never thinned. Losses are counted and
never raised.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SLOT_BINS = 32
EVENTS_PER_PACKET = 3
ADDRESSES_PER_BUFFER = 64
MAX_SHIFT_SLOTS = 3


@njit(cache=True)
def pack_events(bins, addresses, slot_bins=SLOT_BINS, per_packet=EVENTS_PER_PACKET,
                group_size=ADDRESSES_PER_BUFFER, max_shift=MAX_SHIFT_SLOTS):
    """Delivered time bin of each event (time-sorted input), or -1 where it is dropped."""
    n = bins.size
    out = np.full(n, -1, dtype=np.int64)
    window = max_shift + 1
    win_slot = np.full(window, -1, dtype=np.int64)
    win_count = np.zeros(window, dtype=np.int64)
    win_mask = np.zeros(window, dtype=np.int64)
    for e in range(n):
        slot = bins[e] // slot_bins
        group = addresses[e] // group_size
        for shift in range(max_shift + 1):
            cand = slot + shift
            w = cand % window
            if win_slot[w] != cand:
                win_slot[w] = cand
                win_count[w] = 0
                win_mask[w] = 0
            if win_count[w] < per_packet and (win_mask[w] >> group) & 1 == 0:
                win_count[w] += 1
                win_mask[w] |= 1 << group
                out[e] = bins[e] + shift * slot_bins
                break
    return out
