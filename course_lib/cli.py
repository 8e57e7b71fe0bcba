"""The ``passk`` command: a thin front over course_lib.

Subcommands live with the code they drive. Each module in :data:`_SUBCOMMAND_MODULES`
exposes ``add_cli(subparsers)``, which adds its parser and sets ``func`` on it; these modules
import only the standard library and NumPy when the parser is built, so ``passk --help`` starts
fast and works with the core install. Subcommands that need a heavy stack (:data:`_LAZY`: the
lab needs PyTorch) are parsed by their own module only when they are run. A command whose extra
is not installed says in one line which one to install, instead of an ImportError traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__

_SUBCOMMAND_MODULES: list[str] = [
    "course_lib.grading.cli",
    "course_lib.evaluation.cli",
    "course_lib.evaluation.monitor.cli",
    "course_lib.bandit.cli",
]
"""Light modules that contribute subcommands (``add_cli(subparsers)``) when the parser is built."""

_LAZY: dict[str, tuple[str, str]] = {
    "lab": ("course_lib.lab.cli", "policy-gradient lab on a tiny transformer (chapter 5; needs PyTorch)"),
    "model": ("course_lib.realmodel.cli", "the real model of chapter 8: fetch, evaluate, compare (needs [realmodel])"),
}
"""Subcommands whose module (and its heavy imports) loads only when the subcommand runs."""

EXTRAS: dict[str, str] = {
    "torch": "lab",
    "tqdm": "lab",
    "altair": "charts",
    "vl_convert": "charts",
    "sympy": "course",
    "nbformat": "course",
    "nbclient": "course",
    "ipywidgets": "course",
    "anywidget": "course",
    "jupyterlab": "course",
    "IPython": "course",
    "verl": "verl",
    "transformers": "realmodel",
    "gguf": "realmodel",
    "accelerate": "realmodel",
    "safetensors": "realmodel",
}
"""Top-level module -> the extra of ``passk-course`` that installs it."""


def missing_extra_message(exc: ModuleNotFoundError) -> str | None:
    """One line naming the extra to install for a missing module, or None if it is not one of ours."""
    root = (exc.name or "").split(".")[0]
    if root not in EXTRAS:
        return None
    from .config import pip_install

    return f"this command needs {root}: {pip_install(EXTRAS[root])}"


def _run_lazy(name: str, rest: list[str]) -> int:
    """Import the subcommand's module, let it build its own parser, and run it on ``rest``."""
    module = importlib.import_module(_LAZY[name][0])
    parser = argparse.ArgumentParser(prog="passk")
    module.add_cli(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args([name, *rest])
    return int(args.func(args) or 0)


def doctor(args: argparse.Namespace) -> int:
    """Print the environment the course sees: versions, device, front end, chart renderer, layers installed."""
    from .doctor import advice, report

    rows = report()
    width = max(map(len, rows))
    print("passk-course environment check")
    for key, value in rows.items():
        print(f"  {key:<{width}}  {value}")
    text, code = advice()
    if text:
        print(f"\n{text}")
    return code


def build_parser() -> argparse.ArgumentParser:
    from .config import TAGLINE  # the course's claim in one line (one home: course_lib/config.py)

    parser = argparse.ArgumentParser(
        prog="passk",
        description=f"passk-course: {TAGLINE}.",
    )
    parser.add_argument("--version", action="version", version=f"passk-course {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("doctor", help="show versions, compute device, environment and chart renderer")
    p.set_defaults(func=doctor)
    for name, (_, help_text) in _LAZY.items():
        p = sub.add_parser(name, help=help_text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=lambda args, name=name: _run_lazy(name, args.rest))
    for name in _SUBCOMMAND_MODULES:
        try:
            importlib.import_module(name).add_cli(sub)
        except Exception as exc:  # keep the rest of the CLI usable, but say what broke
            print(f"passk: warning: subcommands from {name} unavailable ({type(exc).__name__}: {exc})", file=sys.stderr)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if argv and argv[0] in _LAZY:  # (argparse's REMAINDER would not pass on a leading --help)
        args = argparse.Namespace(func=lambda _: _run_lazy(argv[0], argv[1:]))
    else:
        args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:  # an extra is not installed: say which, in one line
        message = missing_extra_message(exc)
        if message is None:
            raise
        print(f"passk: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except ValueError as exc:  # bad input: a clear message, not a traceback
        print(f"passk: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
