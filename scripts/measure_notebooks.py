"""Execute course notebooks one at a time and print each one's wall time and peak kernel memory.

    make measure                                             # the chapter notebooks, with the course's .venv
    .venv/bin/python scripts/measure_notebooks.py            # the same (it needs the [course] extra: psutil, nbclient)
    .venv/bin/python scripts/measure_notebooks.py solutions/*.ipynb    # any notebooks
    .venv/bin/python scripts/measure_notebooks.py --json out.json      # also write the figures as JSON
    .venv/bin/python scripts/measure_notebooks.py --table out.json     # print saved figures as a Markdown table
    .venv/bin/python scripts/measure_notebooks.py --server --limit-mb 2048   # Binder: JupyterLab server + kernel < 2 GB

Each notebook runs exactly as tests/test_notebooks.py runs it (nbclient, a fresh ``python3``
kernel, the notebook's own folder as working directory) and its executed copy is written to
``test-output/notebooks/`` -- the folder the test writes and the course site
(``scripts/build_site.py``) reuses, so one run serves all three. Peak memory is the largest
resident set size (RSS) of the kernel and every process it started, summed, polled every
0.1 s; with ``--server`` a JupyterLab server runs alongside and its process tree counts too:
the sum is the figure to hold against Binder's 2 GB (scripts/test_binder.sh). The instructor guide's timings
(docs/instructor_guide.md) come from this script.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = ROOT / "test-output" / "notebooks"
"""Where executed copies go (the same folder as tests/test_notebooks.py)."""


class PeakMemory:
    """Polls the summed RSS of some processes and all their descendants in a thread; ``peak`` in bytes.

    ``pids`` may change while it runs (the kernel's pid is known only once the kernel is up).
    """

    def __init__(self, pids=(), interval: float = 0.1):
        self.interval = interval
        self.peak = 0
        self.pids: list[int] = list(pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for pid in list(self.pids):
                try:
                    proc = psutil.Process(pid)
                    procs = [proc, *proc.children(recursive=True)]
                except psutil.Error:  # gone
                    continue
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:  # ended between listing and reading
                        pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def execute(path: Path, out_dir: Path = EXECUTED, timeout: int = 600, server_pid: int | None = None) -> dict:
    """Run notebook ``path`` top to bottom, save the executed copy in ``out_dir``; return its figures.

    Returns a dict with ``notebook``, ``seconds`` (wall time, kernel start included),
    ``peak_mb`` (kernel + children RSS, plus the process tree of ``server_pid`` when given: what a
    Binder container holds while a learner runs the chapter), ``errors`` (number of error outputs)
    and ``output``.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    monitor = PeakMemory([] if server_pid is None else [server_pid])

    def on_start(**_):  # the kernel is up: watch its process
        monitor.pids.append(client.km.provisioner.pid)

    client.on_notebook_start = on_start
    start = time.perf_counter()
    failed = None
    with monitor:
        try:
            client.execute()
        except CellExecutionError as exc:
            failed = str(exc)[-2000:]
            client.set_widgets_metadata()  # keep the charts drawn before the error (nbclient skips this)
    seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / path.name
    nbformat.write(nb, out)
    errors = sum(
        o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    return {
        "notebook": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "seconds": round(seconds, 1),
        "peak_mb": round(monitor.peak / 2**20),
        "errors": errors,
        "failure": failed,
        "output": str(out),
    }


def machine() -> dict:
    """What the figures were measured on."""
    import psutil

    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_1min_before": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def markdown_table(saved: dict) -> str:
    """The figures of a ``--json`` file as a dated Markdown table (pasted into the instructor guide)."""
    m = saved["machine"]
    lines = [
        f"Measured {m['date']} on {m['cpus']} CPU cores, {m['memory_gb']} GB, Python {m['python']} "
        f"(1-minute load average {m['load_average_1min_before']} before, {m['load_average_1min_after']} after).",
        "",
        "| Notebook | Run All (s) | Peak memory, kernel + children (MB) |",
        "|---|---:|---:|",
    ]
    for r in saved["notebooks"]:
        lines.append(f"| `{r['notebook']}` | {r['seconds']:.0f} | {r['peak_mb']} |")
    total = sum(r["seconds"] for r in saved["notebooks"])
    lines.append(f"| **total** | **{total:.0f}** | **{max(r['peak_mb'] for r in saved['notebooks'])}** (largest) |")
    return "\n".join(lines)


@contextlib.contextmanager
def jupyterlab_server():
    """A JupyterLab server of this environment on a free port (no token, no browser); yields its pid once it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as root:
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.token=",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # Jupyter refuses root otherwise (CI machines, containers)
        log = Path(root) / "server.log"
        with open(log, "w") as fh:
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 90
                while True:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"the JupyterLab server did not start:\n{log.read_text()[-2000:]}")
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=2)
                        break
                    except OSError:
                        time.sleep(0.5)
                yield proc.pid
            finally:
                proc.terminate()
                proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--json", type=Path, help="also write the figures (and the machine) to this file")
    parser.add_argument("--out", type=Path, default=EXECUTED, help=f"executed copies (default {EXECUTED})")
    parser.add_argument("--table", type=Path, metavar="JSON", help="print a saved --json file as Markdown; run nothing")
    parser.add_argument(
        "--server", action="store_true", help="run a JupyterLab server alongside and count its memory in the peak"
    )
    parser.add_argument("--limit-mb", type=int, help="fail if a notebook's peak reaches this (Binder: 2048)")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table(json.loads(args.table.read_text())))
        return 0
    missing_modules = [m for m in ("psutil", "nbclient", "nbformat") if importlib.util.find_spec(m) is None]
    if missing_modules:
        parser.error(
            f"{', '.join(missing_modules)} not installed in {sys.executable}: run it with the course's environment, "
            "`make measure` (MEASURE_ARGS=... for options) or `.venv/bin/python scripts/measure_notebooks.py ...`"
        )
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    info = machine()
    print(f"# {info['date']}, {info['cpus']} CPUs, {info['memory_gb']} GB, load {info['load_average_1min_before']}")
    rows = []
    with jupyterlab_server() if args.server else contextlib.nullcontext() as server_pid:
        what = "kernel + server" if args.server else "kernel"
        print(f"{'seconds':>8} {'peak MB':>8}  notebook (peak: {what} and their children)")
        for path in paths:
            row = execute(path, args.out, server_pid=server_pid)
            rows.append(row)
            over = args.limit_mb is not None and row["peak_mb"] >= args.limit_mb
            row["over_limit"] = over
            flag = ("  ERROR" if row["errors"] or row["failure"] else "") + ("  OVER THE LIMIT" if over else "")
            print(f"{row['seconds']:8.1f} {row['peak_mb']:8d}  {row['notebook']}{flag}", flush=True)
    info["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    total = sum(r["seconds"] for r in rows)
    print(f"{total:8.1f} {max(r['peak_mb'] for r in rows):8d}  total / largest peak")
    if args.limit_mb is not None:
        print(
            f"largest peak ({what}) {'reached' if any(r['over_limit'] for r in rows) else 'stayed under'} "
            f"{args.limit_mb} MB"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": info, "notebooks": rows}, indent=2) + "\n")
    return 1 if any(r["errors"] or r["failure"] or r["over_limit"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
