"""
A population of integrate-and-fire neurons with different input firing rates.

The first example of the EBRAINS neuromorphic platform guidebook (section 1.2, "Run a
simulation"), unchanged except that the simulator is taken from the command line:

    python examples/simple_example.py neuroemu_spinnaker
    python examples/simple_example.py nest

It prints the spike counts and saves the input/output rate curve to simple_example.png
(or the file given with --output).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from pyNN.utility import get_simulator

sim, options = get_simulator(
    ("--output", "file name of the figure (default simple_example.png)",
     {"default": "simple_example.png"}),
)

sim.setup(timestep=1.0, min_delay=1.0)

# create cells
cell_params = {
    'cm': 0.25, 'tau_m': 10.0, 'tau_refrac': 2.0,
    'tau_syn_E': 2.5, 'tau_syn_I': 2.5,
    'v_reset': -70.0, 'v_rest': -65.0, 'v_thresh': -55.0}

neurons = sim.Population(100, sim.IF_cond_exp(**cell_params))
inputs = sim.Population(100, sim.SpikeSourcePoisson(rate=0.0))

# set input firing rates as a linear function of cell index
input_firing_rates = np.linspace(0.0, 1000.0, num=inputs.size)
inputs.set(rate=input_firing_rates)

# create one-to-one connections
wiring = sim.OneToOneConnector()
static_synapse = sim.StaticSynapse(weight=0.1, delay=2.0)
connections = sim.Projection(inputs, neurons, wiring, static_synapse)

# configure recording
neurons.record('spikes')

# run simulation
sim_duration = 10.0  # seconds
sim.run(sim_duration * 1000.0)

# retrieve recorded data
spike_counts = neurons.get_spike_counts()
print(spike_counts)
output_firing_rates = np.array(
    [value for (key, value) in sorted(spike_counts.items())]) / sim_duration

# plot graph
plt.plot(input_firing_rates, output_firing_rates)
plt.xlabel("Input firing rate (spikes/second)")
plt.ylabel("Output firing rate (spikes/second)")
plt.title(f"simple_example on pyNN.{options.simulator}")
plt.savefig(options.output)
print(f"saved {options.output}")

sim.end()
