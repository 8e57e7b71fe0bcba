"""Grading a room: ``python benchmarks/bench_grade_room.py [--copies 10] [--jobs 1 2]``.

Target (issue 16): ``passk grade --jobs N`` on N cores is close to N times faster than one job. The
room is ``--copies`` copies of each solution notebook (a complete answer: every check and hidden test
runs, as for a learner who finished), graded with :func:`~course_lib.grading.room.grade_room` (what
``passk grade`` runs) under the default limits, once per ``--jobs`` value. Printed: the wall time,
seconds per submission, the speed-up over the first ``--jobs`` value, and the time projected for a
workshop of 30 learners x the exercises (wall time per submission x 30 x exercises). Every copy
must score full marks (a check that the parallel run grades correctly, not just fast). On a shared
or busy machine the speed-up is depressed: run it on an idle one for the figure that counts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from course_lib.grading.grade import GradeConfig, summarise
from course_lib.grading.limits import Limits, sandbox_mode
from course_lib.grading.room import grade_room

ROOT = Path(__file__).resolve().parents[1]
LEARNERS = 30


def make_room(folder: Path, copies: int, only: list[str] | None) -> list[Path]:
    """``folder/learnerNN/<solution name>.ipynb`` for ``copies`` learners; returns the files."""
    solutions = sorted((ROOT / "solutions").glob("ex[0-9][0-9]_*.ipynb"))
    if only:
        solutions = [p for p in solutions if p.name[:4] in only]
    paths = []
    for i in range(copies):
        (folder / f"learner{i:02d}").mkdir(parents=True)
        for sol in solutions:
            paths.append(shutil.copy(sol, folder / f"learner{i:02d}" / sol.name))
    return [Path(p) for p in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of each exercise notebook (default 10)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to time (default 1 2)")
    parser.add_argument("--exercises", nargs="*", help="only these exercise ids, e.g. ex01 ex03")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    config = GradeConfig(solutions=ROOT / "solutions")
    with tempfile.TemporaryDirectory(prefix="passk-bench-room-") as tmp:
        paths = make_room(Path(tmp), args.copies, args.exercises)
        n_ex = len(paths) // args.copies
        print(
            f"room: {args.copies} copies x {n_ex} exercise notebook(s) = {len(paths)} submissions; "
            f"{cores} core(s); sandbox: {sandbox_mode()}; load average before: {os.getloadavg()[0]:.1f}"
        )
        room = f"{LEARNERS} learners (min)"
        print(f"{'jobs':>4} {'wall (s)':>9} {'s/submission':>13} {'speed-up':>9} {room:>19}  ok")
        first = None
        for jobs in args.jobs:
            start = time.perf_counter()
            rows = grade_room(paths, config, Limits(), jobs=jobs)
            wall = time.perf_counter() - start
            full = all(s["score"] == s["points"] > 0 for s in summarise(rows))
            first = first or wall
            per = wall / len(paths)
            print(
                f"{jobs:>4} {wall:>9.1f} {per:>13.2f} {first / wall:>9.2f} {per * LEARNERS * n_ex / 60:>19.1f}"
                f"  {'yes' if full else 'NO: a copy lost points'}"
            )
        print(f"load average after: {os.getloadavg()[0]:.1f} (above {cores} means other work shared the cores)")


if __name__ == "__main__":
    main()
