#!/usr/bin/env bash
# One prepared check for a machine with a CUDA GPU and no network (issue "Take it to a real model").
# It installs nothing: it uses the Python, torch and numpy the machine already has (a course venv if
# there is one) and says plainly what is missing. Steps:
#   1. what it finds: Python, torch and its CUDA build, the GPU, verl / TRL;
#   2. the lab benchmark on the GPU: RL steps of benchmarks/bench_lab.py's reference setting
#      (32 prompts x 8 samples, GRPO) at d = 64 and d = 128, KV cache on, best of short repeats;
#   3. a short `passk lab run` of notebook 05's full-size configuration (d = 128, the GPU setting);
#   4. with verl and Ray installed: one Ray actor per GPU registers the verl plugin on its own GPU
#      (scripts/verl_gpu_check.py);
#   5. one summary table.
# Usage: bash scripts/gpu_check.sh [OUT_DIR]     (env: PY=python, LAB_STEPS=40, THREADS=8, STEP_TIMEOUT=420;
#        DEVICE=cpu runs steps 2-3 on the CPU: a dry run of this script on a machine without a GPU)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-/tmp/passk-gpu-check}}
mkdir -p "$out"
steps=${LAB_STEPS:-40}
device=${DEVICE:-cuda}
threads=${THREADS:-8}
step_timeout=${STEP_TIMEOUT:-420}  # seconds for each of steps 2 and 3 (exit 124: timed out)
for candidate in "${PY:-}" .venv/bin/python python3 python; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then py=$candidate; break; fi
done
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # course_lib from this checkout, installed or not
summary="$out/summary.tsv"
: >"$summary"
row() { printf '%s\t%s\n' "$1" "$2" >>"$summary"; }

echo "== 1. what this machine has"
row "python" "$("$py" -c 'import sys; print(sys.version.split()[0], sys.executable)' 2>&1)"
"$py" - >"$out/found.tsv" 2>&1 <<'PY'
import importlib.util

def has(m):
    return importlib.util.find_spec(m) is not None

for mod in ("numpy", "torch", "verl", "trl", "vllm", "ray"):
    if not has(mod):
        print(f"{mod}\tMISSING")
        continue
    m = __import__(mod)
    print(f"{mod}\t{getattr(m, '__version__', '?')}")
if has("torch"):
    import torch

    print(f"torch CUDA build\t{torch.version.cuda or 'none (CPU build)'}")
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        print(f"GPU\t{torch.cuda.device_count()} x {p.name}, {p.total_memory / 2**30:.0f} GiB, sm_{p.major}{p.minor}")
    else:
        print("GPU\tMISSING (torch.cuda.is_available() is False)")
PY
cat "$out/found.tsv" >>"$summary"
cat "$summary"
if [ "$device" = cuda ] && ! grep -q "^GPU	[0-9]" "$summary"; then
    echo "no usable CUDA GPU (or no torch / numpy): nothing more to run here; see $summary"
    exit 0
fi

echo "== 2. lab benchmark on $device (reference setting of benchmarks/bench_lab.py)"
timeout "$step_timeout" "$py" - "$out" "$device" "$threads" >"$out/bench.log" 2>&1 <<'PY'
import math
import sys
import time

import torch

from course_lib.lab import LabConfig
from course_lib.lab.step import make_state, rl_step

out, device, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
with open(f"{out}/bench.tsv", "w") as f:
    for d in (64, 128):
        # same threads as step 3, so that its warm start (on the CPU, cached) is reused there
        cfg = LabConfig(d_model=d, device=device, steps=10**9, threads=threads)
        state = make_state(cfg)
        for _ in range(10):  # warm-up (kernels, allocator)
            rl_step(state)
        sync()
        best = math.inf
        for _ in range(10):
            t0 = time.perf_counter()
            for _ in range(8):
                rl_step(state)
            sync()
            best = min(best, (time.perf_counter() - t0) / 8)
        per_s = cfg.prompts_per_step * cfg.n / best
        print(f"d={d}: {best * 1e3:.2f} ms/step, {per_s:,.0f} completions/s")
        f.write(f"lab bench d={d} ({device})\t{best * 1e3:.2f} ms/step, {per_s:,.0f} completions/s\n")
PY
status=$?
cat "$out/bench.log"
if [ $status -eq 0 ]; then cat "$out/bench.tsv" >>"$summary"; else row "lab bench ($device)" "FAILED, exit $status (124: over ${step_timeout} s; see $out/bench.log)"; fi

echo "== 3. passk lab run, notebook 05's full-size configuration (d = 128), $steps steps"
t0=$(date +%s)
timeout "$step_timeout" "$py" -m course_lib.cli lab run --objective grpo --d-model 128 --steps "$steps" \
    --device "$device" --threads "$threads" --out "$out/lab_run" --quiet >"$out/lab_run.log" 2>&1
status=$?
dt=$(( $(date +%s) - t0 ))
tail -5 "$out/lab_run.log"
if [ $status -eq 0 ]; then
    last=$("$py" -c "
from course_lib.lab.loop import evaluated, read_history
h = evaluated(read_history('$out/lab_run'))
print(', '.join(f'{k}={v:.3f}' for k, v in h[-1].items() if k.startswith(('seen/pass@', 'held/pass@'))) if h else 'no evaluation row')
" 2>&1)
    row "passk lab run d=128, $steps steps ($device)" "$dt s wall (~$(( dt * 300 / steps )) s for notebook 05's 300 steps); last eval: $last"
else
    row "passk lab run d=128 ($device)" "FAILED, exit $status after $dt s (124: over ${step_timeout} s; see $out/lab_run.log)"
fi

echo "== 4. verl plugin on the GPUs (one Ray actor per GPU: its own device, every passk_* name registered)"
timeout "$step_timeout" "$py" scripts/verl_gpu_check.py >"$out/verl_gpu.log" 2>&1
status=$?
grep -P "^verl (actor|GPU check)\t" "$out/verl_gpu.log" | tee -a "$summary"
[ $status -eq 0 ] || row "verl GPU check" "FAILED, exit $status (see $out/verl_gpu.log)"

echo "== 5. summary"
column -t -s $'\t' "$summary" 2>/dev/null || cat "$summary"
