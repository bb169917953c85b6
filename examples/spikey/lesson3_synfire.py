"""Spikey school lesson 3: synfire chain with feedforward inhibition (closed loop).

9 links of 10 excitatory + 10 inhibitory neurons, 10 stimulus sources at 100 ms with 10 LSB,
setIcb(0.02), as the spikey_demo script. Its weights (exc->exc 5, exc->inh 10, inh->exc 7 LSB)
were tuned for one chip; as the guidebook says, they need adjusting per chip: on the emulated
chip exc->exc 8, exc->inh 8, inh->exc 4 LSB carry the volley along all 9 links.
"""

import matplotlib.pyplot as plt
import numpy as np
import pyNN.neuroemu_spikey as pynn
from _common import output_dir, save

out = output_dir(__doc__)
n_links, n_exc, n_inh = 9, 10, 10
pynn.setup(rng_seeds=[1])
pynn.hardware.hwa.setIcb(0.02)
stim = pynn.Population(10, pynn.SpikeSourceArray(spike_times=[100.0]))
exc = [pynn.Population(n_exc, pynn.IF_facets_hardware1()) for _ in range(n_links)]
inh = [pynn.Population(n_inh, pynn.IF_facets_hardware1()) for _ in range(n_links)]
w_e = pynn.minExcWeight()
w_i = pynn.minInhWeight()
conn = pynn.AllToAllConnector()
pynn.Projection(stim, exc[0], conn, pynn.StaticSynapse(weight=10 * w_e))
pynn.Projection(stim, inh[0], conn, pynn.StaticSynapse(weight=10 * w_e))
for i in range(n_links):
    j = (i + 1) % n_links
    pynn.Projection(exc[i], exc[j], conn, pynn.StaticSynapse(weight=8 * w_e))
    pynn.Projection(exc[i], inh[j], conn, pynn.StaticSynapse(weight=8 * w_e))
    pynn.Projection(inh[i], exc[i], conn, pynn.StaticSynapse(weight=4 * w_i),
                    receptor_type="inhibitory")
for p in exc + inh:
    p.record("spikes")
exc[0][0:1].record("v")
pynn.run(300.0)

fig, (a, b) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
offset = 0
for i in range(n_links):
    for pops, colour in ((exc, "tab:red"), (inh, "tab:blue")):
        for k, st in enumerate(pops[i].get_data().segments[0].spiketrains):
            a.plot(st.magnitude, np.full(len(st), offset + k), ".", color=colour, ms=2)
        offset += pops[i].size
a.set_ylabel("neuron (red exc, blue inh)")
a.set_title("Lesson 3: synfire chain with feedforward inhibition")
b.plot(pynn.timeMembraneOutput, pynn.membraneOutput)
b.set_xlabel("time (ms)")
b.set_ylabel("membrane of neuron 0 (mV)")
save(fig, out, "spikey_lesson3.png")
