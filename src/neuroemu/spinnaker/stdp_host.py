"""STDP, host side: the rule tables sPyNNaker 7.x writes for each plastic post-population.

One rule per post-population (sPyNNaker refuses different synapse dynamics on one
population). Per rule: the two timing LUTs (spec §8: ``floor(exp(-k·dt/τ)·2048)``) and, per
synapse type, the weight-dependence parameters as s16.15: additive ``w_min·gws, w_max·gws,
A+·gws, A−·gws``; multiplicative ``w_min·gws, w_max·gws, A+, A−``.
"""

from __future__ import annotations

import numpy as np

from neuroemu.engine.fixedpoint import encode_s1615
from neuroemu.errors import UnsupportedFeatureError
from neuroemu.spinnaker import cells, kernel, stdp

_RULE_PARAMETERS = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max")


def _rule_of(projection) -> tuple:
    """(weight dependence, parameter values) of a plastic projection; scalars only."""
    syn = projection.synapse_type
    if not isinstance(syn.timing_dependence, cells.SpikePairRule):
        raise UnsupportedFeatureError(
            f"timing dependence {type(syn.timing_dependence).__name__}", cells.MACHINE,
            "this version of neuroemu emulates SpikePairRule")
    values = []
    for name in _RULE_PARAMETERS:
        v = np.unique(np.asarray(projection._values[name], dtype=float))
        if v.size > 1:
            raise UnsupportedFeatureError(
                f"per-synapse values of STDP parameter {name} (Projection "
                f"'{projection.label}')", cells.MACHINE, "the rule's parameters are scalars")
        values.append(float(v[0]) if v.size else 0.0)
    wdep = stdp.MULTIPLICATIVE if isinstance(syn.weight_dependence,
                                             cells.MultiplicativeWeightDependence) \
        else stdp.ADDITIVE
    return (wdep, *values)


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
    luts_plus, luts_minus = [], []
    wpar = np.zeros((max(1, len(rules)), 3, 4), dtype=np.int64)
    wdep = np.zeros(max(1, len(rules)), dtype=np.int64)
    for r, (kind, tau_plus, tau_minus, a_plus, a_minus, w_min, w_max) in enumerate(rules):
        luts_plus.append(stdp.exp_lut(tau_plus, m.dt))
        luts_minus.append(stdp.exp_lut(tau_minus, m.dt))
        wdep[r] = kind
    for layout in m.layouts.values():
        r = rule_of_population.get(id(layout.population))
        if r is None:
            continue
        kind, _, _, a_plus, a_minus, w_min, w_max = rules[r]
        gws = global_weight_scale[layout.input_type]
        amp = gws if kind == stdp.ADDITIVE else 1.0
        wpar[r, :, stdp.W_MIN] = encode_s1615(w_min * gws)
        wpar[r, :, stdp.W_MAX] = encode_s1615(w_max * gws)
        wpar[r, :, stdp.A_PLUS] = encode_s1615(a_plus * amp)
        wpar[r, :, stdp.A_MINUS] = encode_s1615(a_minus * amp)
        first = layout.first_core
        cores[first:first + layout.n_cores, kernel.C_STDP] = r
    size = max([1] + [lut.size for lut in luts_plus + luts_minus])
    lut_plus = np.zeros((max(1, len(rules)), size), dtype=np.int16)
    lut_minus = np.zeros_like(lut_plus)
    lut_len = np.zeros((max(1, len(rules)), 2), dtype=np.int64)
    for r in range(len(rules)):
        lut_plus[r, :luts_plus[r].size] = luts_plus[r]
        lut_minus[r, :luts_minus[r].size] = luts_minus[r]
        lut_len[r] = luts_plus[r].size, luts_minus[r].size
    post_n = np.ones(n_atoms, dtype=np.int64)  # the dummy event at time 0
    post_t = np.zeros((n_atoms, stdp.MAX_POST_EVENTS), dtype=np.int64)
    post_tr = np.zeros((n_atoms, stdp.MAX_POST_EVENTS), dtype=np.int16)
    post_dummy = np.ones(n_atoms, dtype=np.int8)
    pre_time = np.zeros(max(1, n_plastic_rows), dtype=np.int64)
    pre_trace = np.zeros(max(1, n_plastic_rows), dtype=np.int16)
    return (pre_time, pre_trace, post_n, post_t, post_tr, post_dummy, lut_plus, lut_minus,
            lut_len, wdep, wpar)
