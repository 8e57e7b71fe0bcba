"""The ``passk`` command: a thin front over course_lib.

Subcommands live with the code they drive. Each module in :data:`_SUBCOMMAND_MODULES`
exposes ``add_cli(subparsers)``, which adds its parser and sets ``func`` on it; modules
are imported only when ``passk`` starts, so a broken optional module cannot hide
``passk doctor``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

_SUBCOMMAND_MODULES: list[str] = [
    "course_lib.grading.cli",
    "course_lib.lab.cli",
    "course_lib.evaluation.cli",
]
"""Modules that contribute subcommands (``add_cli(subparsers)``)."""


def doctor(args: argparse.Namespace) -> int:
    """Print the environment the course sees: versions, device, front end, chart renderer."""
    from .doctor import report

    rows = report()
    width = max(map(len, rows))
    print("passk-course environment check")
    for key, value in rows.items():
        print(f"  {key:<{width}}  {value}")
    missing = [
        k for k, v in rows.items() if v == "not installed" and k in ("torch", "ipywidgets", "altair", "jupyterlab")
    ]
    if missing:
        print(f"\nMissing: {', '.join(missing)}. Run `make setup` (or `pip install passk-course`).")
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="passk",
        description="passk-course: pass@k is a diagnostic of exploration in RLVR, not an objective.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("doctor", help="show versions, compute device, environment and chart renderer")
    p.set_defaults(func=doctor)
    for name in _SUBCOMMAND_MODULES:
        try:
            importlib.import_module(name).add_cli(sub)
        except Exception as exc:  # keep the rest of the CLI usable, but say what broke
            print(f"passk: warning: subcommands from {name} unavailable ({type(exc).__name__}: {exc})", file=sys.stderr)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except ValueError as exc:  # bad input: a clear message, not a traceback
        print(f"passk: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
