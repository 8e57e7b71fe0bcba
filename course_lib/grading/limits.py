"""Per-submission resource limits for ``passk grade``: memory, processes, CPU time.

Each submission is graded in its own worker process; the worker, the kernel it starts and everything
the kernel starts are placed in one *sandbox*, which caps them together and is emptied (every process
killed) when the submission is done. Three mechanisms, tried in this order (:func:`sandbox_mode`
creates a probe group to find out which one works here):

``cgroup-v2``
    A child of this process's own group in the unified hierarchy, with ``memory.max`` (and
    ``memory.swap.max`` 0) and ``pids.max``; hits are read from ``memory.events`` (``oom_kill``) and
    ``pids.events`` (``max``), CPU time from ``cpu.stat``; emptied with ``cgroup.kill``.
``cgroup-v1``
    A child of this process's own group in the ``memory``, ``pids`` (and, if writable, ``cpuacct``)
    hierarchies, with ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes``, so no escape to
    swap) and ``pids.max``; hits are read from ``memory.oom_control`` (``oom_kill``) and
    ``pids.events``, CPU time from ``cpuacct.usage``.
``poll``
    Where no group can be created (no root, a locked-down container): the supervisor polls the
    worker's process tree every :data:`POLL_S` seconds (the worker is a child subreaper, so processes
    that double-fork stay in its tree), adds up resident memory and threads, and stops then kills the
    tree above a limit. Between two polls a fast fork burst can overshoot the process cap and a fast
    allocation the memory cap: this mode is a safety net, not a guard against a fork bomb.

Groups are created under this process's own group, so limits set above it (a container's, a CI
job's) still apply to the submissions. In every mode the CPU time is polled and the sandbox emptied
above ``cpu_seconds``. Why not ``setrlimit``: ``RLIMIT_AS`` counts reserved address space (the V8
engine inside vl-convert reserves about 67 GB, so a 2 GB cap kills the chart kernels) and
``RLIMIT_NPROC`` does not apply to root. ``pids.max`` counts threads as well as processes (a kernel
has about ten threads), so the poll mode counts threads too.

Not isolated, in any mode: the file system (a submission can read and write whatever the grading
user can), the network, and other users' processes if the grader runs as root. Grade an untrusted
room inside a throwaway container with no network and no secrets, e.g.
``docker run --rm --network none --memory 8g --pids-limit 2048 -v $PWD:/work IMAGE passk grade ...``.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "Sandbox", "sandbox_mode", "parse_size", "become_subreaper", "kill_descendants", "POLL_S"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
POLL_S = 0.2
"""Seconds between two polls of memory, process count and CPU time."""
MODES = ("cgroup-v2", "cgroup-v1", "poll")


def parse_size(text: str | int | float) -> int:
    """Bytes in ``'2G'``, ``'512M'``, ``'1.5GB'``, ``'2GiB'`` or a plain number of bytes."""
    if isinstance(text, (int, float)):
        return int(text)
    s = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(s[-1:], 1)
    return int(float(s[:-1] if scale > 1 else s) * scale)


@dataclass(frozen=True)
class Limits:
    """Resource caps for one submission (the kernel and everything it starts, together)."""

    memory_bytes: int | None = 2 * 2**30
    """Memory of the whole submission (default 2 GiB); None for no cap."""
    max_procs: int | None = 512
    """Processes *and threads* alive at once (default 512); None for no cap."""
    cpu_seconds: float | None = None
    """CPU time (user + system) of the whole submission, worker and kernel start included; None for no cap."""

    def describe(self, limit: str) -> str:
        """``'memory limit of 2 GiB'`` for the limit named ``'memory'``, ``'processes'`` or ``'cpu time'``."""
        if limit == "memory":
            return f"memory limit of {self.memory_bytes / 2**30:g} GiB"
        if limit == "processes":
            return f"process limit of {self.max_procs} processes/threads"
        return f"CPU time limit of {self.cpu_seconds:g} s"


def _own_group(controller: str | None) -> Path | None:
    """This process's group in the v1 hierarchy of ``controller`` (None: the v2 hierarchy), as a path."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, rel = line.split(":", 2)
        if (controller is None and names == "") or (controller is not None and controller in names.split(",")):
            base = CGROUP_ROOT if controller is None else CGROUP_ROOT / controller
            return base / rel.lstrip("/")
    return None


def _v2_parent() -> Path | None:
    """The v2 group under which sandboxes can be made (memory and pids delegated to children), or None."""
    if not (CGROUP_ROOT / "cgroup.controllers").is_file():
        return None  # not a v2 mount at /sys/fs/cgroup (v1 or hybrid)
    parent = _own_group(None)
    if parent is None or not parent.is_dir():
        return None
    control = parent / "cgroup.subtree_control"
    try:
        if not {"memory", "pids"} <= set(control.read_text().split()):
            control.write_text("+memory +pids")  # EBUSY when the group holds processes and is not the root
        return parent if {"memory", "pids"} <= set(control.read_text().split()) else None
    except OSError:
        return None


class Sandbox:
    """One submission's group of processes: create, let the worker ``join``, ``poll``, ``close``.

    ``exceeded()`` names the first limit hit (``'memory'``, ``'processes'``, ``'cpu time'``) or None.
    If the groups of ``mode`` cannot be created, the sandbox falls back to ``'poll'`` (see ``mode``).
    """

    _numbers = itertools.count(1)  # next() is atomic: workers' threads never share a name

    def __init__(self, limits: Limits, mode: str | None = None):
        self.limits, self.mode = limits, mode or sandbox_mode()
        self.name = f"passk-grade-{os.getpid()}-{next(Sandbox._numbers)}"
        self.dirs: list[Path] = []  # groups the worker joins (v1: one per hierarchy)
        self.seen: dict = {}  # poll mode: every process met while polling, pid -> psutil.Process
        self.worker: int | None = None
        self.killed_for: str | None = None
        try:
            if self.mode == "cgroup-v2":
                self._make_v2()
            elif self.mode == "cgroup-v1":
                self._make_v1()
        except OSError:
            self._remove_dirs(tries=1)
            self.dirs, self.mode = [], "poll"

    def _make_v2(self) -> None:
        parent = _v2_parent()
        if parent is None:
            raise OSError("no delegated cgroup v2 group")
        d = parent / self.name
        d.mkdir()
        self.dirs = [d]
        _write(d / "memory.max", self.limits.memory_bytes)
        _write(d / "memory.swap.max", 0 if self.limits.memory_bytes else None)
        _write(d / "pids.max", self.limits.max_procs)

    def _make_v1(self) -> None:
        for controller in ("memory", "pids", "cpuacct"):
            parent = _own_group(controller)
            if parent is None or not os.access(parent, os.W_OK):
                if controller == "cpuacct":
                    continue  # optional: CPU time is then polled per process
                raise OSError(f"cgroup v1 {controller} hierarchy not writable")
            d = parent / self.name
            d.mkdir()
            self.dirs.append(d)
        mem, pids = self.dirs[0], self.dirs[1]
        _write(mem / "memory.limit_in_bytes", self.limits.memory_bytes)
        if self.limits.memory_bytes and (mem / "memory.memsw.limit_in_bytes").exists():
            _write(mem / "memory.memsw.limit_in_bytes", self.limits.memory_bytes)  # no escape to swap
        _write(pids / "pids.max", self.limits.max_procs)

    def join(self, pid: int | None = None) -> None:
        """Put process ``pid`` (default: the caller) into the groups; the worker does this first thing."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid or os.getpid()))

    def pids(self) -> set[int]:
        """Processes of the submission alive now (zombies included)."""
        found: set[int] = set()
        for d in self.dirs:
            try:
                found |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        if not self.dirs and self.worker is not None:
            for p in _tree(self.worker):
                known = self.seen.get(p.pid)
                if known is None or not known.is_running():  # new, or a recycled pid
                    self.seen[p.pid] = p
                found.add(p.pid)
        return found

    def cpu_seconds(self, procs=()) -> float:
        """CPU time used so far: the group's counter where there is one, else summed over ``procs``."""
        for d in self.dirs:
            try:
                if (d / "cpuacct.usage").is_file():
                    return int((d / "cpuacct.usage").read_text()) / 1e9
                if (d / "cpu.stat").is_file():
                    stat = dict(line.split() for line in (d / "cpu.stat").read_text().splitlines())
                    return int(stat["usage_usec"]) / 1e6
            except (OSError, KeyError, ValueError):
                pass
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()  # children_*: children that ended and were reaped
                total += t.user + t.system + t.children_user + t.children_system
            except Exception:  # psutil.Error: the process is gone
                pass
        return total

    def poll(self) -> str | None:
        """Check the caps the kernel does not enforce (CPU time; memory and processes in poll mode).

        Empties the sandbox and returns the name of the limit on a hit, else None.
        """
        import psutil

        if self.killed_for:
            return self.killed_for
        procs = []
        for pid in self.pids():
            try:
                procs.append(psutil.Process(pid))
            except psutil.Error:
                pass
        lim, hit = self.limits, None
        if lim.cpu_seconds is not None and self.cpu_seconds(procs) > lim.cpu_seconds:
            hit = "cpu time"
        elif not self.dirs and (lim.memory_bytes is not None or lim.max_procs is not None):
            rss = threads = 0
            for p in procs:
                try:
                    with p.oneshot():
                        rss += p.memory_info().rss
                        threads += p.num_threads()
                except psutil.Error:
                    pass
            if lim.memory_bytes is not None and rss > lim.memory_bytes:
                hit = "memory"
            elif lim.max_procs is not None and threads > lim.max_procs:
                hit = "processes"
        if hit:
            self.killed_for = hit
            self.kill_all()
        return hit

    def exceeded(self) -> str | None:
        """The first limit the submission ran into (read from the groups' event counters)."""
        if self.killed_for:
            return self.killed_for
        for d in self.dirs:
            for name, key, limit in (
                ("memory.events", "oom_kill", "memory"),
                ("memory.oom_control", "oom_kill", "memory"),
                ("pids.events", "max", "processes"),
            ):
                try:
                    counters = dict(line.split() for line in (d / name).read_text().splitlines() if " " in line)
                except (OSError, ValueError):
                    continue
                if int(counters.get(key, 0)) > 0:
                    return limit
        return None

    def kill_all(self, wait_s: float = 10.0) -> None:
        """SIGKILL every process of the sandbox until none is left (or ``wait_s`` passes)."""
        if not self.dirs:
            if self.worker is not None:
                self.pids()
                _kill_tracked(self.seen, self.worker, wait_s)
            return
        deadline = time.monotonic() + wait_s
        for d in self.dirs:
            if (d / "cgroup.kill").exists():  # cgroup v2, Linux >= 5.14: one write kills the whole group
                try:
                    (d / "cgroup.kill").write_text("1")
                except OSError:
                    pass
        while True:
            alive = {p for p in self.pids() if p != os.getpid()}
            if not alive or time.monotonic() > deadline:
                return
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def close(self) -> None:
        """Kill what is left and remove the groups."""
        self.kill_all()
        self._remove_dirs()

    def _remove_dirs(self, tries: int = 100) -> None:
        for d in self.dirs:
            for _ in range(tries):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still busy: a process being reaped
                    time.sleep(0.05)


def _write(path: Path, value) -> None:
    if value is not None:
        path.write_text(str(int(value)))


@functools.lru_cache(maxsize=1)
def _probe() -> str:
    for mode in MODES[:2]:
        box = Sandbox(Limits(), mode)
        if box.mode == mode:
            box.close()
            return mode
    return "poll"


def sandbox_mode() -> str:
    """``'cgroup-v2'``, ``'cgroup-v1'`` or ``'poll'``: which mechanism :class:`Sandbox` uses here.

    Found by creating (and removing) a probe group; ``PASSK_SANDBOX=poll`` (or a cgroup mode) in the
    environment forces one, for tests and for machines where cgroups misbehave.
    """
    forced = os.environ.get("PASSK_SANDBOX")
    if forced in MODES:
        return forced
    return _probe()


def become_subreaper() -> bool:
    """Make the calling process adopt its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    The worker calls this so that a process which double-forks stays in the worker's tree, where the
    poll mode can find and kill it. Returns False where this is not available.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER = 36
    except (OSError, AttributeError):
        return False


def kill_descendants() -> None:
    """SIGKILL every descendant of the calling process (the worker's last act: nothing outlives it)."""
    _kill_tracked({}, os.getpid(), 10.0, include_root=False)


def _tree(pid: int) -> list:
    """The process ``pid`` and its descendants, as psutil processes (empty if it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _kill_tracked(tracked: dict, root: int, wait_s: float, include_root: bool = True) -> None:
    """Stop, then SIGKILL, ``root``'s tree and every process in ``tracked`` (pid -> psutil.Process).

    Descendants are stopped (SIGSTOP) until a pass finds no new one, so that nothing forks while the
    tree is being killed; psutil checks each process's start time, so a recycled pid is never hit.
    """
    import psutil

    deadline = time.monotonic() + wait_s
    while True:
        for _ in range(50):  # freeze the tree: stop the descendants until a pass finds no new one
            new = [p for p in _tree(root)[1:] if p.pid not in tracked or not tracked[p.pid].is_running()]
            if not new:
                break
            for p in new:
                tracked[p.pid] = p
                try:
                    p.suspend()
                except psutil.Error:
                    pass
        victims = [p for p in tracked.values() if p.pid != os.getpid() and p.pid != root]
        alive = [p for p in victims if _running(p)]
        if not alive and include_root:
            # The root (the subreaper worker) goes last: while it lives, a process orphaned by the
            # kills above is re-parented to it, so the next pass still finds it in the tree; killed
            # together, such an orphan would go to init and outlive the submission.
            alive = [p for p in _tree(root)[:1] if _running(p)]
        if not alive or time.monotonic() > deadline:
            return
        for p in alive:
            try:
                p.kill()
            except psutil.Error:
                pass
        time.sleep(0.02)


def _running(p) -> bool:
    import psutil

    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
