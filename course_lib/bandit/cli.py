"""``passk bandit compare``: chapter 4's fair comparison, written to a results file (a thin front over :mod:`.fair`).

Example::

    passk bandit compare --out results/ch04_bandit.json

The learning-rate sweep on the tuning seeds, then every run of :data:`course_lib.bandit.fair.RUNS`
raw, at its best rate and step-normalised on the evaluation seeds; a JSON file with provenance
and a Markdown table next to it. NumPy only, a few minutes on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _compare(args: argparse.Namespace) -> int:
    from course_lib.bandit import fair
    from course_lib.viz.tables import markdown_table

    command = "passk " + " ".join(sys.argv[sys.argv.index("bandit") :]) if "bandit" in sys.argv else ""
    results = fair.compare(
        tuning_seeds=tuple(args.tuning_seeds), eval_seeds=tuple(range(args.eval_seeds)), command=command
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    table = fair.summary(results)
    text = markdown_table(list(table[0]), [list(row.values()) for row in table])
    out.with_suffix(".md").write_text(text + "\n")
    print(text)
    print(f"wrote {out} and {out.with_suffix('.md')} ({results['provenance']['wall_s']} s)")
    return 0


def add_cli(subparsers) -> None:
    """Add ``bandit compare`` to the ``passk`` command."""
    bandit = subparsers.add_parser("bandit", help="the exact softmax bandit (chapter 4): fair comparison of objectives")
    sub = bandit.add_subparsers(dest="bandit_command", metavar="{compare}", required=True)
    cmp_ = sub.add_parser(
        "compare",
        help="learning-rate sweep, then raw, best-rate and step-normalised runs on paired seeds (JSON + Markdown)",
    )
    cmp_.add_argument(
        "--tuning-seeds",
        nargs="+",
        type=int,
        default=list(range(100, 105)),
        help="seeds that choose the rate (default 100-104)",
    )
    cmp_.add_argument("--eval-seeds", type=int, default=20, help="evaluation seeds 0..N-1 (default 20)")
    cmp_.add_argument("--out", default="results/ch04_bandit.json", help="results file (a .md table goes next to it)")
    cmp_.set_defaults(func=_compare)
