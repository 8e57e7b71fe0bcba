"""Where ``passk monitor`` finds a run's samples, and how it reads them (once, or following a live run).

A path given to the monitor may be:

- a verl dump folder (``trainer.validation_data_dir`` or ``trainer.rollout_data_dir``: ``{step}.jsonl``
  files; the course's example scripts name them ``validation/`` and ``rollouts/``), read by
  :func:`course_lib.evaluation.runs.read_verl_dumps`;
- a folder holding such folders (the scripts' ``$OUT``, or ``passk lab run --dump-dir``);
- a TRL ``output_dir`` or its ``completions/`` folder, read by
  :func:`course_lib.evaluation.completions.read_trl_completions` (TRL logs the training groups).

A dump folder's kind, ``validation`` or ``rollouts``, is taken from its name (a name with ``val`` in
it is a validation folder) unless given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..completions import read_trl_completions, trl_step_files
from ..records import ReadError, ReadOptions
from ..runs import StepGroups, read_verl_dumps, verl_step_files

__all__ = ["KINDS", "Source", "find_sources", "read_source", "Follower", "follow"]

KINDS = ("auto", "validation", "rollouts")
"""Values of ``--kind``."""


@dataclass(frozen=True)
class Source:
    """One folder of per-step sample files of one run."""

    run: str
    """The run's label (its folder's name)."""
    kind: str
    """``validation`` or ``rollouts``."""
    form: str
    """``verl`` (``{step}.jsonl``) or ``trl`` (``completions_*.parquet``)."""
    path: Path

    @property
    def label(self) -> str:
        return f"{self.run} {self.kind}"


def _kind(folder: Path, kind: str) -> str:
    return kind if kind != "auto" else ("validation" if "val" in folder.name.lower() else "rollouts")


def _has_trl(folder: Path) -> bool:
    try:
        return bool(trl_step_files(folder))
    except ReadError:
        return False


def find_sources(path: str | Path, kind: str = "auto") -> list[Source]:
    """The sample folders under ``path`` (see the module's docstring), validation first.

    Raises
    ------
    ReadError
        No such folder, or no dump and no completions table in it (one line that says what was expected).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    path = Path(path)
    if not path.is_dir():
        raise ReadError(f"{path}: no such folder (give a verl dump folder, a run folder or a TRL output_dir)")
    if _has_trl(path):
        run = path.parent.name if path.name == "completions" else path.name
        return [Source(run, "rollouts" if kind == "auto" else kind, "trl", path)]
    if verl_step_files(path):
        run = path.parent.name if path.name.lower() in ("validation", "rollouts", "val", "rollout") else path.name
        return [Source(run or path.name, _kind(path, kind), "verl", path)]
    subs = [p for p in sorted(path.iterdir()) if p.is_dir() and verl_step_files(p)]
    if kind != "auto":
        subs = [p for p in subs if _kind(p, "auto") == kind] or subs
    found = [Source(path.name, _kind(p, kind), "verl", p) for p in subs]
    if not found:
        raise ReadError(
            f"{path}: no training samples found: expected verl's {{step}}.jsonl dumps (trainer.validation_data_dir, "
            "trainer.rollout_data_dir), a folder holding them, or a TRL output_dir with completions/*.parquet "
            "(GRPOConfig(log_completions=True))"
        )
    return sorted(found, key=lambda s: (s.kind != "validation", s.path.name))


def read_source(
    source: Source, options: ReadOptions | None = None, *, live: bool = False, after: int | None = None
) -> list[StepGroups]:
    """The steps of ``source`` (after step ``after``), by step; ``live``: the newest file may be incomplete."""
    if source.form == "trl":
        return read_trl_completions(source.path, options, live=live, after=after)
    return read_verl_dumps(source.path, options, live=live, after=after)


class Follower:
    """Reads the steps of a live run as they are completed, each once.

    verl writes a dump file in one go from a background thread, so the newest file may be caught
    half written; it is held back until a newer file exists, or until its size has not changed
    between two polls and it ends with a whole line.
    """

    def __init__(self, source: Source, options: ReadOptions | None = None):
        self.source, self.options = source, options
        self.last: int | None = None
        self._sizes: dict[str, int] = {}

    def poll(self) -> list[StepGroups]:
        """The steps completed since the last poll."""
        steps = read_source(self.source, self.options, live=True, after=self.last)
        ready = []
        for step in steps:
            if step.may_grow:
                size = Path(step.path).stat().st_size
                settled = self._sizes.get(step.path) == size and not step.partial_line and step.groups
                self._sizes[step.path] = size
                if not settled:
                    break
            ready.append(step)
            self.last = step.step
        return ready


def follow(
    followers: list[Follower],
    on_steps: Callable[[Follower, list[StepGroups]], None],
    *,
    interval: float = 10.0,
    stop: Callable[[], bool] = lambda: False,
    on_wait: Callable[[float], None] | None = None,
) -> None:
    """Poll every follower every ``interval`` seconds and pass new steps to ``on_steps``, until ``stop()``."""
    started = time.monotonic()
    while True:
        for f in followers:
            new = f.poll()
            if new:
                on_steps(f, new)
        if stop():
            return
        if on_wait is not None:
            on_wait(time.monotonic() - started)
        time.sleep(interval)
