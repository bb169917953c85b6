"""Cell and synapse types offered by the SpiNNaker backend (sPyNNaker 7.4.1 subset).

Parameters keep PyNN's names and units (identity translation); the toolchain converts them
to the chip's s16.15 encoding. As in sPyNNaker, current-based cells can also record
``gsyn_exc``/``gsyn_inh`` (the synaptic current, in nA). Every other PyNN standard type
raises ``NotImplementedError`` naming the model and the machine.
"""

from __future__ import annotations

from pyNN.standardmodels import (
    STDPTimingDependence,
    STDPWeightDependence,
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

check_weights = std_syn.StaticSynapse.parameter_checks["weight"]


def check_non_negative_delays(delays, projection) -> None:
    """Delays must be >= 0 ms; the machine rounds them to whole ticks (at least one)."""
    import numpy as np
    from pyNN import errors

    if np.any(np.asarray(delays) < 0):
        raise errors.ConnectionError(f"Projection '{projection.label}': negative delay "
                                     f"{float(np.min(delays))} ms (allowed: >= 0)")

MACHINE = "SpiNNaker (sPyNNaker 7.4.1)"



class IF_curr_exp(std.IF_curr_exp):
    __doc__ = std.IF_curr_exp.__doc__
    translations = identity_translations(std.IF_curr_exp)
    recordable = ["spikes", "v", "gsyn_exc", "gsyn_inh"]  # noqa: RUF012 (PyNN convention)
    units = dict(std.IF_curr_exp.units, gsyn_exc="nA", gsyn_inh="nA")  # noqa: RUF012


class IF_cond_exp(std.IF_cond_exp):
    __doc__ = std.IF_cond_exp.__doc__
    translations = identity_translations(std.IF_cond_exp)


class IF_curr_delta(std.IF_curr_delta):
    """LIF with instantaneous current input (sPyNNaker ``IF_curr_delta`` / ``IFCurDelta``).

    As on the chip, the input of a tick is a current ``weight / dt`` (nA) applied for that
    tick through the LIF update, not PyNN's exact voltage jump of ``weight`` mV.
    """

    translations = identity_translations(std.IF_curr_delta)
    #: the weight is a charge (nA·ms): the jump is about weight / cm mV, not weight mV
    charge_delta_weights = True
    default_initial_values = dict(std.IF_curr_delta.default_initial_values,  # noqa: RUF012
                                  isyn_exc=0.0, isyn_inh=0.0)
    recordable = ["spikes", "v", "gsyn_exc", "gsyn_inh"]  # noqa: RUF012 (PyNN convention)
    units = dict(std.IF_curr_delta.units, gsyn_exc="nA", gsyn_inh="nA",  # noqa: RUF012
                 isyn_exc="nA", isyn_inh="nA")


class IF_curr_dual_exp(std.IF_curr_exp):
    """sPyNNaker extra model: two excitatory exponential synapse types and one inhibitory."""

    default_parameters = dict(std.IF_curr_exp.default_parameters,  # noqa: RUF012
                              tau_syn_E2=5.0)
    default_initial_values = dict(std.IF_curr_exp.default_initial_values,  # noqa: RUF012
                                  isyn_exc2=0.0)
    translations = build_translations(*[(n, n) for n in default_parameters])
    receptor_types = ("excitatory", "excitatory2", "inhibitory")
    recordable = ["spikes", "v", "gsyn_exc", "gsyn_inh"]  # noqa: RUF012 (PyNN convention)
    units = dict(std.IF_curr_exp.units, gsyn_exc="nA", gsyn_inh="nA",  # noqa: RUF012
                 tau_syn_E2="ms", isyn_exc2="nA")


class Izhikevich(std.Izhikevich):
    """Izhikevich with exponential current synapses (sPyNNaker ``IZK_curr_exp``)."""

    default_parameters = dict(std.Izhikevich.default_parameters,  # noqa: RUF012
                              tau_syn_E=5.0, tau_syn_I=5.0)
    default_initial_values = dict(std.Izhikevich.default_initial_values,  # noqa: RUF012
                                  isyn_exc=0.0, isyn_inh=0.0)
    translations = build_translations(*[(n, n) for n in default_parameters])
    recordable = ["spikes", "v", "gsyn_exc", "gsyn_inh"]  # noqa: RUF012 (PyNN convention)
    units = dict(std.Izhikevich.units, gsyn_exc="nA", gsyn_inh="nA",  # noqa: RUF012
                 tau_syn_E="ms", tau_syn_I="ms", isyn_exc="nA", isyn_inh="nA")


class Izhikevich_cond(std.Izhikevich):
    """sPyNNaker extra model ``IZK_cond_exp``: Izhikevich with exponential conductances."""

    default_parameters = dict(std.Izhikevich.default_parameters,  # noqa: RUF012
                              tau_syn_E=5.0, tau_syn_I=5.0, e_rev_E=0.0, e_rev_I=-70.0)
    default_initial_values = dict(std.Izhikevich.default_initial_values,  # noqa: RUF012
                                  gsyn_exc=0.0, gsyn_inh=0.0)
    translations = build_translations(*[(n, n) for n in default_parameters])
    conductance_based = True
    recordable = ["spikes", "v", "gsyn_exc", "gsyn_inh"]  # noqa: RUF012 (PyNN convention)
    units = dict(std.Izhikevich.units, gsyn_exc="uS", gsyn_inh="uS",  # noqa: RUF012
                 tau_syn_E="ms", tau_syn_I="ms", e_rev_E="mV", e_rev_I="mV")


class StaticSynapse(std_syn.StaticSynapse):
    __doc__ = std_syn.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))
    # delays shorter than one tick are raised to one tick at mapping (as sPyNNaker does),
    # so only the sign is checked here
    parameter_checks = {"weight": check_weights,  # noqa: RUF012 (PyNN convention)
                        "delay": check_non_negative_delays}

    def _get_minimum_delay(self):
        from neuroemu.spinnaker import simulator
        return simulator.state.min_delay


NEURON_CELLS = (IF_curr_exp, IF_cond_exp, IF_curr_delta, IF_curr_dual_exp, Izhikevich,
                Izhikevich_cond)
class STDPMechanism(std_syn.STDPMechanism):
    """Spike-timing-dependent plasticity as sPyNNaker 7.x runs it (see ``stdp.py``)."""

    base_translations = build_translations(("weight", "weight"), ("delay", "delay"),
                                           ("dendritic_delay_fraction",
                                            "dendritic_delay_fraction"))
    parameter_checks = {"weight": check_weights,  # noqa: RUF012 (PyNN convention)
                        "delay": check_non_negative_delays}

    def _get_minimum_delay(self):
        from neuroemu.spinnaker import simulator
        return simulator.state.min_delay


class SpikePairRule(std_syn.SpikePairRule):
    __doc__ = std_syn.SpikePairRule.__doc__
    translations = identity_translations(std_syn.SpikePairRule)


class AdditiveWeightDependence(std_syn.AdditiveWeightDependence):
    """Additive: on the machine a pairing moves the weight by ``A_plus``·trace (in weight
    units, not scaled by ``w_max`` as in NEST's ``stdp_synapse``), clamped to
    [w_min, w_max] after each step."""

    translations = identity_translations(std_syn.AdditiveWeightDependence)


class MultiplicativeWeightDependence(std_syn.MultiplicativeWeightDependence):
    """Multiplicative: potentiation scales with (w_max − w), depression with (w − w_min)."""

    translations = identity_translations(std_syn.MultiplicativeWeightDependence)


class PfisterSpikeTripletRule(STDPTimingDependence):
    """sPyNNaker extra model: Pfister & Gerstner (2006) triplet rule (all-to-all traces r1,
    r2 of the pre and o1, o2 of the post spikes; tau_x/tau_y LUTs use a time shift of 2)."""

    default_parameters = {"tau_plus": 16.8, "tau_minus": 33.7,  # noqa: RUF012
                          "tau_x": 101.0, "tau_y": 125.0, "A_plus": 0.01, "A_minus": 0.01}
    translations = build_translations(*[(n, n) for n in default_parameters])

    def __init__(self, tau_plus=16.8, tau_minus=33.7, tau_x=101.0, tau_y=125.0, A_plus=0.01,
                 A_minus=0.01):
        super().__init__(tau_plus=tau_plus, tau_minus=tau_minus, tau_x=tau_x, tau_y=tau_y,
                         A_plus=A_plus, A_minus=A_minus)


class WeightDependenceAdditiveTriplet(STDPWeightDependence):
    """sPyNNaker extra model: additive two-term dependence for the triplet rule; the host
    writes A±·w_max and A3±·w_max (sPyNNaker 7.4.1 ``weight_dependence_additive_triplet``)."""

    default_parameters = {"w_min": 0.0, "w_max": 1.0,  # noqa: RUF012
                          "A3_plus": 0.01, "A3_minus": 0.01}
    translations = build_translations(*[(n, n) for n in default_parameters])

    def __init__(self, w_min=0.0, w_max=1.0, A3_plus=0.01, A3_minus=0.01):
        super().__init__(w_min=w_min, w_max=w_max, A3_plus=A3_plus, A3_minus=A3_minus)


SOURCE_CELLS = (SpikeSourceArray, SpikeSourcePoisson)
SUPPORTED_CELLS = (*NEURON_CELLS, *SOURCE_CELLS)
#: standard PyNN names this backend implements (extra models live in ``extra_models``)
STANDARD_CELLS = (IF_curr_exp, IF_cond_exp, IF_curr_delta, Izhikevich, SpikeSourceArray,
                  SpikeSourcePoisson)


#: sPyNNaker 7.4.1 has these, neuroemu does not model them yet (the issue tracker plans them)
_LATER = {"IF_curr_alpha", "Vogels2011Rule"}
_SUPPORTED_NAMES = {c.__name__ for c in SUPPORTED_CELLS} | {
    "StaticSynapse", "STDPMechanism", "SpikePairRule", "AdditiveWeightDependence",
    "MultiplicativeWeightDependence", "DCSource", "ACSource", "StepCurrentSource", "NoisyCurrentSource"}


def _hint(name: str) -> str:
    if name in _LATER:
        return "sPyNNaker 7.4.1 has it, but this version of neuroemu does not emulate it yet"
    return "sPyNNaker 7.4.1 does not provide it"


UNSUPPORTED_MODELS = unsupported_standard_models(_SUPPORTED_NAMES, MACHINE, _hint)
