"""``passk curve`` from reading to printing: per-file curves, paired comparisons, Cover@τ, the forecast, the JSON.

The command's logic top to bottom (:func:`run_curve`); :mod:`course_lib.evaluation.cli` holds the
parser. What it does with awkward inputs, on purpose:

- **per-file k grids**: a k above a file's smallest n has no unbiased estimate there; it is shown as
  "—" for that file and computed for the others, and paired comparisons skip it with a note (a
  greedy run, n = 1, pairs with a sampled one at k = 1 only). A k no file can estimate is an error.
- **files that share no problems**: per-file results and the JSON are still written; the comparison
  is skipped with a note (exit 0).
- **the same file twice, or base and plus of one EvalPlus file** (``FILE:plus``, ``FILE:base``): every
  argument is its own entry, keyed by the argument as given (a repeat gets its letter appended).
- **crossings**: every k where the paired difference changes sign, each called resolved only when
  intervals on both sides exclude 0 (:func:`course_lib.evaluation.curve.resolved`), else "within noise".
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bootstrap import check_level
from .curve import Comparison, Curve, align, check_ks, compare, default_ks, pass_at_k_curve
from .forecast import Forecast, forecast
from .metrics import JSON_NAMES
from .readers import Counts, ReadOptions, read_counts

__all__ = ["FileSpec", "CurveRun", "file_specs", "run_curve", "table", "interval", "letters", "ahead_text"]

DASH = "—"
"""A value that cannot be estimated for that file (k above its n)."""

FORECAST_LABEL = "beta-binomial fit (Kazdan et al., arXiv 2510.05197)"


@dataclass(frozen=True)
class FileSpec:
    """One FILE argument: the path, a per-file EvalPlus verdict, and its key in the JSON."""

    arg: str
    """The argument as given (``eval_results.json:plus``)."""
    path: str
    """The file."""
    evalplus: str | None
    """``base`` or ``plus`` from a ``:base`` / ``:plus`` suffix, else None (``--evalplus`` applies)."""
    key: str
    """Its key in ``--json``: the argument, with `` (B)`` appended when the same argument repeats."""


def letters(count: int) -> list[str]:
    """A, B, ..., Z, then F27, F28, ... (short labels for the table's columns)."""
    return [chr(ord("A") + i) if i < 26 else f"F{i + 1}" for i in range(count)]


def file_specs(args: list[str]) -> list[FileSpec]:
    """The FILE arguments as :class:`FileSpec`: a ``:plus`` / ``:base`` suffix is an option unless the file exists.

    >>> for s in file_specs(["r.json:plus", "r.json:base", "a.jsonl", "a.jsonl"]):
    ...     print(s.path, s.evalplus, s.key)
    r.json plus r.json:plus
    r.json base r.json:base
    a.jsonl None a.jsonl
    a.jsonl None a.jsonl (D)
    """
    out, seen = [], set()
    for arg, letter in zip(args, letters(len(args)), strict=True):
        path, evalplus = arg, None
        head, sep, tail = arg.rpartition(":")
        if sep and head and tail in ("plus", "base") and not Path(arg).exists():
            path, evalplus = head, tail
        key = arg if arg not in seen else f"{arg} ({letter})"
        seen.add(arg)
        out.append(FileSpec(arg, path, evalplus, key))
    return out


def interval(lo: float, hi: float, signed: bool = False) -> str:
    fmt = "{:+.3f}" if signed else "{:.3f}"
    return f"[{fmt.format(lo)}, {fmt.format(hi)}]"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: the first column right-aligned, the others left-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.rjust(w) if i == 0 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    return "\n".join("  " + line.rstrip() for line in lines)


def _k_range(ks: list[int]) -> str:
    return f"k = {ks[0]}" if len(ks) == 1 else f"k = {ks[0]}..{ks[-1]}"


def ahead_text(diff, ks, a: str, b: str) -> str:
    """Who is ahead where, from the signs of ``diff`` = b - a: ``B behind at k = 1, ahead at k = 2..6``.

    >>> ahead_text([-0.1, 0.2, 0.1, 0.0, -0.1], [1, 2, 4, 5, 8], "A", "B")
    'B behind at k = 1, ahead at k = 2..5, behind at k = 8'
    """
    from .curve import TIE

    runs: list[list] = []
    current = 0
    for k, d in zip(np.asarray(ks).tolist(), np.asarray(diff, dtype=float).tolist(), strict=True):
        s = 0 if abs(d) <= TIE else (1 if d > 0 else -1)
        current = s if s != 0 else current  # a tie keeps the previous order
        if runs and runs[-1][0] == current:
            runs[-1][1].append(k)
        else:
            runs.append([current, [k]])
    words = {1: "ahead", -1: "behind", 0: "tied with " + a}
    parts = [f"{words[s]} at {_k_range(run)}" for s, run in runs]
    return f"{b} " + ", ".join(parts)


def _read(args: argparse.Namespace, spec: FileSpec) -> Counts:
    opts = ReadOptions(
        args.format, spec.evalplus or args.evalplus, args.id_col, args.correct_col, args.threshold, args.lm_eval_filter
    )
    return read_counts(spec.path, opts)


def _grid(args: argparse.Namespace, files: list[Counts]) -> np.ndarray:
    """The k grid: --k, or the union of each file's default grid; every k must be estimable for some file."""
    if args.k:
        ks = np.unique(np.asarray(args.k))
        if ks.min() < 1:
            raise ValueError(f"every k must be >= 1, got {args.k}")
    else:
        ks = np.unique(np.concatenate([default_ks(int(f.n.min())) for f in files]))
    widest = max(files, key=lambda f: int(f.n.min()))
    check_ks(ks, widest.n, widest.ids, where=widest.path)  # a k no file can estimate: the error names the best file
    return ks


@dataclass
class _PerFile:
    spec: FileSpec
    counts: Counts
    ks: np.ndarray
    curve: Curve
    forecast: Forecast | None


def _compute_files(args, specs, files, ks, boot, taus) -> tuple[list[_PerFile], list[str]]:
    out, notes = [], []
    for spec, f in zip(specs, files, strict=True):
        own = ks[ks <= int(f.n.min())]
        cur = pass_at_k_curve(f.n, f.c, own if own.size else [1], **boot, metric=args.metric, taus=taus)
        fc = None
        if args.forecast:
            if int(f.n.max()) < 2:
                notes.append(f"no forecast for {spec.key}: it has one sample per problem (the spread is not seen)")
            else:
                fc = forecast(f.n, f.c, args.forecast, metric=args.metric, **boot)
        out.append(_PerFile(spec, f, own, cur, fc))
    return out, notes


def _compare_pairs(per_file: list[_PerFile], names: list[str], ks: np.ndarray, metric: str, boot) -> tuple[dict, list]:
    comparisons, notes = {}, []
    for i in range(len(per_file)):
        for j in range(i + 1, len(per_file)):
            a, b = per_file[i].counts, per_file[j].counts
            pair = f"{names[j]} − {names[i]}"
            ia, ib = align(a.ids, b.ids)
            if ia.size == 0:
                notes.append(f"{pair}: the files share no problem id: comparison skipped")
                continue
            both = ks[(ks <= int(a.n[ia].min())) & (ks <= int(b.n[ib].min()))]
            skipped = [int(k) for k in ks if k not in both]
            if skipped:
                notes.append(
                    f"{pair}: k = {', '.join(map(str, skipped))} skipped (above n of a file on the shared problems)"
                )
            if both.size == 0:
                continue
            comparisons[(i, j)] = (compare(a.n[ia], a.c[ia], b.n[ib], b.c[ib], both, **boot, metric=metric), skipped)
    return comparisons, notes


def _print_pair(c: Comparison, a: str, b: str, pct: str, extra: str) -> None:
    ks = c.ks.tolist()
    print(f"  {b} − {a}: {ahead_text(c.diff, ks, a, b)}{extra}")
    if not c.crossings:
        solid = [k for k, (lo, hi) in zip(ks, c.diff_ci, strict=True) if lo > 0 or hi < 0]
        where = f"the paired interval excludes 0 at k = {', '.join(map(str, solid))}" if solid else "within noise"
        print(f"    no crossing for k in {ks[0]}..{ks[-1]}; {where}")
        return
    parts = [
        f"k = {k} ({'resolved' if ok else 'within noise'})"
        for k, ok in zip(c.crossings, c.crossings_resolved, strict=True)
    ]
    print(f"    the sign of the difference changes at {', '.join(parts)}")
    if not all(c.crossings_resolved):
        print("    within noise: no k on each side of it has a paired interval excluding 0")
    if c.crossover_ci is None:
        ci_text = "no interval (most resamples do not cross)"
    else:
        lo, hi = c.crossover_ci
        ci_text = f"{pct} interval [{lo}, {hi if hi is not None else f'> {ks[-1]}'}]"
    print(
        f"    first crossing k* = {c.crossover}, {ci_text}; the curves cross in {100 * c.crossover_share:.0f} % "
        f"of resamples"
    )


def _json_values(ks, values, ci, own) -> tuple[dict, dict]:
    """{k: value or None}, {k: [lo, hi] or None} over the whole grid (None: not estimable for this file)."""
    where = {int(k): i for i, k in enumerate(np.asarray(own).tolist())}
    vals = {str(k): (float(values[where[k]]) if k in where else None) for k in ks}
    cis = {str(k): ([float(x) for x in ci[where[k]]] if k in where else None) for k in ks}
    return vals, cis


@dataclass(frozen=True)
class CurveRun:
    """What ``passk curve`` computed, labelled for the chart (:func:`course_lib.evaluation.charts.curve_chart`)."""

    curves: dict
    """``"A: FILE"`` -> :class:`course_lib.evaluation.curve.Curve`."""
    pairs: dict
    """``"B − A"`` -> :class:`course_lib.evaluation.curve.Comparison`."""
    forecasts: dict
    """``"A: forecast"`` -> :class:`course_lib.evaluation.forecast.Forecast`."""
    level: float
    """The confidence level."""


def run_curve(args: argparse.Namespace) -> CurveRun:
    """``passk curve`` without its chart: read, compute, print the tables, write the JSON (module docstring)."""
    level = check_level(args.ci)
    taus = np.asarray(args.cover, dtype=np.float64) if args.cover else None
    specs = file_specs(args.files)
    files = [_read(args, spec) for spec in specs]
    names = letters(len(files))
    ks = _grid(args, files)
    boot = {"level": level, "resamples": args.resamples, "seed": args.seed}
    per_file, notes = _compute_files(args, specs, files, ks, boot, taus)
    comparisons, pair_notes = _compare_pairs(per_file, names, ks, args.metric, boot)
    notes += pair_notes

    metric, pct = args.metric, f"{100 * level:g} %"
    estimator = "C(c, k)/C(n, k), all k correct" if metric == "pass^k" else "1 - C(n-c, k)/C(n, k)"
    print(
        f"passk curve: unbiased {metric} per problem ({estimator}), averaged; {pct} intervals by bootstrap over "
        f"problems ({args.resamples:,} resamples, seed {args.seed})"
    )
    for name, pf in zip(names, per_file, strict=True):
        print(f"  {name} = {pf.counts.summary()}")
    short = [
        f"{n} (n = {int(pf.counts.n.min())})" for n, pf in zip(names, per_file, strict=True) if pf.ks.size < ks.size
    ]
    mixed = [n for n, pf in zip(names, per_file, strict=True) if pf.counts.n.min() < pf.counts.n.max()]
    if mixed:
        print(f"  note: n differs between problems in {', '.join(mixed)}; each problem uses its own n, and no k above")
        print("  the file's smallest n is estimated: it would need more samples than some problems have")
    rows = []
    for k in ks.tolist():
        row = [str(k)]
        for pf in per_file:
            hit = np.flatnonzero(pf.ks == k)
            row.append(f"{pf.curve.value[hit[0]]:.3f} {interval(*pf.curve.ci[hit[0]])}" if hit.size else DASH)
        rows.append(row)
    rows.append(["coverage"] + [f"{pf.curve.coverage:.3f} {interval(*pf.curve.coverage_ci)}" for pf in per_file])
    print()
    print(table(["k"] + [f"{metric} of {x}" for x in names], rows))
    print("  coverage: share of problems with at least one correct sample (pass@n)")
    if short:
        print(f"  {DASH}: k above the file's smallest n, no unbiased estimate ({', '.join(short)});")
        print("  --forecast K gives a model-based value there")
    if taus is not None:
        print()
        print(table(["τ"] + [f"Cover@τ of {x}" for x in names], [
            [f"{t:g}"] + [f"{pf.curve.cover[i]:.3f} {interval(*pf.curve.cover_ci[i])}" for pf in per_file]
            for i, t in enumerate(taus.tolist())
        ]))  # fmt: skip
        print("  Cover@τ: plug-in share of problems with c/n >= τ (biased: no unbiased estimator exists from")
        print("  counts; Dragoi et al., arXiv 2510.08325); pass@k is a Beta(1, k) average of Cover@τ over τ,")
        print("  weighted toward τ near 0 as k grows: large-k pass@k counts problems solved only rarely")
    if args.forecast:
        _print_forecasts(per_file, names, metric, pct)

    if comparisons:
        print()
        print(f"paired differences on shared problems, {pct} paired-bootstrap intervals:")
        header = ["k"] + [f"{names[j]} − {names[i]} ({c.shared:,} shared)" for (i, j), (c, _) in comparisons.items()]
        body = []
        for k in ks.tolist():
            row = [str(k)]
            for c, _ in comparisons.values():
                hit = np.flatnonzero(c.ks == k)
                row.append(f"{c.diff[hit[0]]:+.3f} {interval(*c.diff_ci[hit[0]], signed=True)}" if hit.size else DASH)
            body.append(row)
        print(table(header, body))
        for (i, j), (c, _) in comparisons.items():
            extra = ""
            if c.shared < max(files[i].n_problems, files[j].n_problems):
                sizes = f"{files[i].n_problems:,} in {names[i]}, {files[j].n_problems:,} in {names[j]}"
                extra = f" ({c.shared:,} shared of {sizes})"
            _print_pair(c, names[i], names[j], pct, extra)
    for note in notes:
        print(f"  note: {note}")

    if args.json:
        report = _report(args, per_file, names, ks, comparisons, notes, level)
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return CurveRun(
        curves={f"{x}: {pf.spec.arg}": pf.curve for x, pf in zip(names, per_file, strict=True)},
        pairs={f"{names[j]} − {names[i]}": c for (i, j), (c, _) in comparisons.items()},
        forecasts={f"{x}: forecast": pf.forecast for x, pf in zip(names, per_file, strict=True) if pf.forecast},
        level=level,
    )


def _print_forecasts(per_file: list[_PerFile], names: list[str], metric: str, pct: str) -> None:
    fcs = [(x, pf) for x, pf in zip(names, per_file, strict=True) if pf.forecast is not None]
    if not fcs:
        return
    Ks = fcs[0][1].forecast.ks.tolist()
    print()
    print(table(["K"] + [f"{metric} of {x}, forecast" for x, _ in fcs], [
        [str(K)] + [f"{pf.forecast.value[i]:.3f} {interval(*pf.forecast.ci[i])}" for _, pf in fcs]
        for i, K in enumerate(Ks)
    ]))  # fmt: skip
    print(f"  forecast: MODEL-BASED, not an estimate: a {FORECAST_LABEL},")
    print(f"  which assumes pass rates follow a Beta(a, b) over problems; its {pct} intervals refit the model on")
    print("  each bootstrap resample, so they do not cover the model being wrong. Check it: fit on fewer")
    print("  samples and compare with the measured values. Below: each fit against the measured value at the")
    print("  file's largest k (in-sample).")
    for x, pf in fcs:
        fit, n_min = pf.forecast.fit, int(pf.counts.n.min())
        at = np.flatnonzero(pf.ks == pf.ks.max()) if pf.ks.size else []
        check = ""
        if len(at):
            from .forecast import beta_metric

            k = int(pf.ks[at[0]])
            check = (
                f"; at k = {k} the fit gives {float(beta_metric(metric, fit.a, fit.b, k)):.3f}, "
                f"measured {pf.curve.value[at[0]]:.3f}"
            )
        flag = "" if fit.converged else " (fit did not converge)"
        span = f"n = {n_min}" if n_min == int(pf.counts.n.max()) else f"n = {n_min}..{int(pf.counts.n.max())}"
        print(f"  {x}: Beta(a = {fit.a:.3g}, b = {fit.b:.3g}){flag}, fitted on {span}{check}")


def _report(args, per_file, names, ks, comparisons, notes, level) -> dict:
    value_key = JSON_NAMES[args.metric]
    report = {
        "metric": args.metric,
        "ks": ks.tolist(),
        "ci_level": level,
        "resamples": args.resamples,
        "seed": args.seed,
        "files": {},
        "crossover": {},
        "crossover_ci": {},
        "crossover_share": {},
        "crossings": {},
        "crossings_resolved": {},
        "differences": {},
        "notes": notes,
    }
    for name, pf in zip(names, per_file, strict=True):
        f, cur = pf.counts, pf.curve
        vals, cis = _json_values(ks.tolist(), cur.value, cur.ci, pf.ks)
        entry = {
            "label": name,
            "path": pf.spec.path,
            "n_problems": f.n_problems,
            "n_samples": f.n_samples,
            value_key: vals,
            "ci": cis,
            "not_estimable": [int(k) for k in ks if k not in pf.ks],
            "coverage": float(cur.coverage),
            "coverage_ci": [float(x) for x in cur.coverage_ci],
            "format": f.format,
            "records": f.records,
            "columns": f.columns,
            "notes": list(f.notes),
        }
        if args.cover:
            entry["cover"] = {f"{t:g}": float(v) for t, v in zip(cur.taus, cur.cover, strict=True)}
            entry["cover_ci"] = {f"{t:g}": [float(x) for x in ci] for t, ci in zip(cur.taus, cur.cover_ci, strict=True)}
            entry["cover_estimator"] = "plug-in: share of problems with c/n >= tau (biased; no unbiased estimator)"
        if pf.forecast is not None:
            fc = pf.forecast
            entry["forecast"] = {
                "model_based": True,
                "model": FORECAST_LABEL,
                "metric": fc.metric,
                "a": fc.fit.a,
                "b": fc.fit.b,
                "converged": fc.fit.converged,
                "values": {str(K): float(v) for K, v in zip(fc.ks, fc.value, strict=True)},
                "ci": {str(K): [float(x) for x in ci] for K, ci in zip(fc.ks, fc.ci, strict=True)},
                "unconverged_resamples": fc.unconverged,
            }
        report["files"][pf.spec.key] = entry
    for (i, j), (c, skipped) in comparisons.items():
        key = f"{per_file[i].spec.key}|{per_file[j].spec.key}"
        report["crossover"][key] = c.crossover
        report["crossover_ci"][key] = None if c.crossover_ci is None else list(c.crossover_ci)
        report["crossover_share"][key] = c.crossover_share
        report["crossings"][key] = list(c.crossings)
        report["crossings_resolved"][key] = list(c.crossings_resolved)
        report["differences"][key] = {
            "shared_problems": c.shared,
            "diff": {str(k): float(v) for k, v in zip(c.ks, c.diff, strict=True)},
            "ci": {str(k): [float(lo), float(hi)] for k, (lo, hi) in zip(c.ks, c.diff_ci, strict=True)},
            "skipped_ks": skipped,
        }
    return report
