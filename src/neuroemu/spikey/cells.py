"""Cell and synapse types of the Spikey backend (the PyNN 0.6 Spikey fork's subset).

``IF_facets_hardware1`` is the only neuron type (spec §1.2, defaults of the Spikey fork's
``src/cells.py``, not PyNN 0.13's); sources are ``SpikeSourceArray`` and
``SpikeSourcePoisson``. Synapses: static, Tsodyks-Markram STP (§1.4) and STDP with
``SpikePairRule`` + ``AdditiveWeightDependence`` (§1.5). Every other PyNN standard type
raises ``NotImplementedError`` naming the model and Spikey.
"""

from __future__ import annotations

from pyNN.standardmodels import (
    build_translations,
)
from pyNN.standardmodels import cells as std
from pyNN.standardmodels import synapses as std_syn

from neuroemu.pynn.cells import (
    SpikeSourceArray,
    SpikeSourcePoisson,
    identity_translations,
    unsupported_standard_models,
)

MACHINE = "Spikey"



class IF_facets_hardware1(std.IF_facets_hardware1):
    """Conductance-based LIF of the Spikey chip (spec §1.2, §4.1).

    Software equivalent: cm = 0.2 nF, e_rev_E = 0 mV (on the chip E_x is fixed at the upper
    voltage corner, -35 mV bio), tau_syn ~ 5 ms. ``tau_refrac`` only takes effect with
    ``setup(calibIcb=True)``; v_rest, v_reset, v_thresh, e_rev_I are shared per
    (block, parity) group.
    """

    default_parameters = {  # noqa: RUF012 (PyNN convention)
        "g_leak": 20.0,      # nS
        "v_reset": -80.0,    # mV
        "e_rev_I": -80.0,    # mV
        "v_rest": -75.0,     # mV
        "v_thresh": -55.0,   # mV
        "tau_refrac": 1.0,   # ms
    }
    recordable = ["spikes", "v"]  # noqa: RUF012
    default_initial_values = {"v": -75.0}  # noqa: RUF012
    units = {"v": "mV", "g_leak": "nS", "v_reset": "mV", "e_rev_I": "mV",  # noqa: RUF012
             "v_rest": "mV", "v_thresh": "mV", "tau_refrac": "ms"}
    translations = build_translations(*[(n, n) for n in default_parameters])


def _min_delay():
    from neuroemu.spikey import simulator
    return simulator.state.min_delay


class StaticSynapse(std_syn.StaticSynapse):
    __doc__ = std_syn.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def _get_minimum_delay(self):
        return _min_delay()


class TsodyksMarkramSynapse(std_syn.TsodyksMarkramSynapse):
    """Line-driver STP (spec §1.4): depressing (tau_facil = 0) XOR facilitating (tau_rec = 0)."""

    translations = identity_translations(std_syn.TsodyksMarkramSynapse)

    def _get_minimum_delay(self):
        return _min_delay()


class STDPMechanism(std_syn.STDPMechanism):
    """On-chip STDP (spec §1.5, §3.3); only SpikePairRule + AdditiveWeightDependence."""

    base_translations = build_translations(("weight", "weight"), ("delay", "delay"),
                                           ("dendritic_delay_fraction",
                                            "dendritic_delay_fraction"))

    def _get_minimum_delay(self):
        return _min_delay()


class SpikePairRule(std_syn.SpikePairRule):
    __doc__ = std_syn.SpikePairRule.__doc__
    translations = identity_translations(std_syn.SpikePairRule)
    possible_models = {"stdp_facetshw"}  # noqa: RUF012


class AdditiveWeightDependence(std_syn.AdditiveWeightDependence):
    __doc__ = std_syn.AdditiveWeightDependence.__doc__
    translations = identity_translations(std_syn.AdditiveWeightDependence)
    possible_models = {"stdp_facetshw"}  # noqa: RUF012


SUPPORTED_CELLS = (IF_facets_hardware1, SpikeSourceArray, SpikeSourcePoisson)
SOURCE_CELLS = (SpikeSourceArray, SpikeSourcePoisson)

_HINTS = {
    "MultiplicativeWeightDependence": "not available yet in the Spikey software (spec §1.5)",
}
_SUPPORTED_NAMES = {c.__name__ for c in SUPPORTED_CELLS} | {
    "StaticSynapse", "TsodyksMarkramSynapse", "STDPMechanism", "SpikePairRule",
    "AdditiveWeightDependence"}


UNSUPPORTED_MODELS = unsupported_standard_models(
    _SUPPORTED_NAMES, MACHINE,
    lambda name: _HINTS.get(name, "the Spikey chip offers only IF_facets_hardware1, spike "
                                  "sources, static/TM/STDP synapses (spec §1.2)"))
