"""``sim.extra_models``: sPyNNaker's non-standard models that neuroemu emulates."""

from neuroemu.spinnaker.cells import (
    IF_curr_delta,
    IF_curr_dual_exp,
    Izhikevich_cond,
    PfisterSpikeTripletRule,
    WeightDependenceAdditiveTriplet,
)

#: sPyNNaker's name for ``IF_curr_delta``
IFCurDelta = IF_curr_delta

#: the name sPyNNaker's documentation also uses for the triplet rule
PfisterSpikeTriplet = PfisterSpikeTripletRule

__all__ = ["IFCurDelta", "IF_curr_delta", "IF_curr_dual_exp", "Izhikevich_cond",
           "PfisterSpikeTriplet", "PfisterSpikeTripletRule", "WeightDependenceAdditiveTriplet"]
