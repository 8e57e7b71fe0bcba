"""Readers of what RL training runs write: per step, the samples of each prompt with their rewards.

What is read (checked against verl 0.9.1's wheel, ``verl/trainer/ppo/ray_trainer.py`` and
``verl/trainer/ppo/v1/trainer_base.py``, ``_write_generations``):

- **verl's generation dumps.** With ``trainer.rollout_data_dir`` (training rollouts) or
  ``trainer.validation_data_dir`` (validation generations) set, verl writes one file
  ``{step}.jsonl`` per step into that folder, one JSON object per sample with the keys
  ``input`` (the decoded prompt), ``output`` (the decoded response), ``gts`` (the ground truth,
  from verl 0.6 on), ``score`` (the summed token-level reward) and ``step``, plus every
  reward-extra key with one value per sample (``acc`` and ``pred`` from verl's math scorers,
  ``request_id`` in rollout dumps, ...). The default trainer writes no prompt id, so the samples
  of one prompt are those with equal ``input`` and ``gts`` (a rollout dump is reordered by
  sequence length: they need not be adjacent). The v1 trainer adds ``uid`` =
  ``{prompt uid}_{session}_{output}``: there a prompt is the uid's first part and a sample is a
  session (its last output carries the text; every output of a session carries its reward).

  The verdict of a sample is ``acc`` when the file has it, else ``score`` (0/1, or
  ``score >= threshold`` with :attr:`ReadOptions.threshold`, e.g. 0.5 for rewards of -1 and 1).

- **Files of a live run.** verl writes the dumps from one background thread
  (``ThreadPoolExecutor(max_workers=1)``), one file after the other, so every file but the
  newest is complete. A reader that follows a running job (``passk monitor``) passes
  ``live=True``: the newest file's last line is left out when it has no newline yet (a line cut
  by the writer's buffer), and the step is marked :attr:`StepGroups.may_grow`. Without
  ``live`` (the default, strict) a cut line is an error that says so.

API: :func:`read_verl_step` (one file), :func:`read_verl_dumps` (a folder, steps in order),
:func:`verl_step_files`; each step is a :class:`StepGroups` of :class:`PromptGroup` (rewards,
verdicts and sample texts of one prompt), and :meth:`StepGroups.counts` gives the per-problem
``(n, c)`` that :mod:`course_lib.evaluation.curve` takes. Prompt ids are a short hash of
``(input, gts)``, the same at every step, so steps pair on the prompts they share.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .records import Counts, ReadError, ReadOptions, verdict

__all__ = [
    "VERL_KEYS",
    "PromptGroup",
    "StepGroups",
    "verl_step_files",
    "read_verl_step",
    "read_verl_dumps",
]

VERL_KEYS = ("input", "output", "score", "step")
"""Keys every line of a verl generation dump has (``gts`` too from verl 0.6 on)."""

_VERDICT_KEYS = ("acc", "score")
"""Verdict keys tried in order: verl's math scorers add ``acc`` (a bool); ``score`` is the reward."""

_STEP_FILE = re.compile(r"^(\d+)\.jsonl(\.gz)?$")
_UID = re.compile(r"^(.+)_(\d+)_(\d+)$")  # v1 trainer: {prompt uid}_{session}_{output index}


@dataclass(frozen=True)
class PromptGroup:
    """The samples of one prompt at one step: rewards, verdicts and texts, in file order."""

    id: str
    """Short stable id: a hash of ``(input, gts)``, equal across steps for the same prompt."""
    prompt: str
    """The prompt text (verl's ``input``)."""
    answer: object
    """The ground truth (verl's ``gts``; None when the file has none)."""
    rewards: np.ndarray
    """verl's ``score`` per sample, float64, shape (G,)."""
    correct: np.ndarray
    """Verdict per sample, bool, shape (G,)."""
    outputs: tuple[str, ...]
    """The sample texts (for counts of distinct answers)."""
    extras: dict = field(default_factory=dict)
    """The other keys per sample (``pred``, ``request_id``, ...): key -> tuple of G values."""

    @property
    def n(self) -> int:
        """G, the samples of this prompt."""
        return len(self.outputs)

    @property
    def c(self) -> int:
        """Correct samples."""
        return int(self.correct.sum())


@dataclass(frozen=True)
class StepGroups:
    """One step of a run: its samples grouped by prompt, groups in order of first appearance."""

    step: int
    """The training step (the lines' ``step``)."""
    path: str
    """The file read."""
    groups: tuple[PromptGroup, ...]
    """One entry per prompt."""
    records: int
    """Lines read (samples; a v1 session with several outputs is one sample)."""
    verdict: str
    """How a verdict was made (``acc``, ``score``, ``score >= 0.5``)."""
    may_grow: bool = False
    """True for the newest file of a live read: the writer may still be adding lines."""
    partial_line: bool = False
    """True when a last line without a newline (still being written) was left out."""
    notes: tuple[str, ...] = ()
    """What else the reader did."""

    @property
    def n(self) -> np.ndarray:
        """Samples per prompt, int64, shape (m,)."""
        return np.array([g.n for g in self.groups], dtype=np.int64)

    @property
    def c(self) -> np.ndarray:
        """Correct samples per prompt, int64, shape (m,)."""
        return np.array([g.c for g in self.groups], dtype=np.int64)

    def counts(self) -> Counts:
        """The per-problem counts of this step, for :mod:`course_lib.evaluation.curve` and ``passk curve``."""
        what = "verl generations" + (", may still grow" if self.may_grow else "")
        notes = list(self.notes)
        if self.partial_line:
            notes.append("a partial last line (still being written) left out")
        return Counts(
            self.path,
            f"{what} (step {self.step})",
            tuple(g.id for g in self.groups),
            self.n,
            self.c,
            self.records,
            {"id": "input + gts", "correct": self.verdict},
            tuple(notes),
        )


def _prompt_id(prompt: str, answer) -> str:
    """12 hex digits of a BLAKE2b hash of the prompt and its ground truth (stable across runs and machines)."""
    key = answer if isinstance(answer, str) else json.dumps(answer, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(f"{prompt}\x1f{key}".encode(), digest_size=6).hexdigest()


def verl_step_files(folder: str | Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of the ``{step}.jsonl`` files (or ``.jsonl.gz``) of a dump folder, by step (10 after 9)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReadError(f"{folder}: no such folder (expected verl's rollout_data_dir or validation_data_dir)")
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _STEP_FILE.match(p.name)) and p.is_file()]
    return sorted(found)


def _raw_lines(path: Path):
    """(line number, bytes) of a file, through gzip when it starts with gzip's magic bytes."""
    lineno = 0
    try:
        with open(path, "rb") as raw:
            gz = raw.read(2) == b"\x1f\x8b"
        with gzip.open(path, "rb") if gz else open(path, "rb") as f:
            for lineno, line in enumerate(f, 1):  # noqa: B007 (lineno is read after the loop on error)
                yield lineno, line
    except (OSError, EOFError) as exc:
        raise ReadError(f"{path}:{lineno + 1}: cannot read ({type(exc).__name__}: {exc})") from None


def _lines(path: Path, live: bool) -> tuple[list[tuple[int, dict]], bool]:
    """(line number, object) of the non-blank lines, and whether a cut last line was left out (``live``).

    Lines are decoded one by one: verl writes UTF-8 text (``ensure_ascii=False``), and a buffer
    flush can cut the last line inside a character as well as inside the JSON.
    """
    out = []
    for lineno, line in _raw_lines(path):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:  # JSONDecodeError or UnicodeDecodeError
            if not line.endswith(b"\n"):  # the last line, cut: the writer is (or was) in the middle of it
                if live:
                    return out, True
                raise ReadError(
                    f"{path}:{lineno}: the last line is cut off (no newline, not valid JSON); "
                    f"the run may still be writing this file: read it as live"
                ) from None
            what = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            raise ReadError(f"{path}:{lineno}: not valid JSON ({what})") from None
        if not isinstance(rec, dict):
            raise ReadError(f"{path}:{lineno}: expected a JSON object per line, got {type(rec).__name__}")
        out.append((lineno, rec))
    return out, False


def _reward(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReadError(f"{where}: 'score' holds {value!r}, not a number")
    return float(value)


def _sessions(records: list[tuple[int, dict]], path: Path) -> tuple[list[tuple[int, dict, str | None]], list[str]]:
    """One entry per sample: (line number, record, prompt uid or None); v1 sessions folded to their last output."""
    uids = [rec.get("uid") for _, rec in records]
    parsed = [_UID.match(u) if isinstance(u, str) else None for u in uids]
    if not records or not all(parsed):
        return [(lineno, rec, None) for lineno, rec in records], []
    last: dict[tuple[str, str], tuple[int, int, dict]] = {}
    for (lineno, rec), m in zip(records, parsed, strict=True):
        key, index = (m.group(1), m.group(2)), int(m.group(3))
        if key not in last or index >= last[key][0]:
            last[key] = (index, lineno, rec)
    out = [(lineno, rec, key[0]) for key, (_, lineno, rec) in last.items()]
    notes = []
    if len(out) < len(records):
        notes.append(f"{len(records)} lines are {len(out)} sessions (v1 uid): one sample per session, its last output")
    return out, notes


def read_verl_step(path: str | Path, options: ReadOptions | None = None, *, live: bool = False) -> StepGroups:
    """One verl generation dump ``{step}.jsonl``: its samples grouped by prompt, with rewards and verdicts.

    Parameters
    ----------
    path : str or Path
        The file (gzipped or not).
    options : ReadOptions, optional
        ``correct_col`` (default ``acc`` if present, else ``score``) and ``threshold`` (count
        ``score >= threshold`` as correct; needed when rewards are not 0/1).
    live : bool
        The file may still be being written: a last line without a newline is left out (and
        flagged), and the result is marked :attr:`StepGroups.may_grow`. Default False (strict).

    Returns
    -------
    StepGroups

    Raises
    ------
    ReadError
        One line naming the file and the line: bad JSON (a cut last line in strict mode says so),
        a missing key, a verdict that is not 0/1 without a threshold, lines of different steps,
        an empty file (strict mode; live, an empty newest file is a step with no groups).

    Examples
    --------
    >>> import json, tempfile, os
    >>> lines = [{"input": "1+1=", "output": o, "gts": "2", "score": s, "step": 3}
    ...          for o, s in (("2", 1.0), ("3", 0.0), ("2", 1.0))]
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    ...     _ = f.write("".join(json.dumps(x) + "\\n" for x in lines) + '{"input": "1+')
    >>> step = read_verl_step(f.name, live=True); os.unlink(f.name)
    >>> step.step, step.n.tolist(), step.c.tolist(), step.groups[0].outputs, step.partial_line
    (3, [3], [2], ('2', '3', '2'), True)
    """
    opts = options or ReadOptions()
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    records, cut = _lines(path, live)
    samples, notes = _sessions(records, path)
    if not samples:
        if live:
            step = int(m.group(1)) if (m := _STEP_FILE.match(path.name)) else -1
            return StepGroups(step, str(path), (), 0, "", True, cut, ("no complete line yet",))
        raise ReadError(f"{path}: no samples found (the file is empty)")
    lineno, first = records[0]
    missing = [k for k in ("input", "output", "score") if k not in first]
    if missing:
        raise ReadError(
            f"{path}:{lineno}: no {', '.join(map(repr, missing))} key: not a verl generation dump "
            f"(expected input, output, gts, score, step)"
        )
    ok_col = opts.correct_col or next(k for k in _VERDICT_KEYS if k in first)
    if ok_col not in first:
        raise ReadError(f"{path}:{lineno}: no {ok_col!r} key (the verdict given); keys: {', '.join(first)}")
    if "gts" not in first:
        notes.append("no 'gts' key (verl < 0.6): prompts grouped by input alone")
    base = {"input", "output", "gts", "score", "step", "uid"}
    step = first.get("step")
    groups: dict[str, dict] = {}
    for lineno, rec, uid in samples:
        where = f"{path}:{lineno}"
        try:
            prompt, output, score = rec["input"], rec["output"], rec["score"]
            value = rec[ok_col]
        except KeyError as exc:
            raise ReadError(f"{where}: no {exc.args[0]!r} key (found on line {records[0][0]})") from None
        if rec.get("step") != step:
            raise ReadError(f"{where}: step {rec.get('step')!r}, but the first line says step {step!r}")
        answer = rec.get("gts")
        key = uid if uid is not None else _prompt_id(prompt, answer)
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"prompt": prompt, "answer": answer, "rewards": [], "ok": [], "out": [], "extra": {}}
        g["rewards"].append(_reward(score, where))
        g["ok"].append(verdict(value, where, ok_col, opts.threshold))
        g["out"].append(output if isinstance(output, str) else str(output))
        for k, v in rec.items():
            if k not in base:
                g["extra"].setdefault(k, []).append(v)
    if not isinstance(step, int) or isinstance(step, bool):
        named = _STEP_FILE.match(path.name)
        if step is not None or named is None:
            raise ReadError(f"{path}:{records[0][0]}: step {step!r} is not a whole number")
        step = int(named.group(1))
    ids: dict[str, int] = {}
    for g in groups.values():  # v1: two uids of one prompt text are two groups; their ids get #2, #3, ...
        pid = _prompt_id(g["prompt"], g["answer"])
        ids[pid] = ids.get(pid, 0) + 1
        g["id"] = pid if ids[pid] == 1 else f"{pid}#{ids[pid]}"
    built = tuple(
        PromptGroup(
            id=g["id"],
            prompt=g["prompt"],
            answer=g["answer"],
            rewards=np.array(g["rewards"], dtype=np.float64),
            correct=np.array(g["ok"], dtype=bool),
            outputs=tuple(g["out"]),
            extras={k: tuple(v) for k, v in g["extra"].items()},
        )
        for g in groups.values()
    )
    how = ok_col if opts.threshold is None else f"{ok_col} >= {opts.threshold:g}"
    return StepGroups(int(step), str(path), built, len(samples), how, live, cut, tuple(notes))


def read_verl_dumps(
    folder: str | Path, options: ReadOptions | None = None, *, live: bool = False, after: int | None = None
) -> list[StepGroups]:
    """Every step of a verl dump folder (``rollout_data_dir`` or ``validation_data_dir``), in step order.

    Parameters
    ----------
    folder : str or Path
        The folder of ``{step}.jsonl`` files (other files are ignored).
    options : ReadOptions, optional
        As :func:`read_verl_step`.
    live : bool
        The run may still be going: the *newest* file is read as :func:`read_verl_step` ``live=True``
        (every older file is complete, since verl writes the files one after the other) and
        marked :attr:`StepGroups.may_grow`. Default False: every file strictly.
    after : int, optional
        Read only steps ``> after`` (a follower's last step: poll without re-reading).

    Returns
    -------
    list of StepGroups
        One per file, by step; empty when there is no (new) file yet.

    Raises
    ------
    ReadError
        No such folder, or as :func:`read_verl_step`.
    """
    files = verl_step_files(folder)
    newest = files[-1][0] if files else None
    return [
        read_verl_step(path, options, live=live and step == newest)
        for step, path in files
        if after is None or step > after
    ]
