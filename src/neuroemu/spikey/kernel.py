"""The Spikey engine: one jitted loop runs a whole experiment (float64, bio time).

Per step of ``STEP_MS`` (4 time bins of 1/320 ms = 0.0125 ms bio; input events are delivered
at the step holding their bin): line drivers fire for the input events and the previous
step's neuron spikes: short-term plasticity scales the drive, STDP pairs the pre spike, and
each synapse of the row adds ``efficacy x weight x driver amplitude`` to its neuron's PSC
state. PSCs are differences of exponentials (rise from drvirise, fall from drvifall); drivers
with equal time constants share one pair of states per neuron (a "PSC group"), so a step
costs O(neurons x groups) whatever the activity. The conductance-based LIF membranes are
advanced exactly for the step's constant conductances (plus temporal noise), threshold
crossings reset and clamp for the refractory time, and the STDP controller evaluates its
next row when due. The unit is a block (192 neurons, 256 drivers); both blocks are advanced
in the same loop because neurons feed back across blocks every step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BINS_PER_MS = 320
STEP_BINS = 4
STEP_MS = STEP_BINS / BINS_PER_MS
NPB = 192          # neurons per block
DPB = 256          # drivers per block
NOISE_EVERY = 8    # temporal noise is drawn every 8 steps (0.1 ms) with matching variance


@njit(cache=True)
def _rebuild_row(d, W, cols, ncols):
    n = 0
    for c in range(NPB):
        if W[d, c] > 0:
            cols[d, n] = c
            n += 1
    ncols[d] = n


@njit(cache=True)
def rebuild_rows(W, cols, ncols):
    """Non-zero columns of every driver row (the synapses a driver event reaches)."""
    for d in range(W.shape[0]):
        _rebuild_row(d, W, cols, ncols)


@njit(cache=True)
def _fire_driver(d, t, drv_f, drv_i, psc_a, psc_b, W, cols, ncols, stp_I, stp_last,
                 stdp_row, last_pre, last_post, a_a, tau_stdp):
    # drv_f columns: 0 amp (nS/LSB), 3 norm, 4 U_SE, 5 tau_stp, 6 lambda, 7 beta
    # drv_i columns: 0 sign, 1 stp on, 2 depressing, 3 PSC group
    eff = 1.0
    if drv_i[d, 1] == 1:
        inactive = stp_I[d] * np.exp(-(t - stp_last[d]) / drv_f[d, 5])
        if drv_i[d, 2] == 1:
            eff = 1.0 - drv_f[d, 6] * inactive
        else:
            eff = 1.0 + drv_f[d, 6] * (inactive - drv_f[d, 7])
        stp_I[d] = inactive + drv_f[d, 4] * (1.0 - inactive)
        stp_last[d] = t
    if drv_i[d, 0] != 0:
        g = drv_i[d, 3]
        kind = 0 if drv_i[d, 0] > 0 else 1
        base = (d // DPB) * NPB
        scale = eff * drv_f[d, 3] * drv_f[d, 0]
        for m in range(ncols[d]):
            c = cols[d, m]
            psc_a[g, kind, base + c] += scale * W[d, c]
            psc_b[g, kind, base + c] += scale * W[d, c]
    if stdp_row[d] == 1:
        blk = d // DPB
        for c in range(NPB):
            tp = last_post[blk * NPB + c]
            if tp > last_pre[d]:
                a_a[d, c] += np.exp(-(t - tp) / tau_stdp)
        last_pre[d] = t


@njit(cache=True)
def run_experiment(t0, step0, n_steps, neu_f, neu_i, v, ref_left, e_x, c_m, sigma, seed,
                   drv_f, drv_i, group_decay, psc_a, psc_b, stp_I, stp_last, W, cols, ncols,
                   ev_step, ev_driver, ev_ptr0, fb_driver,
                   stdp_row, stdp_drivers, a_c, a_a, last_pre, last_post, tau_stdp, thr,
                   lut_c, lut_a, ctrl_local, ctrl_state, period,
                   out_step, out_neuron, mon, sample_dt, sample_k, v_out):
    """Advance the chip from step ``step0`` until ``n_steps`` or a full spike buffer.

    neu_f columns: 0 g_leak (nS), 1 E_l, 2 V_th, 3 V_reset, 4 E_i (mV), 5 tau_ref (ms);
    neu_i[:, 0] = 1 for allocated neurons. ``psc_a``/``psc_b`` (group, exc/inh, neuron) are
    the fall/rise states, ``group_decay`` (group, fall/rise) their per-step factors.
    ``ctrl_state`` = [next evaluation (ms from run start), row pointer]. Returns (steps done,
    spikes written, next event index, samples written).
    """
    np.random.seed(seed)
    h = STEP_MS
    n_neu = v.shape[0]
    n_groups = psc_a.shape[0]
    ge = np.zeros(n_neu)
    gi = np.zeros(n_neu)
    noise_scale = np.zeros(n_neu)
    leak_decay = np.ones(n_neu)
    alive = np.empty(n_neu, dtype=np.int64)
    n_alive = 0
    for n in range(n_neu):
        if neu_i[n, 0] == 1:
            alive[n_alive] = n
            n_alive += 1
            noise_scale[n] = sigma * np.sqrt(2.0 * NOISE_EVERY * h * neu_f[n, 0] /
                                             (c_m * 1000.0))
            leak_decay[n] = np.exp(-h * neu_f[n, 0] / (c_m * 1000.0))
    n_out = 0
    ev = ev_ptr0
    n_ctrl = ctrl_local.shape[0]
    n_samples = 0
    step = step0
    while step < n_steps:
        t = t0 + step * h
        # STDP controller: one row per period, rows in order, both blocks
        if n_ctrl > 0 and step * h >= ctrl_state[0] - 1e-9:
            local = ctrl_local[int(ctrl_state[1])]
            for blk in range(2):
                d = blk * DPB + local
                for c in range(NPB):
                    diff = a_c[d, c] - a_a[d, c]
                    if diff > thr:
                        W[d, c] = lut_c[W[d, c]]
                        a_c[d, c] = 0.0
                        a_a[d, c] = 0.0
                    elif -diff > thr:
                        W[d, c] = lut_a[W[d, c]]
                        a_c[d, c] = 0.0
                        a_a[d, c] = 0.0
                _rebuild_row(d, W, cols, ncols)
            ctrl_state[1] = (ctrl_state[1] + 1) % n_ctrl
            ctrl_state[0] += period
        # membrane sample (ADC) at the first step at or after the sample time
        if mon >= 0 and n_samples < v_out.shape[0] and \
                t >= (sample_k + n_samples) * sample_dt - 1e-9:
            v_out[n_samples] = v[mon]
            n_samples += 1
        # input events of this step
        while ev < ev_step.shape[0] and ev_step[ev] == step:
            _fire_driver(ev_driver[ev], t, drv_f, drv_i, psc_a, psc_b, W, cols, ncols, stp_I,
                         stp_last, stdp_row, last_pre, last_post, a_a, tau_stdp)
            ev += 1
        # conductances of this step, then the PSC states decay by one step
        for j in range(n_alive):
            n = alive[j]
            ge[n] = 0.0
            gi[n] = 0.0
            for g in range(n_groups):
                ge[n] += psc_a[g, 0, n] - psc_b[g, 0, n]
                gi[n] += psc_a[g, 1, n] - psc_b[g, 1, n]
                for k in range(2):
                    psc_a[g, k, n] *= group_decay[g, 0]
                    psc_b[g, k, n] *= group_decay[g, 1]
        # membranes
        t_next = t + h
        noisy_step = step % NOISE_EVERY == 0
        for j in range(n_alive):
            n = alive[j]
            if ref_left[n] > 1e-12:
                ref_left[n] -= h
                v[n] = neu_f[n, 3]
                continue
            gl = neu_f[n, 0]
            if ge[n] == 0.0 and gi[n] == 0.0:
                v[n] = neu_f[n, 1] + (v[n] - neu_f[n, 1]) * leak_decay[n]
            else:
                g_tot = gl + ge[n] + gi[n]
                v_inf = (gl * neu_f[n, 1] + ge[n] * e_x + gi[n] * neu_f[n, 4]) / g_tot
                v[n] = v_inf + (v[n] - v_inf) * np.exp(-h * g_tot / (c_m * 1000.0))
            if noisy_step and noise_scale[n] > 0.0:
                v[n] += noise_scale[n] * np.random.standard_normal()
            if v[n] >= neu_f[n, 2]:
                v[n] = neu_f[n, 3]
                ref_left[n] = neu_f[n, 5]
                out_step[n_out] = step
                out_neuron[n_out] = n
                n_out += 1
                # STDP: causal pairing with the last pre spike of every STDP row in the block
                blk = n // NPB
                c = n - blk * NPB
                for i in range(stdp_drivers.shape[0]):
                    d = stdp_drivers[i]
                    if d // DPB == blk and last_pre[d] > last_post[n]:
                        a_c[d, c] += np.exp(-(t_next - last_pre[d]) / tau_stdp)
                last_post[n] = t_next
                for blk2 in range(2):
                    d = fb_driver[n, blk2]
                    if d >= 0:
                        _fire_driver(d, t_next, drv_f, drv_i, psc_a, psc_b, W, cols, ncols,
                                     stp_I, stp_last, stdp_row, last_pre, last_post, a_a,
                                     tau_stdp)
        step += 1
        if n_out + n_neu > out_step.shape[0]:
            break
    return step, n_out, ev, n_samples
