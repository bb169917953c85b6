"""Projection storing its connections as flat arrays, built by vectorised connectors.

What ``get`` returns is what the machine holds (the toolchain quantises weights and rounds
delays), as on the real system.

Storage per connection: ``_pre_idx`` and ``_post_idx`` int32 (8 bytes), and one float64
column per synaptic parameter in ``_values``, except that a parameter equal for every
connection (a scalar given to the synapse type or to ``set``) is a read-only zero-stride
view taking no memory per connection. Consumers read these arrays and never write into
them; ``set`` replaces a column as a whole.

On a machine whose toolchain expands connections itself (``generates_connections``), a
large projection keeps no list at all: ``_generated`` holds the recipe
(:mod:`neuroemu.pynn.generated_connections`), the toolchain reads it block by block, and the
array attributes above are computed from it when something asks for them.
"""

from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.space import Space
from pyNN.standardmodels import StandardSynapseType

from neuroemu.pynn.connectors import (
    INDEX_DTYPE,
    constant_column,
    evaluate_for_connections,
    generate_pairs,
    is_constant_column,
)
from neuroemu.pynn.generated_connections import GeneratedConnections, plan


class Connection(common.Connection):
    """One connection's attributes, read from the machine (weights as quantised there)."""

    def __init__(self, attributes: dict) -> None:
        self.__dict__.update(attributes)
        self.presynaptic_index = int(self.presynaptic_index)
        self.postsynaptic_index = int(self.postsynaptic_index)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    """PyNN Projection; the machine package sets ``_simulator``."""

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=None,
                 label=None):
        super().__init__(presynaptic_population, postsynaptic_population, connector,
                         synapse_type, source, receptor_type, space or Space(), label)
        toolchain = self._simulator.state.toolchain
        toolchain.network_changed("Projection", self.label)
        toolchain.check_projection(self)
        params = connector._parameters_from_synapse_type(self)
        self._generated: GeneratedConnections | None = None
        self._stored: tuple | None = None
        if getattr(toolchain, "generates_connections", False):
            self._generated = plan(connector, self, params, self._simulator.state.min_delay)
        if self._generated is not None:
            self._generated.summarise(self._simulator.state.dt,
                                      self._check if connector.safe else _unchecked)
        else:
            self._store(connector, params)
        self._simulator.state.register_projection(self)

    def _store(self, connector, params: dict) -> None:
        pre, post, columns = generate_pairs(connector, self)
        pre = np.asarray(pre, dtype=INDEX_DTYPE)
        post = np.asarray(post, dtype=INDEX_DTYPE)
        values = {}
        for name, value in params.items():
            if name in columns:
                values[name] = np.asarray(columns[name], dtype=float)
            else:
                values[name] = evaluate_for_connections(value, self, pre, post)
        if "delay" in values:
            values["delay"] = self._default_delays(values["delay"])
        if connector.safe:
            self._check(values)
        self._stored = (pre, post, values)

    @property
    def _pre_idx(self) -> np.ndarray:
        return self._table()[0]

    @property
    def _post_idx(self) -> np.ndarray:
        return self._table()[1]

    @property
    def _values(self) -> dict:
        return self._table()[2]

    def _table(self) -> tuple:
        """(pre, post, values): stored, or a generated projection's list built now (not
        kept: the toolchain reads generated projections block by block)."""
        if self._generated is not None:
            return self._generated.materialise()
        return self._stored

    def _default_delays(self, delays: np.ndarray) -> np.ndarray:
        """Delays with PyNN's default (NaN = ``min_delay``) filled in; a constant stays one."""
        min_delay = self._simulator.state.min_delay
        if is_constant_column(delays):
            if delays.size and np.isnan(delays[0]):
                return constant_column(min_delay, delays.size)
            return delays
        missing = np.isnan(delays)
        return np.where(missing, min_delay, delays) if missing.any() else delays

    def _check(self, values: dict) -> None:
        syn = self.synapse_type
        for name, check in getattr(syn, "parameter_checks", {}).items():
            native = syn.translations[name]["translated_name"] \
                if isinstance(syn, StandardSynapseType) else name
            column = values.get(native)
            if column is not None and column.size:
                check(column[:1] if is_constant_column(column) else column, self)

    def __len__(self) -> int:
        if self._generated is not None:
            return len(self._generated)
        return int(self._stored[0].size)

    @property
    def connections(self) -> list:
        """The connections as objects (PyNN's ``Projection.connections`` convention)."""
        names = ["presynaptic_index", "postsynaptic_index"] + list(self._values)
        columns = [self._machine_values(n) for n in names]
        return [Connection(dict(zip(names, row))) for row in zip(*columns)]

    def _machine_values(self, name: str) -> np.ndarray:
        if name == "presynaptic_index":
            return self._pre_idx.astype(float)
        if name == "postsynaptic_index":
            return self._post_idx.astype(float)
        if name not in self._values:
            raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__,
                                                   list(self._values))
        return self._simulator.state.toolchain.connection_values(self, name)

    def _get_attributes_as_list(self, names):
        columns = [self._machine_values(n) for n in names]
        return [tuple(row) for row in zip(*columns)] if columns else []

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        out = []
        flat = self._pre_idx.astype(np.int64) * self.post.size + self._post_idx
        for name in names:
            vals = self._machine_values(name)
            arr = np.full(self.pre.size * self.post.size, np.nan)
            if multiple_synapses == "last":
                arr[flat] = vals
            elif multiple_synapses == "first":
                arr[flat[::-1]] = vals[::-1]
            else:
                ufunc = {"sum": np.add, "min": np.fmin, "max": np.fmax}[multiple_synapses]
                init = {"sum": 0.0, "min": np.inf, "max": -np.inf}[multiple_synapses]
                acc = np.full(arr.size, init)
                ufunc.at(acc, flat, vals)
                present = np.zeros(arr.size, dtype=bool)
                present[flat] = True
                arr[present] = acc[present]
            out.append(arr.reshape(self.pre.size, self.post.size))
        return out

    def _set_attributes(self, parameter_space):
        self._simulator.state.toolchain.connections_changed(self)
        parameter_space = self._handle_distance_expressions(parameter_space)
        if self._generated is not None:  # set() gives values per connection: store them
            self._stored = self._generated.materialise()
            self._generated = None
        pre, post, values = self._stored
        for name, value in parameter_space.items():
            if name not in values:
                raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__,
                                                       list(values))
            values[name] = evaluate_for_connections(value, self, pre, post)
        self._check(values)


def _unchecked(values: dict) -> None:
    """The check of a connector created with ``safe=False``: none, as PyNN does."""
