"""Call a learner's function without letting it hurt the checker.

One call of :func:`call_safely` gives the learner's code a private deep copy of the inputs, a time
limit, a bounded buffer for anything it prints and a record of the warnings it raises, and then
reports whether it changed its inputs in place. Nothing the learner writes can escape as an
exception: errors come back inside :class:`Outcome`.

The time limit uses ``SIGALRM`` (Linux, macOS: the Jupyter kernel runs cells in the main thread, so
this is the normal case in a notebook). Elsewhere (Windows, or a call from a worker thread) the call
runs in a daemon thread and is abandoned when the limit passes; the thread then keeps running in the
background, which is the best plain Python can do.
"""

from __future__ import annotations

import contextlib
import copy
import io
import signal
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["AnswerTimeout", "Outcome", "call_safely", "same_value"]


class AnswerTimeout(BaseException):
    """Raised inside the learner's code when its time runs out.

    A ``BaseException``, so that an ``except Exception:`` in the learner's code cannot swallow it.
    """


class _BoundedWriter(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int):
        self.limit = limit
        self.total = 0
        self._parts: list[str] = []
        self._kept = 0

    def writable(self) -> bool:
        return True

    def write(self, s) -> int:
        s = str(s)
        self.total += len(s)
        if self._kept < self.limit:
            piece = s[: self.limit - self._kept]
            self._parts.append(piece)
            self._kept += len(piece)
        return len(s)

    def getvalue(self) -> str:
        return "".join(self._parts)


@dataclass
class Outcome:
    """What happened when the learner's function was called once."""

    value: Any = None
    """The return value (None when the call raised or timed out)."""
    error: BaseException | None = None
    """The exception the call raised, if any (never an :class:`AnswerTimeout`)."""
    timed_out: bool = False
    """True when the call was stopped at the time limit."""
    seconds: float = 0.0
    """Wall-clock duration of the call."""
    printed: str = ""
    """The first characters the call printed (stdout and stderr together)."""
    printed_chars: int = 0
    """How many characters the call printed in total."""
    warnings: list[str] = field(default_factory=list)
    """Messages of the warnings the call raised (first few, deduplicated)."""
    mutated: list[int | str] = field(default_factory=list)
    """Positions (int) or keyword names (str) of the arguments the call changed in place."""

    @property
    def ok(self) -> bool:
        """True when the call returned normally without touching its inputs."""
        return self.error is None and not self.timed_out and not self.mutated


def same_value(a, b) -> bool:
    """Structural equality that treats NaN as equal to NaN and compares arrays by dtype, shape and values."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        try:
            return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        except TypeError:
            return bool(np.array_equal(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[key], b[key]) for key in a)
    if isinstance(a, float) and a != a:
        return b != b
    try:
        return bool(a == b)
    except Exception:  # objects whose == misbehaves: fall back to identity of their repr
        return repr(a) == repr(b)


def _run_with_alarm(fn: Callable, args, kwargs, time_limit: float):
    """Call ``fn`` in the main thread with a SIGALRM time limit; return (value, error, timed_out)."""

    def on_alarm(signum, frame):
        # Fire again shortly in case the learner's code swallows this one with a bare ``except:``.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise AnswerTimeout()

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_timer = signal.setitimer(signal.ITIMER_REAL, max(time_limit, 1e-3))
    start = time.perf_counter()
    try:
        try:
            return fn(*args, **kwargs), None, False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except AnswerTimeout:
        return None, None, True
    except Exception as exc:  # the learner's error, reported, never re-raised
        return None, exc, False
    except SystemExit as exc:  # e.g. exit() inside the answer
        return None, exc, False
    finally:
        signal.signal(signal.SIGALRM, old_handler)
        if old_timer[0] > 0:  # re-arm an outer timer (pytest-timeout, say) with what it had left
            left = old_timer[0] - (time.perf_counter() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_timer[1])


def _run_in_thread(fn: Callable, args, kwargs, time_limit: float):
    """Fallback without SIGALRM: run ``fn`` in a daemon thread and stop waiting at the limit."""
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported to the learner
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="passk-answer")
    worker.start()
    worker.join(time_limit)
    if worker.is_alive():
        _stop_thread(worker)
        return None, None, True
    return box.get("value"), box.get("error"), False


def _stop_thread(worker: threading.Thread, attempts: int = 20) -> None:
    """Raise AnswerTimeout inside ``worker`` until it ends (or give up after ``attempts``).

    A runaway answer left spinning would hold the GIL and slow everything after it in the
    kernel by orders of magnitude. CPython delivers the exception at the thread's next
    bytecode, so a pure-Python loop stops; a long call inside C ends first. Repeated in
    case the answer swallows the exception with a bare ``except:``.
    """
    import ctypes

    for _ in range(attempts):
        if not worker.is_alive() or worker.ident is None:
            return
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(AnswerTimeout))
        worker.join(0.05)


def call_safely(
    fn: Callable, args: tuple = (), kwargs: dict | None = None, *, time_limit: float = 3.0, output_limit: int = 2000
) -> Outcome:
    """Call ``fn(*args, **kwargs)`` on private copies of the inputs, with a time limit.

    Parameters
    ----------
    fn : callable
        The learner's function.
    args, kwargs : tuple, dict
        Inputs. They are deep-copied before the call, so the caller's objects are never touched.
    time_limit : float
        Seconds the call may take.
    output_limit : int
        How many printed characters to keep (the rest are counted, not stored).

    Returns
    -------
    Outcome
        Return value or error, timing, printed text, warnings and the arguments changed in place.
    """
    kwargs = dict(kwargs or {})
    saved_args, saved_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    call_args, call_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    sink = _BoundedWriter(output_limit)
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    runner = _run_with_alarm if use_alarm else _run_in_thread
    start = time.perf_counter()
    with (
        warnings.catch_warnings(record=True) as caught,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        warnings.simplefilter("always")
        value, error, timed_out = runner(fn, call_args, call_kwargs, time_limit)
    outcome = Outcome(
        value=value,
        error=error,
        timed_out=timed_out,
        seconds=time.perf_counter() - start,
        printed=sink.getvalue(),
        printed_chars=sink.total,
    )
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in outcome.warnings and len(outcome.warnings) < 3:
            outcome.warnings.append(text)
    if not timed_out:
        outcome.mutated = [
            i for i, (a, b) in enumerate(zip(saved_args, call_args, strict=True)) if not same_value(a, b)
        ]
        outcome.mutated += [key for key in saved_kwargs if not same_value(saved_kwargs[key], call_kwargs[key])]
    return outcome
