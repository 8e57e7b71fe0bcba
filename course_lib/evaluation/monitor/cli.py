"""``passk monitor``: pass@k as a diagnostic of a training run, read from the run's own sample logs.

Examples::

    passk monitor ~/passk_runs/qwen2.5-0.5b_gsm8k_passk_chen              # verl: validation/ and rollouts/
    passk monitor ~/passk_runs/qwen2.5-0.5b_gsm8k_passk_chen/validation --follow
    passk monitor out --json monitor.json --out monitor.html               # TRL: out/completions/*.parquet
    passk monitor runs/lab --answer-regex '(\\d+)$'                        # passk lab run --dump-dir runs/lab

Building the parser imports the standard library and NumPy; ``--out`` needs Altair, and
TRL's tables pyarrow (each missing one is named in one line).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

EXAMPLE = """\
examples:
  passk monitor ~/passk_runs/qwen2.5-0.5b_gsm8k_passk_chen            verl: its validation/ and rollouts/ dumps
  passk monitor ~/passk_runs/qwen2.5-0.5b_gsm8k_passk_chen/validation --follow     a run in progress
  passk monitor out --json monitor.json --out monitor.html           TRL: out/completions/*.parquet

  reads verl's trainer.validation_data_dir / trainer.rollout_data_dir ({step}.jsonl), a folder of them,
  TRL's completions tables (GRPOConfig(log_completions=True); verdicts from the passk_verifier column of
  course_lib.integrations.trl.grpo_trainer, or --correct-col), and passk lab run --dump-dir folders.
  One line per step: pass@1 and pass@k at the largest k with a bootstrap interval over prompts; on
  validation steps the paired change since the first validation and Δ(k) split by prompts whose pass
  rate rose or fell; the zero-signal share (GRPO), Chen et al.'s zero-advantage share, distinct correct
  outputs per prompt. Warnings say which diagnostic fired and why.
"""

LEGEND = (
    "pass@1, pass@K at K = the fewest samples of a prompt, [bootstrap interval over prompts], (paired change since "
    "the first validation [interval]); Δ(k) = pass@k - pass@1, its change split by prompts whose pass rate rose / "
    "fell; zero-signal: groups with all rewards equal (GRPO: advantage 0); zero-adv@k: Chen et al.'s pass@k "
    "advantage 0 (no correct, or fewer than k wrong); distinct: distinct correct outputs per prompt"
)


def _pm(x: float) -> str:
    return f"{x:+.3f}"


def _ci(ci, signed: bool = False) -> str:
    f = _pm if signed else (lambda x: f"{x:.3f}")
    return f"[{f(ci[0])}, {f(ci[1])}]"


def format_line(r, with_run: bool = False) -> str:
    """One terminal line of a :class:`~course_lib.evaluation.monitor.report.StepReport`."""
    parts = [
        (f"{r.run}  " if with_run else "") + f"{r.kind:10s} step {r.step:>5}",
        f"{r.prompts} prompts x {r.n_min}" + (f"..{r.n_max}" if r.n_max > r.n_min else ""),
        f"pass@1 {r.pass1:.3f}" + (f" ({_pm(r.pass1_change)} {_ci(r.pass1_change_ci, True)})" if r.shared else ""),
        f"pass@{r.k_max} {r.pass_k_max:.3f} {_ci(r.pass_at_k_max_ci)}"
        + (f" ({_pm(r.passk_change)} {_ci(r.passk_change_ci, True)})" if r.shared else ""),
        f"Δ({r.k}) {r.delta:.3f}"
        + (f" (rose {_pm(r.delta_rose)}, fell {_pm(r.delta_fell)})" if r.delta_rose is not None else ""),
        f"zero-signal {r.zero_signal:.0%}",
        f"zero-adv@{r.k} {r.zero_advantage:.0%}",
        f"distinct {r.distinct_correct:.2f}",
    ]
    return "  ".join(parts) + ("  (still being written: its cut last line left out)" if r.may_grow else "")


def _options(args):
    from course_lib.evaluation.records import ReadOptions

    return ReadOptions(correct_col=args.correct_col, threshold=args.threshold)


def _settings(args) -> dict:
    from course_lib.evaluation.bootstrap import check_level

    if args.k < 1:
        raise ValueError(f"--k must be >= 1, got {args.k}")
    if args.answer_regex:
        import re

        try:
            re.compile(args.answer_regex)
        except re.error as exc:
            raise ValueError(f"--answer-regex {args.answer_regex!r} is not a regular expression ({exc})") from None
    return dict(
        k=args.k, answer_regex=args.answer_regex, level=check_level(args.ci), resamples=args.resamples, seed=args.seed
    )


def _print(r, previous: dict, with_run: bool = False) -> None:
    """The step's line, then each warning that did not fire at the run's previous step (and each that stopped).

    ``previous`` maps a source label to the warnings of its last step (a warning's name is its text
    before the first colon); ``--json`` keeps every step's warnings.
    """
    print(format_line(r, with_run))
    key = f"{r.run} {r.kind}"
    before = previous.get(key, {})
    now = {w.split(":", 1)[0]: w for w in r.warnings}
    for name, text in now.items():
        if name not in before:
            print(f"  warning: {text}")
    for name in before:
        if name not in now:
            print(f"  cleared: {name} (it fired up to the previous step)")
    previous[key] = now


def _once(args, sources, settings) -> list:
    from course_lib.evaluation.monitor.report import run_reports
    from course_lib.evaluation.monitor.sources import read_source

    reports, previous = [], {}
    for src in sources:
        steps = read_source(src, _options(args), live=True)  # a run in progress: its newest file may be cut
        print(f"{src.label}: {src.path} ({src.form}, {len(steps)} steps)")
        for r in run_reports(steps, kind=src.kind, run=src.run, **settings):
            _print(r, previous)
            reports.append(r)
    return reports


def _follow(args, sources, settings, stop) -> list:
    from course_lib.evaluation.monitor.report import distinct_correct, step_report
    from course_lib.evaluation.monitor.sources import Follower, follow

    followers = [Follower(src, _options(args)) for src in sources]
    first: dict[int, tuple] = {}
    reports, previous = [], {}
    tty = sys.stderr.isatty()

    def on_steps(f, steps):
        key = id(f)
        for step in steps:
            if not step.groups:
                continue
            base, base_distinct = first.get(key, (None, None))
            r = step_report(
                step, run=f.source.run, kind=f.source.kind, baseline=base, distinct_baseline=base_distinct, **settings
            )
            if f.source.kind == "validation" and key not in first:
                first[key] = (step, float(distinct_correct(step, settings["answer_regex"]).mean()))
            if tty:
                print("\r\033[K", end="", file=sys.stderr)
            _print(r, previous, with_run=len({s.run for s in sources}) > 1)
            sys.stdout.flush()
            reports.append(r)

    def on_wait(elapsed):
        if tty:
            last = ", ".join(f"{f.source.label} step {f.last if f.last is not None else '-'}" for f in followers)
            print(f"\r\033[Kfollowing ({elapsed:.0f} s; last: {last}); Ctrl-C to stop", end="", file=sys.stderr)

    print(f"following {', '.join(f'{s.label} ({s.path})' for s in sources)} every {args.interval:g} s")
    try:
        follow(followers, on_steps, interval=args.interval, on_wait=on_wait, stop=stop)
    except KeyboardInterrupt:
        if tty:
            print("\r\033[K", end="", file=sys.stderr)
        print("stopped following")
    return reports


def _save_chart(out: Path, reports: list, level: float) -> None:
    from course_lib.evaluation.monitor.charts import monitor_chart

    out.parent.mkdir(parents=True, exist_ok=True)
    html = out.suffix.lower() == ".html"
    try:  # offline HTML (the Vega bundle inside the file) when vl-convert is there
        import vl_convert  # noqa: F401
    except ImportError:
        html = False
    monitor_chart(reports, level).save(str(out), **({"inline": True} if html else {}))


def _sources(args, stop) -> list | None:
    """The sample folders of every RUN_DIR; with --follow, waits for a run that has not written any yet."""
    import time

    from course_lib.evaluation.monitor.sources import find_sources
    from course_lib.evaluation.records import ReadError

    while True:
        try:
            return [s for path in args.runs for s in find_sources(path, args.kind)]
        except ReadError as exc:
            if not args.follow:
                raise
            if stop():
                print(f"passk: {exc}", file=sys.stderr)
                return None
            print(f"waiting for samples ({exc}); Ctrl-C to stop", file=sys.stderr)
            try:
                time.sleep(args.interval)
            except KeyboardInterrupt:
                return None


def _monitor(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.out:  # a bad suffix or a missing extra is said before anything is read
        from course_lib.evaluation.cli import chart_problem

        problem = chart_problem(Path(args.out))
        if problem:
            print(f"passk: {problem}", file=sys.stderr)
            return 2
    polls = [0]

    def stop() -> bool:  # --max-polls (tests); otherwise until Ctrl-C
        polls[0] += 1
        return args.max_polls is not None and polls[0] >= args.max_polls

    sources = _sources(args, stop)
    if sources is None:
        return 1
    print(f"passk monitor: {LEGEND}")

    reports = _follow(args, sources, settings, stop) if args.follow else _once(args, sources, settings)
    if args.json:
        rows = [dataclasses.asdict(r) for r in reports]
        text = json.dumps(rows, indent=1) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(text, encoding="utf-8")
            print(f"wrote {args.json}")
    if args.out:
        if not reports:
            print("passk: no step to chart yet", file=sys.stderr)
            return 1
        _save_chart(Path(args.out), reports, settings["level"])
        print(f"wrote {args.out}")
    return 0


def add_cli(subparsers) -> None:
    """Add ``monitor`` to the ``passk`` command."""
    from course_lib.evaluation.monitor.sources import KINDS

    p = subparsers.add_parser(
        "monitor",
        help="pass@k diagnostics of a training run from its own sample logs (verl dumps, TRL completions, the lab)",
        description="Watch pass@k as a diagnostic of exploration during RL training (Yu, arXiv 2511.16231): "
        "per step, pass@1 and pass@k with intervals, Δ(k) split by prompt, zero-signal shares, distinct answers.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="verl dump folder, run folder or TRL output_dir")
    p.add_argument("--kind", choices=KINDS, default="auto", help="validation or rollouts (default: from folder names)")
    p.add_argument(
        "--k",
        type=int,
        default=4,
        help="k of Δ(k) and of Chen et al.'s zero-advantage share: the k you train with "
        "(default 4; at most the fewest samples of a prompt)",
    )
    p.add_argument(
        "--answer-regex", default=None, help="count distinct answers extracted by this regex (its first group)"
    )
    p.add_argument(
        "--correct-col", default=None, help="verdict key or column (default: acc, else score; TRL: passk_verifier)"
    )
    p.add_argument("--threshold", type=float, default=None, help="count a score >= THRESHOLD as correct")
    p.add_argument("--follow", action="store_true", help="keep reading new steps of a run in progress (Ctrl-C stops)")
    p.add_argument("--interval", type=float, default=10.0, help="seconds between reads with --follow (default 10)")
    p.add_argument("--max-polls", type=int, default=None, help=argparse.SUPPRESS)  # tests: stop following after N
    p.add_argument("--json", default=None, help="write every step's numbers to this JSON file ('-': stdout)")
    p.add_argument("--out", default=None, help="chart file: .html, .png, .svg or .pdf (needs Altair)")
    b = p.add_argument_group("intervals")
    b.add_argument("--ci", type=float, default=0.95, help="confidence level (default 0.95)")
    b.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    b.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.set_defaults(func=_monitor)
