"""The Spikey school lessons (examples/spikey) run and write their figures."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "spikey"
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.mark.slow
@pytest.mark.parametrize("script, figure", [
    ("lesson1_parameter_space.py", "spikey_lesson1.png"),
    ("lesson2_noise.py", "spikey_lesson2.png"),
    ("lesson3_synfire.py", "spikey_lesson3.png"),
    ("lesson4_recurrent.py", "spikey_lesson4.png"),
    ("lesson5_stp.py", "spikey_lesson5.png"),
    ("lesson6_stdp.py", "spikey_lesson6.png"),
])
def test_lesson_runs(script, figure, tmp_path):
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    result = subprocess.run([sys.executable, str(EXAMPLES / script), "--out", str(tmp_path)],
                            check=False,
                            cwd=EXAMPLES, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / figure).stat().st_size > 10_000
