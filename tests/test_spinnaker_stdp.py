"""STDP as sPyNNaker 7.x runs it (spec §8): pair rule with LUTs of 2048·exp(−k·dt/τ),
deferred updates when the next presynaptic spike's row is processed, a bounded history of
16 postsynaptic events per neuron (the first a dummy; oldest dropped), additive steps of
A±·trace clamped to [w_min, w_max], multiplicative steps scaled by (w_max − w) / (w − w_min).

Expected values come from those formulas evaluated here in floating point; the tolerance
covers the LUT floor (1/2048), the trace products and one weight LSB.
"""

from __future__ import annotations

import math

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest

TAU_PLUS, TAU_MINUS, A_PLUS, A_MINUS = 20.0, 20.0, 0.1, 0.12
W0, W_MAX = 0.5, 1.0


def _pairing_run(pre_times, post_kicks, w0=W0, weight_dependence=None, t_stop=600.0):
    """Each post neuron i is made to fire by a strong static kick (spike at kick + 1 tick);
    a plastic synapse (delay 1) connects pre source i to post neuron i."""
    sim.setup(timestep=1.0)
    n = len(pre_times)
    pre = sim.Population(n, sim.SpikeSourceArray(spike_times=pre_times), label="pre")
    kick = sim.Population(n, sim.SpikeSourceArray(spike_times=post_kicks), label="kick")
    post = sim.Population(n, sim.IF_curr_exp(tau_syn_E=1.0, tau_refrac=1.0), label="post")
    sim.Projection(kick, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=40.0))
    wd = weight_dependence or sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX)
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=TAU_PLUS, tau_minus=TAU_MINUS,
                                            A_plus=A_PLUS, A_minus=A_MINUS),
        weight_dependence=wd, weight=w0, delay=1.0)
    proj = sim.Projection(pre, post, sim.OneToOneConnector(), stdp)
    post.record("spikes")
    before = np.asarray(proj.get("weight", format="list", with_address=False), dtype=float)
    sim.run(t_stop)
    after = np.asarray(proj.get("weight", format="list", with_address=False), dtype=float)
    spikes = [np.asarray(st.magnitude) for st in post.get_data().segments[0].spiketrains]
    sim.end()
    return before, after, spikes


def _expected_pair(delta_pre_post: float) -> float:
    """Δw of one pairing, Δ = t_post − t_pre. The synaptic word keeps the delay modulo the
    ring-buffer slots (spec §1.4); with all delays 1 tick the core has one slot, so the
    dendritic delay the STDP window sees is 0. Potentiation A+·e^(−Δ/τ+) for Δ > 0,
    depression A−·e^(Δ/τ−) for Δ < 0; LUT entries beyond 2·ceil(ln(2048)·τ/2) are 0."""
    lut_size = 2 * math.ceil(math.log(2048) * TAU_PLUS / 2)
    if 0 < delta_pre_post < lut_size:
        return A_PLUS * math.exp(-delta_pre_post / TAU_PLUS)
    if -lut_size < delta_pre_post < 0:
        return -A_MINUS * math.exp(delta_pre_post / TAU_MINUS)
    return 0.0


def test_pairing_curve_has_the_lut_shape():
    """Classic protocol: one pre spike at 100 ms, one post spike at 100 + Δ, then a pre spike
    at 400 ms to trigger the deferred update; Δw(Δ) follows the exponential windows."""
    deltas = [-50, -30, -10, -5, -3, 2, 5, 10, 30, 50]
    pre_times = [[100.0, 400.0] for _ in deltas]
    kicks = [[100.0 + d - 1.0] for d in deltas]  # the kick makes the post fire 1 tick later
    before, after, spikes = _pairing_run(pre_times, kicks)
    for i, d in enumerate(deltas):
        np.testing.assert_array_equal(spikes[i], [100.0 + d])
        assert after[i] - before[i] == pytest.approx(_expected_pair(d), abs=2.5e-3), d
    gain = after - before
    assert np.all(gain[:5] < 0) and np.all(gain[5:] > 0)


def test_deferred_update_needs_a_later_pre_spike():
    """A pairing after the last presynaptic spike does not change the read-back weight."""
    before, after, spikes = _pairing_run([[100.0]], [[104.0]])
    np.testing.assert_array_equal(spikes[0], [105.0])
    np.testing.assert_array_equal(after, before)


def test_additive_saturates_at_w_max_and_w_min():
    """Pairings 200 ms apart (beyond the 154-entry LUTs, so each pre spike sees only its own
    pairing): pre→post (+2 ms) climbs by A+·e^(−2/20) per pairing and stops exactly at
    w_max; post→pre (−8 ms) falls by A−·e^(−8/20) per pairing and stops exactly at w_min."""
    pre = [float(t) for t in range(100, 2300, 200)]
    kicks_up = [t + 1.0 for t in pre[:-1]]     # post at pre + 2
    kicks_down = [t - 9.0 for t in pre[1:]]   # post at pre - 8
    before, after, _ = _pairing_run([pre, pre], [kicks_up, kicks_down], t_stop=2300.0)
    assert after[0] == W_MAX
    assert after[1] == 0.0
    assert (W_MAX - before[0]) / (A_PLUS * math.exp(-0.1)) < len(kicks_up)


def test_multiplicative_scales_with_distance_to_the_bounds():
    """Same pairing, two initial weights: potentiation ∝ (w_max − w), depression ∝ w;
    for additive the two steps would be equal."""
    wd = sim.MultiplicativeWeightDependence(w_min=0.0, w_max=W_MAX)
    ratios = {}
    for w0 in (0.2, 0.6):
        before, after, _ = _pairing_run([[100.0, 400.0], [100.0, 400.0]],
                                        [[104.0], [89.0]], w0=w0, weight_dependence=wd)
        ratios[w0] = (after - before, before)
    (up_a, down_a), w_a = ratios[0.2][0], ratios[0.2][1][0]
    (up_b, down_b), w_b = ratios[0.6][0], ratios[0.6][1][0]
    # one weight LSB (1/512 here) is 3-6 % of these steps
    assert up_a / up_b == pytest.approx((W_MAX - w_a) / (W_MAX - w_b), rel=0.08)
    assert down_a / down_b == pytest.approx(w_a / w_b, rel=0.08)
    assert up_a == pytest.approx((W_MAX - w_a) * A_PLUS * math.exp(-6 / TAU_PLUS), abs=2e-3)


def test_post_history_keeps_the_last_16_events():
    """20 post spikes between two pre spikes: the history holds 16 entries (initially one
    of them the dummy), so the 4 oldest post spikes are lost to the update."""
    kicks = [[100.0 + 3 * k for k in range(20)]]
    before, after, spikes = _pairing_run([[100.0, 400.0]], kicks)
    posts = spikes[0]
    assert posts.size == 20

    def gain(times):
        return sum(_expected_pair(t - 100.0) for t in times)

    kept, everything = gain(posts[4:]), gain(posts)
    assert everything - kept > 0.05  # the dropped spikes would have mattered
    assert after[0] - before[0] == pytest.approx(min(W_MAX - before[0], kept), abs=5e-3)


def test_plastic_weights_restart_after_reset():
    """reset() reloads the network as described: plastic weights start again from w0."""
    sim.setup(timestep=1.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 300.0]))
    kick = sim.Population(1, sim.SpikeSourceArray(spike_times=[13.0]))
    post = sim.Population(1, sim.IF_curr_exp(tau_syn_E=1.0))
    sim.Projection(kick, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=40.0))
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                             weight_dependence=sim.AdditiveWeightDependence(w_max=1.0),
                             weight=0.5)
    proj = sim.Projection(pre, post, sim.OneToOneConnector(), stdp)
    w_start = proj.get("weight", format="array")[0, 0]
    sim.run(400.0)
    w_run = proj.get("weight", format="array")[0, 0]
    sim.reset()
    assert proj.get("weight", format="array")[0, 0] == w_start
    sim.run(400.0)
    assert proj.get("weight", format="array")[0, 0] == w_run != w_start
    sim.end()


def test_triplet_rule_matches_its_traces():
    """PfisterSpikeTripletRule + WeightDependenceAdditiveTriplet, derived here from the rule:
    pre at 100, 110, 600 ms, post at 105, 120 ms (delay 1 tick, one ring slot, so the STDP
    window sees no dendritic delay). r2/o2 are sampled before each spike (0 for the first);
    tau_x/tau_y LUTs have a time shift of 2 (decay of floor(Δ/4)·4 ticks); the host writes
    A±·w_max and A3±·w_max (sPyNNaker 7.4.1)."""
    tp, tm, tx, ty = 16.8, 33.7, 101.0, 125.0
    a2p, a2m, a3p, a3m, w_max = 0.1, 0.1, 0.2, 0.05, 1.0
    sim.setup(timestep=1.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[100.0, 110.0, 600.0]))
    kick = sim.Population(1, sim.SpikeSourceArray(spike_times=[104.0, 119.0]))
    post = sim.Population(1, sim.IF_curr_exp(tau_syn_E=1.0, tau_refrac=1.0))
    sim.Projection(kick, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=40.0))
    rule = sim.extra_models.PfisterSpikeTripletRule(tau_plus=tp, tau_minus=tm, tau_x=tx,
                                                    tau_y=ty, A_plus=a2p, A_minus=a2m)
    wd = sim.extra_models.WeightDependenceAdditiveTriplet(w_min=0.0, w_max=w_max,
                                                          A3_plus=a3p, A3_minus=a3m)
    proj = sim.Projection(pre, post, sim.OneToOneConnector(),
                          sim.STDPMechanism(timing_dependence=rule, weight_dependence=wd,
                                            weight=0.5, delay=1.0))
    post.record("spikes")
    w0 = proj.get("weight", format="array")[0, 0]
    sim.run(700.0)
    w1 = proj.get("weight", format="array")[0, 0]
    np.testing.assert_array_equal(post.get_data().segments[0].spiketrains[0].magnitude,
                                  [105.0, 120.0])
    sim.end()

    def shifted(dt):  # the tau_x / tau_y LUTs are indexed by dt >> 2
        return (dt // 4) * 4

    r1_110 = math.exp(-10 / tp) + 1
    r2_110 = math.exp(-shifted(10) / tx)
    o2_120 = math.exp(-shifted(15) / ty)
    dw = a2p * w_max * math.exp(-5 / tp)                       # post 105 after pre 100
    dw -= a2m * w_max * math.exp(-5 / tm) + a3m * w_max * math.exp(-5 / tm) * r2_110
    r1_dec = r1_110 * math.exp(-10 / tp)                       # post 120 after pre 110
    dw += a2p * w_max * r1_dec + a3p * w_max * r1_dec * o2_120
    assert w1 - w0 == pytest.approx(dw, abs=5e-3)
    assert abs(dw) > 0.05


def _plastic(timing, weight_dependence):
    return sim.STDPMechanism(timing_dependence=timing, weight_dependence=weight_dependence,
                             weight=0.1, delay=1.0)


@pytest.mark.parametrize("case", ["triplet with one-term", "two rules on one population"])
def test_stdp_rules_the_machine_refuses(case):
    """sPyNNaker pairs the triplet rule only with the two-term weight dependence, and allows
    one synapse dynamics per post-population: both raise NotImplementedError at run()."""
    sim.setup(timestep=1.0)
    pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[10.0]))
    post = sim.Population(2, sim.IF_curr_exp())
    additive = sim.AdditiveWeightDependence(w_max=1.0)
    if case == "triplet with one-term":
        sim.Projection(pre, post, sim.OneToOneConnector(),
                       _plastic(sim.extra_models.PfisterSpikeTripletRule(), additive))
    else:
        sim.Projection(pre, post, sim.OneToOneConnector(),
                       _plastic(sim.SpikePairRule(tau_plus=20.0), additive))
        sim.Projection(pre, post, sim.OneToOneConnector(),
                       _plastic(sim.SpikePairRule(tau_plus=10.0), additive))
    with pytest.raises(NotImplementedError, match="SpiNNaker"):
        sim.run(10.0)
    sim.end()
