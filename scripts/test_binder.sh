#!/usr/bin/env bash
# Binder's set-up, rehearsed here (issue: "Ready for a room": Binder's memory).
#
# repo2docker reads only binder/: it runs `pip install -r binder/requirements.txt` from the repository
# root, then binder/postBuild. This script does the same in a fresh virtual environment, with two
# stand-ins this machine forces: PyTorch's CPU index cannot be reached, so its lines are dropped and the
# local CPU wheel is installed first (as scripts/bootstrap.py does), and the interpreter is this
# machine's python3 (Binder's runtime.txt asks for 3.12). Then it starts a JupyterLab server from that
# environment and runs each chapter notebook through nbclient (scripts/measure_notebooks.py --server)
# while it samples the resident memory of the server and the kernel together, and fails if a notebook
# raises or the sum ever reaches Binder's 2 GB (2048 MB).
# Not proven here: Binder's own Python and torch build, its image's base memory, and the browser side.
# Usage: scripts/test_binder.sh [NOTEBOOK ...]   (default: every chapter notebook)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/passk-binder.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
notebooks=("$@")
[ ${#notebooks[@]} -gt 0 ] || notebooks=(notebooks/[0-9][0-9]_*.ipynb)

echo "== binder environment"
python3 -m venv "$work/env"
py="$work/env/bin/python"
"$py" -m pip install -q --no-index --no-deps torch 2>/dev/null || "$py" -m pip install -q torch
grep -v -e '^--extra-index-url' -e '^torch' "$root/binder/requirements.txt" >"$work/requirements.txt"
echo "installing binder/requirements.txt without: $(grep -e '^--extra-index-url' -e '^torch' "$root/binder/requirements.txt" | tr '\n' ' ')"
(cd "$root" && "$py" -m pip install -q -r "$work/requirements.txt" 2>&1 | grep -v "^WARNING: Location" || true)
(cd "$root" && PATH="$work/env/bin:$PATH" bash binder/postBuild)
settings="$work/env/share/jupyter/lab/settings/overrides.json"
"$py" -c "import json, sys; s = json.load(open(sys.argv[1])); assert s['@jupyterlab/apputils-extension:notification']['fetchNews'] == 'false', s" "$settings" \
    || { echo "postBuild did not install the course's JupyterLab settings ($settings)"; exit 1; }
echo "environment: $(du -sh "$work/env" | cut -f1), built in $(( $(date +%s) - t0 )) s"

echo "== smoke notebooks, server + kernel memory"
cd "$root"
"$py" scripts/measure_notebooks.py --server --limit-mb 2048 --out "$work/executed" "${notebooks[@]}"
echo "binder rehearsal passed in $(( $(date +%s) - t0 )) s"
