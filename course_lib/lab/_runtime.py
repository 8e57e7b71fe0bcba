"""One home of the lab's CPU/GPU tuning: threads, determinism, memory, devices.

What a learner reading the RL step need not see, one line of why for each:

- ``CUBLAS_WORKSPACE_CONFIG`` is set when the lab package is imported (before the first CUDA
  matmul of the process), because deterministic cuBLAS requires it; no effect on a CPU.
- Threads are pinned: the thread count changes how sums are split, so the last bits of results.
- Deterministic algorithms (warn-only): on a GPU the embedding backward otherwise uses atomics.
- Fresh memory is not filled with NaN (a debugging aid that costs time and changes no result).
- Denormals are flushed: Adam's tiny second moments otherwise hit the CPU's slow path (10-30x
  slower steps seen at d = 128); only numbers below 1e-38 change.
- glibc keeps freed blocks (``mallopt``): otherwise every activation lands on fresh pages and
  page-faults (about 500 faults, 1-2 ms, per step at d = 128), as PyTorch's CPU tuning guide notes.
"""

from __future__ import annotations

import contextlib
import os

import torch

# Deterministic cuBLAS needs this set before the first CUDA matmul of the process, so it is set when
# the lab is imported (if the user has not chosen a value); no effect on a CPU.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks for reuse instead of returning them to the OS; True if done.

    By default blocks over 128 KB come from ``mmap`` and go back on ``free``, so every
    activation of an RL step lands on fresh pages and page-faults on first touch (about 500
    faults per step at d = 128, 1-2 ms of kernel time). A fixed 32 MB threshold keeps them in
    the heap: the "memory allocator" advice of PyTorch's CPU performance tuning guide, without
    swapping the allocator. Process-wide and harmless (freed memory is reused, not leaked);
    a no-op where the C library is not glibc.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>
    return bool(mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(M_TRIM_THRESHOLD, 256 << 20))


@contextlib.contextmanager
def reproducible(threads: int):
    """Run a block reproducibly and fast: pinned threads, deterministic algorithms; then restore.

    * ``threads`` CPU threads: the thread count changes how sums are split, so the last bits.
    * ``torch.use_deterministic_algorithms`` (warn-only): on a GPU, ops such as the embedding
      backward otherwise use atomics and differ from run to run (cuBLAS also needs
      ``CUBLAS_WORKSPACE_CONFIG``, set when this module is imported). The debugging aid that
      fills fresh memory with NaN is left off: it costs time and changes no result.
    * Denormals flushed to zero: keeps Adam's tiny second moments from hitting the CPU's slow
      path (a 10-30x slowdown seen at d = 128); it only changes numbers below 1e-38.
    * Freed memory is kept for reuse (:func:`keep_freed_memory`).
    """
    import torch.utils.deterministic as det  # torch >= 2.1

    keep_freed_memory()
    before = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        det.fill_uninitialized_memory,
    )
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    det.fill_uninitialized_memory = False
    flushed = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_num_threads(before[0])
        torch.use_deterministic_algorithms(before[1], warn_only=before[2])
        det.fill_uninitialized_memory = before[3]
        if flushed:
            torch.set_flush_denormal(False)


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA, MPS or CPU (:func:`course_lib.env.compute_device`); else the named device."""
    if name == "auto":
        from course_lib.env import compute_device

        return compute_device()
    return torch.device(name)
