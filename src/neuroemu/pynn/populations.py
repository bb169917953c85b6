"""Population, PopulationView and Assembly holding parameters as plain numpy arrays.

Parameters are stored in the cell type's native names (one float array per parameter, or a
list of arrays for per-cell sequences such as spike times); the toolchain reads them at
``run`` and translates them into the machine's encoding.
"""

from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType


def _native_names(celltype, names):
    if isinstance(celltype, StandardCellType):
        if any(name in celltype.computed_parameters() for name in names):
            return celltype.get_native_names()
        return celltype.get_native_names(*names)
    return names


def _reverse(celltype, native_space):
    if isinstance(celltype, StandardCellType):
        return celltype.reverse_translate(native_space)
    return native_space


class Assembly(common.Assembly):
    """PyNN Assembly; the machine package sets ``_simulator``."""


class PopulationView(common.PopulationView):
    """A view shares its parent's arrays; writes go through the parent's mask."""

    def _get_parameters(self, *names):
        native = _native_names(self.celltype, names)
        values = {}
        for name in native:
            value = self.parent._parameters[name]
            if isinstance(value, np.ndarray):
                value = value[self.mask]
            values[name] = simplify(value)
        return _reverse(self.celltype, ParameterSpace(values, shape=(self.size,)))

    def _set_parameters(self, parameter_space):
        self.parent._set_parameters(parameter_space, mask=self.mask)

    def _set_initial_value_array(self, variable, initial_values):
        self.parent._set_initial_value_array(variable, initial_values, mask=self.mask)

    def _get_view(self, selector, label=None):
        return self.__class__(self, selector, label)


class Population(common.Population):
    """PyNN Population; sPyNNaker-style ``additional_parameters`` are accepted and kept."""

    def __init__(self, size, cellclass, cellparams=None, structure=None,
                 initial_values=None, label=None, additional_parameters=None):
        self._initial = {}
        self.additional_parameters = dict(additional_parameters or {})
        super().__init__(size, cellclass, cellparams, structure, initial_values or {},
                         label)
        self._simulator.state.toolchain.check_population(self)
        self._simulator.state.register_population(self)

    def _create_cells(self):
        first = self._simulator.state.id_counter
        ids = np.arange(first, first + self.size)
        self.all_cells = np.array([self._simulator.ID(i) for i in ids], dtype=object)
        for cell in self.all_cells:
            cell.parent = self
        self._mask_local = np.ones(self.size, dtype=bool)
        if isinstance(self.celltype, StandardCellType):
            space = self.celltype.native_parameters
        else:
            space = self.celltype.parameter_space
        space.shape = (self.size,)
        space.evaluate(simplify=False)
        self._parameters = space.as_dict()
        self._simulator.state.id_counter += self.size

    def _get_view(self, selector, label=None):
        return self._view_class(self, selector, label)

    def _get_parameters(self, *names):
        native = _native_names(self.celltype, names)
        values = {name: simplify(self._parameters[name]) for name in native}
        return _reverse(self.celltype, ParameterSpace(values, shape=(self.size,)))

    def _set_parameters(self, parameter_space, mask=None):
        self._simulator.state.toolchain.parameters_changed(self)
        n = self.size if mask is None else int(np.arange(self.size)[mask].size)
        parameter_space.shape = (n,)
        parameter_space.evaluate(simplify=False)
        previous = {name: np.array(self._parameters[name], copy=True)
                    for name in parameter_space.keys()}  # noqa: SIM118 (iter yields cells)
        for name, value in parameter_space.items():
            if mask is None:
                self._parameters[name] = value
            else:
                self._parameters[name][mask] = value
        try:
            self._simulator.state.toolchain.check_population(self)
        except ValueError:
            self._parameters.update(previous)
            raise

    def _set_initial_value_array(self, variable, initial_values, mask=None):
        if variable not in self._initial:
            default = self.celltype.default_initial_values.get(variable, 0.0)
            self._initial[variable] = np.full(self.size, float(default))
        if mask is None:
            self._initial[variable][:] = initial_values.evaluate(simplify=False)
        else:
            initial_values.shape = (int(np.arange(self.size)[mask].size),)
            self._initial[variable][mask] = initial_values.evaluate(simplify=False)
        self._simulator.state.toolchain.parameters_changed(self)

    def initial_value_array(self, variable: str) -> np.ndarray:
        """The initial value of ``variable`` for every cell (float array)."""
        if variable not in self._initial:
            raise errors.RecordingError(variable, self.celltype)
        return self._initial[variable]


def spike_trains(population) -> list[np.ndarray]:
    """Every cell's ``spike_times`` as a float array.

    PyNN stores a size-1 population's value as a single ``Sequence`` rather than an array of
    them, so iterating it directly would yield floats.
    """
    value = population._parameters["spike_times"]
    if isinstance(value, Sequence):
        value = [value] * population.size
    return [np.asarray(s.value if hasattr(s, "value") else s, dtype=float) for s in value]
