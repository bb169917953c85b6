"""Error reporting and the sPyNNaker API surface of the SpiNNaker backend.

Rules: invalid parameters are rejected with a ValueError that names the population label,
the parameter and the offending value, at the moment the description is made
(Population creation or ``set``), never later during ``run``; unsupported cell types raise
NotImplementedError naming the model and SpiNNaker; the non-standard sPyNNaker calls of
spec /work/shared/spec/spinnaker.md §8 (``set_number_of_neurons_per_core``,
``additional_parameters`` with its documented keys) are accepted, unknown keys rejected.
"""

from __future__ import annotations

import pyNN.neuroemu_spinnaker as sim
import pytest


@pytest.fixture
def fresh():
    sim.setup(timestep=1.0)
    yield
    sim.end()


def _assert_names(excinfo, *parts):
    msg = str(excinfo.value)
    for part in parts:
        assert part in msg, (part, msg)


# ---------------------------------------------------------------------------------------
# invalid values at creation
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("celltype,param,value", [
    (sim.IF_curr_exp, "cm", 0.0),
    (sim.IF_curr_exp, "cm", -0.25),
    (sim.IF_curr_exp, "tau_m", 0.0),
    (sim.IF_curr_exp, "tau_m", -20.0),
    (sim.IF_cond_exp, "cm", -1.5),
    (sim.IF_cond_exp, "tau_m", -3.0),
])
def test_nonpositive_membrane_constant_rejected_at_creation(fresh, celltype, param, value):
    """cm <= 0 or tau_m <= 0 has no meaning (R = tau_m/cm, exp(-dt/tau_m)) and the chip's
    unsigned kdivk would produce garbage (spec §1.1): rejected at Population creation."""
    with pytest.raises(ValueError) as excinfo:
        sim.Population(3, celltype(**{param: value}), label="badcell")
    _assert_names(excinfo, "badcell", param, repr(value))
    assert sim.get_current_time() == 0.0


def test_negative_poisson_rate_rejected(fresh):
    """A negative Poisson rate is invalid: ValueError naming label, 'rate' and value."""
    with pytest.raises(ValueError) as excinfo:
        sim.Population(2, sim.SpikeSourcePoisson(rate=-5.0), label="noise")
    _assert_names(excinfo, "noise", "rate", "-5.0")


@pytest.mark.parametrize("times,shown", [([5.0, 3.0, 8.0], "3.0"), ([-1.0, 2.0], "-1.0")])
def test_bad_spike_times_rejected(fresh, times, shown):
    """Spike times must be non-negative and ascending: ValueError naming label,
    spike_times and the values."""
    with pytest.raises(ValueError) as excinfo:
        sim.Population(1, sim.SpikeSourceArray(spike_times=times), label="stim")
    _assert_names(excinfo, "stim", "spike_times", shown)


# ---------------------------------------------------------------------------------------
# invalid values through set()
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("param,value", [("cm", -1.0), ("tau_m", 0.0)])
def test_invalid_set_rejected_before_run(fresh, param, value):
    """Population.set with an invalid value raises at the set call itself."""
    pop = sim.Population(4, sim.IF_curr_exp(), label="cells")
    with pytest.raises(ValueError) as excinfo:
        pop.set(**{param: value})
    _assert_names(excinfo, "cells", param, repr(value))


def test_invalid_poisson_rate_set_rejected(fresh):
    pop = sim.Population(4, sim.SpikeSourcePoisson(rate=5.0), label="drive")
    with pytest.raises(ValueError) as excinfo:
        pop.set(rate=-2.0)
    _assert_names(excinfo, "drive", "rate", "-2.0")


def test_invalid_spike_times_set_rejected(fresh):
    pop = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0, 2.0]), label="arr")
    with pytest.raises(ValueError) as excinfo:
        pop.set(spike_times=[4.0, 2.0])
    _assert_names(excinfo, "arr", "spike_times")


def test_rejected_set_leaves_parameters_unchanged(fresh):
    """A rejected set() must not leave the invalid value behind: otherwise the next run()
    silently simulates cm = -1 (the validation would be bypassed by catching the error).
    The old value stays (default cm = 1.0 nF, PyNN IF_curr_exp)."""
    pop = sim.Population(4, sim.IF_curr_exp(), label="cells")
    with pytest.raises(ValueError):
        pop.set(cm=-1.0)
    assert pop.get("cm") == 1.0


def test_rejected_population_is_not_part_of_the_network(fresh):
    """A Population whose creation raised is not registered: it must not be mapped onto
    cores or simulated by a later run()."""
    with pytest.raises(ValueError):
        sim.Population(3, sim.IF_curr_exp(cm=-1.0), label="bad")
    good = sim.Population(2, sim.IF_curr_exp(), label="good")
    labels = [p.label for p in sim.simulator.state.populations]
    assert labels == [good.label]


def test_invalid_set_between_runs_rejected(fresh):
    """Also after a run: the error comes from set(), the next run is not reached."""
    pop = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0), label="later")
    sim.run(5)
    with pytest.raises(ValueError) as excinfo:
        pop.set(rate=-1.0)
    _assert_names(excinfo, "later", "rate", "-1.0")
    assert sim.get_current_time() == 5.0


# ---------------------------------------------------------------------------------------
# unsupported cell types
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["HH_cond_exp", "IF_cond_alpha", "EIF_cond_exp_isfa_ista"])
def test_unsupported_cell_type(fresh, name):
    """Cell types this backend does not model raise NotImplementedError naming the model
    and SpiNNaker, as soon as the cell type is instantiated."""
    with pytest.raises(NotImplementedError) as excinfo:
        getattr(sim, name)()
    _assert_names(excinfo, name, "SpiNNaker")


# ---------------------------------------------------------------------------------------
# sPyNNaker API surface (§8)
# ---------------------------------------------------------------------------------------

def test_spynnaker_calls_accepted(fresh):
    """§8: set_number_of_neurons_per_core(Class, n) and additional_parameters={"seed": ..}
    are accepted and a run goes through."""
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 100)
    noise = sim.Population(10, sim.SpikeSourcePoisson(rate=50.0), label="noise",
                           additional_parameters={"seed": 42})
    cells = sim.Population(150, sim.IF_curr_exp(), label="cells",
                           additional_parameters={"spikes_per_second": 50,
                                                  "ring_buffer_sigma": 5.0})
    sim.Projection(noise, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    sim.run(10)
    assert sim.get_current_time() == 10.0


def test_unknown_additional_parameter_rejected(fresh):
    """A key that sPyNNaker does not know is a ValueError naming the key."""
    with pytest.raises(ValueError) as excinfo:
        sim.Population(3, sim.IF_curr_exp(), label="typo",
                       additional_parameters={"neurons_per_cor": 10})
    _assert_names(excinfo, "typo", "neurons_per_cor")
