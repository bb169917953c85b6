"""Spikey school lesson 2: fixed-pattern vs temporal noise.

The lesson-1 network at the default g_leak, uncalibrated, run 5 times: the spread of the
rates across neurons (fixed pattern) dwarfs the trial-to-trial spread (temporal noise).
"""

import matplotlib.pyplot as plt
import numpy as np
import pyNN.neuroemu_spikey as pynn
from _common import output_dir, save

out = output_dir(__doc__)
rng = np.random.default_rng(3)
trains = [np.sort(rng.uniform(1.0, 2000.0, 20)) for _ in range(64)]
pynn.setup(calibTauMem=False, calibSynDrivers=False, rng_seeds=[4])
src = pynn.Population(64, pynn.SpikeSourceArray(spike_times=trains))
pop = pynn.Population(64, pynn.IF_facets_hardware1())
pynn.Projection(src, pop, pynn.FixedNumberPreConnector(16, rng=pynn.NumpyRNG(seed=5)),
                pynn.StaticSynapse(weight=8 * pynn.minExcWeight()))
pop.record("spikes")
rates = []
for _trial in range(5):
    pynn.run(2000.0)
    counts = pop.get_spike_counts()
    rates.append([counts[c] / 2.0 for c in pop.all_cells])
    pynn.reset()
rates = np.array(rates)
across_neurons = rates.var(axis=1).mean()
across_trials = rates.var(axis=0).mean()
print(f"variance across neurons {across_neurons:.2f}, across trials {across_trials:.2f}")

fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
a.hist(rates[0], bins=20)
a.set_xlabel("rate (1/s)")
a.set_ylabel("neurons")
a.set_title("Fixed pattern: rates across neurons")
b.errorbar(np.arange(rates.shape[1]), rates.mean(axis=0), yerr=rates.std(axis=0), fmt=".")
b.set_xlabel("neuron")
b.set_ylabel("rate, mean +- s.d. over 5 trials")
b.set_title(f"var(neurons) {across_neurons:.1f} vs var(trials) {across_trials:.1f}")
save(fig, out, "spikey_lesson2.png")
