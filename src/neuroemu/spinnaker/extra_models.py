"""``sim.extra_models``: sPyNNaker's non-standard models that neuroemu emulates."""

from neuroemu.spinnaker.cells import IF_curr_delta, IF_curr_dual_exp, Izhikevich_cond

#: sPyNNaker's name for ``IF_curr_delta``
IFCurDelta = IF_curr_delta

__all__ = ["IFCurDelta", "IF_curr_delta", "IF_curr_dual_exp", "Izhikevich_cond"]
