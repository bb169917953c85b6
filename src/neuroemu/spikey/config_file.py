"""``spikeyconfig.out`` and ``spiketrain.in`` as the Spikey software writes them (spec §5.1).

The layout follows the grammar that ``spikeyhal/tools/scparse.py`` reads: chip and DAC lines,
analogue parameters (run-length coded driver and neuron lines), bias/vout blocks, row (driver)
and column (neuron) configuration words, and the 384 x 256 weight matrix as hex digits.
Values neuroemu does not model (most biases, vout slots other than E_i/E_l/E_r/E_x/V_t) are
written as the software's ``defaultValue`` 0.05.
"""

from __future__ import annotations

import numpy as np

from neuroemu.spikey import neuron, topology
from neuroemu.spikey.mapping import ChipMapping
from neuroemu.spikey.topology import DRIVERS_PER_BLOCK, EXTERNAL, FEEDBACK_SAME, N_DRIVERS

DEFAULT_VALUE = 0.05
DRVIOUT_BASE_UA = 1.5
DRVIFALL_BASE_UA = 1.0
DRVIRISE_BASE_UA = 1.0
ADJDEL_UA = 2.5
N_BIASB, N_OUTAMP, N_VOUT = 15, 9, 25
#: vout slots of the shared voltages, (even parity, odd parity) (spec §4.1)
VOUT_SLOTS = {"e_rev_I": (0, 1), "v_rest": (2, 3), "v_reset": (4, 5), "e_rev_x": (6, 7),
              "v_thresh": (16, 17)}
START_BIN = 2 ** 21           # experiments start at bin 2^21 (spec §2.5)
END_DUMMY_BINS = 320_000      # dummy event 1 s bio after the run end
DUMMY_ADDRESS = 255


def _fmt(x: float) -> str:
    return f"{float(x):.4g}"


def _run_length(prefix: str, rows: list[str]) -> list[str]:
    """Keep index 0 and every line whose values differ from the previous index."""
    out, last = [], None
    for i, values in enumerate(rows):
        if values != last:
            out.append(f"{prefix} {i} {values}")
            last = values
    return out


def row_config_word(kind: int, sign: int, stp_code: int, driver: int) -> str:
    """8-bit driver word, MSB first (spec §2.4); unused drivers alternate exc/inh."""
    bits = [0] * 8
    if kind == topology.UNUSED:
        bits[2 if driver % 2 == 0 else 3] = 1
    else:
        bits[0] = int(kind != EXTERNAL)
        bits[1] = int(kind == FEEDBACK_SAME)
        bits[2] = int(sign > 0)
        bits[3] = int(sign < 0)
        if stp_code:
            k = (stp_code % 16 - 1) // 2
            bits[4] = 1
            bits[5] = int(stp_code >= 16)
            bits[6] = (k - 1) // 2 & 1
            bits[7] = (k - 1) // 4 & 1
    return "".join(str(b) for b in reversed(bits))


def spikeyconfig_text(m: ChipMapping, neu_f: np.ndarray, neu_i: np.ndarray,
                      i_leak: np.ndarray, factors: dict[str, np.ndarray], settings,
                      spike_neurons: np.ndarray, monitored: int, e_rev_x_mv: float) -> str:
    """The whole ``spikeyconfig.out`` text."""
    p = settings.stdp.params
    lines = ["SpikeyConfig", "ud_chip 1",
             f"tsense 150 tpcsec {int(p['tpcsec'])} tpcorperiod {int(p['tpcorperiod'])}",
             "ud_dac 1", f"irefdac 25 vcasdac 1.6 vm {_fmt(p['vm'])} vstart 0.25 vrest 0",
             "ud_param 1"]
    drv = [f"drviout {_fmt(DRVIOUT_BASE_UA * factors['drviout'][d])} adjdel {_fmt(ADJDEL_UA)} "
           f"drvifall {_fmt(DRVIFALL_BASE_UA * factors['drvifall'][d])} "
           f"drvirise {_fmt(DRVIRISE_BASE_UA * settings.drvirise_factor)}"
           for d in range(N_DRIVERS)]
    lines += _run_length("synapse", drv) + ["end"]
    icb = np.full(topology.N_NEURONS, settings.icb)
    nrn = [f"ileak {_fmt(i_leak[n])} icb {_fmt(icb[n])}" for n in range(topology.N_NEURONS)]
    lines += _run_length("neuron", nrn) + ["end"]
    lines.append("biasb " + " ".join([_fmt(DEFAULT_VALUE)] * N_BIASB))
    lines.append("outamp " + " ".join([_fmt(DEFAULT_VALUE)] * N_OUTAMP))
    vout = np.full((2, N_VOUT), DEFAULT_VALUE)
    active = neu_i[:, 0] == 1
    for name, col in (("e_rev_I", 4), ("v_rest", 1), ("v_reset", 3), ("v_thresh", 2)):
        for n in np.flatnonzero(active):
            vout[n // topology.NEURONS_PER_BLOCK, VOUT_SLOTS[name][n % 2]] = \
                neuron.to_hardware(neu_f[n, col])
    for b in range(2):
        for parity in range(2):
            vout[b, VOUT_SLOTS["e_rev_x"][parity]] = neuron.to_hardware(e_rev_x_mv)
    for label, table in (("vout", vout), ("voutbias", np.full((2, N_VOUT), DEFAULT_VALUE)),
                         ("probepad", np.full((2, 1), DEFAULT_VALUE)),
                         ("probebias", np.full((2, 1), DEFAULT_VALUE))):
        lines.append(label + " " + " ".join(_fmt(x) for x in table[0]))
        lines.append(" ".join(_fmt(x) for x in table[1]))
    lines.append("ud_rowconfig 1")
    kind, sign, code = m.drivers["kind"], m.drivers["sign"], m.drivers["stp_code"]
    words = ["config " + row_config_word(int(kind[d]), int(sign[d]), int(code[d]), d)
             for d in range(N_DRIVERS)]
    lines += _run_length("synapse", words) + ["end"]
    lines.append("ud_colconfig 1")
    col = []
    for n in range(topology.N_NEURONS):
        bits = ["0", "0", "0", "0"]           # MSB first: bit3 bit2 bit1 bit0
        if n in spike_neurons:
            bits[1] = "1"
        if n == monitored:
            bits[2] = "1"
        col.append("config " + "".join(bits))
    lines += _run_length("neuron", col) + ["end"]
    lines.append("ud_weight 1")
    for n in range(topology.N_NEURONS):
        b, c = divmod(n, topology.NEURONS_PER_BLOCK)
        row = m.weights[b * DRIVERS_PER_BLOCK:(b + 1) * DRIVERS_PER_BLOCK, c]
        lines.append(f"w {n:3d} " + " ".join(f"{int(w):x}" for w in row))
    lines += ["end", "EndSpikeyConfig"]
    return "\n".join(lines) + "\n"


def spiketrain_text(link_bins: np.ndarray, link_addr: np.ndarray, t0_bin: int,
                    n_bins: int) -> str:
    """``spiketrain.in``: N, then ``address<TAB>bin`` per event, with the end dummy event."""
    order = np.lexsort((link_addr, link_bins))
    rows = [f"{int(a)}\t{START_BIN + int(t) - t0_bin}" for a, t in
            zip(link_addr[order], link_bins[order])]
    rows.append(f"{DUMMY_ADDRESS}\t{START_BIN + n_bins + END_DUMMY_BINS}")
    return f"{len(rows)}\n" + "\n".join(rows) + "\n"


def write_all(directory: str, m: ChipMapping, neu_f, neu_i, i_leak, factors, settings,
              events, t0_bin: int, n_bins: int, spike_neurons, monitored: int,
              e_rev_x_mv: float) -> None:
    """Write both files into ``directory`` (the working directory, as the real software)."""
    import os

    with open(os.path.join(directory, "spikeyconfig.out"), "w") as f:
        f.write(spikeyconfig_text(m, neu_f, neu_i, i_leak, factors, settings, spike_neurons,
                                  monitored, e_rev_x_mv))
    with open(os.path.join(directory, "spiketrain.in"), "w") as f:
        f.write(spiketrain_text(events.link_bins, events.link_addr, t0_bin, n_bins))
