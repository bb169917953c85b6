"""Install ``neuroemu_pynn_alias.pth`` into site-packages next to the package.

The .pth makes ``import pyNN.neuroemu_spinnaker`` work right after ``pip install``, without
writing into PyNN's folder (see ``neuroemu._alias``). Everything else is in pyproject.toml.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "neuroemu_pynn_alias.pth"


class BuildPyWithPth(build_py):
    def run(self):
        super().run()
        self.copy_file(os.path.join("src", PTH), os.path.join(self.build_lib, PTH))


setup(cmdclass={"build_py": BuildPyWithPth})
