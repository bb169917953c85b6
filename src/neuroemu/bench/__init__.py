"""``neuroemu bench``: run a ``benchmarks.json`` suite (guidebook chapter 7) on PyNN backends.

Runner side: ``spec`` loads the suite and expands ``{system}``, ``systems`` tells whether a
backend is installed, ``runner`` runs one task command per system in a subprocess and
harvests its record, ``compare`` builds the tables with ratios to a baseline, ``progress``
prints a line per task, ``cli`` is the command line. Task side: ``task`` times stages and
writes the record, ``record`` checks records, ``measures`` holds the shared spike-train
analysis, ``seeds`` the backends' seeding keywords.
"""
