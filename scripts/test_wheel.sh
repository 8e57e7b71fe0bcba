#!/usr/bin/env bash
# Test the artefact users install (issue: "Ship it as a package"): build the sdist and wheel, check
# them, install the wheel into fresh virtual environments outside the repository, and run
#   (a) the core alone (NumPy): metric and estimator tests, `passk curve` on a small file, `passk doctor`
#       (exit 0, the layers and the extra that adds the rest), and a check that JupyterLab, Altair, SymPy
#       and PyTorch are not importable;
#   (b) the [course] extra (PyTorch's local CPU wheel first, as scripts/bootstrap.py does): one
#       chapter notebook, one exercise check, and `passk grade` of an answered exercise (its hidden
#       tests read from the installed package), from outside the repository folder.
# Usage: scripts/test_wheel.sh [PYTHON]   (PYTHON: the interpreter of .venv, which has build + twine)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-$root/.venv/bin/python}
work=$(mktemp -d "${TMPDIR:-/tmp}/passk-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)

echo "== build"
"$py" -m build --sdist --wheel --outdir "$work/dist" "$root" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
"$py" -m twine check --strict "$work"/dist/*
wheel=$(ls "$work"/dist/*.whl)
unzip -Z1 "$wheel" >"$work/files.txt"  # (a file: grep -q on a pipe would end unzip early under pipefail)
grep -q "course_lib/grading/bank/ex01.py" "$work/files.txt" || { echo "question bank missing from the wheel"; exit 1; }
grep -q "course_lib/grading/bank/hidden_tests.json" "$work/files.txt" || { echo "hidden tests missing from the wheel"; exit 1; }
grep -q "licenses/LICENSE" "$work/files.txt" || { echo "LICENSE missing from the wheel"; exit 1; }
echo "wheel: $(wc -l <"$work/files.txt") files, $(du -k "$wheel" | cut -f1) KB"

echo "== (a) core install"
python3 -m venv "$work/core"
core="$work/core/bin/python"
"$core" -m pip install -q "$wheel" pytest hypothesis mpmath 2>&1 | grep -v "^WARNING: Location" || true
cd "$work"  # outside the repository: nothing is imported from the checkout
"$core" - <<'PY'
import importlib.util, sys, time
t0 = time.perf_counter()
import course_lib.passk, course_lib.advantages, course_lib.evaluation.curve  # noqa: E401
dt = time.perf_counter() - t0
assert "site-packages" in course_lib.passk.__file__, course_lib.passk.__file__
heavy = [m for m in ("jupyterlab", "altair", "sympy", "torch", "ipywidgets", "nbformat") if importlib.util.find_spec(m)]
assert not heavy, f"the core install has {heavy}"
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "sympy", "altair", "IPython"))
assert not loaded, loaded
third_party = sorted({m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names) - {"course_lib"})
print(f"core: course_lib from {course_lib.passk.__file__.rsplit('/course_lib', 1)[0]}; imports in {dt:.3f} s")
print(f"core: third-party modules imported: {third_party}")
PY
echo "core: environment size $(du -sh "$work/core" | cut -f1) (venv with pip, pytest, hypothesis, mpmath)"
"$core" -m pytest -q -p no:cacheprovider --rootdir "$work" -c /dev/null \
    "$root/tests/test_passk.py" "$root/tests/test_advantages.py" \
    "$root/tests/test_evaluation_math.py" "$root/tests/test_evaluation_readers.py" "$root/tests/test_evaluation_cli.py"
printf '{"task_id": "a", "passed": true}\n{"task_id": "a", "passed": false}\n{"task_id": "b", "passed": false}\n{"task_id": "b", "passed": false}\n' >"$work/results.jsonl"
"$work/core/bin/passk" curve "$work/results.jsonl" --json "$work/curve.json" --resamples 200
"$core" -c "import json; r = json.load(open('$work/curve.json')); assert r['files']['$work/results.jsonl']['pass_at_k']['1'] == 0.25, r"
"$work/core/bin/passk" --help >/dev/null
# a deliberate core install is a supported one: doctor names the layers and the extra that adds the rest, exit 0
"$work/core/bin/passk" doctor >"$work/doctor.out" 2>&1 || { cat "$work/doctor.out"; echo "passk doctor failed on the core"; exit 1; }
grep -q "install layers .*core; not installed: charts, lab, course" "$work/doctor.out" || { cat "$work/doctor.out"; exit 1; }
grep -q 'pip install "passk-course\[course\] @ git+' "$work/doctor.out" || { cat "$work/doctor.out"; exit 1; }
echo "core: passk doctor exits 0 and says: $(tail -1 "$work/doctor.out")"
if "$work/core/bin/passk" lab run --help >"$work/lab.out" 2>&1; then echo "passk lab ran without torch?"; exit 1; fi
grep -q 'passk-course\[lab\]' "$work/lab.out" || { cat "$work/lab.out"; exit 1; }
echo "core: passk lab without torch says: $(cat "$work/lab.out")"

echo "== (b) [course] install"
python3 -m venv "$work/course"
course="$work/course/bin/python"
# PyTorch first and on its own (a local CPU wheel when pip finds one offline), as scripts/bootstrap.py does
"$course" -m pip install -q --no-index --no-deps torch 2>/dev/null || "$course" -m pip install -q torch
"$course" -m pip install -q "$wheel[course]" 2>&1 | grep -v "^WARNING: Location" || true
mkdir -p "$work/run" && cp "$root/notebooks/01_pass_at_k_metric.ipynb" "$work/run/"
cd "$work/run"
PASSK_ROOT="$root" "$course" - <<'PY'
import time
import nbformat
from nbclient import NotebookClient
import course_lib
assert "site-packages" in course_lib.__file__, course_lib.__file__
t0 = time.perf_counter()
nb = nbformat.read("01_pass_at_k_metric.ipynb", as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
print(f"course: notebook 01 ran in {time.perf_counter() - t0:.1f} s from the installed wheel")
from course_lib.grading import check


def pass_at_k(n, c, k):  # a learner's answer: the stable product form
    if n - c < k:
        return 1.0
    fail = 1.0
    for i in range(n - c + 1, n + 1):
        fail *= 1.0 - k / i
    return 1.0 - fail


result = check("ex01.q2", pass_at_k)  # the bank of questions is read from the installed wheel
assert result.passed, result.verdict
print("course: exercise check ex01.q2 passed from the installed wheel")

# an answered exercise without its hidden-test cells, graded here (no solutions/ folder anywhere near)
nb = nbformat.read(__import__("os").environ["PASSK_ROOT"] + "/solutions/ex01_pass_at_k_metric.ipynb", as_version=4)
nb.cells = [c for c in nb.cells if "BEGIN HIDDEN TESTS" not in c.source]
nbformat.write(nb, "ex01_answered.ipynb")
PY
"$work/course/bin/passk" grade ex01_answered.ipynb --out grades.csv --jobs 1 2>"$work/grade.err" >"$work/grade.out" \
    || { cat "$work/grade.err" "$work/grade.out"; exit 1; }
grep -q "hidden tests: the course's own, shipped with course_lib" "$work/grade.err" || { cat "$work/grade.err"; exit 1; }
"$course" - <<'PY'
import csv
rows = list(csv.DictReader(open("grades.csv", newline="")))
assert rows and all(r["status"] == "passed" for r in rows), rows
hidden = [r["message"] for r in rows if "hidden)" in r["message"]]
assert hidden, [r["message"] for r in rows]
print(f"course: passk grade from the installed wheel: {len(rows)}/{len(rows)} passed, {hidden[0]!r}")
PY
echo "wheel tests passed in $(( $(date +%s) - t0 )) s"
