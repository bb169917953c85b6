"""Spikey school lesson 1: firing rate vs leak conductance, and EPSP shape vs drvifall.

32 neurons driven by 64 Poisson sources at 10 Hz (16 inputs each, weight 7 LSB); g_leak swept
uncalibrated over 2..250 nS: the rate falls with g_leak. Then one input, regular spikes, the
spike-triggered average EPSP for several drvifall factors.
"""

import matplotlib.pyplot as plt
import numpy as np
import pyNN.neuroemu_spikey as pynn
from _common import output_dir, save

out = output_dir(__doc__)
g_leaks = [2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 250.0]
rates = []
for g in g_leaks:
    pynn.setup(calibTauMem=False, rng_seeds=[1])
    src = pynn.Population(64, pynn.SpikeSourcePoisson(rate=10.0))
    pop = pynn.Population(32, pynn.IF_facets_hardware1(g_leak=g))
    pynn.Projection(src, pop, pynn.FixedNumberPreConnector(16, rng=pynn.NumpyRNG(seed=2)),
                    pynn.StaticSynapse(weight=7 * pynn.minExcWeight()))
    pop.record("spikes")
    pynn.run(2000.0)
    counts = pop.get_spike_counts()
    rates.append(np.mean(list(counts.values())) / 2.0)
    pynn.end()

isi, n_spikes = 50.0, 40
traces = {}
for fall in (0.3, 0.6, 1.0, 2.0):
    pynn.setup(rng_seeds=[1])
    src = pynn.Population(1, pynn.SpikeSourceArray(
        spike_times=np.arange(1, n_spikes + 1) * isi))
    pop = pynn.Population(1, pynn.IF_facets_hardware1())
    prj = pynn.Projection(src, pop, pynn.AllToAllConnector(),
                          pynn.StaticSynapse(weight=15 * pynn.minExcWeight()))
    prj.setDrvifallFactors([fall])
    pop.record("v")
    pynn.run((n_spikes + 1) * isi)
    sig = pop.get_data().segments[0].analogsignals[0]
    v = sig.magnitude[:, 0]
    step = float(sig.sampling_period.rescale("ms"))
    width = int(isi / step)
    starts = (np.arange(5, n_spikes) * isi / step).astype(int)   # discard the first EPSPs
    traces[fall] = np.mean([v[s:s + width] for s in starts], axis=0)
    pynn.end()

fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
a.semilogx(g_leaks, rates, "o-")
a.set_xlabel("g_leak (nS)")
a.set_ylabel("mean rate (1/s)")
a.set_title("Lesson 1-1: rate vs leak")
for fall, trace in traces.items():
    b.plot(np.arange(trace.size) * step, trace, label=f"drvifall x{fall}")
b.set_xlabel("time after input spike (ms)")
b.set_ylabel("averaged membrane (mV)")
b.set_title("Lesson 1-2: EPSP vs drvifall")
b.legend()
save(fig, out, "spikey_lesson1.png")
