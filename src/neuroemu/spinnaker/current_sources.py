"""Current sources as sPyNNaker 7.4.1 runs them (``neuron/current_sources/*.h``).

Each neuron core holds its own copy of every source injected into one of its neurons; per
tick, a neuron's current is ``I_offset + sum of its sources' offsets`` (s16.15, nA):

* ``DCSource``: ``amplitude`` while ``start <= tick < stop``;
* ``ACSource``: ``offset + amplitude * sin(omega * (tick - start) + phase)`` in that window
  (omega in rad per tick, phase in rad; evaluated in float64 and rounded to s16.15 — the
  chip's ``sink`` differs in the last bits);
* ``StepCurrentSource``: the amplitude of the latest step reached; the source advances at
  most one step per tick, as the chip's index does;
* ``NoisyCurrentSource``: ``mean + stdev * N(0, 1)`` per call, the normal deviate drawn from
  the copy's own KISS64 stream (so neurons sharing a source on one core draw successive
  values), only with ``dt`` equal to the time step (sPyNNaker refuses other values).

Times are converted to ticks as the host does: ``floor(time / dt)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import electrodes

from neuroemu.engine.fixedpoint import encode_s1615
from neuroemu.engine.kiss64 import create_mars_kiss_seeds, kiss64_next
from neuroemu.errors import InvalidParameterError
from neuroemu.pynn.cells import identity_translations

DC, AC, STEP, NOISY = 0, 1, 2, 3
# integer columns of a source copy; STEP_IDX and LAST are its running state
(CS_KIND, CS_START, CS_STOP, CS_STEP_OFF, CS_STEP_LEN, CS_STEP_IDX, CS_AMP, CS_STDEV,
 CS_LAST) = range(9)
N_CS_INT = 9
# float columns (AC only)
CSF_OFFSET, CSF_AMP, CSF_OMEGA, CSF_PHASE = range(4)
N_CS_FLOAT = 4


@njit(cache=True)
def normal_deviate(u):
    """Standard normal quantile of a uint32 draw (Wichura's AS241, ~1e-16 relative)."""
    p = (np.float64(u) + 0.5) / 4294967296.0
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    r = p if q < 0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    z = num / den
    return -z if q < 0 else z


@njit(cache=True)
def current_source_offset(n, t, cs_ptr, cs_inst, cs_i, cs_f, cs_kiss, step_tick, step_amp):
    """Sum of the offsets (s16.15 nA) of the sources of neuron ``n`` at tick ``t``."""
    total = np.int32(0)
    for e in range(cs_ptr[n], cs_ptr[n + 1]):
        j = cs_inst[e]
        kind = cs_i[j, CS_KIND]
        if kind == STEP:
            idx = cs_i[j, CS_STEP_IDX]
            if idx < cs_i[j, CS_STEP_LEN] and t >= step_tick[cs_i[j, CS_STEP_OFF] + idx]:
                cs_i[j, CS_LAST] = step_amp[cs_i[j, CS_STEP_OFF] + idx]
                cs_i[j, CS_STEP_IDX] = idx + 1
            total = np.int32(total + cs_i[j, CS_LAST])
        elif cs_i[j, CS_START] <= t < cs_i[j, CS_STOP]:
            if kind == DC:
                total = np.int32(total + cs_i[j, CS_AMP])
            elif kind == AC:
                x = cs_f[j, CSF_OFFSET] + cs_f[j, CSF_AMP] * math.sin(
                    cs_f[j, CSF_OMEGA] * (t - cs_i[j, CS_START]) + cs_f[j, CSF_PHASE])
                total = np.int32(total + np.int64(np.round(x * 32768.0)))
            else:
                z = normal_deviate(kiss64_next(cs_kiss[j]))
                noise = np.int64(np.floor(z * 32768.0 + 0.5))
                total = np.int32(total + cs_i[j, CS_AMP] +
                                 ((cs_i[j, CS_STDEV] * noise) >> 15))
    return total


def _ticks(times, dt: float) -> np.ndarray:
    """Host conversion ms -> ticks (``time * 1000 / machine_time_step`` stored as uint32)."""
    return np.floor(np.asarray(times, dtype=float) / dt + 1e-9).astype(np.int64)


class _SpiNNakerCurrentSource:
    """Parameters kept as plain values; ``inject_into`` registers the source's targets."""

    @property
    def _simulator(self):
        from neuroemu.spinnaker import simulator  # late: the simulator imports this module
        return simulator

    def __init__(self, **parameters):
        self.targets: list = []
        super().__init__(**parameters)
        self._check()
        self._simulator.state.toolchain.register_current_source(self)

    def set_native_parameters(self, parameters) -> None:
        self._simulator.state.toolchain.current_sources_changed(self)
        previous = dict(self.parameter_space.items())
        self.parameter_space.update(**dict(parameters.items()))
        try:
            self._check()
        except ValueError:
            self.parameter_space.update(**previous)
            raise

    def get_native_parameters(self) -> ParameterSpace:
        space = ParameterSpace(dict(self.parameter_space.items()), self.get_schema(), (1,))
        space.evaluate(simplify=True)
        return space

    def __getattr__(self, name):
        """``source.amplitude`` / ``source.times``: the current value (float or array)."""
        if name in type(self).default_parameters:
            value = self._native[name]
            return np.asarray(value.value) if hasattr(value, "value") else value
        return super().__getattr__(name)

    @property
    def _native(self) -> dict:
        """Current parameter values (identity translation: native names = PyNN names)."""
        return dict(self.get_native_parameters().items())

    def _check(self) -> None:
        """Refuse bad values when they are set (overridden where a source has rules)."""

    def inject_into(self, cells) -> None:
        """Inject into a Population, PopulationView, Assembly or a list of IDs."""
        self._simulator.state.toolchain.current_sources_changed(self)
        if isinstance(cells, (list, tuple)):
            for cell in cells:
                self.targets.append((cell.parent, np.array([cell.parent.id_to_index(cell)])))
            return
        from neuroemu.pynn.cells import resolve
        for pop, idx, _ in resolve(cells):
            self.targets.append((pop, np.asarray(idx, dtype=np.int64)))

    def record(self) -> None:
        raise NotImplementedError("recording the current of a current source is not "
                                  "possible on SpiNNaker (sPyNNaker 7.4.1)")



class DCSource(_SpiNNakerCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = identity_translations(electrodes.DCSource)


class ACSource(_SpiNNakerCurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = identity_translations(electrodes.ACSource)


class StepCurrentSource(_SpiNNakerCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = identity_translations(electrodes.StepCurrentSource)

    def _check(self) -> None:
        p = self._native
        times = np.asarray(getattr(p["times"], "value", p["times"]), dtype=float)
        amps = np.asarray(getattr(p["amplitudes"], "value", p["amplitudes"]), dtype=float)
        if times.size != amps.size:
            raise InvalidParameterError("StepCurrentSource", "times",
                                        f"{times.size} times, {amps.size} amplitudes",
                                        "as many times as amplitudes")
        if times.size and (times.min() < 0 or np.any(np.diff(times) <= 0)):
            raise InvalidParameterError("StepCurrentSource", "times", times.tolist()[:10],
                                        "non-negative and strictly increasing")


class NoisyCurrentSource(_SpiNNakerCurrentSource, electrodes.NoisyCurrentSource):
    """PyNN's NoisyCurrentSource; sPyNNaker's ``rng`` keyword seeds its KISS64 stream."""

    translations = identity_translations(electrodes.NoisyCurrentSource)

    def __init__(self, rng=None, **parameters):
        self.rng = rng
        super().__init__(**parameters)


CURRENT_SOURCE_CLASSES = (DCSource, ACSource, StepCurrentSource, NoisyCurrentSource)


def _seed_words(source, counter: int) -> np.ndarray:
    """KISS64 seed of a noisy source: from its ``rng`` or, if none, from its creation order."""
    rng = source.rng
    if rng is not None and hasattr(rng, "rng"):
        rng = rng.rng
    if rng is None:
        rng = np.random.RandomState(0x5EED + counter)
    return create_mars_kiss_seeds(rng)


def check_current_source(source, dt: float) -> None:
    """The host's refusals, before anything runs."""
    p = source._native
    if isinstance(source, NoisyCurrentSource) and abs(float(p["dt"]) - dt) > 1e-9:
        raise InvalidParameterError(
            "NoisyCurrentSource", "dt", float(p["dt"]),
            f"equal to the machine time step {dt} ms (sPyNNaker 7.4.1 supports no other)")


def build_current_sources(sources, atom_of, core_of_atom, n_atoms: int, dt: float):
    """Kernel tables: per-neuron CSR of source copies (one copy per source and core)."""
    rows, floats, kisses, ticks, amps = [], [], [], [], []
    pairs = []  # (atom, copy index)
    for counter, src in enumerate(sources):
        if not src.targets:
            continue
        check_current_source(src, dt)
        atoms = np.unique(np.concatenate([atom_of(pop, idx) for pop, idx in src.targets]))
        p = src._native
        for core in np.unique(core_of_atom[atoms]):
            copy = len(rows)
            row = np.zeros(N_CS_INT, dtype=np.int64)
            frow = np.zeros(N_CS_FLOAT)
            kiss = np.zeros(4, dtype=np.uint32)
            if isinstance(src, StepCurrentSource):
                times = np.asarray(getattr(p["times"], "value", p["times"]), dtype=float)
                values = np.asarray(getattr(p["amplitudes"], "value", p["amplitudes"]))
                row[CS_KIND] = STEP
                row[CS_STEP_OFF] = sum(t.size for t in ticks)
                row[CS_STEP_LEN] = times.size
                ticks.append(_ticks(times, dt))
                amps.append(encode_s1615(values.astype(float)).astype(np.int64))
            else:
                row[CS_START] = _ticks(p["start"], dt)
                row[CS_STOP] = _ticks(p["stop"], dt)
                if isinstance(src, DCSource):
                    row[CS_KIND] = DC
                    row[CS_AMP] = encode_s1615(float(p["amplitude"]))
                elif isinstance(src, ACSource):
                    row[CS_KIND] = AC
                    frow[:] = (p["offset"], p["amplitude"],
                               2.0 * np.pi * float(p["frequency"]) * dt / 1000.0,
                               np.deg2rad(float(p["phase"])))
                else:
                    row[CS_KIND] = NOISY
                    row[CS_AMP] = encode_s1615(float(p["mean"]))
                    row[CS_STDEV] = encode_s1615(float(p["stdev"]))
                    kiss[:] = _seed_words(src, counter)
            rows.append(row)
            floats.append(frow)
            kisses.append(kiss)
            here = atoms[core_of_atom[atoms] == core]
            pairs.append(np.stack([here, np.full(here.size, copy)], axis=1))
    cs_i = np.array(rows, dtype=np.int64).reshape(-1, N_CS_INT)
    cs_f = np.array(floats, dtype=float).reshape(-1, N_CS_FLOAT)
    cs_kiss = np.array(kisses, dtype=np.uint32).reshape(-1, 4)
    step_tick = np.concatenate(ticks) if ticks else np.zeros(0, dtype=np.int64)
    step_amp = np.concatenate(amps) if amps else np.zeros(0, dtype=np.int64)
    pair = np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
    pair = pair[np.lexsort((pair[:, 1], pair[:, 0]))]
    cs_ptr = np.zeros(n_atoms + 1, dtype=np.int64)
    np.add.at(cs_ptr, pair[:, 0] + 1, 1)
    return (np.cumsum(cs_ptr), pair[:, 1].copy(), cs_i, cs_f, cs_kiss, step_tick, step_amp)
