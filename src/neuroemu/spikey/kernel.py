"""The Spikey engine: one jitted loop runs a whole experiment (float64, bio time).

Per step of ``STEP_MS`` (4 time bins of 1/320 ms = 0.0125 ms bio; input events are delivered
at the step holding their bin): line drivers fire for the input events and
the previous step's neuron spikes (short-term plasticity scales the drive, STDP pairs the
pre spike); every driver's PSC is a difference of exponentials (rise/fall from drvirise/
drvifall) scaled by drviout and each synapse's 4-bit weight; the conductance-based LIF
membranes are advanced exactly for the step's constant conductances (plus temporal noise),
threshold crossings reset and clamp for the refractory time; the STDP controller evaluates
its next row when due. The unit is a block (192 neurons, 256 drivers); both blocks are
advanced in the same loop because neurons feed back across blocks every step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BINS_PER_MS = 320
STEP_BINS = 4
STEP_MS = STEP_BINS / BINS_PER_MS
NPB = 192          # neurons per block
DPB = 256          # drivers per block
ACTIVE_EPS = 1e-9  # PSC amplitude (relative) below which a driver is idle
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
    """Non-zero columns of every driver row (the rows the engine loops over)."""
    for d in range(W.shape[0]):
        _rebuild_row(d, W, cols, ncols)


@njit(cache=True)
def _fire_driver(d, t, drv_f, drv_i, A, B, active, n_active, active_flag, stp_I, stp_last,
                 stdp_row, last_pre, last_post, a_a, tau_stdp):
    # drv_f columns: 0 amp, 1 decay_f, 2 decay_r, 3 norm, 4 U_SE, 5 tau_stp, 6 lambda, 7 beta
    # drv_i columns: 0 sign, 1 stp on, 2 depressing
    eff = 1.0
    if drv_i[d, 1] == 1:
        I = stp_I[d] * np.exp(-(t - stp_last[d]) / drv_f[d, 5])
        if drv_i[d, 2] == 1:
            eff = 1.0 - drv_f[d, 6] * I
        else:
            eff = 1.0 + drv_f[d, 6] * (I - drv_f[d, 7])
        stp_I[d] = I + drv_f[d, 4] * (1.0 - I)
        stp_last[d] = t
    A[d] += eff * drv_f[d, 3]
    B[d] += eff * drv_f[d, 3]
    if active_flag[d] == 0:
        active_flag[d] = 1
        active[n_active] = d
        n_active += 1
    if stdp_row[d] == 1:
        blk = d // DPB
        for c in range(NPB):
            tp = last_post[blk * NPB + c]
            if tp > last_pre[d]:
                a_a[d, c] += np.exp(-(t - tp) / tau_stdp)
        last_pre[d] = t
    return n_active


@njit(cache=True)
def run_experiment(t0, step0, n_steps, neu_f, neu_i, v, ref_left, e_x, c_m, sigma, seed,
                   drv_f, drv_i, A, B, stp_I, stp_last, W, cols, ncols,
                   ev_step, ev_driver, ev_ptr0, fb_driver,
                   stdp_row, stdp_drivers, a_c, a_a, last_pre, last_post, tau_stdp, thr,
                   lut_c, lut_a, ctrl_local, ctrl_state, period,
                   out_step, out_neuron, mon, sample_dt, sample_k, v_out):
    """Advance the chip from step ``step0`` until ``n_steps`` or a full spike buffer.

    neu_f columns: 0 g_leak (nS), 1 E_l, 2 V_th, 3 V_reset, 4 E_i (mV), 5 tau_ref (ms);
    neu_i[:, 0] = 1 for allocated neurons. ``ctrl_state`` = [next evaluation (ms from run
    start), row pointer]. Returns (steps done, spikes written, next event index, samples
    written).
    """
    np.random.seed(seed)
    h = STEP_MS
    n_neu = v.shape[0]
    n_drv = A.shape[0]
    ge = np.zeros(n_neu)
    gi = np.zeros(n_neu)
    active = np.empty(n_drv, dtype=np.int64)
    active_flag = np.zeros(n_drv, dtype=np.int64)
    n_active = 0
    for d in range(n_drv):
        if A[d] != 0.0 or B[d] != 0.0:
            active_flag[d] = 1
            active[n_active] = d
            n_active += 1
    decay_f = drv_f[:, 1]
    decay_r = drv_f[:, 2]
    noise_scale = np.zeros(n_neu)
    leak_decay = np.ones(n_neu)
    for n in range(n_neu):
        if neu_i[n, 0] == 1:
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
            n_active = _fire_driver(ev_driver[ev], t, drv_f, drv_i, A, B, active, n_active,
                                    active_flag, stp_I, stp_last, stdp_row, last_pre,
                                    last_post, a_a, tau_stdp)
            ev += 1
        # conductances from active drivers
        ge[:] = 0.0
        gi[:] = 0.0
        k = 0
        for j in range(n_active):
            d = active[j]
            g = A[d] - B[d]
            if abs(A[d]) < ACTIVE_EPS and abs(B[d]) < ACTIVE_EPS:
                A[d] = 0.0
                B[d] = 0.0
                active_flag[d] = 0
                continue
            active[k] = d
            k += 1
            base = (d // DPB) * NPB
            amp = g * drv_f[d, 0]
            if drv_i[d, 0] > 0:
                for m in range(ncols[d]):
                    c = cols[d, m]
                    ge[base + c] += amp * W[d, c]
            elif drv_i[d, 0] < 0:
                for m in range(ncols[d]):
                    c = cols[d, m]
                    gi[base + c] += amp * W[d, c]
            A[d] *= decay_f[d]
            B[d] *= decay_r[d]
        n_active = k
        # membranes
        t_next = t + h
        noisy_step = step % NOISE_EVERY == 0
        for n in range(n_neu):
            if neu_i[n, 0] == 0:
                continue
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
                for j in range(stdp_drivers.shape[0]):
                    d = stdp_drivers[j]
                    if d // DPB == blk and last_pre[d] > last_post[n]:
                        a_c[d, c] += np.exp(-(t_next - last_pre[d]) / tau_stdp)
                last_post[n] = t_next
                for blk2 in range(2):
                    d = fb_driver[n, blk2]
                    if d >= 0:
                        n_active = _fire_driver(d, t_next, drv_f, drv_i, A, B, active,
                                                n_active, active_flag, stp_I, stp_last,
                                                stdp_row, last_pre, last_post, a_a, tau_stdp)
        step += 1
        if n_out + n_neu > out_step.shape[0]:
            break
    return step, n_out, ev, n_samples
