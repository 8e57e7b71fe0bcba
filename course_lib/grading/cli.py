"""``passk build-exercises`` and ``passk grade``: thin fronts over :mod:`.build` and :mod:`.grade`."""

from __future__ import annotations

import argparse
import re
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
    from .grade import GradeConfig, summarise
    from .hidden import describe_hidden_source
    from .limits import Limits, parse_size, sandbox_mode
    from .room import default_jobs, grade_room

    solutions = Path(args.solutions) if args.solutions else None
    if solutions is not None and not any(solutions.glob("*.ipynb")):
        print(
            f"--solutions {solutions}: no solution notebooks (exNN_*.ipynb) there, so no hidden tests; point it at the "
            "folder that holds them, or leave --solutions out to use the course's own",
            file=sys.stderr,
        )
        return 2
    config = GradeConfig(
        solutions=solutions,
        cell_timeout=args.cell_timeout,
        total_timeout=args.timeout,
        kernel_name=args.kernel,
        executed_dir=Path(args.executed) if args.executed else None,
    )
    limits = Limits(
        memory_bytes=None if args.memory in ("0", "none") else parse_size(args.memory),
        max_procs=args.max_procs or None,
        cpu_seconds=args.cpu_time or None,
    )
    if args.id_regex:
        try:
            re.compile(args.id_regex)
        except re.error as exc:
            print(f"--id-regex {args.id_regex!r} is not a regular expression: {exc}", file=sys.stderr)
            return 2
    mode = sandbox_mode()
    n = len(dict.fromkeys(args.submissions))
    jobs = args.jobs or default_jobs(n)
    print(
        f"grading {n} submission(s) with {jobs} job(s); limits per submission: "
        f"memory {args.memory}, {limits.max_procs or 'no cap on'} processes/threads, "
        f"CPU {f'{limits.cpu_seconds:g} s' if limits.cpu_seconds else 'no cap'}; sandbox: {mode}"
        f"{MODE_NOTES[mode]}\nhidden tests: {describe_hidden_source(solutions)}",
        file=sys.stderr,
    )
    progress, close = _progress_bar(n)
    try:
        rows = grade_room(
            args.submissions, config, limits, jobs=jobs, out=args.out, resume=args.resume, progress=progress, mode=mode
        )
    except KeyboardInterrupt:
        close()
        print(f"\ninterrupted: the rows graded so far are in {args.out}; rerun with --resume", file=sys.stderr)
        return 130
    close()
    summary = summarise(rows)
    width = max(len(s["submission"]) for s in summary)
    print(f"{'submission':<{width}}  exercise  score   passed  note")
    for s in summary:
        print(
            f"{s['submission']:<{width}}  {s['exercise'] or '-':<8}  {s['score']:g}/{s['points']:g}"
            f"{'':<3}{s['passed']}/{s['questions']}     {s['note']}"
        )
    print(f"wrote {len(rows)} rows to {args.out} (sandbox: {mode})")
    _export(rows, args)
    return 0


MODE_NOTES = {
    "cgroup-v2": " (control group v2: the kernel enforces memory and processes)",
    "cgroup-v1": " (control groups v1: the kernel enforces memory and processes)",
    "poll": (
        " (no writable control group: memory and processes are polled every 0.2 s, "
        "a fast fork bomb or allocation can overshoot; see `passk grade --help`)"
    ),
}


def _export(rows, args: argparse.Namespace) -> None:
    """Write the exports asked for: --gradebook, --gradescope, --feedback."""
    from .export import write_feedback, write_gradebook, write_gradescope

    if args.gradebook:
        learners = write_gradebook(rows, args.gradebook, args.id_regex)
        print(f"wrote the gradebook ({learners} learner(s)) to {args.gradebook}")
    if args.gradescope:
        files = write_gradescope(rows, args.gradescope)
        print(f"wrote {len(files)} Gradescope results.json file(s) under {args.gradescope}")
    if args.feedback:
        files = write_feedback(rows, args.feedback, args.id_regex, fmt=args.feedback_format)
        print(f"wrote feedback for {len(files)} learner(s) to {args.feedback}")


def _progress_bar(total: int):
    """``(progress, close)``: a tqdm bar on stderr (done / total, failures, ETA), or plain lines."""
    failures = [0]

    def failed(rows) -> bool:
        return any(r.status == "not graded" or "[exceeded the" in r.message for r in rows)

    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is None:

        def progress(path, rows, reused):
            failures[0] += failed(rows)
            score, points = sum(r.score for r in rows), sum(r.points for r in rows)
            print(f"{'reused' if reused else 'graded'} {path}: {score:g}/{points:g}", file=sys.stderr)

        return progress, lambda: None
    bar = tqdm(total=total, unit="nb", file=sys.stderr, dynamic_ncols=True, postfix={"failures": 0})

    def progress(path, rows, reused):
        failures[0] += failed(rows)
        bar.set_postfix(failures=failures[0], refresh=False)
        bar.update(1)

    return progress, bar.close


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
        "tests, and write one CSV row per submission and question. Submissions run in parallel (--jobs), "
        "each capped in memory, processes and CPU time together with everything it starts, by a control "
        "group (cgroup v2 or v1, as root) or, where none is writable, by polling. Not isolated: the file "
        "system and the network; submitted code runs with your rights. Grade an untrusted room inside a "
        "throwaway container with no network (the repository's Dockerfile builds one: solutions/README.md). "
        "The hidden tests are the course's own, shipped with the package, unless --solutions names others.",
    )
    g.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="notebook files to grade")
    g.add_argument("--out", default="grades.csv", help="CSV file to write (default: grades.csv)")
    g.add_argument(
        "--solutions",
        metavar="DIR",
        help="folder of solution notebooks holding the hidden tests, e.g. a private copy with secret tests "
        "(default: the course's own hidden tests, shipped with course_lib; an exercise whose hidden tests "
        "are not found is not graded)",
    )
    g.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell (default: 60)")
    g.add_argument("--timeout", type=float, default=600.0, help="seconds per submission (default: 600)")
    g.add_argument("--kernel", default="python3", help="Jupyter kernel name (default: python3)")
    g.add_argument("--executed", metavar="DIR", help="also save each executed copy here (feedback to review)")
    g.add_argument("--jobs", type=int, default=0, help="submissions graded at once (default: CPU cores)")
    g.add_argument(
        "--resume", action="store_true", help="reuse rows of --out whose submission file is unchanged (SHA-256)"
    )
    g.add_argument("--memory", default="2G", help="memory cap per submission, e.g. 2G, 512M, none (default: 2G)")
    g.add_argument(
        "--max-procs", type=int, default=512, help="processes+threads per submission, 0 for no cap (default: 512)"
    )
    g.add_argument("--cpu-time", type=float, default=0, help="CPU seconds per submission (default: no cap)")
    g.add_argument("--gradebook", metavar="CSV", help="also write one row per learner: a column per exercise, a total")
    g.add_argument(
        "--id-regex",
        metavar="RE",
        help="learner id from the submission's path: group 'id', else group 1, else the match "
        "(default: the file name minus exNN and the exercise's name, else the folder's name)",
    )
    g.add_argument("--gradescope", metavar="DIR", help="also write DIR/<folder>__<name>/results.json per submission")
    g.add_argument("--feedback", metavar="DIR", help="also write a feedback file per learner (hints, no hidden tests)")
    g.add_argument("--feedback-format", choices=("md", "html"), default="md", help="feedback as Markdown or HTML")
    g.set_defaults(func=_grade)
