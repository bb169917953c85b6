"""Spikey topology rules: neuron -> line driver table, external inputs, allocation, pins.

Reference values: the guidebook's line-driver table (seeds/004, chapter 5.2.1) and spec
spikey §2.1-2.3, §4.3.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroemu.spikey import topology

#: rows of the guidebook table: driver -> (neuron in left block, neuron in right block)
GUIDEBOOK_ROWS = {
    0: (0, 193), 1: (1, 192), 2: (2, 195), 3: (3, 194), 190: (190, 383), 191: (191, 382),
    256: (192, 1), 257: (193, 0), 258: (194, 3), 259: (195, 2), 446: (382, 191),
    447: (383, 190),
}


def test_guidebook_rows():
    for driver, sources in GUIDEBOOK_ROWS.items():
        block = driver // 256
        for s in sources:
            assert topology.feedback_driver(s, block) == driver


def test_full_table_384_by_2():
    """Same block: local = s % 192; other block: even/odd partner (s % 192) XOR 1 (§2.2)."""
    s = np.arange(384)
    for block in (0, 1):
        got = topology.feedback_driver(s, block)
        same = s // 192 == block
        expected = np.where(same, 256 * block + s % 192, 256 * block + ((s % 192) ^ 1))
        np.testing.assert_array_equal(got, expected)
        # every driver 0..191 of the block takes exactly one neuron from each block
        local = got - 256 * block
        assert sorted(local[same]) == list(range(192))
        assert sorted(local[~same]) == list(range(192))
        assert local.max() < 192          # 192..255 are external-only (guidebook table)


def test_external_inputs_top_down():
    """Source i uses local driver 255 - i in each block; i >= 64 lands on feedback lines."""
    i = np.arange(256)
    np.testing.assert_array_equal(topology.external_driver(i, 0), 255 - i)
    np.testing.assert_array_equal(topology.external_driver(i, 1), 511 - i)
    assert topology.external_driver(63, 0) == 192                   # last external-only line
    assert topology.external_driver(64, 0) == topology.feedback_driver(191, 0)
    assert topology.MAX_SOURCES == 256


def test_hardware_order_offset_and_permutation():
    assert list(topology.hardware_order(0)[:3]) == [0, 1, 2]
    order = topology.hardware_order(190)
    assert list(order[:4]) == [190, 191, 192, 193] and order[-1] == 189
    perm = list(range(383, -1, -1))
    assert list(topology.hardware_order(1, perm)[:2]) == [382, 381]


@pytest.mark.parametrize("offset", [-1, 384, 1000])
def test_mapping_offset_range(offset):
    with pytest.raises(ValueError, match="Mapping offset is equal to or larger"):
        topology.hardware_order(offset)


def test_permutation_must_be_complete():
    with pytest.raises(ValueError, match="missing indices: \\[383\\]"):
        topology.hardware_order(0, list(range(383)) + [0])


@given(st.integers(0, 383))
def test_membrane_pin_rule(h):
    """pin = h % 4 + 4 * block: 8 pins, 4 per block (§4.3)."""
    pin = topology.membrane_pin(h)
    assert 0 <= pin < 8
    assert pin // 4 == h // 192 and pin % 4 == h % 4


def test_zero_weight_synapses_configure_nothing():
    cfg = topology.configure_drivers([], [], [], [], [])
    assert not cfg["kind"].any() and not cfg["sign"].any()


@given(st.integers(0, 383), st.integers(0, 1))
def test_scparse_decoding_inverts_the_driver_formula(s, block):
    """scparse.py decodes a driver back to its source: same block 192*B + local, other block
    ((B+1)%2)*192 + local + (2*((1+local)%2) - 1) (spec §2.2)."""
    d = int(topology.feedback_driver(s, block))
    assert d // 256 == block
    local = d % 256
    if s // 192 == block:
        assert 192 * block + local == s
    else:
        assert ((block + 1) % 2) * 192 + local + (2 * ((1 + local) % 2) - 1) == s
