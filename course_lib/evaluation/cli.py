"""``passk curve`` and ``passk plan``: a thin front over :mod:`course_lib.evaluation`.

Examples::

    passk curve base_results.jsonl rl_results.jsonl --k 1,4,16,64 --json curve.json --out curve.png
    passk curve eval_results.json --evalplus plus
    passk plan base_results.jsonl --group-size 4,8,16 --k 4

Adding the parser imports nothing beyond the standard library; running a command needs NumPy, and
``--out`` needs Altair and vl-convert-python (the chart extra).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

CHART_EXTRA = "passk-course[charts]"
"""What to install for ``--out`` (Altair and vl-convert-python)."""

CURVE_EXAMPLE = """\
example:
  passk curve base_results.jsonl rl_results.jsonl --json curve.json --out curve.png

  reads human-eval *_results.jsonl, EvalPlus eval_results.json (--evalplus base|plus),
  lm-eval samples_*.jsonl (--filter NAME when it has several filters), any JSONL/CSV with a
  problem-id and a correctness column, or a per-problem table with n and c columns; .gz works.
  pass@k: the unbiased estimator per problem, averaged; intervals: bootstrap over problems;
  with several files, paired differences on shared problems and the crossover k* of each pair.
"""

PLAN_EXAMPLE = """\
example:
  passk plan base_results.jsonl --group-size 4,8,16 --k 4 --batch 64

  predicts, from each problem's pass rate, the share of GRPO groups of size G that are all
  correct or all wrong (zero advantage), the same for Chen et al.'s pass@k advantage (--k),
  the informative prompts per batch, and the smallest G reaching --target.
"""


def _ints(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    return values


def _add_reading_flags(parser: argparse.ArgumentParser) -> None:
    from course_lib.evaluation.readers import FORMATS  # standard library only

    g = parser.add_argument_group("reading")
    g.add_argument("--format", choices=FORMATS, default="auto", help="file format (default: detect)")
    g.add_argument(
        "--evalplus",
        choices=("base", "plus"),
        default="base",
        help="EvalPlus verdict that counts: base tests, or base and extra (plus) tests both passing (default base)",
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


def _letters(count: int) -> list[str]:
    """A, B, ..., Z, then F27, F28, ... (short labels for the table's columns)."""
    return [chr(ord("A") + i) if i < 26 else f"F{i + 1}" for i in range(count)]


def _interval(lo: float, hi: float, signed: bool = False) -> str:
    fmt = "{:+.3f}" if signed else "{:.3f}"
    return f"[{fmt.format(lo)}, {fmt.format(hi)}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.rjust(w) if i == 0 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    return "\n".join("  " + line.rstrip() for line in lines)


def _chart_missing(out: Path) -> str | None:
    """The one-line reason ``--out`` cannot be written here, or None."""
    try:
        import altair  # noqa: F401
    except ImportError:
        return f"--out needs Altair, which is not installed: pip install '{CHART_EXTRA}'"
    if out.suffix.lower() in (".png", ".svg", ".pdf"):
        try:
            import vl_convert  # noqa: F401
        except ImportError:
            return f"--out {out.suffix} needs vl-convert-python, which is not installed: pip install '{CHART_EXTRA}'"
    return None


def _save_chart(out: Path, curves: dict, comparisons: dict, level: float) -> str | None:
    if out.suffix.lower() not in (".png", ".svg", ".pdf", ".html", ".json"):
        return f"--out must end in .png, .svg, .pdf, .html or .json, got {out.name!r}"
    missing = _chart_missing(out)
    if missing:
        return missing
    from course_lib.evaluation.charts import curve_chart

    chart = curve_chart(curves, comparisons, level)
    out.parent.mkdir(parents=True, exist_ok=True)
    inline = {}
    if out.suffix.lower() == ".html":
        try:
            import vl_convert  # noqa: F401

            inline = {"inline": True}  # offline HTML: the Vega bundle inside the file
        except ImportError:
            pass
    chart.save(str(out), **inline)
    return None


def _curve(args: argparse.Namespace) -> int:
    import numpy as np

    from course_lib.evaluation.bootstrap import check_level
    from course_lib.evaluation.curve import align, check_ks, compare, default_ks, pass_at_k_curve

    level = check_level(args.ci)
    files = [_read(args, path) for path in args.files]
    letters = _letters(len(files))
    n_min = min(int(f.n.min()) for f in files)
    ks = np.asarray(args.k if args.k else default_ks(n_min))
    for f in files:
        ks = check_ks(ks, f.n, f.ids, where=f.path)
    boot = {"level": level, "resamples": args.resamples, "seed": args.seed}
    curves = [pass_at_k_curve(f.n, f.c, ks, **boot) for f in files]

    pct = f"{100 * level:g} %"
    print(
        f"passk curve: unbiased pass@k per problem, averaged; {pct} intervals by bootstrap over problems "
        f"({args.resamples:,} resamples, seed {args.seed})"
    )
    for letter, f in zip(letters, files, strict=True):
        print(f"  {letter} = {f.summary()}")
    n_max = max(int(f.n.max()) for f in files)
    if n_max > n_min:
        print(
            f"  note: n differs between problems ({n_min}..{n_max}); each problem uses its own n, and no k above "
            f"the smallest n ({n_min}) is estimated: it would need more samples than some problems have"
        )
    rows = [[str(k)] + [f"{cur.pass_at_k[i]:.3f} {_interval(*cur.ci[i])}" for cur in curves] for i, k in enumerate(ks)]
    rows.append(["coverage"] + [f"{cur.coverage:.3f} {_interval(*cur.coverage_ci)}" for cur in curves])
    print()
    print(_table(["k"] + [f"pass@k of {x}" for x in letters], rows))
    print("  coverage: share of problems with at least one correct sample (pass@n)")

    report = {
        "files": {},
        "crossover": {},
        "crossover_ci": {},
        "ks": ks.tolist(),
        "ci_level": level,
        "resamples": args.resamples,
        "seed": args.seed,
        "differences": {},
        "crossover_share": {},
    }
    for f, cur in zip(files, curves, strict=True):
        report["files"][f.path] = {
            "n_problems": f.n_problems,
            "n_samples": f.n_samples,
            "pass_at_k": {str(k): float(v) for k, v in zip(ks, cur.pass_at_k, strict=True)},
            "ci": {str(k): [float(lo), float(hi)] for k, (lo, hi) in zip(ks, cur.ci, strict=True)},
            "coverage": float(cur.coverage),
            "coverage_ci": [float(x) for x in cur.coverage_ci],
            "format": f.format,
            "records": f.records,
            "columns": f.columns,
            "notes": list(f.notes),
        }

    comparisons, chart_pairs = {}, {}
    for i in range(len(files)):
        for j in range(i + 1, len(files)):
            a, b = files[i], files[j]
            ia, ib = align(a.ids, b.ids)
            name = f"{letters[j]} − {letters[i]}"
            if ia.size == 0:
                raise ValueError(f"{a.path} and {b.path} share no problem id: nothing to compare")
            cmp_ = compare(a.n[ia], a.c[ia], b.n[ib], b.c[ib], ks, **boot)
            comparisons[(i, j)] = cmp_
            chart_pairs[name] = cmp_
            key = f"{a.path}|{b.path}"
            report["crossover"][key] = cmp_.crossover
            report["crossover_ci"][key] = None if cmp_.crossover_ci is None else list(cmp_.crossover_ci)
            report["crossover_share"][key] = cmp_.crossover_share
            report["differences"][key] = {
                "shared_problems": cmp_.shared,
                "diff": {str(k): float(v) for k, v in zip(ks, cmp_.diff, strict=True)},
                "ci": {str(k): [float(lo), float(hi)] for k, (lo, hi) in zip(ks, cmp_.diff_ci, strict=True)},
            }
    if comparisons:
        print()
        print(f"paired differences on shared problems, {pct} paired-bootstrap intervals:")
        header = ["k"] + [f"{letters[j]} − {letters[i]} ({c.shared:,} shared)" for (i, j), c in comparisons.items()]
        rows = [
            [str(k)] + [f"{c.diff[r]:+.3f} {_interval(*c.diff_ci[r], signed=True)}" for c in comparisons.values()]
            for r, k in enumerate(ks)
        ]
        print(_table(header, rows))
        for (i, j), c in comparisons.items():
            a, b = letters[i], letters[j]
            extra = ""
            if c.shared < max(files[i].n_problems, files[j].n_problems):
                extra = f" (of {files[i].n_problems:,} in {a} and {files[j].n_problems:,} in {b})"
            if c.crossover is None:
                where = f"no crossover of {a} and {b} for k in {ks[0]}..{ks[-1]}"
            else:
                ahead = a if c.diff[0] < 0 else b
                where = f"crossover of {a} and {b}: k* = {c.crossover} ({ahead} ahead at k = {ks[0]}, behind from k*)"
            if c.crossover_ci is None:
                ci_text = "interval: none in range for most resamples"
            else:
                lo, hi = c.crossover_ci
                ci_text = f"{pct} interval [{lo}, {hi if hi is not None else f'> {ks[-1]}'}]"
            print(f"  {where}; {ci_text}; crosses in {100 * c.crossover_share:.0f} % of resamples{extra}")

    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.out:
        labels = {f"{letter}: {f.path}": cur for letter, f, cur in zip(letters, files, curves, strict=True)}
        problem = _save_chart(Path(args.out), labels, chart_pairs, level)
        if problem:
            print(f"passk: {problem}", file=sys.stderr)
            return 1
        print(f"wrote {args.out}")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from course_lib.evaluation.bootstrap import check_level
    from course_lib.evaluation.plan import plan_groups

    level = check_level(args.ci)
    f = _read(args, args.file)
    plan = plan_groups(
        args.group_size,
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
        row = [str(r.G), f"{r.zero_signal:.3f} {_interval(*r.zero_signal_ci)}", f"{r.informative_per_batch:.1f}"]
        if plan.k is not None:
            row.append(
                f"{r.zero_advantage:.3f} {_interval(*r.zero_advantage_ci)}" if r.zero_advantage is not None else "k > G"
            )
        row.append(str(r.plug_in))
        rows.append(row)
    print(_table(header, rows))
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
        description="Pass@k as a diagnostic: per file, pass@k at each k with a bootstrap interval and coverage; "
        "with several files, paired differences and the crossover k* of every pair.",
        epilog=CURVE_EXAMPLE,
        formatter_class=fmt,
    )
    curve.add_argument("files", nargs="+", metavar="FILE", help="results files (gzipped or not)")
    curve.add_argument(
        "--k", type=_ints, default=None, help="comma-separated k grid (default: 1, 2, 4, ... up to the smallest n)"
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
    plan.add_argument("--group-size", type=_ints, required=True, metavar="G[,G...]", help="group sizes to report")
    plan.add_argument("--k", type=int, default=None, help="also report Chen et al.'s pass@k advantage at this k")
    plan.add_argument("--batch", type=int, default=32, help="prompts per batch, one group each (default 32)")
    plan.add_argument("--target", type=float, default=0.75, help="wanted share of informative groups (default 0.75)")
    _add_reading_flags(plan)
    plan.set_defaults(func=_plan)
