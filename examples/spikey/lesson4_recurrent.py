"""Spikey school lesson 4: sparse recurrent inhibitory network without external input.

192 neurons with v_rest = -40 mV (above threshold), each with K = 15 random inhibitory
presynaptic partners (weight w); rate vs CV of the inter-spike intervals per neuron.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pyNN.neuroemu_spikey as pynn
from _common import output_dir, save

out = output_dir(__doc__)
warnings.simplefilter("ignore")          # v_rest above the nominal range warns
duration = 5000.0
pynn.setup(rng_seeds=[2])
pop = pynn.Population(192, pynn.IF_facets_hardware1(v_rest=-40.0))
pynn.Projection(pop, pop, pynn.FixedNumberPreConnector(15, rng=pynn.NumpyRNG(seed=3)),
                pynn.StaticSynapse(weight=7 * pynn.minInhWeight()),
                receptor_type="inhibitory")
pop.record("spikes")
pynn.run(duration)
trains = pop.get_data().segments[0].spiketrains
rates = np.array([len(st) / duration * 1000.0 for st in trains])
cvs = np.array([np.std(np.diff(st.magnitude)) / np.mean(np.diff(st.magnitude))
                if len(st) > 2 else np.nan for st in trains])
print(f"mean rate {rates.mean():.1f} 1/s, mean CV {np.nanmean(cvs):.2f}")

fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
for k, st in enumerate(trains):
    a.plot(st.magnitude, np.full(len(st), k), "k.", ms=1)
a.set_xlim(0, 1000)
a.set_xlabel("time (ms)")
a.set_ylabel("neuron")
a.set_title("Lesson 4: recurrent network, K = 15")
b.plot(rates, cvs, ".")
b.set_xlabel("rate (1/s)")
b.set_ylabel("CV of ISIs")
save(fig, out, "spikey_lesson4.png")
