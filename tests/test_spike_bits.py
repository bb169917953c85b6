"""Spike bit fields -> (tick, column) events, against numpy's own bit unpacking."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from neuroemu.engine.spike_bits import spike_events


@settings(deadline=None)
@given(arrays(np.uint32, st.tuples(st.integers(0, 20), st.integers(0, 5)),
              elements=st.integers(0, 2**32 - 1)))
def test_events_are_the_set_bits_in_row_major_order(bits):
    reference = np.unpackbits(bits.astype("<u4").view(np.uint8).reshape(bits.shape[0],
                                                                   4 * bits.shape[1]),
                              axis=1, bitorder="little")
    tick, column = spike_events(bits)
    ref_tick, ref_column = np.nonzero(reference)
    np.testing.assert_array_equal(tick, ref_tick)
    np.testing.assert_array_equal(column, ref_column)


def test_bit_b_of_word_w_is_column_32w_plus_b():
    bits = np.zeros((3, 2), dtype=np.uint32)
    bits[1, 1] = np.uint32(1 << 31) | np.uint32(1)
    bits[2, 0] = np.uint32(1 << 5)
    tick, column = spike_events(bits)
    assert tick.tolist() == [1, 1, 2] and column.tolist() == [32, 63, 5]
