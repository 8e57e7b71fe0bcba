"""One home of the lab's CPU/GPU tuning and of the performance lore behind the lab's code.

What a learner reading the model or the RL step need not see, one line of why for each:

- ``CUBLAS_WORKSPACE_CONFIG`` is set on import of the lab: deterministic cuBLAS needs it before the first CUDA matmul.
- On an x86 CPU with AVX2 the lab pins PyTorch's kernels to AVX2 (:func:`pin_cpu_kernels`): an AVX-512 machine
  otherwise picks other kernels, whose last bits differ, and an RL run then drifts to other numbers.
- Threads are pinned: the thread count changes how sums are split, so the last bits of results.
- One thread by default: at the lab's size a second gains little and stalls badly when another process shares the cores.
- Deterministic algorithms (warn-only): on a GPU the embedding backward otherwise uses atomics.
- Fresh memory is not filled with NaN (a debugging aid of deterministic mode that costs time and changes no result).
- Denormals are flushed: Adam's tiny second moments otherwise hit the CPU's slow path (10-30x slower steps at d = 128).
- glibc keeps freed blocks (:func:`keep_freed_memory`): else activations page-fault (1-2 ms a step at d = 128).
- One token after a cache attends by broadcast products: at S <= 16, hs <= 32 they beat sdpa's CPU kernel several-fold.
- The model keeps activations as (B T, C) rows, so that every Linear is one plain matmul.
- ReLU, not GPT-2's GELU: on a CPU erf costs ~4x ReLU per element, forward and backward (~5% of an RL step).
- No biases (as nanoGPT): each layer saves a bias-gradient reduction per call.
- Adam is fused (:func:`adam`): one kernel for all parameters (CPU since torch 2.4); the loop version otherwise.
- The gradient norm is one foreach kernel (:func:`total_norm`, torch >= 2.6).
- Sampling with the KV cache encodes a prompt once and feeds one token per step (``bench_lab.py`` measures the gain).
"""

from __future__ import annotations

import contextlib
import os

import torch

# Deterministic cuBLAS needs this set before the first CUDA matmul of the process, so it is set when
# the lab is imported (if the user has not chosen a value); no effect on a CPU.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def pin_cpu_kernels() -> str:
    """Pin PyTorch's CPU kernels to AVX2 where the CPU has it, so a seed gives the same numbers on any such CPU.

    PyTorch picks its vectorised kernels (``ATEN_CPU_CAPABILITY``) and MKL its matrix-product code
    path (``MKL_CBWR``) by the CPU's widest instruction set. Results agree to the last bit only
    within one choice, and an RL run amplifies a last-bit difference into different numbers after
    a few dozen steps: the committed tables of chapter 6 were made with AVX2, so an AVX-512 machine
    would not reproduce them. Both are read at the first operation that needs them, so this runs
    on import of the lab (values the user has set are kept). Measured here: same speed, and the
    same numbers as unpinned on an AVX2 machine. Returns the capability in use (recorded in
    results' provenance); ``"unpinned"`` on other CPUs (ARM, pre-AVX2), where a seed reproduces on
    the same kind of CPU only.
    """
    try:
        has_avx2 = bool(torch.cpu._is_avx2_supported())
    except AttributeError:  # torch without the probe: leave the defaults
        has_avx2 = False
    if has_avx2:
        os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
        os.environ.setdefault("MKL_CBWR", "AVX2,STRICT")
        os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
    return cpu_kernels()


def cpu_kernels() -> str:
    """The CPU kernels in use: ``"AVX2"`` when pinned by :func:`pin_cpu_kernels`, else e.g. ``"unpinned (AVX512)"``."""
    capability = torch.backends.cpu.get_cpu_capability()
    pinned = os.environ.get("ATEN_CPU_CAPABILITY", "").upper() == capability and os.environ.get("MKL_CBWR")
    return capability if pinned else f"unpinned ({capability})"


pin_cpu_kernels()


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
    """Run a block reproducibly and fast, then restore the settings (why each: the module docstring).

    ``threads`` pinned CPU threads, deterministic algorithms (warn-only) without NaN-filled fresh
    memory, denormals flushed to zero (changes only numbers below 1e-38), freed memory kept.
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


def adam(params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    """Adam, fused into one kernel for all parameters where the device has it (CPU, CUDA)."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=device.type in ("cpu", "cuda"))
    except (RuntimeError, TypeError):  # torch < 2.4 on a CPU: the loop version
        return torch.optim.Adam(params, lr=lr)


def total_norm(grads) -> torch.Tensor:
    """Euclidean norm of all gradients together (one foreach kernel on torch >= 2.6)."""
    if not grads:
        return torch.zeros(())
    if hasattr(torch.nn.utils, "get_total_norm"):
        return torch.nn.utils.get_total_norm(grads)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
