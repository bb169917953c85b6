"""spikeyconfig.out / spiketrain.in in the grammar of spec spikey §5.1 (scparse layout)."""

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest


def _expand(lines, start_key, n, prefix):
    """Run-length section after ``start_key``: omitted indices repeat the previous line."""
    i = next(k for k, line in enumerate(lines) if line.startswith(start_key)) + 1
    out, current = [], None
    entries = {}
    while lines[i] != "end":
        tokens = lines[i].split(" ")
        assert tokens[0] == prefix
        entries[int(tokens[1])] = " ".join(tokens[2:])
        i += 1
    for idx in range(n):
        current = entries.get(idx, current)
        out.append(current)
    return out


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sim.setup(noise=False, writeConfigToFile=True)
    src = sim.Population(4, sim.SpikeSourceArray(spike_times=[10.0]))
    pop = sim.Population(2, sim.IF_facets_hardware1())
    sim.Projection(src[0:2], pop[0:1], sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.015))
    sim.Projection(src[2:3], pop[0:1], sim.AllToAllConnector(),
                   sim.TsodyksMarkramSynapse(U=0.5, tau_rec=100.0, weight=0.02))
    sim.Projection(pop[1:2], pop[0:1], sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.008), receptor_type="inhibitory")
    pop[0:1].record("spikes")
    pop[1:2].record("v")
    sim.run(50.0)
    return ((tmp_path / "spikeyconfig.out").read_text().splitlines(),
            (tmp_path / "spiketrain.in").read_text().splitlines())


def test_sections_in_order(files):
    cfg, _ = files
    assert cfg[0] == "SpikeyConfig" and cfg[-1] == "EndSpikeyConfig"
    keys = ["ud_chip", "ud_dac", "ud_param", "biasb", "outamp", "vout", "voutbias",
            "probepad", "probebias", "ud_rowconfig", "ud_colconfig", "ud_weight"]
    pos = [next(i for i, line in enumerate(cfg) if line.split(" ")[0] == k) for k in keys]
    assert pos == sorted(pos)
    i = cfg.index("ud_chip 1")
    assert cfg[i + 1].split(" ") == ["tsense", "150", "tpcsec", "30", "tpcorperiod", "360"]
    assert cfg[cfg.index("ud_dac 1") + 1].split(" ")[4:6] == ["vm", "0.3"]


def test_row_config_words(files):
    """bit0 feedback, bit1 same block, bit2 exc, bit3 inh, bit4 STP, bit5 dep, bit6/7 C2."""
    cfg, _ = files
    words = [w.split(" ")[1] for w in _expand(cfg, "ud_rowconfig", 512, "synapse")]
    assert words[255] == words[254] == "00000100"      # sources 0, 1: external, exc
    assert words[253] == "11110100"                    # source 2: dep STP, U 0.5 -> k = 7
    assert words[252] == "00000100"                    # unused, even -> exc
    assert words[1] == "00001011"                      # neuron 1 -> same block, inh
    assert words[3] == "00001000"                      # unused, odd -> inh


def test_column_config_and_weights(files):
    cfg, _ = files
    cols = [w.split(" ")[1] for w in _expand(cfg, "ud_colconfig", 384, "neuron")]
    assert cols[0] == "0100" and cols[1] == "0010" and cols[2] == "0000"
    i = cfg.index("ud_weight 1")
    row0 = cfg[i + 1]
    assert row0[:6] == "w   0 "
    digits = [int(x, 16) for x in row0[6:].split(" ")]
    assert len(digits) == 256
    assert digits[255] == digits[254] == 15
    assert digits[253] == 10                           # 0.02 µS * U 0.5 = 10 LSB
    assert digits[1] == 2                              # 0.008 µS inh = 2 LSB
    assert sum(digits) == 15 + 15 + 10 + 2
    assert len(cfg) - cfg.index("ud_weight 1") - 3 == 384


def test_vouts_of_block_0(files):
    cfg, _ = files
    i = next(k for k, line in enumerate(cfg) if line.startswith("vout "))
    v = [float(x) for x in cfg[i].split(" ")[1:]]
    assert len(v) == 25 and len(cfg[i + 1].split(" ")) == 25
    assert v[0] == v[1] == 0.5            # E_i -80 mV
    assert v[2] == v[3] == 0.62           # E_l -75 mV
    assert v[4] == v[5] == 0.5            # V_reset -80 mV
    assert v[6] == v[7] == 1.58           # E_x upper corner
    assert v[16] == v[17] == 1.1          # V_thresh -55 mV


def test_neuron_and_driver_currents(files):
    cfg, _ = files
    nrn = _expand(cfg, "end", 384, "neuron")
    assert nrn[0] == "ileak 0.2 icb 0.2"
    drv = _expand(cfg, "ud_param", 512, "synapse")
    assert drv[0] == "drviout 1.5 adjdel 2.5 drvifall 1 drvirise 1"


def test_spiketrain_in(files):
    """N, then address<TAB>bin from 2^21, then the dummy 1 s bio after the end."""
    _, st = files
    assert int(st[0]) == len(st) - 1
    events = [tuple(int(x) for x in line.split("\t")) for line in st[1:]]
    start = 2 ** 21
    # four simultaneous events in one 64-address buffer: one per 32-bin packet (§2.5)
    assert events[:-1] == [(252, start + 3200), (253, start + 3232), (254, start + 3264),
                           (255, start + 3296)]
    assert events[-1] == (255, start + 50 * 320 + 320000)


def test_files_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sim.setup(noise=False)
    sim.Population(1, sim.IF_facets_hardware1())
    sim.run(1.0)
    assert not list(tmp_path.iterdir())
    assert np.isfinite(sim.get_current_time())
