"""The Vogels-Abbott balanced network (Brette et al. 2007, benchmarks 1 "COBA" and 2 "CUBA").

Written for neuroemu after PyNN 0.13's ``examples/VAbenchmarks.py``, with the same
parameters, the same random-number use (one ``NumpyRNG(seed)`` drawn first for the initial
membrane potentials of the excitatory then the inhibitory cells, then for the four
recurrent projections sharing one ``FixedProbabilityConnector``) and the same recording.
Differences, all in keyword arguments:

* ``n_cells`` scales the network (80/20 excitatory/inhibitory split kept);
* ``dt``: the example runs at 0.1 ms with 0.2 ms delays. A clock-driven machine cannot
  deliver a spike in less than one step, so the synaptic delay (and ``min_delay``) is
  ``max(0.2, dt)``: at dt = 1.0 ms the delay is 1.0 ms.
* ``setup()`` gets only ``timestep``, ``min_delay`` and ``max_delay`` (the example also
  passes ``threads=1`` and file names for the NeuroML backend).

Used by ``benchmarks/run_va.py`` and ``tests/test_cross_nest.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pyNN.random import NumpyRNG, RandomDistribution

#: seed of the example's NumpyRNG
DEFAULT_SEED = 98765
#: the example's run time (ms)
TSTOP = 1000.0


@dataclasses.dataclass
class VANetwork:
    sim: Any
    benchmark: str
    dt: float
    delay: float
    exc: Any
    inh: Any
    ext: Any | None
    projections: dict[str, Any]
    params: dict[str, float]

    @property
    def populations(self):
        return [self.exc, self.inh]


def va_parameters(benchmark: str = "CUBA", n_cells: int = 4000) -> dict[str, float]:
    """Derived parameters of the example, in PyNN units (ms, mV, nF, nA, uS)."""
    if benchmark not in ("CUBA", "COBA"):
        raise ValueError(f"benchmark must be 'CUBA' or 'COBA', not {benchmark!r}")
    r_ei = 4.0                     # excitatory : inhibitory
    area = 20000.0 * 1e-8          # 20000 um^2 in cm^2
    tau_m = 20.0                   # ms
    cm = 1.0 * area * 1000.0       # 1 uF/cm^2 -> nF  (= 0.2 nF)
    g_leak = 5e-5                  # S/cm^2
    rm = 1e-6 / (g_leak * area)    # MOhm (= 100)
    assert abs(tau_m - cm * rm) < 1e-9
    v_mean = -60.0                 # mV, for the CUBA weights
    e_rev_exc, e_rev_inh = 0.0, -80.0
    p = {
        "n_exc": round(n_cells * r_ei / (1 + r_ei)),
        "pconn": 0.02,
        "tau_m": tau_m,
        "cm": cm,
        "v_rest": -60.0 if benchmark == "COBA" else -49.0,
        "v_thresh": -50.0,
        "v_reset": -60.0,
        "tau_refrac": 5.0,
        "tau_syn_E": 5.0,
        "tau_syn_I": 10.0,
        "e_rev_E": e_rev_exc,
        "e_rev_I": e_rev_inh,
        "stim_rate": 100.0,        # Hz, COBA only: 20 Poisson sources ...
        "stim_dur": 50.0,          # ms, ... for the first 50 ms
        "n_stim": 20,
        "pconn_stim": 0.01,
        "w_stim": 0.1,
    }
    p["n_inh"] = n_cells - p["n_exc"]
    if benchmark == "COBA":
        p["w_exc"] = 4.0 * 1e-3    # 4 nS  -> uS
        p["w_inh"] = 51.0 * 1e-3   # 51 nS -> uS
    else:
        p["w_exc"] = 1e-3 * 0.27 * (e_rev_exc - v_mean)   # nA (0.0162)
        p["w_inh"] = 1e-3 * 4.5 * (e_rev_inh - v_mean)    # nA (-0.09)
    return p


def build_va(sim, benchmark: str = "CUBA", n_cells: int = 4000, dt: float = 0.1,
             seed: int = DEFAULT_SEED, record_v: bool = True,
             source_kwargs: dict | None = None, setup_kwargs: dict | None = None) -> VANetwork:
    """``sim.setup()`` and build the VA network on the PyNN backend module ``sim``.

    Spikes of all cells are recorded; with ``record_v`` (the example's default) also the
    membrane potential of excitatory cells 0 and 1. ``setup_kwargs`` go to ``sim.setup()``
    and ``source_kwargs`` to the COBA stimulus ``Population`` (backend-specific seeding).
    Returns a :class:`VANetwork`; run it with ``sim.run(TSTOP)``.
    """
    p = va_parameters(benchmark, n_cells)
    delay = max(0.2, dt)
    sim.setup(timestep=dt, min_delay=delay, max_delay=max(1.0, delay), **(setup_kwargs or {}))

    cell_params = {k: p[k] for k in ("tau_m", "tau_syn_E", "tau_syn_I", "v_rest", "v_reset",
                                     "v_thresh", "cm", "tau_refrac")}
    if benchmark == "COBA":
        celltype = sim.IF_cond_exp
        cell_params["e_rev_E"] = p["e_rev_E"]
        cell_params["e_rev_I"] = p["e_rev_I"]
    else:
        celltype = sim.IF_curr_exp
    exc = sim.Population(p["n_exc"], celltype(**cell_params), label="Excitatory_Cells")
    inh = sim.Population(p["n_inh"], celltype(**cell_params), label="Inhibitory_Cells")

    ext = None
    if benchmark == "COBA":
        ext = sim.Population(p["n_stim"], sim.SpikeSourcePoisson(rate=p["stim_rate"],
                                                                 duration=p["stim_dur"]),
                             label="expoisson", **(source_kwargs or {}))

    rng = NumpyRNG(seed=seed, parallel_safe=True)
    v_init = RandomDistribution("uniform", low=p["v_reset"], high=p["v_thresh"], rng=rng)
    exc.initialize(v=v_init)
    inh.initialize(v=v_init)

    connector = sim.FixedProbabilityConnector(p["pconn"], rng=rng)
    exc_syn = sim.StaticSynapse(weight=p["w_exc"], delay=delay)
    inh_syn = sim.StaticSynapse(weight=p["w_inh"], delay=delay)
    prj = {
        "e2e": sim.Projection(exc, exc, connector, exc_syn, receptor_type="excitatory"),
        "e2i": sim.Projection(exc, inh, connector, exc_syn, receptor_type="excitatory"),
        "i2e": sim.Projection(inh, exc, connector, inh_syn, receptor_type="inhibitory"),
        "i2i": sim.Projection(inh, inh, connector, inh_syn, receptor_type="inhibitory"),
    }
    if ext is not None:
        # as in the example: no rng given, so PyNN's fixed default connector RNG is used,
        # and the default delay (min_delay)
        ext_conn = sim.FixedProbabilityConnector(p["pconn_stim"])
        ext_syn = sim.StaticSynapse(weight=p["w_stim"])
        prj["ext2e"] = sim.Projection(ext, exc, ext_conn, ext_syn, receptor_type="excitatory")
        prj["ext2i"] = sim.Projection(ext, inh, ext_conn, ext_syn, receptor_type="excitatory")

    exc.record("spikes")
    inh.record("spikes")
    if record_v:
        exc[0, 1].record("v")
    return VANetwork(sim=sim, benchmark=benchmark, dt=dt, delay=delay, exc=exc, inh=inh,
                     ext=ext, projections=prj, params=p)
