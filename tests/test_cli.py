"""The `passk` command, environment detection and the project's single-home settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib import config, doctor, env
from course_lib.cli import main

ROOT = Path(__file__).resolve().parent.parent
REAL_VERSION_OF = env.version_of


def _passk() -> str:
    exe = Path(sys.executable).with_name("passk")
    return str(exe) if exe.exists() else shutil.which("passk")


def test_help_lists_doctor(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "doctor" in capsys.readouterr().out


def test_console_script_runs_doctor():
    out = subprocess.run([_passk(), "doctor"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for row in ("python", "torch", "ipywidgets", "altair", "jupyterlab", "environment", "device", "chart renderer"):
        assert f"  {row} " in out.stdout, (row, out.stdout)
    assert "environment" in out.stdout and "  python " in out.stdout
    # Plain Python process: no notebook front end, and the device is the CPU on this machine or a GPU.
    assert any(line.split()[-1] == "python" for line in out.stdout.splitlines() if "environment" in line)


def test_doctor_reports_versions_that_are_installed():
    rows = doctor.report()
    import altair
    import ipywidgets
    import torch

    assert rows["torch"] == torch.__version__.split("+")[0] or rows["torch"] == torch.__version__
    assert rows["altair"] == altair.__version__
    assert rows["ipywidgets"] == ipywidgets.__version__
    assert rows["chart renderer"]


@pytest.mark.parametrize(
    "variables, expected",
    [
        ({"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, "kaggle"),
        ({"BINDER_SERVICE_HOST": "10.0.0.1"}, "binder"),
        ({}, "python"),
    ],
)
def test_detect_environment_from_variables(monkeypatch, variables, expected):
    for name in ("KAGGLE_KERNEL_RUN_TYPE", "BINDER_SERVICE_HOST", "BINDER_LAUNCH_HOST", "BINDER_REPO_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert env.detect_environment() == expected


def test_detect_colab(monkeypatch):
    import types

    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    assert env.detect_environment() == "colab"


def test_compute_device_is_usable():
    import torch

    device = env.compute_device()
    assert device.type in ("cpu", "cuda", "mps")
    assert torch.ones(2, device=device).sum().item() == 2.0


def test_urls_come_from_one_setting(monkeypatch):
    monkeypatch.setattr(config, "REPO_URL", "https://github.com/someone/fork")
    assert config.repo_slug() == "someone/fork"
    assert "github/someone/fork/blob/main/notebooks/x.ipynb" in config.colab_url("notebooks/x.ipynb")
    assert "mybinder.org/v2/gh/someone/fork/main" in config.binder_url()
    assert "git+https://github.com/someone/fork@main" in config.setup_cell_source()
    assert "someone/fork" in config.badges_markdown()


def test_setup_cell_does_nothing_outside_colab():
    """The set-up cell runs in plain Python without installing anything or failing."""
    code = config.setup_cell_source()
    assert "google.colab" in code
    namespace: dict = {}
    exec(compile(code, "<setup-cell>", "exec"), namespace)  # no Colab here: must be a no-op
    assert "pip" not in namespace  # the install branch was not taken


def test_bootstrap_is_a_no_op_when_up_to_date():
    """`make test`/`make course` call the bootstrap every time; on a ready venv it returns at once.

    Only for this checkout's own environment (``.venv`` beside it, as `make test` makes it), and with
    ``--check``, which installs nothing: a test never rewrites an environment it was not made for.
    """
    venv_dir = Path(sys.prefix).resolve()
    if venv_dir != (ROOT / ".venv").resolve() or not (venv_dir / ".passk-installed").exists():
        pytest.skip("tests are not running in this checkout's bootstrap-made .venv")
    for extras in ("course", "course,test"):  # `make course`, then `make test`: both up to date
        out = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "bootstrap.py"), str(venv_dir), "--extras", extras, "--check"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert out.returncode == 0 and "pip" not in out.stdout, out.stdout + out.stderr


def _modules_after(code: str) -> list[str]:
    """Heavy top-level modules in sys.modules after running ``code`` in a fresh interpreter."""
    heavy = {"torch", "sympy", "altair", "IPython", "ipywidgets", "nbformat", "vl_convert"}
    probe = f"import sys\n{code}\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy!r}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return eval(out.strip().splitlines()[-1])


def test_the_core_imports_no_heavy_package():
    assert _modules_after("import course_lib.passk, course_lib.advantages, course_lib.evaluation.curve") == []


def test_the_cli_parser_imports_no_heavy_package():
    assert _modules_after("from course_lib.cli import build_parser; build_parser().format_help()") == []


def test_a_command_whose_extra_is_missing_says_which_in_one_line():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from course_lib.cli import main\n"
        "sys.exit(main(['lab', 'run', '--steps', '1', '--out', 'x']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"passk: this command needs torch: {config.pip_install('lab')}"
    assert f"@ git+{config.REPO_URL}@" in proc.stderr  # no index serves the package: the repository URL


def _installed_except(monkeypatch, *absent: str) -> None:
    """Make ``env.version_of`` report the packages ``absent`` as not installed."""
    real = REAL_VERSION_OF
    monkeypatch.setattr(env, "version_of", lambda name: "not installed" if name in absent else real(name))
    monkeypatch.setattr(doctor, "version_of", env.version_of)


def test_doctor_on_a_core_install_names_the_layers_and_the_extra_and_exits_0(monkeypatch, capsys):
    course = ["jupyterlab", "ipykernel", "ipywidgets", "anywidget", "sympy", "nbformat", "nbclient", "psutil"]
    _installed_except(monkeypatch, "torch", "tqdm", "altair", "vl-convert-python", *course)
    layers = {extra: sorted(missing) for extra, missing in env.install_layers().items()}
    assert layers == {
        "charts": ["altair", "vl-convert-python"],
        "lab": ["torch", "tqdm"],
        "course": sorted([*course, "torch", "tqdm", "altair", "vl-convert-python"]),
    }
    assert doctor.layers_line() == "core; not installed: charts, lab, course"
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "This is a core install" in out and config.pip_install("course") in out and "make" not in out
    # core + charts (a `passk curve --out` user): still deliberate
    _installed_except(monkeypatch, "torch", "tqdm", *course)
    assert doctor.layers_line() == "core, charts; not installed: lab, course"
    assert doctor.advice()[1] == 0


def test_doctor_exits_1_for_a_half_installed_layer(monkeypatch, capsys):
    _installed_except(monkeypatch, "tqdm")  # torch is there, the rest of [lab] is not
    text, code = doctor.advice()
    assert code == 1 and "[course] layer is incomplete (missing tqdm)" in text
    assert text.endswith(config.pip_install("course"))
    assert main(["doctor"]) == 1


def test_version_has_one_home():
    import course_lib

    out = subprocess.run([sys.executable, "-m", "course_lib.cli", "--version"], capture_output=True, text=True)
    assert out.stdout.strip() == f"passk-course {course_lib.__version__}"
    assert doctor.report()["passk-course"] == course_lib.__version__
