"""Execute course notebooks one at a time and print each one's wall time and peak kernel memory.

    make measure                                             # the chapter notebooks, with the course's .venv
    .venv/bin/python scripts/measure_notebooks.py            # the same (it needs the [course] extra: psutil, nbclient)
    .venv/bin/python scripts/measure_notebooks.py solutions/*.ipynb    # any notebooks
    .venv/bin/python scripts/measure_notebooks.py --json out.json      # also write the figures as JSON
    .venv/bin/python scripts/measure_notebooks.py --table out.json     # print saved figures as a Markdown table
    .venv/bin/python scripts/measure_notebooks.py --server --limit-mb 2048   # Binder: JupyterLab server + kernel < 2 GB

Each notebook runs exactly as tests/test_notebooks.py runs it (nbclient, a fresh ``python3``
kernel, the notebook's own folder as working directory) and its executed copy is written to
``test-output/notebooks/`` (``$PASSK_EXECUTED`` if set: another environment keeps its own).

**One execution per environment.** Each executed copy carries its *execution key* in its metadata
(:func:`execution_key`: digests of the notebook file, of the ``course_lib`` that the kernel
imports, of ``results/``, of the environment's package versions and Python, and for chapter 8
of the real model's copy). A copy whose key
matches is current: the notebook test, the browser test's saved-state checks and the course
site reuse it (:func:`executed`) instead of running the notebook again, and any change to one of
those inputs runs it again. This script always executes (it measures). Peak memory is the largest
resident set size (RSS) of the kernel and every process it started, summed, polled every
0.1 s; with ``--server`` a JupyterLab server runs alongside and its process tree counts too:
the sum is the figure to hold against Binder's 2 GB (scripts/test_binder.sh). The instructor guide's timings
(docs/instructor_guide.md) come from this script.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import hashlib
import importlib.metadata
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
EXECUTED = ROOT / os.environ.get("PASSK_EXECUTED", "test-output/notebooks")
"""Where executed copies go, and where tests/test_notebooks.py, the browser test and the site find them."""
KEY = "passk_execution"
"""Notebook metadata field of an executed copy: its execution key and figures (see :func:`executed`)."""


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


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _tree_digest(folder: Path) -> str:
    """Digest of every file under ``folder`` (names and bytes; caches left out); '' if there is none."""
    if not folder.is_dir():
        return ""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    h = hashlib.sha256()
    for p in files:
        h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _packages() -> str:
    """Digest of this environment's installed distributions (name==version, sorted) and its Python."""
    dists = sorted({f"{(d.metadata['Name'] or '').lower()}=={d.version}" for d in importlib.metadata.distributions()})
    return _digest("\n".join([platform.python_version(), *dists]).encode())


MODEL_USERS = "course_lib.realmodel"
"""A notebook whose text names this package loads chapter 8's real model: its key also holds the model copy."""


def _model_digest() -> str:
    """Digest of the record of chapter 8's model copy in the course's cache; '' if there is none.

    The record (``passk-model.json``, written last by ``passk model fetch``) holds the SHA-256 of the
    copy's weights and the transformers and torch that converted it: the model files that matter.
    The folder and the record's name come from ``course_lib.realmodel.fetch`` (their one home).
    """
    try:
        from course_lib.realmodel.fetch import MANIFEST, model_dir
    except ImportError:  # a course without chapter 8's package
        return ""
    record = model_dir() / MANIFEST
    return _digest(record.read_bytes()) if record.is_file() else ""


def execution_key(path: Path) -> dict:
    """What an executed copy of notebook ``path`` depends on, as digests (equal digests: reuse the copy).

    ``notebook``: the file; ``course_lib``: the package the kernel imports (found as this interpreter
    finds it: ``PYTHONPATH`` counts); ``results``: the committed results that chapters read;
    ``packages``: this environment's package versions and Python version; and, only for a notebook
    that uses the real model (its text names :data:`MODEL_USERS`), ``model``: :func:`_model_digest`
    (the other chapters' copies do not depend on it, and stay current when the model is fetched).
    """
    spec = importlib.util.find_spec("course_lib")
    lib = Path(next(iter(spec.submodule_search_locations))) if spec else ROOT / "course_lib"
    text = Path(path).read_bytes()
    key = {
        "notebook": _digest(text),
        "course_lib": _tree_digest(lib),
        "results": _tree_digest(ROOT / "results"),
        "packages": _packages(),
    }
    if MODEL_USERS.encode() in text:
        key["model"] = _model_digest()
    return key


def current(path: Path, out_dir: Path = EXECUTED, allow_errors: bool = False) -> tuple[dict | None, str]:
    """The figures of the executed copy of ``path`` in ``out_dir`` if it is current, else None; and why.

    Current: its execution key equals :func:`execution_key` now, and it ran without an error
    (unless ``allow_errors``).
    """
    copy = Path(out_dir) / Path(path).name
    if not copy.exists():
        return None, "not executed yet"
    try:
        record = json.loads(copy.read_text(encoding="utf-8"))["metadata"].get(KEY)
    except (OSError, ValueError, KeyError):
        return None, "unreadable copy"
    if not isinstance(record, dict) or not isinstance(record.get("key"), dict):
        return None, "copy without an execution key"
    now = execution_key(path)
    changed = [name for name in now if record["key"].get(name) != now[name]]
    if changed:
        return None, f"changed since it ran: {', '.join(changed)}"
    if (record["errors"] or record["failure"]) and not allow_errors:
        return None, "it raised when it ran"
    return {**record, "output": str(copy), "reused": True}, f"current (executed {record['executed_at']})"


def executed(path: Path, out_dir: Path = EXECUTED, allow_errors: bool = False, **kwargs) -> dict:
    """The figures of a current executed copy of ``path``: reused if there is one, else executed now.

    Returns :func:`execute`'s dict; ``reused`` tells which. ``kwargs`` go to :func:`execute`.
    """
    record, _why = current(path, out_dir, allow_errors)
    return record if record is not None else execute(path, out_dir, **kwargs)


def execute(path: Path, out_dir: Path = EXECUTED, timeout: int = 600, server_pid: int | None = None) -> dict:
    """Run notebook ``path`` top to bottom, save the executed copy in ``out_dir``; return its figures.

    Returns a dict with ``notebook``, ``seconds`` (wall time, kernel start included),
    ``peak_mb`` (kernel + children RSS, plus the process tree of ``server_pid`` when given: what a
    Binder container holds while a learner runs the chapter), ``errors`` (number of error outputs),
    ``failure`` (the end of the error of the cell that raised, or None), ``executed_at``, ``key``
    (:func:`execution_key`, also saved in the copy's metadata), ``reused`` (False) and ``output``.
    """
    key = execution_key(path)
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
            failed = str(exc)[-3000:]
            client.set_widgets_metadata()  # keep the charts drawn before the error (nbclient skips this)
    seconds = time.perf_counter() - start
    if "model" in key:  # the copy this run used: fetched by the notebook itself on a fresh machine
        key["model"] = _model_digest()
    errors = sum(
        o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    record = {
        "notebook": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "seconds": round(seconds, 1),
        "peak_mb": round(monitor.peak / 2**20),
        "errors": errors,
        "failure": failed,
        "executed_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "key": key,
    }
    nb.metadata[KEY] = record
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / path.name
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(out)  # whole or not at all: a reader never finds half a copy
    return {**record, "reused": False, "output": str(out)}


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
