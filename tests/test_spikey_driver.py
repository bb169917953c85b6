"""Line-driver knobs (spec spikey §1.3, §3.2): drvifall/drviout factors per connection,
drvirise chip-wide, ranges and errors; PSC time course and amplitude follow them."""

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from pyNN.parameters import Sequence


def _epsp(fall=None, out=None, rise=None, receptor="excitatory", weight=0.008):
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[Sequence([20.0])]))
    pop = sim.Population(1, sim.IF_facets_hardware1())
    prj = sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=weight),
                         receptor_type=receptor)
    if fall is not None:
        prj.setDrvifallFactors([fall])
    if out is not None:
        prj.setDrvioutFactors([out])
    if rise is not None:
        prj.setDrviriseFactor(rise)
    pop.record("v")
    sim.run(100.0)
    sig = pop.get_data().segments[0].analogsignals[0]
    return sig.times.rescale("ms").magnitude, sig.magnitude[:, 0] + 75.0


def _area(t, v):
    return float(np.sum(v) * (t[1] - t[0]))


def test_lower_drvifall_gives_longer_psc():
    """drvifall is the falling-ramp current: lower = slower decay = longer PSC (§3.2)."""
    t, v1 = _epsp(fall=1.0)
    _, v_slow = _epsp(fall=0.5)
    assert _area(t, v_slow) > 1.3 * _area(t, v1)
    assert t[np.argmax(v_slow)] > t[np.argmax(v1)]


def test_drviout_scales_amplitude():
    _, v1 = _epsp(out=1.0, weight=0.002)        # small PSPs: nearly linear in g
    _, v_half = _epsp(out=0.5, weight=0.002)
    assert v_half.max() == pytest.approx(0.5 * v1.max(), rel=0.05)


def test_inhibitory_psp_is_negative():
    _, v = _epsp(receptor="inhibitory", weight=0.02)
    assert v.min() < -0.01 and v.max() <= 1e-9


def test_drvirise_is_chip_wide_and_checked():
    t, v1 = _epsp(rise=1.0)
    _, v_slow = _epsp(rise=0.1)
    assert t[np.argmax(v_slow)] > t[np.argmax(v1)] + 1.0
    with pytest.raises(ValueError, match="Drvirise factor outside of allowed range"):
        _epsp(rise=3.0)


@pytest.mark.parametrize("method, bad", [("setDrvifallFactors", [0.01]),
                                         ("setDrvifallFactors", [2.6]),
                                         ("setDrvioutFactors", [1.7]),
                                         ("setDrvioutFactors", [0.01])])
def test_factor_ranges(method, bad):
    """drvifall [0.02, 2.5] (base 1 µA), drviout [0.0133, 1.667] (base 1.5 µA) (§1.3)."""
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    pop = sim.Population(1, sim.IF_facets_hardware1())
    prj = sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001))
    with pytest.raises(ValueError, match="factor outside of allowed range"):
        getattr(prj, method)(bad)


def test_factor_getters_scalers_and_ranges():
    sim.setup(noise=False)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    pop = sim.Population(2, sim.IF_facets_hardware1())
    prj = sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001))
    assert prj.getDrvifallFactors() == [1.0] * 4
    prj.setDrvifallFactors([0.5, 0.5, 0.25, 0.25])
    prj.scaleDrvifallFactors(2.0)
    assert prj.getDrvifallFactors() == [1.0, 1.0, 0.5, 0.5]
    with pytest.raises(ValueError, match="outside of allowed range"):
        prj.scaleDrvifallFactors(10.0)
    assert prj.getDrvifallFactorsRange() == pytest.approx([0.02, 2.5])
    assert prj.getDrvioutFactorsRange() == pytest.approx([0.02 / 1.5, 2.5 / 1.5])
    prj.scaleDrvioutFactors(0.5)
    assert prj.getDrvioutFactors() == [0.5] * 4
    prj.setDrviriseFactor(2.0)
    prj.scaleDrviriseFactor(0.5)
    assert prj.getDrviriseFactor() == 1.0
    with pytest.raises(ValueError, match="one factor per connection"):
        prj.setDrvioutFactors([1.0, 1.0])
