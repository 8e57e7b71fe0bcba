"""Grade submitted notebooks in fresh kernels (``passk grade``).

For each submission: read it (never modify it), find its exercise id, append one grading cell that
loads the instructor's hidden tests from the matching solution notebook and re-judges every question,
execute the copy in a temporary folder with a fresh kernel (nbclient) under per-cell and total time
limits, and read the report back. Each submission gives one row per question; a submission that is
missing, not a notebook, malformed or never ends gives rows with the reason, and grading goes on. A
cell that kills the kernel (``os._exit``, a segfault, running out of memory) is skipped and the copy
is run again, so the other questions still earn their points; the rows say which cell was skipped.

Trust model
-----------
Submitted notebooks are arbitrary Python and run with the rights of whoever runs ``passk grade``:
they can read and write files, use the network, and tamper with the grading code loaded in their own
kernel. The grader guards against accidents (infinite loops, crashes, print floods, clobbered names)
and against trivial forgery (the report line carries a nonce the notebook cannot know in advance),
not against a determined adversary. ``passk grade`` runs each submission through
:mod:`~course_lib.grading.room`, which caps its memory, processes and CPU time
(:mod:`~course_lib.grading.limits`); the file system and the network are not isolated. For an
untrusted room, run ``passk grade`` inside a throwaway container or VM with no network and no
secrets, e.g. ``docker run --rm --network none -v $PWD:/work ...``.

Hidden tests
------------
By default the hidden tests are the course's own, shipped inside the package
(:data:`~course_lib.grading.build.PACKAGED_HIDDEN_TESTS`, generated from ``solutions/``), so grading
from any folder, or from an installed wheel, runs them. They are hidden from the *exercise*
notebooks only (the public repository ships its solutions): an instructor who needs secret tests
keeps a private solutions folder and passes it with ``--solutions``. A grade never silently lacks
them: an exercise whose hidden tests cannot be found is not graded (every row says why and how to
point at them), and a solution notebook without hidden tests makes every row of its submissions say so.
"""

from __future__ import annotations

import asyncio
import copy
import csv
import json
import re
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from .api import REPORT_PREFIX
from .build import exercise_id
from .hidden import HiddenTestsMissing, hidden_tests_for
from .questions import exercise_ids, exercise_questions

__all__ = [
    "GradeConfig",
    "Row",
    "grade_submission",
    "grade_all",
    "write_csv",
    "summarise",
    "FIELDS",
    "trouble_note",
]

FIELDS = ("submission", "exercise", "question", "points", "score", "status", "message", "sha256")
"""CSV columns, one row per submission x question."""


@dataclass(frozen=True)
class GradeConfig:
    """How ``passk grade`` runs submissions."""

    solutions: Path | None = None
    """Folder of solution notebooks holding the hidden tests; None: the course's own, shipped in the package."""
    cell_timeout: float = 60.0
    """Seconds one cell may run before the kernel is interrupted (the cell then counts as an error)."""
    total_timeout: float = 600.0
    """Seconds one whole submission may take, kernel start included."""
    kernel_name: str = "python3"
    """Jupyter kernel to run submissions in."""
    startup_timeout: float = 60.0
    """Seconds to wait for the kernel to start."""
    executed_dir: Path | None = None
    """If set, each executed copy (outputs, check feedback, grading cell) is saved here for review."""
    max_crashed_cells: int = 3
    """Cells that kill the kernel are skipped and the copy re-run, at most this many per submission."""


@dataclass
class Row:
    """One line of the grades CSV."""

    submission: str
    """The submitted file, as given."""
    exercise: str
    """Exercise id, or empty when it could not be told."""
    question: str
    """Question id, or ``*`` for a row about the whole submission."""
    points: float
    """What the question is worth (0 for ``*`` rows)."""
    score: float
    """Points earned."""
    status: str
    """passed, failed or not graded."""
    message: str
    """Why: the check's message, or what went wrong with the submission."""
    sha256: str = ""
    """SHA-256 of the submitted file when it was graded (``passk grade --resume`` compares it)."""


def _rows_for_problem(path: str, exercise: str | None, reason: str) -> list[Row]:
    """Rows that give every question of ``exercise`` zero with ``reason`` (one ``*`` row if unknown)."""
    if exercise:
        return [
            Row(path, exercise, q.qid, q.points, 0.0, "not graded", reason)
            for q in exercise_questions(exercise).values()
        ]
    return [Row(path, "", "*", 0.0, 0.0, "not graded", reason)]


def _grading_cell(exercise: str, nonce: str, hidden: str) -> nbformat.NotebookNode:
    # Bound to a fresh, nonce-named alias: the learner's variables cannot shadow it.
    alias = f"_passk_grading_{nonce}"
    source = (
        f"import course_lib.grading.api as {alias}\n{alias}.emit_report({exercise!r}, {nonce!r}, hidden={hidden!r})"
    )
    return nbformat.v4.new_code_cell(source)


def _report_from(cell: nbformat.NotebookNode, nonce: str) -> list[dict] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            for line in output.get("text", "").splitlines():
                if line.startswith(f"{REPORT_PREFIX} {nonce} "):
                    return json.loads(line.split(" ", 2)[2])
    return None


def _cell_errors(nb: nbformat.NotebookNode, upto: int) -> list[str]:
    errors = []
    for i, cell in enumerate(nb.cells[:upto]):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                errors.append(f"cell {i}: {output.get('ename')}")
    return errors


async def _execute(
    nb: nbformat.NotebookNode,
    folder: Path,
    config: GradeConfig,
    timeout: float,
    started: list[int],
    stopped: list[int] | None = None,
) -> None:
    """Run ``nb`` in a fresh kernel; ``started`` receives each cell's index as its execution begins.

    ``stopped`` receives the index of each cell interrupted at the per-cell time limit: it ran for
    the whole limit and ended in an error (nbclient interrupts it and goes on to the next cell).
    """
    from nbclient import NotebookClient

    began: dict[int, float] = {}

    def on_start(cell, cell_index):
        started.append(cell_index)
        began[cell_index] = time.monotonic()

    def on_done(cell, cell_index, execute_reply):
        ran = time.monotonic() - began.get(cell_index, time.monotonic())
        failed = (execute_reply or {}).get("content", {}).get("status") != "ok"
        if stopped is not None and failed and ran >= 0.99 * config.cell_timeout:
            stopped.append(cell_index)

    client = NotebookClient(
        nb,
        timeout=config.cell_timeout,
        startup_timeout=config.startup_timeout,
        kernel_name=config.kernel_name,
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        resources={"metadata": {"path": str(folder)}},
        on_cell_execute=on_start,
        on_cell_executed=on_done,
    )
    await asyncio.wait_for(client.async_execute(), timeout=timeout)


def _with_cells_skipped(nb: nbformat.NotebookNode, skipped: list[int]) -> nbformat.NotebookNode:
    """A copy of ``nb`` in which the cells ``skipped`` are replaced by a comment."""
    run = copy.deepcopy(nb)
    for i in skipped:
        run.cells[i] = nbformat.v4.new_code_cell(f"# cell {i} was skipped by the grader: it killed the kernel")
    return run


def _save_executed(nb: nbformat.NotebookNode, name: str, folder: Path) -> None:
    """Write the executed copy as ``folder/<parent>__<file>`` (the submitted file is never touched).

    The grading cell, which holds the hidden tests' source, is replaced by a comment: the copy can
    be handed back to the learner.
    """
    nb = copy.deepcopy(nb)
    nb.cells[-1] = nbformat.v4.new_code_cell("# passk grade re-judged every question here (hidden tests not shown)")
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(name)
    nbformat.write(nb, folder / f"{path.parent.name or 'submission'}__{path.name}")


def grade_submission(path: str | Path, config: GradeConfig = GradeConfig()) -> list[Row]:  # noqa: B008 (frozen dataclass)
    """Grade one submitted notebook; never raises for a bad submission, never modifies the file."""
    name = str(path)
    path = Path(path)
    guess = exercise_id({}, path) if path.suffix == ".ipynb" else None
    guess = guess if guess in exercise_ids() else None
    if not path.is_file():
        return _rows_for_problem(name, guess, "file not found")
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
    except Exception as exc:
        return _rows_for_problem(
            name,
            guess,
            f"not a readable Jupyter notebook ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:120] if str(exc) else ''})",
        )
    exercise = exercise_id(nb, path)
    if exercise not in exercise_ids():
        return _rows_for_problem(
            name, None, "cannot tell which exercise this is (no passk.exercise metadata and no exNN file-name prefix)"
        )
    try:
        hidden = hidden_tests_for(exercise, config.solutions)
    except HiddenTestsMissing as exc:  # never a grade that looks complete without them
        return _rows_for_problem(name, exercise, str(exc))
    nonce = secrets.token_hex(8)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells.append(_grading_cell(exercise, nonce, hidden))
    skipped: list[int] = []  # cells that killed the kernel
    with tempfile.TemporaryDirectory(prefix="passk-grade-") as tmp:
        nbformat.write(nb, Path(tmp) / "submission.ipynb")  # the copy that runs; the original is only read
        start = time.monotonic()
        while True:
            run, started, stopped = _with_cells_skipped(nb, skipped), [], []
            try:
                asyncio.run(
                    _execute(
                        run, Path(tmp), config, config.total_timeout - (time.monotonic() - start), started, stopped
                    )
                )
            except Exception as exc:  # timeout, dead kernel, malformed cells, kernel that will not start ...
                if isinstance(exc, asyncio.TimeoutError) or time.monotonic() - start >= config.total_timeout:
                    # (shutting the kernel down at the deadline can surface as DeadKernelError instead)
                    return _rows_for_problem(
                        name,
                        exercise,
                        f"did not finish within {config.total_timeout:g} s "
                        "(a never-ending cell that ignores interrupts?)",
                    )
                if type(exc).__name__ == "DeadKernelError":
                    crashed = started[-1] if started else None  # the cell that was running
                    if crashed is not None and crashed < len(run.cells) - 1 and len(skipped) < config.max_crashed_cells:
                        skipped.append(crashed)  # skip it and run the copy again: other answers still count
                        continue
                    return _rows_for_problem(
                        name,
                        exercise,
                        "the kernel died (the notebook crashed Python, called os._exit or ran out of memory)",
                    )
                detail = str(exc).strip().splitlines()[-1][:160] if str(exc).strip() else ""
                return _rows_for_problem(
                    name, exercise, f"execution failed: {type(exc).__name__}" + (f": {detail}" if detail else "")
                )
            break
    nb = run
    if config.executed_dir is not None:
        _save_executed(nb, name, Path(config.executed_dir))
    report = _report_from(nb.cells[-1], nonce)
    if report is None:
        errs = [o for o in nb.cells[-1].get("outputs", []) if o.get("output_type") == "error"]
        why = f"{errs[0].get('ename')}: {errs[0].get('evalue')}" if errs else "no report was printed"
        return _rows_for_problem(name, exercise, f"the grading cell did not report ({why})")
    errors = _cell_errors(nb, len(nb.cells) - 1)
    suffix = f" [notebook had errors in {len(errors)} cell(s): {', '.join(errors[:3])}]" if errors else ""
    crash_note = f" [cell(s) {', '.join(map(str, skipped))} killed the kernel and were skipped]" if skipped else ""
    graded_cells = len(nb.cells) - 1  # the last one is the grading cell
    stop_note = _stopped_note([i for i in stopped if i < graded_cells], nb, config.cell_timeout)
    hidden_note = "" if hidden.strip() else f" [no hidden tests: the solution notebook of {exercise} has none]"
    return [
        Row(
            name,
            exercise,
            r["qid"],
            r["points"],
            r["score"],
            "passed" if r["passed"] else "failed",
            r["message"] + ("" if r["passed"] else suffix) + crash_note + stop_note + hidden_note,
        )
        for r in report
    ]


def _stopped_note(stopped: list[int], nb: nbformat.NotebookNode, limit: float) -> str:
    """`` [cell 0 (`while True:`) was stopped at the 60 s time limit per cell]`` for the cells stopped, or ''."""
    if not stopped:
        return ""
    names = []
    for i in stopped:
        first = next((line.strip() for line in nb.cells[i].source.splitlines() if line.strip()), "")
        names.append(f"cell {i} (`{first[:40]}{'...' if len(first) > 40 else ''}`)" if first else f"cell {i}")
    verb = "was" if len(names) == 1 else "were"
    return f" [{', '.join(names)} {verb} stopped at the {limit:g} s time limit per cell]"


def grade_all(paths, config: GradeConfig = GradeConfig(), progress=None) -> list[Row]:  # noqa: B008 (frozen dataclass)
    """Grade several submissions in turn; ``progress(path, rows)`` is called after each one."""
    rows = []
    for path in paths:
        result = grade_submission(path, config)
        rows += result
        if progress:
            progress(path, result)
    return rows


def write_csv(rows: list[Row], out: str | Path) -> None:
    """Write the grades CSV (columns :data:`FIELDS`)."""
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)


_TROUBLE = re.compile(
    r"\[(exceeded the [^\]]*|cell\(s\) [^\]]*skipped|[^\]]*stopped at the [^\]]* time limit per cell"
    r"|no hidden tests[^\]]*)\]"
)


def trouble_note(message: str) -> str:
    """What a row's message says went wrong with the whole submission (a limit hit, cells skipped or
    stopped, no hidden tests), or ''."""
    m = _TROUBLE.search(message)
    return m.group(1) if m else ""


def summarise(rows: list[Row]) -> list[dict]:
    """One dict per submission: exercise, score, points, questions passed, and a note."""
    out: dict[str, dict] = {}
    for r in rows:
        s = out.setdefault(
            r.submission,
            {
                "submission": r.submission,
                "exercise": r.exercise,
                "score": 0.0,
                "points": 0.0,
                "passed": 0,
                "questions": 0,
                "note": "",
            },
        )
        s["score"] += r.score
        s["points"] += r.points
        s["questions"] += r.question != "*"
        s["passed"] += r.status == "passed"
        if r.status == "not graded" and not s["note"]:
            s["note"] = r.message
        note = trouble_note(r.message)
        if note and not s["note"]:
            s["note"] = note
    return list(out.values())
