"""The mapping report: what the chip holds and what it did to the network in the last run.

A plain dict (JSON-serialisable) plus a text rendering: neurons per block, line drivers per
kind, synapses and the 4-bit weight histogram, STP and STDP settings, input events sent/lost.
"""

from __future__ import annotations

import json

import numpy as np

from neuroemu.spikey import topology
from neuroemu.spikey.mapping import ChipMapping


def mapping_summary(m: ChipMapping) -> dict:
    """Chip usage of a mapping (no run needed)."""
    hw = np.concatenate(list(m.hw_neuron.values())) if m.hw_neuron else np.zeros(0, int)
    kind = m.drivers["kind"]
    digital = m.weights[m.weights > 0]
    return {
        "neurons": {"block0": int((hw < 192).sum()), "block1": int((hw >= 192).sum()),
                    "available": topology.N_NEURONS},
        "external_sources": int(sum(v.size for v in m.source_number.values())),
        "line_drivers": {"external": int((kind == topology.EXTERNAL).sum()),
                         "feedback_same_block": int((kind == topology.FEEDBACK_SAME).sum()),
                         "feedback_other_block": int((kind == topology.FEEDBACK_OTHER).sum()),
                         "with_stp": int((m.drivers["stp_code"] > 0).sum()),
                         "available": topology.N_DRIVERS},
        "synapses": int(digital.size),
        "weight_histogram": np.bincount(digital, minlength=16)[1:].tolist(),
        "inputs_mirrored_to_block1": bool(m.block1_used),
        "stp_chip": None if m.stp_chip is None else
        {"depressing": bool(m.stp_chip[0]), "k": int(m.stp_chip[1]),
         "tau_ms": float(m.stp_chip[2])},
        "stdp_rows": None if m.stdp_local_rows.size == 0 else
        [int(255 - m.stdp_local_rows.max()), int(255 - m.stdp_local_rows.min())],
    }


def as_text(report: dict) -> str:
    """Human-readable rendering of the report."""
    return "Spikey mapping report\n" + json.dumps(report, indent=2)
