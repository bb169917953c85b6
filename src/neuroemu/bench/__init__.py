"""``neuroemu bench``: run a ``benchmarks.json`` suite (guidebook chapter 7) on PyNN backends.

``spec`` loads the suite and expands the ``{system}`` placeholder, ``runner`` runs one task
command per system in a subprocess and harvests the JSON record it writes, ``record``
validates records (and is what task scripts use to write them), ``compare`` turns records
into a table with ratios to a baseline system, ``cli`` is the command line.
"""
