"""The ``neuroemu`` command. Subcommands register here: ``neuroemu bench ...``."""

from __future__ import annotations

import argparse
from collections.abc import Callable

#: subcommand -> (help, add_arguments, run); each module keeps its own options
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "bench": ("run the benchmarks.json suite on several systems and compare them",
              "neuroemu.bench.cli"),
}


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="neuroemu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, module_name) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub_parser = sub.add_parser(name, help=help_text, description=module.__doc__)
        module.add_arguments(sub_parser)
        run: Callable[[argparse.Namespace], int] = module.run
        sub_parser.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
