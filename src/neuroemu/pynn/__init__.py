"""Shared PyNN 0.13 backend layer: state, populations, projections, connectors, recording.

Machine packages subclass these with their own ``_simulator`` module; everything that is
not specific to a machine lives here.
"""
