"""Grade a room: many submissions in parallel worker processes, each in its own resource sandbox.

:func:`grade_room` runs :func:`~course_lib.grading.grade.grade_submission` for each file in a worker
process (``python -m course_lib.grading.room``) that first joins a fresh :class:`~.limits.Sandbox`,
so the kernel it starts and everything the kernel starts share the submission's caps and die with
it. Up to ``jobs`` workers run at once; a supervising thread per worker polls the caps. Rows come
back in the order of the submissions, whatever the order of completion, so ``--jobs 4`` writes the
same CSV as ``--jobs 1``.

The CSV is written as the run goes (one submission's rows at a time), with the SHA-256 of each
submitted file, so ``resume=True`` reuses the rows of files that have not changed since: an
interrupted run (Ctrl-C, power cut) loses at most the submissions in flight.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, fields, replace
from pathlib import Path

from .build import exercise_id
from .grade import FIELDS, GradeConfig, Row, _rows_for_problem, write_csv
from .limits import POLL_S, Limits, Sandbox, become_subreaper, kill_descendants, sandbox_mode
from .questions import exercise_ids, exercise_questions

__all__ = ["grade_room", "default_jobs", "file_hash", "read_csv"]


def default_jobs(n_submissions: int) -> int:
    """CPU cores available to this process, at most ``n_submissions`` (and at least 1)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, n_submissions))


def file_hash(path: str | Path) -> str:
    """SHA-256 of the file's bytes, or ``''`` if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def read_csv(path: str | Path, strict: bool = True) -> list[Row]:
    """Rows of a grades CSV written by :func:`~course_lib.grading.grade.write_csv` or :func:`grade_room`.

    With ``strict=False`` a line that does not parse (the last one of a run cut off mid-write) is skipped.
    """
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            try:
                text = {k: r.get(k) or "" for k in FIELDS}
                rows.append(Row(**{**text, "points": float(r["points"]), "score": float(r["score"])}))
            except (KeyError, TypeError, ValueError):
                if strict:
                    raise
    return rows


def _complete(rows: list[Row]) -> bool:
    """Whether ``rows`` are a whole submission's rows (not cut off by an interruption)."""
    exercise = rows[0].exercise
    if exercise in exercise_ids():
        return [r.question for r in rows] == list(exercise_questions(exercise))
    return [r.question for r in rows] == ["*"]


def _reusable(out: Path, paths: list[str]) -> dict[str, list[Row]]:
    """Rows of ``out`` for the submissions whose file still has the hash recorded there."""
    if not out.is_file():
        return {}
    try:
        old = read_csv(out, strict=False)
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    by_sub: dict[str, list[Row]] = {}
    for r in old:
        by_sub.setdefault(r.submission, []).append(r)
    wanted = set(paths)
    return {
        sub: rows
        for sub, rows in by_sub.items()
        if sub in wanted and rows[0].sha256 and _complete(rows) and file_hash(sub) == rows[0].sha256
    }


def _run_worker(path: str, config: GradeConfig, limits: Limits, mode: str, stop: threading.Event) -> list[Row]:
    """Grade ``path`` in a sandboxed worker process; rows that name the limit if one was hit."""
    sandbox = Sandbox(limits, mode)
    wall = config.total_timeout + config.startup_timeout + 60  # the worker's own timeouts come first
    timed_out = False
    with tempfile.TemporaryDirectory(prefix="passk-room-") as tmp:
        result, log = Path(tmp) / "rows.json", Path(tmp) / "stderr.txt"
        spec = {
            "path": path,
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
            "dirs": [str(d) for d in sandbox.dirs],
            "result": str(result),
        }
        try:
            with open(log, "wb") as err:  # a file, not a pipe: a chatty kernel cannot block on a full pipe
                proc = subprocess.Popen(
                    [sys.executable, "-m", "course_lib.grading.room", json.dumps(spec)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    start_new_session=True,  # its own session: Ctrl-C reaches the supervisor only
                )
            sandbox.worker = proc.pid
            try:  # at once, long before the worker starts a kernel (it joins again itself, in case)
                sandbox.join(proc.pid)
            except OSError:
                pass
            start = time.monotonic()
            while proc.poll() is None:
                timed_out = time.monotonic() - start > wall
                if stop.is_set() or sandbox.poll() or timed_out:
                    sandbox.kill_all()
                    break
                time.sleep(POLL_S)
            proc.wait()
            hit = sandbox.exceeded()
        finally:
            sandbox.close()  # no process of the submission outlives its grading
        stderr = log.read_text(errors="replace")[-4000:] if log.is_file() else ""
        rows = [Row(**r) for r in json.loads(result.read_text())] if result.is_file() else None
    if rows is None:
        exercise = exercise_id({}, Path(path)) if path.endswith(".ipynb") else None
        exercise = exercise if exercise in exercise_ids() else None
        if hit:
            reason = f"exceeded the {limits.describe(hit)}; the submission was stopped"
        elif timed_out:
            reason = f"the grader did not finish within {wall:g} s and was stopped"
        elif stop.is_set():
            reason = "grading was interrupted"
        else:
            last = stderr.strip().splitlines()[-1][:160] if stderr.strip() else f"exit code {proc.returncode}"
            reason = f"the grading worker failed ({last})"
        return _rows_for_problem(path, exercise, reason)
    if hit:
        note = f" [exceeded the {limits.describe(hit)}]"
        rows = [replace(r, message=r.message + note) for r in rows]
    return rows


def grade_room(
    paths,
    config: GradeConfig = GradeConfig(),  # noqa: B008 (frozen dataclass)
    limits: Limits = Limits(),  # noqa: B008 (frozen dataclass)
    jobs: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    progress=None,
    mode: str | None = None,
) -> list[Row]:
    """Grade ``paths`` with ``jobs`` workers at once; rows in the order of ``paths``.

    Parameters
    ----------
    paths : submitted files; a file named twice is graded once.
    config : timeouts, solutions folder, kernel (as for :func:`grade_submission`).
    limits : memory, process and CPU caps per submission.
    jobs : workers at once; default :func:`default_jobs`.
    out : CSV written as submissions finish, then rewritten in order at the end.
    resume : reuse rows of ``out`` whose submission file is unchanged (same SHA-256).
    progress : ``progress(path, rows, reused)`` called as each submission is done.
    mode : sandbox mechanism; default :func:`~.limits.sandbox_mode`.
    """
    paths = list(dict.fromkeys(str(p) for p in paths))  # a file named twice is graded once
    mode = mode or sandbox_mode()
    jobs = jobs or default_jobs(len(paths))
    reused = _reusable(Path(out), paths) if (resume and out) else {}
    results: dict[int, list[Row]] = {}
    stop = threading.Event()  # set on Ctrl-C: in-flight workers are killed, queued ones never start
    sink = None
    if out:
        sink = open(out, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed in finally)
        writer = csv.DictWriter(sink, fieldnames=FIELDS)
        writer.writeheader()

    def record(i: int, rows: list[Row], was_reused: bool) -> None:
        results[i] = rows
        if sink:
            writer.writerows(asdict(r) for r in rows)
            sink.flush()
            os.fsync(sink.fileno())  # on disk before the next one starts: a power cut loses only those in flight
        if progress:
            progress(paths[i], rows, was_reused)

    def one(i: int) -> tuple[int, list[Row]]:
        digest = file_hash(paths[i])
        if stop.is_set():
            raise KeyboardInterrupt
        rows = _run_worker(paths[i], config, limits, mode, stop)
        return i, [replace(r, sha256=digest if Path(paths[i]).is_file() else "") for r in rows]

    try:
        todo = []
        for i, p in enumerate(paths):
            if p in reused:
                record(i, reused[p], True)
            else:
                todo.append(i)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(one, i) for i in todo]
            try:
                for future in as_completed(futures):
                    record(*future.result(), False)
            except BaseException:
                stop.set()
                for f in futures:
                    f.cancel()
                raise
    finally:
        if sink:
            sink.close()
    rows = [r for i in range(len(paths)) for r in results[i]]
    if out:
        part = Path(f"{out}.part")
        write_csv(rows, part)
        part.replace(out)  # the final file, rows in submission order, swapped in whole
    return rows


def _worker_main(spec: dict) -> None:
    """Entry point of a worker: join the sandbox, grade one file, write its rows as JSON."""
    for d in spec["dirs"]:
        Path(d, "cgroup.procs").write_text(str(os.getpid()))
    become_subreaper()  # orphans of the kernel stay in this tree (the poll mode finds them)
    from .grade import grade_submission

    types = {f.name: f.type for f in fields(GradeConfig)}
    cfg = {k: (Path(v) if v is not None and "Path" in str(types[k]) else v) for k, v in spec["config"].items()}
    try:
        rows = grade_submission(spec["path"], GradeConfig(**cfg))
    finally:
        kill_descendants()
    tmp = Path(spec["result"] + ".part")
    tmp.write_text(json.dumps([asdict(r) for r in rows]))
    tmp.replace(spec["result"])


if __name__ == "__main__":
    _worker_main(json.loads(sys.argv[1]))
