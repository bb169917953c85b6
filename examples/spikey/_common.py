"""Helpers shared by the Spikey lesson scripts: output folder and figure saving."""

from __future__ import annotations

import argparse
import os

import matplotlib

matplotlib.use("Agg")


def output_dir(description: str) -> str:
    """Parse ``--out DIR`` (default: current directory) and create it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default=".", help="folder for the figure")
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    return out


def save(fig, out: str, name: str) -> str:
    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")
    return path
