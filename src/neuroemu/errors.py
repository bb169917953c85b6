"""One exception hierarchy for every machine (subclasses of PyNN's own where PyNN has one)."""

from __future__ import annotations

from pyNN import errors as pynn_errors


class NeuroemuWarning(UserWarning):
    """Where the real tools only warn or clip, neuroemu warns with this category."""


class UnsupportedFeatureError(NotImplementedError):
    """The machine (or its software) does not offer this feature."""

    def __init__(self, feature: str, machine: str, hint: str = "") -> None:
        msg = f"{feature} is not supported on {machine}"
        if hint:
            msg += f": {hint}"
        super().__init__(msg)
        self.feature = feature
        self.machine = machine


class MappingError(Exception):
    """The network does not fit the machine; names the resource, needed vs available."""

    def __init__(self, resource: str, needed, available, unit: str, detail: str = "") -> None:
        msg = f"{resource}: needs {needed}, {unit} has {available}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)
        self.resource = resource
        self.needed = needed
        self.available = available
        self.unit = unit


class DelayExtensionException(MappingError):
    """A synaptic delay longer than the ring buffer plus all delay-extension stages allow."""


class InvalidParameterError(pynn_errors.InvalidParameterValueError):
    """A parameter value outside what the model or machine accepts, raised before running."""

    def __init__(self, population: str, parameter: str, value, allowed: str) -> None:
        super().__init__(
            f"Population '{population}': parameter {parameter}={value!r} is invalid "
            f"(allowed: {allowed})"
        )


class ConfigurationConflictError(TypeError):
    """Two parts of the network need incompatible settings of one shared hardware resource.

    A ``TypeError`` because that is what the Spikey software raises for line-driver
    conflicts (spec spikey §1.7), so scripts catching it keep working.
    """
