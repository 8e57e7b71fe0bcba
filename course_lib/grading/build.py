"""Generate exercise notebooks from solution notebooks (``passk build-exercises``).

One source: ``solutions/exNN_*.ipynb`` hold the full answers between nbgrader-style markers.

``### BEGIN SOLUTION`` ... ``### END SOLUTION``
    The answer. In the exercise, the region becomes ``# YOUR CODE HERE`` followed by the region's
    stub: its lines that start with ``# STUB:`` (that prefix and one space removed, deeper indentation
    kept), or, when there are none,
    ``raise NotImplementedError()``. Indentation is kept, so a region inside a function body gives a
    function that still runs (and fails its check). A top-level answer such as ``bias = ...`` needs
    a ``# STUB: bias = ...`` line so that the exercise notebook runs without an error. In Markdown
    cells the region becomes ``*Your answer here.*``.
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``
    Instructor-only tests (usually ``hidden_cases(...)`` calls). Removed from the exercise; a cell
    left empty is dropped. ``passk grade`` runs them in the grading kernel.

Building from the course's own ``solutions/`` also writes their hidden tests into the package
(``course_lib/grading/bank/hidden_tests.json``, :data:`PACKAGED_HIDDEN_TESTS`), so that ``passk
grade`` finds them wherever the package is installed, without the repository.

Outputs and execution counts are cleared. The exercise records, in its metadata, the exercise id
and a fingerprint of its generated cells.

A learner's work is never overwritten. An existing exercise notebook is replaced only when it is
exactly as generated (fingerprint matches, no outputs); otherwise the build refuses and names the
file, unless ``force=True``, which first copies the old file to ``<name>.ipynb.bak``. Build into
another folder (``--out``) to get fresh copies next to your own.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = [
    "SOLUTION_BEGIN",
    "SOLUTION_END",
    "HIDDEN_BEGIN",
    "HIDDEN_END",
    "STUB_PREFIX",
    "strip_source",
    "hidden_source",
    "exercise_id",
    "make_exercise",
    "fingerprint",
    "is_pristine",
    "BuildReport",
    "build_exercises",
    "PACKAGED_HIDDEN_TESTS",
    "hidden_tests",
    "packaged_hidden_tests",
]

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB_PREFIX = "# STUB:"
_MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)

PACKAGED_HIDDEN_TESTS = Path(__file__).resolve().parent / "bank" / "hidden_tests.json"
"""The course's hidden tests, shipped inside the package: ``{"exNN": source}``, generated from ``solutions/``."""

_COURSE_SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
"""The course's own solutions folder (exists in a source checkout, not in an installed wheel)."""


def _regions(source: str, where: str):
    """Yield (kind, lines, opening marker line) chunks; kind is "text", "solution" or "hidden"."""
    kind, chunk, opened_by = "text", [], ""
    for lineno, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker in _MARKERS:
            opening = marker in (SOLUTION_BEGIN, HIDDEN_BEGIN)
            expected_kind = "text" if opening else ("solution" if marker == SOLUTION_END else "hidden")
            if kind != expected_kind:
                raise ValueError(
                    f"{where}, line {lineno}: {marker!r} inside a {kind} region "
                    f"(markers must open and close in pairs, without nesting)"
                )
            yield kind, chunk, opened_by
            kind, chunk = ("solution" if marker == SOLUTION_BEGIN else "hidden") if opening else "text", []
            opened_by = line
        else:
            chunk.append(line)
    if kind != "text":
        raise ValueError(f"{where}: a {kind} region is never closed")
    yield kind, chunk, ""


def _stub_text(line: str) -> str:
    """``    # STUB:     return x`` -> ``    return x`` (one space after the colon is dropped, the rest kept)."""
    rest = line.strip()[len(STUB_PREFIX) :]
    return rest[1:] if rest.startswith(" ") else rest


def strip_source(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """The exercise version of one cell's source: answers replaced by stubs, hidden tests removed."""
    out: list[str] = []
    for kind, lines, marker_line in _regions(source, where):
        if kind == "text":
            out.extend(lines)
        elif kind == "solution":
            indent = marker_line[: len(marker_line) - len(marker_line.lstrip())]
            if cell_type == "markdown":
                out.append("*Your answer here.*")
                continue
            stub = [_stub_text(line) for line in lines if line.strip().startswith(STUB_PREFIX)]
            out.append(indent + "# YOUR CODE HERE")
            out.extend(indent + s for s in (stub or ["raise NotImplementedError()"]))
        # hidden regions are dropped
    return "\n".join(out).strip("\n")


def hidden_source(nb: nbformat.NotebookNode) -> str:
    """All hidden-test code of a solution notebook, in order, as one block of source."""
    blocks = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            blocks += ["\n".join(lines) for kind, lines, _ in _regions(cell.source, f"cell {i}") if kind == "hidden"]
    return "\n\n".join(b.strip("\n") for b in blocks if b.strip())


def hidden_tests(solutions: str | Path) -> dict[str, str]:
    """Exercise id -> the hidden-test source of its solution notebook, for every notebook in ``solutions``."""
    out = {}
    for path in sorted(Path(solutions).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        exercise = exercise_id(nb, path)
        if exercise:
            out[exercise] = hidden_source(nb)
    return out


def packaged_hidden_tests() -> dict[str, str]:
    """The hidden tests shipped with the package (``{}`` if the file is missing: a broken install)."""
    try:
        return json.loads(PACKAGED_HIDDEN_TESTS.read_text(encoding="utf-8"))["exercises"]
    except (OSError, ValueError, KeyError):
        return {}


def _hidden_tests_text(solutions: Path) -> str:
    note = "generated from solutions/ by `passk build-exercises`; do not edit"
    data = {"generated_from": note, "exercises": hidden_tests(solutions)}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def exercise_id(nb: nbformat.NotebookNode, path: str | Path = "") -> str | None:
    """The exercise id of a notebook: metadata ``passk.exercise``, else an ``exNN`` file-name prefix."""
    value = nb.get("metadata", {}).get("passk", {}).get("exercise")
    if isinstance(value, str) and re.fullmatch(r"ex\d\d", value):
        return value
    match = re.match(r"(ex\d\d)", Path(path).name)
    return match.group(1) if match else None


def fingerprint(nb: nbformat.NotebookNode) -> str:
    """Short hash of the cells' types and sources (what a learner edits)."""
    cells = [[c.cell_type, c.source] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=True).encode()).hexdigest()[:16]


def make_exercise(solution: nbformat.NotebookNode, source_name: str = "") -> nbformat.NotebookNode:
    """Turn a solution notebook into its exercise notebook (a new object; the input is untouched)."""
    nb = copy.deepcopy(solution)
    cells = []
    for i, cell in enumerate(nb.cells):
        had_hidden = HIDDEN_BEGIN in cell.source
        cell.source = strip_source(cell.source, cell.cell_type, where=f"{source_name} cell {i}")
        if had_hidden and not cell.source.strip():
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        cells.append(cell)
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:03d}"
    nb.cells = cells
    meta = nb.metadata.setdefault("passk", {})
    ex = exercise_id(solution, source_name)
    if ex:
        meta["exercise"] = ex
    meta["generated_from"] = source_name
    meta["fingerprint"] = fingerprint(nb)
    return nb


def is_pristine(path: Path) -> bool:
    """True when ``path`` is an exercise notebook exactly as generated (nothing a learner did to it)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return False
    recorded = nb.metadata.get("passk", {}).get("fingerprint")
    ran = any(c.get("outputs") or c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    return recorded == fingerprint(nb) and not ran


def _text(nb: nbformat.NotebookNode) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


@dataclass
class BuildReport:
    """What a build did (or, with ``check=True``, would do) to each exercise notebook."""

    actions: list[tuple[str, str]] = field(default_factory=list)
    """(file name, action): unchanged, written, would write, refused: edited by hand, replaced, orphan."""

    @property
    def refused(self) -> list[str]:
        """Files not written because they hold someone's edits."""
        return [name for name, action in self.actions if action.startswith("refused")]

    @property
    def stale(self) -> list[str]:
        """Files that differ from what the solutions generate (``check=True``)."""
        return [name for name, action in self.actions if action in ("would write", "missing")]

    def text(self) -> str:
        """One line per file."""
        return "\n".join(f"{action:>28}  {name}" for name, action in self.actions)


def build_exercises(
    solutions: str | Path = "solutions", out: str | Path = "exercises", *, force: bool = False, check: bool = False
) -> BuildReport:
    """Write ``out/<name>.ipynb`` for every ``solutions/<name>.ipynb``.

    When ``solutions`` is the course's own folder, their hidden tests are also written to
    :data:`PACKAGED_HIDDEN_TESTS` (or, with ``check=True``, compared with it).

    Parameters
    ----------
    solutions, out : path
        Folder of solution notebooks; folder to write the exercises to (created if missing).
    force : bool
        Replace exercise notebooks that were edited or run, after copying each to ``.ipynb.bak``.
    check : bool
        Write nothing; report which files are missing or differ from what would be generated.

    Returns
    -------
    BuildReport

    Raises
    ------
    ValueError
        If ``solutions`` holds no notebooks, or a solution has unbalanced markers.
    """
    solutions, out = Path(solutions), Path(out)
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise ValueError(f"solutions: no .ipynb files in {solutions}")
    report = BuildReport()
    if not check:
        out.mkdir(parents=True, exist_ok=True)
    for src in sources:
        solution = nbformat.read(src, as_version=4)
        text = _text(make_exercise(solution, f"{solutions.name}/{src.name}"))
        target = out / src.name
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old == text:
            report.actions.append((target.name, "unchanged"))
        elif check:
            report.actions.append((target.name, "would write" if old is not None else "missing"))
        elif old is None or is_pristine(target):
            target.write_text(text, encoding="utf-8")
            report.actions.append((target.name, "written"))
        elif force:
            backup = target.with_name(target.name + ".bak")
            shutil.copy2(target, backup)
            target.write_text(text, encoding="utf-8")
            report.actions.append((target.name, f"replaced (old copy: {backup.name})"))
        else:
            report.actions.append((target.name, "refused: edited by hand"))
    known = {s.name for s in sources}
    report.actions += [(p.name, "orphan (no solution)") for p in sorted(out.glob("*.ipynb")) if p.name not in known]
    if solutions.resolve() == _COURSE_SOLUTIONS:  # the course's own: its hidden tests ship in the package
        text, target = _hidden_tests_text(solutions), PACKAGED_HIDDEN_TESTS
        name = "/".join(target.parts[-4:])
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old == text:
            report.actions.append((name, "unchanged"))
        elif check:
            report.actions.append((name, "would write" if old is not None else "missing"))
        else:
            target.write_text(text, encoding="utf-8")
            report.actions.append((name, "written"))
    return report
