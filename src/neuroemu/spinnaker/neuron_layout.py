"""Layout of the neuron state and constants the SpiNNaker kernel runs on, and the model
codes of a neuron core (shared by :mod:`kernel`, which re-exports them, and
:mod:`neuron_update`)."""

# neuron models (C_MODEL) and input types (C_INPUT)
LIF, IZK = 0, 1
CURRENT, CONDUCTANCE, DELTA = 0, 1, 2
# columns of the per-neuron state array (int32); synapse state per synapse type
S_V, S_SYN0, S_SYN1, S_SYN2, S_REFRACT, S_U, S_H = range(7)
N_STATE = 7
# columns of the per-neuron constant array (int64)
(P_V_REST, P_V_RESET, P_V_THRESH, P_EXP_TC, P_R, P_T_REFRACT, P_I_OFFSET, P_E_REV_E,
 P_E_REV_I, P_DECAY0, P_INIT0, P_DECAY1, P_INIT1, P_DECAY2, P_INIT2, P_A, P_B, P_C, P_D,
 P_RESET_H, P_DELTA_SCALE) = range(21)
N_PARAMS = 21
PARAM_NAMES = ("V_rest", "V_reset", "V_thresh", "exp_TC", "R", "T_refract", "I_offset",
               "E_rev_E", "E_rev_I", "decay0", "init0", "decay1", "init1", "decay2", "init2",
               "a", "b", "c", "d", "reset_h", "delta_scale")
# rows of rec_interval / rec_row0 (per recorded state variable, per atom)
REC_V, REC_GE, REC_GI = 0, 1, 2
# conductance input: g = syn >> 10 (7.4.1 binary, spec §1.6)
COND_SHIFT = 10
# Izhikevich (spec §1.5): 0.040008544921875 = 1311 / 2^15; 1.85 as an s16.15 literal
IZK_MAGIC = 1311
IZK_TQ_OFFSET = 60621
S1615_140, S1615_5 = 140 << 15, 5 << 15
