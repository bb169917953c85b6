"""Spikey school lesson 6: STDP of one synapse, 1/N (pairs per weight step) vs dt.

Three static stimulators (weight 15) make the neuron fire; the plastic input P fires d ms
after them. For each d the number N of pairs until the 4-bit weight first changes gives the
"learning rate" 1/N, signed by the direction of the change (compare Bi & Poo).
"""

import matplotlib.pyplot as plt
import numpy as np
import pyNN.neuroemu_spikey as pynn
from _common import output_dir, save

out = output_dir(__doc__)
period, n_pairs = 30.0, 14          # at most 7 steps: weight 7 never saturates
volleys = 10.0 + period * np.arange(n_pairs)


def learning_rate(d: float):
    """(dt of the pairs, signed 1/N) for plastic spikes d ms after the stimulators.

    One run of all pairs (the chip clears its correlation capacitors before every run, so
    the pairs must be in one run); 1/N = weight steps / pairs.
    """
    pynn.setup(rng_seeds=[1], noise=False)
    src = pynn.Population(4, pynn.SpikeSourceArray(
        spike_times=[volleys + d, volleys, volleys, volleys]))
    post = pynn.Population(1, pynn.IF_facets_hardware1())
    stdp = pynn.STDPMechanism(
        timing_dependence=pynn.SpikePairRule(tau_plus=2.5, tau_minus=2.5),
        weight_dependence=pynn.AdditiveWeightDependence(),
        weight=7 * pynn.minExcWeight(), dendritic_delay_fraction=0)
    plastic = pynn.Projection(src[0:1], post, pynn.AllToAllConnector(), stdp)
    pynn.Projection(src[1:4], post, pynn.AllToAllConnector(),
                    pynn.StaticSynapse(weight=15 * pynn.minExcWeight()))
    post.record("spikes")
    pynn.run(period * n_pairs + 20.0)
    steps = round((plastic.getWeightsHW()[0] - 7 * pynn.minExcWeight()) / pynn.minExcWeight())
    spikes = post.get_data().segments[0].spiketrains[0].magnitude
    later = spikes[spikes > volleys[-1]]
    dt = later[0] - volleys[-1] - d if later.size else np.nan   # steady-state pairing
    return dt, steps / n_pairs


results = [learning_rate(d) for d in np.arange(-3.0, 8.01, 0.5)]
dts, inv_n = np.array(results).T
fig, ax = plt.subplots(figsize=(7, 4))
ax.axhline(0, color="grey", lw=0.5)
ax.plot(dts, inv_n, "o")
ax.set_xlabel("dt = t_post - t_pre (ms)")
ax.set_ylabel("signed 1/N (weight steps per pair)")
ax.set_title("Lesson 6: STDP on Spikey (additive LUT)")
save(fig, out, "spikey_lesson6.png")
