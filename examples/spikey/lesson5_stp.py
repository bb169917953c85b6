"""Spikey school lesson 5: depressing short-term plasticity in a line driver.

One input, U = 0.4, tau_rec = 100 ms (-> capacitor level k = 7, chip tau 110 ms), spikes at
100, 150, ..., 400 and 700 ms: the PSPs shrink along the train and recover by 700 ms.
Compared with the same synapse without STP, and with a facilitating one.
"""

import matplotlib.pyplot as plt
import numpy as np
import pyNN.neuroemu_spikey as pynn
from _common import output_dir, save

out = output_dir(__doc__)
times = [*np.arange(100.0, 401.0, 50.0), 700.0]
synapses = {
    "depressing (U 0.4, tau_rec 100)": pynn.TsodyksMarkramSynapse(
        U=0.4, tau_rec=100.0, tau_facil=0.0, weight=15 * pynn.minExcWeight()),
    "facilitating (U 0.2, tau_facil 100)": pynn.TsodyksMarkramSynapse(
        U=0.2, tau_rec=0.0, tau_facil=100.0, weight=5 * pynn.minExcWeight()),
    "static": pynn.StaticSynapse(weight=6 * pynn.minExcWeight()),
}
fig, ax = plt.subplots(figsize=(9, 4))
for label, synapse in synapses.items():
    pynn.setup(rng_seeds=[1], noise=False)
    src = pynn.Population(1, pynn.SpikeSourceArray(spike_times=times))
    pop = pynn.Population(1, pynn.IF_facets_hardware1())
    pynn.Projection(src, pop, pynn.AllToAllConnector(), synapse)
    pop.record("v")
    pynn.run(800.0)
    ax.plot(pynn.timeMembraneOutput, pynn.membraneOutput, label=label)
    pynn.end()
ax.set_xlabel("time (ms)")
ax.set_ylabel("membrane (mV)")
ax.set_title("Lesson 5: short-term plasticity")
ax.legend()
save(fig, out, "spikey_lesson5.png")
