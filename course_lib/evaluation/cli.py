"""``passk curve`` and ``passk plan``: a thin front over :mod:`course_lib.evaluation`.

Examples::

    passk curve base_results.jsonl rl_results.jsonl --json curve.json --out curve.png
    passk curve eval_results.json:base eval_results.json:plus     # base against plus, paired
    passk curve results.jsonl --metric pass^k --cover 0.1,0.5,0.9 --forecast 100,1000
    passk plan base_results.jsonl --k 4

Adding the parser imports nothing beyond the standard library; running a command needs NumPy, and
``--out`` needs Altair and vl-convert-python (the chart extra), checked before any work. The logic
of ``passk curve`` is :mod:`course_lib.evaluation.report`; this module adds only the chart.
"""

from __future__ import annotations

import argparse
from pathlib import Path

CHART_EXTRA = "charts"
"""The extra that ``--out`` needs (Altair and vl-convert-python)."""

DEFAULT_GROUP_SIZES = (4, 8, 16, 32)
"""``passk plan``'s group sizes when ``--group-size`` is not given."""

CURVE_EXAMPLE = """\
example:
  passk curve base_results.jsonl rl_results.jsonl --json curve.json --out curve.png
  passk curve eval_results.json:base eval_results.json:plus      (base and plus verdicts, paired)
  passk curve greedy.jsonl sampled.jsonl --k 1,10                (each file up to its own n)
  passk curve results.jsonl --metric pass^k --cover 0.5,0.9 --forecast 100,1000

  reads human-eval *_results.jsonl, EvalPlus eval_results.json (--evalplus base|plus, or
  FILE:base / FILE:plus per file), CRUXEval scored generations, lm-eval samples_*.jsonl (--filter
  NAME when it has several filters), one step of verl's generation dumps ({step}.jsonl), any
  JSONL/CSV with a problem-id and a correctness column, or a per-problem table with n and c
  columns; .gz works.
  pass@k: the unbiased estimator per problem, averaged (pass^k: all k correct, --metric pass^k);
  intervals: bootstrap over problems; with several files, paired differences on shared problems
  and every k where they change order (crossings), each resolved or within noise.
  --cover: plug-in Cover@τ (share of problems with c/n >= τ); --forecast: pass@K beyond n from a
  beta-binomial fit (model-based, labelled so).
"""

PLAN_EXAMPLE = """\
example:
  passk plan base_results.jsonl --group-size 4,8,16 --k 4 --batch 64

  predicts, from each problem's pass rate, the share of GRPO groups of size G that are all
  correct or all wrong (zero advantage), the same for Chen et al.'s pass@k advantage (--k),
  the informative prompts per batch, and the smallest G reaching --target (default G: 4,8,16,32).
  Needs at least 2 samples per problem (one sample says 0 or 1, not a pass rate).
"""


def _numbers(text: str, convert=int, what: str = "whole numbers") -> list:
    """Comma-separated numbers from one argument (``1,4,16``); the range is checked with the other inputs."""
    try:
        values = [convert(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    return values


def _ints(text: str) -> list[int]:
    return _numbers(text)


def _taus(text: str) -> list[float]:
    return _numbers(text, float, "numbers in (0, 1]")


def _add_reading_flags(parser: argparse.ArgumentParser) -> None:
    from course_lib.evaluation.records import FORMATS  # standard library only

    g = parser.add_argument_group("reading")
    g.add_argument("--format", choices=FORMATS, default="auto", help="file format (default: detect)")
    g.add_argument(
        "--evalplus",
        choices=("base", "plus"),
        default="base",
        help="EvalPlus verdict that counts: base tests, or base and extra (plus) tests both passing (default base); "
        "per file: FILE:base, FILE:plus",
    )
    g.add_argument("--id-col", default=None, help="problem-id column (default: task_id, problem_id, id or doc_id)")
    g.add_argument(
        "--correct-col",
        default=None,
        help="correctness column (default: passed, correct, pass, acc, exact_match or score)",
    )
    g.add_argument("--threshold", type=float, default=None, help="count a numeric score >= THRESHOLD as correct")
    g.add_argument("--filter", dest="lm_eval_filter", default=None, help="lm-eval filter whose lines count")
    b = parser.add_argument_group("intervals")
    b.add_argument("--ci", type=float, default=0.95, help="confidence level (default 0.95)")
    b.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    b.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")


def _read(args: argparse.Namespace, path: str):
    from course_lib.evaluation.readers import ReadOptions, read_counts

    opts = ReadOptions(args.format, args.evalplus, args.id_col, args.correct_col, args.threshold, args.lm_eval_filter)
    return read_counts(path, opts)


def chart_problem(out: Path) -> str | None:
    """The one-line reason ``--out`` cannot be written here (a bad suffix, a missing extra), or None.

    Checked before anything is read or computed, so that a core install learns at once which extra
    to install (the install line from :func:`course_lib.config.pip_install`: the package is installed
    from its repository, not from an index).
    """
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg", ".pdf", ".html", ".json"):
        return f"--out must end in .png, .svg, .pdf, .html or .json, got {out.name!r}"
    from course_lib.config import pip_install

    try:
        import altair  # noqa: F401
    except ImportError:
        return f"--out needs Altair, which is not installed: {pip_install(CHART_EXTRA)}"
    if suffix in (".png", ".svg", ".pdf"):
        try:
            import vl_convert  # noqa: F401
        except ImportError:
            return f"--out {suffix} needs vl-convert-python, which is not installed: {pip_install(CHART_EXTRA)}"
    return None


def _curve(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out is not None:  # before any work: a bad suffix or a missing extra is said at once
        problem = chart_problem(out)
        if problem:
            raise ValueError(problem)
    from course_lib.evaluation.report import run_curve

    run = run_curve(args)
    if out is not None:
        from course_lib.evaluation.charts import save_curve_chart

        save_curve_chart(out, run.curves, run.pairs, run.level, run.forecasts)
        print(f"wrote {args.out}")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from course_lib.evaluation.bootstrap import check_level
    from course_lib.evaluation.plan import plan_groups
    from course_lib.evaluation.report import interval, table

    level = check_level(args.ci)
    f = _read(args, args.file)
    if int(f.n.min()) < 2:
        one = int((f.n < 2).sum())
        raise ValueError(
            f"{f.path}: {one} of {f.n_problems} problems have a single sample; pass rates need at least 2 samples "
            f"per problem (with n = 1, c/n is 0 or 1 and every group would look signal-free)"
        )
    sizes = args.group_size or list(DEFAULT_GROUP_SIZES)
    plan = plan_groups(
        sizes,
        n=f.n,
        c=f.c,
        k=args.k,
        batch=args.batch,
        target=args.target,
        level=level,
        resamples=args.resamples,
        seed=args.seed,
    )
    pct = f"{100 * level:g} %"
    print(f"passk plan: {f.summary()}")
    print(
        f"  never solved (c = 0): {100 * plan.never_solved:.1f} %, always solved (c = n): "
        f"{100 * plan.always_solved:.1f} %; at most {100 * plan.ceiling:.1f} % of groups can carry signal at any G"
    )
    print(f"  shares of groups of G samples per prompt, with {pct} intervals; prompts per batch: {plan.batch}")
    print()
    header = ["G", "no signal (GRPO)", f"informative / {plan.batch}"]
    if plan.k is not None:
        header.append(f"zero advantage (pass@{plan.k}, Chen)")
    header.append("plug-in (n < G)")
    rows = []
    for r in plan.rows:
        row = [str(r.G), f"{r.zero_signal:.3f} {interval(*r.zero_signal_ci)}", f"{r.informative_per_batch:.1f}"]
        if plan.k is not None:
            row.append(
                f"{r.zero_advantage:.3f} {interval(*r.zero_advantage_ci)}" if r.zero_advantage is not None else "k > G"
            )
        row.append(str(r.plug_in))
        rows.append(row)
    print(table(header, rows))
    jump = next((i for i, r in enumerate(plan.rows) if r.plug_in), None)
    if jump is not None:
        r, n_lo = plan.rows[jump], int(f.n.min())
        where = f"between G = {plan.rows[jump - 1].G} and G = {r.G}" if jump else f"from G = {r.G}"
        print(
            f"  note: the estimator changes {where}: G > n for {r.plug_in} of {f.n_problems} problems (smallest "
            f"n = {n_lo}), so from G = {r.G} on their shares are plug-in (biased) instead of unbiased;"
        )
        print("  part of the change there is the switch of estimator, not the group size: sample more per problem")
    print()
    want = f">= {100 * plan.target:g} % of groups informative"
    if plan.recommended is None:
        why = (
            f"unreachable: only {100 * plan.ceiling:.1f} % of problems are neither never nor always solved"
            if plan.target > plan.ceiling
            else "not reached up to G = 1024"
        )
        print(f"recommendation (GRPO): no G gives {want}; {why}")
    else:
        print(f"recommendation (GRPO): G = {plan.recommended}, the smallest group size with {want}")
    if plan.k is not None:
        g = plan.recommended_passk
        print(f"recommendation (pass@{plan.k} advantage): " + (f"G = {g}" if g is not None else "none up to G = 1024"))
    print()
    print("exact or estimated:")
    print("  the formulas are exact for i.i.d. samples given each prompt's pass rate p: GRPO's group has no signal")
    print("  with probability p^G + (1-p)^G; Chen et al.'s pass@k advantage is zero when c = 0 or c > G - k.")
    print("  The shares above are estimates from this file: unbiased where n >= G (the share of each problem's")
    print("  size-G subsets of samples that form such a group), plug-in at p = c/n (biased) where n < G;")
    print(f"  the intervals are a bootstrap over problems ({args.resamples:,} resamples, seed {args.seed}).")
    print("  Informative prompts per batch = batch x (1 - share): exact given the share (linearity of expectation).")
    return 0


def add_cli(subparsers) -> None:
    """Add ``curve`` and ``plan`` to the ``passk`` command."""
    fmt = argparse.RawDescriptionHelpFormatter
    curve = subparsers.add_parser(
        "curve",
        help="pass@k curves of evaluation results, with intervals, paired differences and crossovers",
        description="Pass@k as a diagnostic: per file, pass@k (or pass^k) at each k with a bootstrap interval and "
        "coverage; with several files, paired differences and every crossing of each pair; optionally Cover@τ and a "
        "model-based forecast beyond n.",
        epilog=CURVE_EXAMPLE,
        formatter_class=fmt,
    )
    curve.add_argument(
        "files", nargs="+", metavar="FILE", help="results files (gzipped or not); FILE:plus / FILE:base for EvalPlus"
    )
    curve.add_argument(
        "--k",
        type=_ints,
        default=None,
        help="comma-separated k grid (default: powers of two and 1, 5, 10, 50, 100, ... up to each file's n)",
    )
    curve.add_argument(
        "--metric",
        choices=("pass@k", "pass^k"),
        default="pass@k",
        help="pass@k (at least one of k correct, default) or pass^k (all k correct: reliability)",
    )
    curve.add_argument(
        "--cover", type=_taus, default=None, metavar="τ[,τ...]", help="also the plug-in Cover@τ at these τ in (0, 1]"
    )
    curve.add_argument(
        "--forecast",
        type=_ints,
        default=None,
        metavar="K[,K...]",
        help="also forecast the metric at these K (beyond n too) from a beta-binomial fit: model-based",
    )
    curve.add_argument("--out", default=None, help="chart file: .png, .svg, .pdf or .html (needs Altair)")
    curve.add_argument("--json", default=None, help="write the numbers to this JSON file")
    _add_reading_flags(curve)
    curve.set_defaults(func=_curve)

    plan = subparsers.add_parser(
        "plan",
        help="GRPO group sizes from per-problem pass rates: zero-signal groups, informative prompts",
        description="Plan the group size of GRPO-style RL from an evaluation of the base model.",
        epilog=PLAN_EXAMPLE,
        formatter_class=fmt,
    )
    plan.add_argument("file", metavar="FILE", help="results file of the model to train")
    plan.add_argument(
        "--group-size", type=_ints, default=None, metavar="G[,G...]", help="group sizes to report (default 4,8,16,32)"
    )
    plan.add_argument("--k", type=int, default=None, help="also report Chen et al.'s pass@k advantage at this k")
    plan.add_argument("--batch", type=int, default=32, help="prompts per batch, one group each (default 32)")
    plan.add_argument("--target", type=float, default=0.75, help="wanted share of informative groups (default 0.75)")
    _add_reading_flags(plan)
    plan.set_defaults(func=_plan)
