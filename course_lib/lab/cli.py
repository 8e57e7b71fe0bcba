"""``passk lab run``, ``compare``, ``compare-methods``, ``tune``, ``prorl``, ``barakat``: thin fronts over the lab.

Examples::

    passk lab run --objective grpo --k 4 --steps 150 --seed 0 --out runs/grpo
    passk lab run --objective grpo --k 4 --steps 300 --seed 0 --out runs/grpo   # continue it to 300 steps
    passk lab run --objective chen --k 4 --steps 150 --seed 0 --out runs/chen --png
    passk lab compare runs/grpo runs/chen --out runs/compare.html
    passk lab run --objective w_reinforce --param lam=0.1 --out runs/w_reinforce
    passk lab run --objective grpo --kl-coef 0.1 --ref-reset-every 20 --out runs/kl
    passk lab tune --jobs 2 --out results/ch06_tuning.json
    passk lab compare-methods --rates-from results/ch06_tuning.json --jobs 2 --out results/ch06_comparison.json
    passk lab prorl --rates-from results/ch06_tuning.json --jobs 2
    passk lab barakat --rates-from results/ch06_tuning.json --jobs 2

``--objective`` takes any key of the estimator registry (:data:`course_lib.advantages.ESTIMATORS`);
``passk lab run --help`` lists them with their one-line summaries.

``run`` writes ``config.json``, ``history.jsonl``, ``checkpoint.pt`` and ``chart.html`` (plus
``chart.png`` with ``--png``) into ``--out``. Running it again on the same folder resumes an
interrupted run, says so when the run is already complete, and continues a complete run when only
``--steps`` was raised (bit for bit the run a larger ``--steps`` would have given, except for the
objectives that anneal k over the steps); any other change of settings is refused, naming it.
The first run of a machine trains the base model (the warm start, seconds) and caches it.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
import re
import sys
import time
from pathlib import Path


def _plain(text: str) -> str:
    """Docstring text as a terminal shows it: Sphinx roles (``:mod:`x```) and double back-quotes removed."""
    return re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text).replace("``", "")


def _field_docs(cls) -> dict:
    """The one-line docstring under each dataclass field (they become ``--help``), as plain text."""
    docs, tree = {}, ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    for node, nxt in itertools.pairwise(body):
        if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            docs[node.target.id] = _plain(str(nxt.value.value).strip())
    return docs


def _examples(command: str) -> str:
    """The examples of ``passk lab <command>`` in this module's docstring (their one home), for ``--help``."""
    lines = [line.strip() for line in (__doc__ or "").splitlines() if line.strip().startswith(f"passk lab {command} ")]
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One ``--flag`` per scalar field of :class:`course_lib.lab.LabConfig`."""
    from course_lib.advantages import ESTIMATORS
    from course_lib.lab.config import LabConfig, WarmStartConfig

    docs = _field_docs(LabConfig)
    for f in dataclasses.fields(LabConfig):
        if f.name in ("warm", "held_out", "params"):
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
        "--param",
        dest="params",
        action="append",
        type=_param,
        default=[],
        metavar="NAME=VALUE",
        help="a hyper-parameter of the objective, repeatable (e.g. --param lam=0.1); "
        "checked against the registry's list for the objective",
    )
    parser.add_argument(
        "--warm-steps",
        type=int,
        default=WarmStartConfig.steps,
        help=f"supervised warm-start steps (default {WarmStartConfig.steps}; cached)",
    )


def _param(text: str) -> tuple:
    """``NAME=VALUE`` -> (name, value): the value read as a Python literal (number, bool, None), else a string."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return name.strip(), value.strip()


def _fmt(x) -> str:
    """A metric for printing ("n/a" where it is undefined, e.g. no correct answer at all)."""
    return "n/a" if x is None else f"{x:.4f}"


def _run(args: argparse.Namespace) -> int:
    from course_lib.lab.base_model import warm_start, warm_start_path
    from course_lib.lab.charts import lab_chart
    from course_lib.lab.config import LabConfig, WarmStartConfig
    from course_lib.lab.loop import continuation_problem, read_history, saved_run, train

    names = {f.name for f in dataclasses.fields(LabConfig)} - {"warm"}
    try:
        cfg = LabConfig(
            **{name: getattr(args, name) for name in names},
            warm=dataclasses.replace(WarmStartConfig(), steps=args.warm_steps),
        )
    except ValueError as err:  # one clear line, no traceback
        print(f"passk lab run: error: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    saved = saved_run(out)
    done = saved[1] if saved else 0
    if saved:
        problem = continuation_problem(saved[0], cfg, done)
        if problem:
            print(f"passk lab run: error: {out} holds a run with a different config: {problem}", file=sys.stderr)
            print("  pick another --out folder, or repeat the run's own settings (its config.json)", file=sys.stderr)
            return 2
        if done == cfg.steps and saved[0].steps == cfg.steps:
            print(f"{out} already holds this run, complete ({done}/{cfg.steps} steps): nothing to train.")
            print(f"  raise --steps to continue it (e.g. --steps {2 * cfg.steps}), or pick another --out folder")
        elif saved[0].steps != cfg.steps:
            print(f"continuing {out} from step {done} to {cfg.steps} (it was a {saved[0].steps}-step run)")
        else:
            print(f"resuming {out} at step {done} of {cfg.steps}")
    warm_path = warm_start_path(cfg.model_config, cfg.task, cfg.warm, cfg.threads)
    if not warm_path.exists():  # the first run: the base model is trained once, then read from the cache
        print(f"warm start: training the base model ({cfg.warm.steps} supervised steps) ...", end="", flush=True)
        t0 = time.perf_counter()
        warm_start(cfg.model_config, cfg.task, cfg.warm, threads=cfg.threads)
        print(f" done in {time.perf_counter() - t0:.1f} s (cached in {warm_path.parent} for the next runs)")
    state = train(cfg, out, progress=not args.quiet, dump_dir=args.dump_dir)
    last = [r for r in read_history(out) if "seen/pass@1" in r]
    chart = lab_chart({cfg.objective: state.history}, k=cfg.k)
    chart.save(str(out / "chart.html"), inline=True)
    if args.png:
        chart.save(str(out / "chart.png"))
    first, end = last[0], last[-1]
    trained = state.step - done
    when = "trained before" if trained == 0 else f"{trained} trained now"
    print(
        f"{cfg.objective} seed {cfg.seed}: {state.step}/{cfg.steps} steps ({when})"
        f"{' (interrupted)' if state.interrupted else ''}, {end['time/s']:.1f} s of training in all"
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
    files = ["config.json", "history.jsonl", "checkpoint.pt", "chart.html"] + (["chart.png"] if args.png else [])
    print(f"wrote {', '.join(f'{out}/{name}' for name in files)}")
    if args.dump_dir:
        print(f"wrote {args.dump_dir}/rollouts/ and validation/ (verl's dump format): passk monitor {args.dump_dir}")
    if state.interrupted:
        print(f"interrupted: run the same command again to resume at step {state.step}")
    return 130 if state.interrupted else 0


def _compare(args: argparse.Namespace) -> int:
    from course_lib.lab.charts import lab_chart, summary_rows
    from course_lib.lab.loop import read_history
    from course_lib.viz.tables import markdown_table

    histories, ks = {}, set()
    for run in args.runs:
        cfg = json.loads((Path(run) / "config.json").read_text())
        # Runs of one method (objective and hyper-parameters) that differ only by seed share a row.
        label = cfg["objective"] + "".join(f" {name}={value}" for name, value in sorted(cfg.get("params", [])))
        if (label, cfg["seed"]) in histories:  # same method and seed, another configuration: name it by folder
            label = f"{Path(run).name} ({label})"
        histories[(label, cfg["seed"])] = read_history(run)
        ks.add(cfg["k"])
    k = args.k or (ks.pop() if len(ks) == 1 else 4)
    chart = lab_chart(histories, k=k)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    chart.save(str(out), **({"inline": True} if out.suffix == ".html" else {}))
    rows = summary_rows(histories, k)
    header = ["run", "seeds", "pass@1", f"pass@{k}", f"Δ({k})", "distinct correct", "dominant share", "held pass@1"]

    def change(row, key):  # "start -> end" of a seen/held metric, mean over seeds
        return f"{_fmt(row[f'{key} start'])} -> {_fmt(row[f'{key} end'])}"

    table = markdown_table(
        header,
        [
            [
                row["objective"],
                row["seeds"],
                change(row, "seen/pass@1"),
                change(row, f"seen/pass@{k}"),
                change(row, f"seen/delta@{k}"),
                _fmt(row["seen/distinct_correct end"]),
                _fmt(row["seen/dominant_share end"]),
                change(row, "held/pass@1"),
            ]
            for row in rows
        ],
    )
    print(table)
    print("(start -> end of each run, mean over seeds; for a comparison at matched pass@1: passk lab compare-methods)")
    print(f"wrote {out}")
    return 0


def _command(name: str) -> str:
    """The command line that made a results file (for its provenance)."""
    return "passk lab " + " ".join(sys.argv[sys.argv.index(name) :]) if name in sys.argv else ""


def _write(results: dict, out: str, table: list[dict]) -> Path:
    """Write the results (one line per row) and a Markdown table next to them; print the table."""
    from course_lib.lab.compare import dump
    from course_lib.viz.tables import markdown_table

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(results))
    header = list(dict.fromkeys(h for row in table for h in row))
    text = markdown_table(header, [[row.get(h, "") for h in header] for row in table])
    path.with_suffix(".md").write_text(text + "\n")
    print(text)
    print(f"wrote {path} and {path.with_suffix('.md')} ({results['provenance']['wall_s']} s)")
    return path


def _base(args: argparse.Namespace, name: str):
    """The base LabConfig of a comparison command, or None after a one-line error."""
    from course_lib.lab.config import LabConfig

    try:
        return LabConfig(steps=args.steps, device=args.device, threads=args.threads)
    except ValueError as err:
        print(f"passk lab {name}: error: {err}", file=sys.stderr)
        return None


def _rates(path: str | None, name: str):
    """``(rates, rates_from)`` from a tuning file (``passk lab tune``), or ``(None, None)``."""
    if not path:
        return None, None
    try:
        tuned = json.loads(Path(path).read_text())
        rates = {m: b["lr"] for m, b in tuned["best"].items()}
    except (OSError, ValueError, KeyError) as err:
        print(f"passk lab {name}: error: cannot read rates from {path}: {err}", file=sys.stderr)
        return False, None
    prov = tuned["provenance"]
    return rates, {"file": path, "code_hash": prov["code_hash"], "criterion": prov["criterion"], "seeds": prov["seeds"]}


def _unknown(methods, name: str) -> bool:
    from course_lib.lab.methods import METHODS

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        print(f"passk lab {name}: error: unknown method {unknown[0]!r}; known: {', '.join(METHODS)}", file=sys.stderr)
    return bool(unknown)


def _compare_methods(args: argparse.Namespace) -> int:
    from course_lib.lab.compare import compare_methods
    from course_lib.lab.report import summary

    base = _base(args, "compare-methods")
    if base is None or _unknown(args.methods, "compare-methods"):
        return 2
    rates, rates_from = _rates(args.rates_from, "compare-methods")
    if rates is False:
        return 2
    results = compare_methods(
        args.methods,
        args.seeds,
        base,
        args.target,
        rates=rates,
        rates_from=rates_from,
        temperatures=args.temperatures,
        jobs=args.jobs,
        command=_command("compare-methods"),
        progress=not args.quiet,
    )
    _write(results, args.out, summary(results, "matched"))
    return 0


def _tune(args: argparse.Namespace) -> int:
    from course_lib.lab.report import tuning_table as table
    from course_lib.lab.tuning import tune

    base = _base(args, "tune")
    if base is None or _unknown(args.methods, "tune"):
        return 2
    results = tune(
        args.methods,
        args.rates,
        args.seeds,
        base,
        args.target,
        jobs=args.jobs,
        command=_command("tune"),
        progress=not args.quiet,
    )
    _write(results, args.out, table(results))
    return 0


def _experiment(args: argparse.Namespace) -> int:
    from course_lib.lab import experiments, report

    name = args.lab_command
    base = _base(args, name)
    if base is None:
        return 2
    rates, _ = _rates(args.rates_from, name)
    if rates is False:
        return 2
    kw = dict(jobs=args.jobs, command=_command(name), progress=not args.quiet)
    if name == "prorl":
        results = experiments.prorl(args.seeds, base, (rates or {}).get("grpo"), args.target, **kw)
        table = report.prorl_table(results)
    else:
        results = experiments.barakat(args.seeds, base, rates, args.target, **kw)
        table = report.barakat_table(results)
    _write(results, args.out, table)
    return 0


def _comparison_flags(parser: argparse.ArgumentParser, seeds, out: str, jobs_help: bool = True) -> None:
    """Flags shared by the comparison commands."""
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=list(seeds), help=f"seeds (default {seeds[0]}..{seeds[-1]})"
    )
    parser.add_argument("--target", type=float, default=0.85, help="matched seen pass@1 (default 0.85)")
    parser.add_argument("--steps", type=int, default=150, help="RL steps per run, the budget (default 150)")
    parser.add_argument("--device", default="cpu", help="cpu | cuda | mps | auto (the committed files: cpu)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per run, pinned (default 1)")
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes, one run each (same numbers at any --jobs; default 1)"
    )
    parser.add_argument("--out", default=out, help=f"results file, a .md table goes next to it (default {out})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_cli(subparsers) -> None:
    """Add ``lab run``, ``lab compare`` and ``lab compare-methods`` to the ``passk`` command."""
    lab = subparsers.add_parser("lab", help="policy-gradient lab on a tiny transformer (chapters 5 and 6)")
    sub = lab.add_subparsers(
        dest="lab_command", metavar="{run,compare,compare-methods,tune,prorl,barakat}", required=True
    )
    run = sub.add_parser(
        "run",
        help="train one RL run (resumes if --out holds a checkpoint)",
        description="Train one RL run of the lab (chapter 5) and write config.json, history.jsonl, checkpoint.pt "
        "and chart.html (and chart.png with --png) into --out. The same command again resumes an interrupted run "
        "and says so when it is complete; raising --steps continues a complete run (the same numbers as a run "
        "started with that many steps, except for objectives that anneal k). The first run of a machine trains "
        "and caches the base model (the warm start, seconds).",
        epilog=_examples("run"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_config_flags(run)
    run.add_argument("--out", required=True, help="folder for config, history, checkpoint and chart")
    run.add_argument("--png", action="store_true", help="also save chart.png")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--dump-dir", default=None, help="also write every step's samples as verl does, for `passk monitor DUMP_DIR`"
    )
    run.set_defaults(func=_run)
    cmp_ = sub.add_parser("compare", help="one comparison chart of several runs")
    cmp_.add_argument("runs", nargs="+", help="run folders written by `passk lab run`")
    cmp_.add_argument("--k", type=int, default=None, help="k of the Δ(k) panel (default: the runs' k)")
    cmp_.add_argument("--out", default="runs/compare.html", help="chart file (.html, .png or .svg)")
    cmp_.set_defaults(func=_compare)
    from course_lib.lab.compare import TEMPERATURES
    from course_lib.lab.methods import METHODS
    from course_lib.lab.tuning import RATES, TUNING_SEEDS

    cm = sub.add_parser(
        "compare-methods",
        help="chapter 6's comparison: every method x paired seeds, read at matched pass@1 and at the end (JSON + .md)",
    )
    cm.add_argument("--methods", nargs="+", default=list(METHODS), help=f"methods (default all: {', '.join(METHODS)})")
    cm.add_argument("--rates-from", default=None, help="tuning file of `passk lab tune`: each method at its best rate")
    cm.add_argument(
        "--temperatures",
        nargs="*",
        type=float,
        default=list(TEMPERATURES),
        help="sampling temperatures of the final reading",
    )
    _comparison_flags(cm, range(30), "results/ch06_comparison.json")
    cm.set_defaults(func=_compare_methods)
    tu = sub.add_parser("tune", help="learning-rate sweep of every method on the tuning seeds (JSON + Markdown)")
    tu.add_argument("--methods", nargs="+", default=list(METHODS), help="methods (default all)")
    tu.add_argument("--rates", nargs="+", type=float, default=list(RATES), help=f"starting grid (default {RATES})")
    _comparison_flags(tu, TUNING_SEEDS, "results/ch06_tuning.json")
    tu.set_defaults(func=_tune)
    for name, text, out in (
        ("prorl", "ProRL's test: prolonged GRPO with and without KL + reference resets", "results/ch06_prorl.json"),
        (
            "barakat",
            "Barakat et al.'s test: Chen and PKPO at k = 16 of n = 32 against GRPO",
            "results/ch06_barakat.json",
        ),
    ):
        ex = sub.add_parser(name, help=text + " (JSON + Markdown)")
        ex.add_argument("--rates-from", default=None, help="tuning file of `passk lab tune` (the methods' best rates)")
        _comparison_flags(ex, range(10), out)
        ex.set_defaults(func=_experiment)
