"""``passk lab run`` and ``passk lab compare``: a thin front over :mod:`course_lib.lab`.

Examples::

    passk lab run --objective grpo --k 4 --steps 150 --seed 0 --out runs/grpo
    passk lab run --objective chen --k 4 --steps 150 --seed 0 --out runs/chen
    passk lab compare runs/grpo runs/chen --out runs/compare.html

``--objective`` takes any key of the estimator registry (:data:`course_lib.advantages.ESTIMATORS`);
``passk lab run --help`` lists them with their one-line summaries.

``run`` writes ``config.json``, ``history.jsonl``, ``checkpoint.pt`` and ``chart.html`` (plus
``chart.png`` with ``--png``) into ``--out``; running it again on the same folder resumes the run.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
from pathlib import Path


def _field_docs(cls) -> dict:
    """The one-line docstring under each dataclass field (they become ``--help``)."""
    docs, tree = {}, ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    for node, nxt in itertools.pairwise(body):
        if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            docs[node.target.id] = str(nxt.value.value).strip()
    return docs


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One ``--flag`` per scalar field of :class:`course_lib.lab.LabConfig`."""
    from course_lib.advantages import ESTIMATORS
    from course_lib.lab.config import LabConfig, WarmStartConfig

    docs = _field_docs(LabConfig)
    for f in dataclasses.fields(LabConfig):
        if f.name in ("warm", "held_out"):
            continue
        default = f.default
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=docs.get(f.name))
        else:
            kw, doc = {}, docs.get(f.name, "")
            if f.name == "objective":  # the registry's keys, each with its summary
                kw["choices"] = sorted(ESTIMATORS)
                doc = "training objective, a key of the estimator registry: " + "; ".join(
                    f"{key} = {ESTIMATORS[key].summary}" for key in sorted(ESTIMATORS)
                )
            parser.add_argument(flag, type=type(default), default=default, help=f"{doc} (default {default})", **kw)
    parser.add_argument(
        "--held-out",
        type=lambda s: tuple(int(x) for x in s.split(",") if x),
        default=LabConfig.held_out,
        help="comma-separated held-out targets",
    )
    parser.add_argument(
        "--warm-steps",
        type=int,
        default=WarmStartConfig.steps,
        help=f"supervised warm-start steps (default {WarmStartConfig.steps}; cached)",
    )


def _fmt(x) -> str:
    """A metric for printing ("n/a" where it is undefined, e.g. no correct answer at all)."""
    return "n/a" if x is None else f"{x:.4f}"


def _run(args: argparse.Namespace) -> int:
    from course_lib.lab.charts import lab_chart
    from course_lib.lab.config import LabConfig, WarmStartConfig
    from course_lib.lab.loop import read_history, train

    names = {f.name for f in dataclasses.fields(LabConfig)} - {"warm"}
    cfg = LabConfig(
        **{name: getattr(args, name) for name in names},
        warm=dataclasses.replace(WarmStartConfig(), steps=args.warm_steps),
    )
    out = Path(args.out)
    state = train(cfg, out, progress=not args.quiet)
    last = [r for r in read_history(out) if "seen/pass@1" in r]
    chart = lab_chart({cfg.objective: state.history}, k=cfg.k)
    chart.save(str(out / "chart.html"), inline=True)
    if args.png:
        chart.save(str(out / "chart.png"))
    first, end = last[0], last[-1]
    print(
        f"{cfg.objective} seed {cfg.seed}: {state.step}/{cfg.steps} steps"
        f"{' (interrupted)' if state.interrupted else ''} in {end['time/s']:.1f} s"
    )
    for key in (
        "seen/pass@1",
        f"seen/pass@{cfg.k}",
        f"seen/delta@{cfg.k}",
        f"seen/coverage@{cfg.k_cover}",
        "seen/distinct_correct",
        "seen/modes",
        "seen/dominant_share",
        "held/pass@1",
        f"held/pass@{cfg.k}",
        f"held/coverage@{cfg.k_cover}",
    ):
        print(f"  {key:24s} {_fmt(first.get(key))} -> {_fmt(end.get(key))}")
    print(f"wrote {out}/history.jsonl, checkpoint.pt, chart.html")
    return 130 if state.interrupted else 0


def _compare(args: argparse.Namespace) -> int:
    from course_lib.lab.charts import lab_chart, summary_rows
    from course_lib.lab.loop import read_history

    histories, ks = {}, set()
    for run in args.runs:
        cfg = json.loads((Path(run) / "config.json").read_text())
        histories[(f"{Path(run).name} ({cfg['objective']})", cfg["seed"])] = read_history(run)
        ks.add(cfg["k"])
    k = args.k or (ks.pop() if len(ks) == 1 else 4)
    chart = lab_chart(histories, k=k)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    chart.save(str(out), **({"inline": True} if out.suffix == ".html" else {}))
    for row in summary_rows(histories, k):
        print(
            f"{row['objective']}: Δ({k}) {row[f'seen/delta@{k} start']:.3f} -> {row[f'seen/delta@{k} end']:.3f}, "
            f"pass@1 {row['seen/pass@1 start']:.3f} -> {row['seen/pass@1 end']:.3f}, "
            f"distinct {row['seen/distinct_correct end']:.2f}, dominant share {row['seen/dominant_share end']:.2f}"
        )
    print(f"wrote {out}")
    return 0


def add_cli(subparsers) -> None:
    """Add ``lab run`` and ``lab compare`` to the ``passk`` command."""
    lab = subparsers.add_parser("lab", help="policy-gradient lab on a tiny transformer (chapter 5)")
    sub = lab.add_subparsers(dest="lab_command", metavar="{run,compare}", required=True)
    run = sub.add_parser("run", help="train one RL run (resumes if --out holds a checkpoint)")
    _add_config_flags(run)
    run.add_argument("--out", required=True, help="folder for config, history, checkpoint and chart")
    run.add_argument("--png", action="store_true", help="also save chart.png")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)
    cmp_ = sub.add_parser("compare", help="one comparison chart of several runs")
    cmp_.add_argument("runs", nargs="+", help="run folders written by `passk lab run`")
    cmp_.add_argument("--k", type=int, default=None, help="k of the Δ(k) panel (default: the runs' k)")
    cmp_.add_argument("--out", default="runs/compare.html", help="chart file (.html, .png or .svg)")
    cmp_.set_defaults(func=_compare)
