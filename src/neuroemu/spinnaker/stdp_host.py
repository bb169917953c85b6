"""STDP, host side: the rule tables sPyNNaker 7.x writes for each plastic post-population.

One rule per post-population (sPyNNaker refuses different synapse dynamics on one
population). Per rule: the timing LUTs (spec §8: ``floor(exp(-(k<<shift)·dt/τ)·2048)``) and,
per synapse type, the weight-dependence parameters as s16.15 (see ``_weight_parameters``).
"""

from __future__ import annotations

import numpy as np

from neuroemu.engine.fixedpoint import encode_s1615
from neuroemu.errors import UnsupportedFeatureError
from neuroemu.pynn.connectors import is_constant_column
from neuroemu.spinnaker import cells, kernel, stdp

_TIMING = {cells.SpikePairRule: (stdp.PAIR, ("tau_plus", "tau_minus", "A_plus", "A_minus")),
           cells.PfisterSpikeTripletRule: (stdp.TRIPLET, ("tau_plus", "tau_minus", "tau_x",
                                                          "tau_y", "A_plus", "A_minus"))}
_WEIGHT = {cells.AdditiveWeightDependence: (stdp.ADDITIVE, ("w_min", "w_max")),
           cells.MultiplicativeWeightDependence: (stdp.MULTIPLICATIVE, ("w_min", "w_max")),
           cells.WeightDependenceAdditiveTriplet: (stdp.ADDITIVE_TRIPLET,
                                                   ("w_min", "w_max", "A3_plus", "A3_minus"))}


def _scalar(projection, name: str) -> float:
    column = np.asarray(projection._values[name], dtype=float)
    v = column[:1] if is_constant_column(column) else np.unique(column)
    if v.size > 1:
        raise UnsupportedFeatureError(
            f"per-synapse values of STDP parameter {name} (Projection '{projection.label}')",
            cells.MACHINE, "the rule's parameters are scalars")
    return float(v[0]) if v.size else 0.0


def _rule_of(projection) -> tuple:
    """(timing, weight dependence, parameters) of a plastic projection; scalars only."""
    syn = projection.synapse_type
    timing = _TIMING.get(type(syn.timing_dependence))
    weight = _WEIGHT.get(type(syn.weight_dependence))
    if timing is None or weight is None:
        raise UnsupportedFeatureError(
            f"STDP with {type(syn.timing_dependence).__name__} and "
            f"{type(syn.weight_dependence).__name__}", cells.MACHINE,
            "emulated: SpikePairRule with Additive/MultiplicativeWeightDependence, "
            "PfisterSpikeTripletRule with WeightDependenceAdditiveTriplet")
    if (timing[0] == stdp.TRIPLET) != (weight[0] == stdp.ADDITIVE_TRIPLET):
        raise UnsupportedFeatureError(
            f"{type(syn.timing_dependence).__name__} with "
            f"{type(syn.weight_dependence).__name__}", cells.MACHINE,
            "the triplet rule needs the two-term WeightDependenceAdditiveTriplet and vice versa")
    values = {name: _scalar(projection, name) for name in timing[1] + weight[1]}
    return (timing[0], weight[0], tuple(sorted(values.items())))


def _lut_set(timing: int, p: dict, dt: float) -> list:
    """The rule's four LUTs (tau_x/tau_y only for the triplet, with time shift 2)."""
    luts = [(stdp.exp_lut(p["tau_plus"], dt), 0), (stdp.exp_lut(p["tau_minus"], dt), 0)]
    if timing == stdp.TRIPLET:
        luts += [(stdp.exp_lut(p["tau_x"], dt, 2), 2), (stdp.exp_lut(p["tau_y"], dt, 2), 2)]
    else:
        luts += [(np.zeros(0, np.int16), 0), (np.zeros(0, np.int16), 0)]
    return luts


def _weight_parameters(wdep: int, p: dict, gws: float) -> np.ndarray:
    """s16.15 words the host writes per synapse type (sPyNNaker 7.4.1 weight dependences):
    additive A±·gws; multiplicative A± unscaled; additive triplet A±·w_max·gws and
    A3±·w_max·gws."""
    out = np.zeros(stdp.N_WPAR, dtype=np.int64)
    out[stdp.W_MIN] = encode_s1615(p["w_min"] * gws)
    out[stdp.W_MAX] = encode_s1615(p["w_max"] * gws)
    amp = {stdp.ADDITIVE: gws, stdp.MULTIPLICATIVE: 1.0,
           stdp.ADDITIVE_TRIPLET: p["w_max"] * gws}[wdep]
    out[stdp.A_PLUS] = encode_s1615(p["A_plus"] * amp)
    out[stdp.A_MINUS] = encode_s1615(p["A_minus"] * amp)
    if wdep == stdp.ADDITIVE_TRIPLET:
        out[stdp.A3_PLUS] = encode_s1615(p["A3_plus"] * amp)
        out[stdp.A3_MINUS] = encode_s1615(p["A3_minus"] * amp)
    return out


def build_stdp_tables(m, projections, cores: np.ndarray, n_atoms: int, n_plastic_rows: int,
                      global_weight_scale: dict) -> tuple:
    """Kernel tables for STDP; sets ``cores[:, C_STDP]`` (rule index, -1 = static core)."""
    rules: list[tuple] = []
    rule_of_population: dict[int, int] = {}
    for proj in projections:
        if not isinstance(proj.synapse_type, cells.STDPMechanism):
            continue
        rule = _rule_of(proj)
        for layout, _ in m.post_parts(m.projections[id(proj)]):
            key = id(layout.population)
            if key in rule_of_population and rules[rule_of_population[key]] != rule:
                raise UnsupportedFeatureError(
                    f"two different STDP rules onto Population '{layout.population.label}'",
                    cells.MACHINE, "sPyNNaker allows one synapse dynamics per population")
            if rule not in rules:
                rules.append(rule)
            rule_of_population[key] = rules.index(rule)
    cores[:, kernel.C_STDP] = -1
    n_rules = max(1, len(rules))
    lut_sets = [_lut_set(timing, dict(p), m.dt) for timing, _, p in rules]
    size = max([1] + [lut.size for luts in lut_sets for lut, _ in luts])
    luts = np.zeros((n_rules, 4, size), dtype=np.int16)
    lut_len = np.zeros((n_rules, 4), dtype=np.int64)
    lut_shift = np.zeros((n_rules, 4), dtype=np.int64)
    timing = np.zeros(n_rules, dtype=np.int64)
    wdep = np.zeros(n_rules, dtype=np.int64)
    for r, (kind, dependence, _) in enumerate(rules):
        timing[r], wdep[r] = kind, dependence
        for which, (lut, shift) in enumerate(lut_sets[r]):
            luts[r, which, :lut.size] = lut
            lut_len[r, which], lut_shift[r, which] = lut.size, shift
    wpar = np.zeros((n_rules, 3, stdp.N_WPAR), dtype=np.int64)
    for layout in m.layouts.values():
        r = rule_of_population.get(id(layout.population))
        if r is None:
            continue
        wpar[r, :] = _weight_parameters(wdep[r], dict(rules[r][2]),
                                        global_weight_scale[layout.input_type])
        first = layout.first_core
        cores[first:first + layout.n_cores, kernel.C_STDP] = r
    n_post = n_atoms if rules else 1  # post-synaptic histories only with plasticity
    post_n = np.ones(n_post, dtype=np.int64)  # the dummy event at time 0
    post_t = np.zeros((n_post, stdp.MAX_POST_EVENTS), dtype=np.int64)
    post_tr = np.zeros((n_post, stdp.MAX_POST_EVENTS, 2), dtype=np.int16)
    post_dummy = np.ones(n_post, dtype=np.int8)
    pre_time = np.zeros(max(1, n_plastic_rows), dtype=np.int64)
    pre_trace = np.zeros((max(1, n_plastic_rows), 2), dtype=np.int16)
    return (pre_time, pre_trace, post_n, post_t, post_tr, post_dummy, luts, lut_len,
            lut_shift, timing, wdep, wpar)
