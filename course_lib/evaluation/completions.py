"""Reader of TRL's completions tables: per logging step, the samples of each prompt with their verdicts.

What is read (checked against TRL 1.16's ``GRPOTrainer.log``): with ``GRPOConfig(log_completions=True)``
the trainer writes, at every logging step, ``output_dir/completions/completions_{step:05d}.parquet``:
one row per completion of the *last* generation batch before that step (TRL keeps them in a deque of
``generation_batch_size``), with the columns ``step``, ``prompt``, ``completion``, one column per
reward function (named after the function), the columns reward functions added with ``log_extra``,
and ``advantage``. Prompts and completions are text, or lists of chat messages (their ``content``
is read).

The verdict of a completion is the column :data:`VERDICT_COLUMN`, ``passk_verifier``: the
zero-weight copy of the verifier that :func:`course_lib.integrations.trl.grpo_trainer` adds. With
the course's transform the weighted reward is the advantage, not a verdict, so no other column
is used unless named (``correct_col``; 0/1, or ``>= threshold``). A group is the completions of one
prompt text within the file (TRL repeats each prompt ``num_generations`` times in a row).

The same structures as :mod:`course_lib.evaluation.runs` (verl's dumps) come out, one
:class:`~course_lib.evaluation.runs.StepGroups` per file, so ``passk monitor`` reads both alike.
Parquet needs pyarrow (the ``[monitor]`` extra); without it, one line says how to install it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from .records import ReadError, ReadOptions, verdict
from .runs import PromptGroup, StepGroups, _prompt_id

__all__ = ["VERDICT_COLUMN", "trl_step_files", "read_trl_step", "read_trl_completions"]

VERDICT_COLUMN = "passk_verifier"
"""The 0/1 column read by default (``course_lib.integrations.trl.VERIFIER``)."""

_STEP_FILE = re.compile(r"^completions_(\d+)\.parquet$")
_BASE = {"step", "prompt", "completion"}


def _parquet():
    """pyarrow.parquet, or a one-line :class:`ReadError` saying how to install it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        from ..config import pip_install

        raise ReadError(
            f"reading TRL's completions tables (.parquet) needs pyarrow: {pip_install('monitor')}"
        ) from None
    return pq


def trl_step_files(folder: str | Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of the ``completions_*.parquet`` files of a TRL ``output_dir`` (or its ``completions/``)."""
    folder = Path(folder)
    if (folder / "completions").is_dir():
        folder = folder / "completions"
    if not folder.is_dir():
        raise ReadError(f"{folder}: no such folder (expected a TRL output_dir or its completions/ folder)")
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _STEP_FILE.match(p.name)) and p.is_file()]
    return sorted(found)


def _text(value) -> str:
    """A prompt or completion as text: chat messages are their contents, one per line."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(m, dict) for m in value):
        return "\n".join(str(m.get("content", "")) for m in value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def read_trl_step(path: str | Path, options: ReadOptions | None = None) -> StepGroups:
    """One TRL completions table: its completions grouped by prompt, with verdicts.

    Parameters
    ----------
    path : str or Path
        ``completions_{step:05d}.parquet``.
    options : ReadOptions, optional
        ``correct_col`` (default :data:`VERDICT_COLUMN`) and ``threshold``.

    Returns
    -------
    StepGroups
        ``rewards`` are the verdict column's values; ``extras`` hold the other reward columns and
        ``advantage``.

    Raises
    ------
    ReadError
        One line naming the file (and the row): pyarrow missing, not a parquet file, no verdict
        column (the columns are listed), a value that is not a verdict, an empty table.
    """
    opts = options or ReadOptions()
    path = Path(path)
    pq = _parquet()
    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow's ArrowInvalid, OSError, ...: one line
        raise ReadError(f"{path}: cannot read as a parquet table ({type(exc).__name__}: {exc})") from None
    if not rows:
        raise ReadError(f"{path}: no completions found (the table is empty)")
    columns = list(rows[0])
    missing = [c for c in ("prompt", "completion") if c not in columns]
    if missing:
        raise ReadError(f"{path}: no {', '.join(map(repr, missing))} column: not a TRL completions table")
    col = opts.correct_col or VERDICT_COLUMN
    if col not in columns:
        rewards = [c for c in columns if c not in _BASE | {"advantage"}]
        raise ReadError(
            f"{path}: no {col!r} column; with course_lib.integrations.trl.grpo_trainer the verifier is logged "
            "there, else name a 0/1 reward column with --correct-col "
            f"(reward and extra columns: {', '.join(rewards) or 'none'})"
        )
    named = _STEP_FILE.match(path.name)
    step = rows[0].get("step", int(named.group(1)) if named else None)
    groups: dict[str, dict] = {}
    for i, row in enumerate(rows):
        where = f"{path}: row {i + 1}"
        if row.get("step", step) != step:
            raise ReadError(f"{where}: step {row.get('step')!r}, but the first row says step {step!r}")
        value = row[col]
        ok = verdict(value, where, col, opts.threshold)
        prompt = _text(row["prompt"])
        g = groups.setdefault(prompt, {"rewards": [], "ok": [], "out": [], "extra": {}})
        g["rewards"].append(float(value))
        g["ok"].append(ok)
        g["out"].append(_text(row["completion"]))
        for key, v in row.items():
            if key not in _BASE and key != col:
                g["extra"].setdefault(key, []).append(v)
    if not isinstance(step, int) or isinstance(step, bool):
        raise ReadError(f"{path}: step {step!r} is not a whole number")
    built = tuple(
        PromptGroup(
            id=_prompt_id(prompt, None),
            prompt=prompt,
            answer=None,
            rewards=np.array(g["rewards"], dtype=np.float64),
            correct=np.array(g["ok"], dtype=bool),
            outputs=tuple(g["out"]),
            extras={k: tuple(v) for k, v in g["extra"].items()},
        )
        for prompt, g in groups.items()
    )
    sizes = {grp.n for grp in built}
    notes = () if len(sizes) == 1 else ("groups of different sizes: a prompt may appear twice in one batch",)
    how = col if opts.threshold is None else f"{col} >= {opts.threshold:g}"
    return StepGroups(int(step), str(path), built, len(rows), how, notes=notes)


def read_trl_completions(
    folder: str | Path, options: ReadOptions | None = None, *, live: bool = False, after: int | None = None
) -> list[StepGroups]:
    """Every completions table of a TRL run, by step.

    ``live``: the run may still be writing its newest table (pandas writes it in place), so a
    newest file that does not read yet is left for the next poll instead of being an error.
    ``after``: only steps ``> after``.
    """
    _parquet()  # missing pyarrow is an error even for a live run's only table
    files = trl_step_files(folder)
    out = []
    for i, (step, path) in enumerate(files):
        if after is not None and step <= after:
            continue
        try:
            out.append(read_trl_step(path, options))
        except ReadError:
            if live and i == len(files) - 1:
                break
            raise
    return out
