"""Where ``passk grade`` finds the hidden tests of an exercise, and what it says when it cannot.

By default: the course's own, shipped inside the package
(:data:`~course_lib.grading.build.PACKAGED_HIDDEN_TESTS`, written from ``solutions/`` by
``passk build-exercises``), so grading from any folder or from an installed wheel runs them. With
``--solutions DIR``: the solution notebooks in ``DIR`` (a private copy with secret tests). An
exercise whose hidden tests cannot be found is not graded, never graded without them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .build import exercise_id, hidden_source, packaged_hidden_tests

__all__ = ["HiddenTestsMissing", "hidden_tests_for", "describe_hidden_source"]


class HiddenTestsMissing(Exception):
    """The hidden tests of an exercise cannot be found: the submission is not graded (the message says why)."""


_POINT_AT_THEM = (
    "pass --solutions DIR with the solution notebooks (exNN_*.ipynb), or leave --solutions out to use "
    "the course's own hidden tests, shipped with course_lib"
)


def hidden_tests_for(exercise: str, solutions: Path | None = None) -> str:
    """The hidden-test source of ``exercise``: from ``solutions`` if given, else the packaged copy.

    Raises
    ------
    HiddenTestsMissing
        If ``solutions`` holds no readable solution notebook of ``exercise`` (or, without
        ``solutions``, the installed package lacks its hidden tests).
    """
    if solutions is None:
        packaged = packaged_hidden_tests()
        if exercise not in packaged:
            raise HiddenTestsMissing(
                f"no hidden tests for {exercise} in this installation of course_lib (a broken install?): "
                + _POINT_AT_THEM
            )
        return packaged[exercise]
    folder = Path(solutions)
    if not folder.is_dir():
        raise HiddenTestsMissing(f"solutions folder {folder} not found: {_POINT_AT_THEM}")
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:
            continue
        if exercise_id(nb, path) == exercise:
            return hidden_source(nb)
    raise HiddenTestsMissing(
        f"no solution notebook of {exercise} in {folder} (the hidden tests live there): {_POINT_AT_THEM}"
    )


def describe_hidden_source(solutions: Path | None) -> str:
    """Where the hidden tests come from, for the start of a ``passk grade`` run."""
    if solutions is None:
        return f"the course's own, shipped with course_lib ({len(packaged_hidden_tests())} exercises)"
    return f"the solution notebooks in {solutions}"
