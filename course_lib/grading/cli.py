"""``passk build-exercises`` and ``passk grade``: thin fronts over :mod:`.build` and :mod:`.grade`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _build(args: argparse.Namespace) -> int:
    from .build import build_exercises

    report = build_exercises(args.solutions, args.out, force=args.force, check=args.check)
    print(report.text())
    if args.check and report.stale:
        print(f"\n{len(report.stale)} exercise notebook(s) out of date: run `passk build-exercises`.", file=sys.stderr)
        return 1
    if report.refused:
        print(
            f"\nRefused to overwrite {len(report.refused)} notebook(s) that were edited or run "
            f"({', '.join(report.refused)}): your work is safe. Use --out DIR for fresh copies elsewhere, "
            "or --force to replace them (the old files are kept as .ipynb.bak).",
            file=sys.stderr,
        )
        return 1
    return 0


def _grade(args: argparse.Namespace) -> int:
    from .grade import GradeConfig, grade_all, summarise, write_csv

    config = GradeConfig(
        solutions=Path(args.solutions),
        cell_timeout=args.cell_timeout,
        total_timeout=args.timeout,
        kernel_name=args.kernel,
        executed_dir=Path(args.executed) if args.executed else None,
    )

    def progress(path, rows):
        score = sum(r.score for r in rows)
        points = sum(r.points for r in rows)
        print(f"graded {path}: {score:g}/{points:g}", file=sys.stderr)

    rows = grade_all(args.submissions, config, progress=progress)
    write_csv(rows, args.out)
    summary = summarise(rows)
    width = max(len(s["submission"]) for s in summary)
    print(f"{'submission':<{width}}  exercise  score   passed  note")
    for s in summary:
        print(
            f"{s['submission']:<{width}}  {s['exercise'] or '-':<8}  {s['score']:g}/{s['points']:g}"
            f"{'':<3}{s['passed']}/{s['questions']}     {s['note']}"
        )
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


def add_cli(subparsers) -> None:
    """Add ``build-exercises`` and ``grade`` to the ``passk`` command."""
    p = subparsers.add_parser(
        "build-exercises",
        help="generate exercises/*.ipynb from solutions/*.ipynb",
        description="Write exercise notebooks (answers replaced by stubs, hidden tests removed, outputs "
        "cleared). Never overwrites a notebook someone edited or ran, unless --force.",
    )
    p.add_argument("--solutions", default="solutions", help="folder of solution notebooks (default: solutions)")
    p.add_argument("--out", default="exercises", help="folder to write to (default: exercises)")
    p.add_argument("--force", action="store_true", help="replace edited notebooks (old copies kept as .ipynb.bak)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the exercises are out of date")
    p.set_defaults(func=_build)

    g = subparsers.add_parser(
        "grade",
        help="grade submitted exercise notebooks in fresh kernels, write a CSV",
        description="Run each submission on a temporary copy in a fresh kernel, with the visible and hidden "
        "tests, and write one CSV row per submission and question. Submitted code runs with your "
        "rights: grade untrusted notebooks inside a container.",
    )
    g.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="notebook files to grade")
    g.add_argument("--out", default="grades.csv", help="CSV file to write (default: grades.csv)")
    g.add_argument("--solutions", default="solutions", help="solution notebooks holding the hidden tests")
    g.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell (default: 60)")
    g.add_argument("--timeout", type=float, default=600.0, help="seconds per submission (default: 600)")
    g.add_argument("--kernel", default="python3", help="Jupyter kernel name (default: python3)")
    g.add_argument("--executed", metavar="DIR", help="also save each executed copy here (feedback to review)")
    g.set_defaults(func=_grade)
