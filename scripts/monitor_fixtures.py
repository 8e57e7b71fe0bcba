"""Write (or check) the test inputs of ``passk monitor`` with the trainers' own writers; run by ``make test-verl``.

The main test suite has neither verl nor TRL, so ``tests/test_monitor.py`` reads files committed in
``tests/data/monitor/``. This script makes them with the real writers, in ``.venv-verl``:

- ``verl/validation/{0,10,20}.jsonl``: verl 0.9.1's default (v1) trainer's writer,
  ``verl.trainer.ppo.v1.trainer_base.PPOTrainer._write_generations``, with the reward extras of
  verl's math scorers (``acc``, ``pred``) and the v1 ``uid`` (a fresh prompt uid at every validation,
  as verl draws them);
- ``verl/rollouts/{1,2}.jsonl``: the legacy trainer's writer,
  ``verl.trainer.ppo.ray_trainer.RayPPOTrainer._write_generations``, with ``request_id`` and no uid,
  samples in a scrambled order (verl reorders rollouts by length);
- ``trl/completions/completions_0000{1,2}.parquet``: TRL 1.16's ``GRPOTrainer`` itself, two steps of a
  tiny random model (``tests/tiny_trl.py``) built by ``course_lib.integrations.trl.grpo_trainer``
  with ``log_completions=True``.

The samples of the verl files are drawn from fixed pass rates with a seeded generator: six prompts,
eight samples each; between validations some prompts' pass rates rise and others fall.

Usage: ``python scripts/monitor_fixtures.py`` checks that the committed files are what the writers
write now (exit 1 with the differing file otherwise); ``--write`` rewrites them.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "monitor"
sys.path.insert(0, str(ROOT / "tests"))  # tests/tiny_trl.py

PROMPTS = [  # (prompt, ground truth, pass rate at the three validations)
    ("Compute 17 + 25. Put the answer in \\boxed{}.", "42", (0.25, 0.50, 0.75)),
    ("Compute 9 x 7. Put the answer in \\boxed{}.", "63", (0.50, 0.75, 1.00)),
    ("How many primes are below 20? Put the answer in \\boxed{}.", "8", (0.125, 0.0, 0.0)),
    ("求 3 × 4 的值。答案放在 \\boxed{} 里。", "12", (0.75, 0.75, 0.875)),  # verl writes UTF-8 as is
    ("Compute 2^10. Put the answer in \\boxed{}.", "1024", (0.375, 0.25, 0.125)),
    ("Compute 100 - 37. Put the answer in \\boxed{}.", "63", (0.0, 0.125, 0.25)),
]
N = 8
VAL_STEPS = (0, 10, 20)


def _samples(rng, step_index: int):
    """inputs, outputs, gts, scores, acc, pred of one validation or rollout step (PROMPTS x N samples)."""
    inputs, outputs, gts, scores, acc, pred = [], [], [], [], [], []
    for prompt, answer, rates in PROMPTS:
        c = int(round(rates[step_index] * N))  # exactly c correct samples, at seeded places
        correct = np.zeros(N, dtype=bool)
        correct[rng.permutation(N)[:c]] = True
        for j, ok in enumerate(correct):
            guess = answer if ok else str(int(answer) + 1 + j % 3)
            inputs.append(prompt)
            outputs.append(f"Step by step ... so the answer is \\boxed{{{guess}}}.")
            gts.append(answer)
            scores.append(1.0 if ok else 0.0)
            acc.append(bool(ok))
            pred.append(guess)
    return inputs, outputs, gts, scores, acc, pred


def write_verl(folder: Path) -> None:
    from verl.trainer.ppo.ray_trainer import RayPPOTrainer
    from verl.trainer.ppo.v1.trainer_base import PPOTrainer

    rng = np.random.default_rng(2026)
    for i, step in enumerate(VAL_STEPS):
        inputs, outputs, gts, scores, acc, pred = _samples(rng, i)
        uids = [f"{rng.bytes(4).hex()}-{p}" for p in range(len(PROMPTS))]  # a fresh uid per prompt per validation
        uid = [f"{uids[s // N]}_{s % N}_0" for s in range(len(inputs))]  # {prompt uid}_{session}_{output}
        extras = {"acc": acc, "pred": pred, "uid": uid}
        PPOTrainer._write_generations(inputs, outputs, gts, scores, extras, str(folder / "validation"), step)
    for step in (1, 2):
        inputs, outputs, gts, scores, acc, pred = _samples(rng, step)
        order = rng.permutation(len(inputs))  # rollouts come sorted by length, not by prompt
        pick = lambda xs, order=order: [xs[o] for o in order]  # noqa: E731
        extras = {"acc": pick(acc), "pred": pick(pred), "request_id": [f"req-{step}-{o}" for o in order]}
        RayPPOTrainer._write_generations(
            pick(inputs), pick(outputs), pick(gts), pick(scores), extras, str(folder / "rollouts"), step
        )


def write_trl(folder: Path) -> None:
    import tiny_trl

    from course_lib.integrations.trl import grpo_trainer

    with tempfile.TemporaryDirectory() as tmp:
        trainer = grpo_trainer(
            "chen",
            tiny_trl.verifier,
            k=2,
            args=tiny_trl.args(tmp, max_steps=2, log_completions=True),
            model=tiny_trl.model(),
            train_dataset=tiny_trl.dataset(),
            processing_class=tiny_trl.tokenizer(),
        )
        trainer.train()
        (folder / "completions").mkdir(parents=True, exist_ok=True)
        for path in sorted(Path(tmp, "completions").glob("completions_*.parquet")):
            shutil.copy(path, folder / "completions" / path.name)


def _same_parquet(a: Path, b: Path) -> bool:
    """Equal rows (floats to 1e-6): the file's bytes also hold the writer's versions."""
    import pyarrow.parquet as pq

    ra, rb = pq.read_table(a).to_pylist(), pq.read_table(b).to_pylist()
    if len(ra) != len(rb) or any(set(x) != set(y) for x, y in zip(ra, rb, strict=True)):
        return False
    for x, y in zip(ra, rb, strict=True):
        for key in x:
            if isinstance(x[key], float) and isinstance(y[key], float):
                if abs(x[key] - y[key]) > 1e-6:
                    return False
            elif x[key] != y[key]:
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite tests/data/monitor/ instead of checking it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        write_verl(fresh / "verl")
        write_trl(fresh / "trl")
        new = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
        if args.write:
            shutil.rmtree(DATA, ignore_errors=True)
            shutil.copytree(fresh, DATA)
            print(f"wrote {len(new)} files into {DATA.relative_to(ROOT)}")
            return 0
        old = sorted(p.relative_to(DATA) for p in DATA.rglob("*") if p.is_file()) if DATA.is_dir() else []
        if new != old:
            print(f"monitor fixtures: the writers make {[str(p) for p in new]}, committed {[str(p) for p in old]}")
            return 1
        for rel in new:
            same = (
                _same_parquet(fresh / rel, DATA / rel)
                if rel.suffix == ".parquet"
                else filecmp.cmp(fresh / rel, DATA / rel, shallow=False)
            )
            if not same:
                print(
                    f"monitor fixtures: {DATA.relative_to(ROOT) / rel} differs from what the writer writes now; "
                    "rerun with --write and review the diff"
                )
                return 1
        print(f"monitor fixtures: {len(new)} files in {DATA.relative_to(ROOT)} are what verl 0.9.1 and TRL 1.16 write")
        return 0


if __name__ == "__main__":
    sys.exit(main())
