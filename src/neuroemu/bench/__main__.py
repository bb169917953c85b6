"""``python -m neuroemu.bench`` = ``neuroemu bench``."""

import sys

from neuroemu.bench.cli import main

sys.exit(main())
