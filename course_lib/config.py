"""Project-wide settings that live in exactly one place.

`REPO_URL` is the one home of the repository address: the README badges and course map
(written by `scripts/sync_notebooks.py`), the Colab set-up cell of every notebook and the
start-here notebook all read it from here.
"""

from .viz.tables import markdown_table

REPO_URL = "https://github.com/passk-course/passk-course"
"""Public repository of the course (GitHub). Change it here only."""

BRANCH = "main"
"""Branch that Colab and Binder open."""


def repo_slug() -> str:
    """``owner/name`` part of :data:`REPO_URL`."""
    return REPO_URL.rstrip("/").split("github.com/", 1)[1]


def colab_url(notebook: str) -> str:
    """Open-in-Colab address of a notebook path such as ``notebooks/00_start_here.ipynb``."""
    return f"https://colab.research.google.com/github/{repo_slug()}/blob/{BRANCH}/{notebook}"


def binder_url(notebook: str = "notebooks/00_start_here.ipynb") -> str:
    """Launch-Binder address that opens JupyterLab at ``notebook``."""
    return f"https://mybinder.org/v2/gh/{repo_slug()}/{BRANCH}?urlpath=lab/tree/{notebook}"


def pip_spec() -> str:
    """What ``pip install`` takes to install the course package straight from the repository."""
    return f"git+{REPO_URL}@{BRANCH}"


def pip_install(extra: str = "") -> str:
    """The command that installs the course package (with ``extra``, e.g. ``"charts"``) from the repository.

    >>> pip_install("charts")
    'pip install "passk-course[charts] @ git+https://github.com/passk-course/passk-course@main"'
    """
    return f'pip install "passk-course{f"[{extra}]" if extra else ""} @ {pip_spec()}"'


SETUP_CELL_MARKER = "# Course set-up"
"""First line of the set-up cell that opens every notebook (how tools recognise it)."""


def setup_cell_source() -> str:
    """Source of the first code cell of every notebook, generated from :data:`REPO_URL`.

    Locally (JupyterLab, Binder, VS Code) the course package is already installed and the
    cell does nothing. On Colab it installs the package straight from the repository,
    without its dependencies (Colab already has torch, ipywidgets 7.7, altair 5.5, numpy,
    sympy, tqdm; installing jupyterlab there would disturb Colab's own server), then
    the two small packages Colab lacks. Nothing already imported is replaced, so no
    runtime restart is needed. ``scripts/sync_notebooks.py`` writes it into notebooks.
    """
    return (
        f"{SETUP_CELL_MARKER}: does nothing locally; on Google Colab it installs the course package\n"
        f"# from {REPO_URL} (set in course_lib/config.py).\n"
        "import importlib.util\nimport subprocess\nimport sys\n\n"
        'if "google.colab" in sys.modules and importlib.util.find_spec("course_lib") is None:\n'
        '    pip = [sys.executable, "-m", "pip", "install", "-q"]\n'
        f'    subprocess.run(pip + ["--no-deps", "{pip_spec()}"], check=True)\n'
        '    subprocess.run(pip + ["anywidget>=0.9", "vl-convert-python>=1.6"], check=True)'
    )


def install_markdown() -> str:
    """The README's install lines, one per layer of extras, generated from :data:`REPO_URL`."""
    layers = [
        ("", "core: NumPy only"),
        ("[charts]", "+ `passk curve --out` charts"),
        ("[lab]", "+ PyTorch for `passk lab`"),
        ("[realmodel]", "+ the real model of chapter 8 (`passk model`)"),
        ("[course]", "everything the notebooks need"),
    ]
    lines = [f"{pip_install(extra.strip('[]'))}   # {what}" for extra, what in layers]
    return "```bash\n" + "\n".join(lines) + "\n```"


def badges_markdown(notebook: str = "notebooks/00_start_here.ipynb") -> str:
    """Badge line (Open in Colab, Launch Binder) for ``notebook``, generated from :data:`REPO_URL`."""
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(notebook)}) "
        f"[![Launch Binder](https://mybinder.org/badge_logo.svg)]({binder_url(notebook)})"
    )


CHAPTERS = [  # (notebook stem, title, what you learn, minutes for a learner)
    ("00_start_here", "Start here", "Check your environment; how exercises and checks work; GPUs on Colab", 5),
    (
        "01_pass_at_k_metric",
        "The pass@k metric",
        "What pass@k measures; the unbiased estimator by counting subsets; the plug-in's "
        "bias; variance against n; the Jensen pitfall; why pass@k is a diagnostic",
        30,
    ),
    (
        "02_pass_at_k_gradient",
        "The pass@k gradient",
        "∇J_k = α_k ∇J_1 derived in SymPy; α_k and Δ(k); where collinearity breaks: "
        "across prompts, sampled gradients, group estimators",
        45,
    ),
    (
        "03_explorers",
        "Explorers",
        "Sliders for α_k and Δ(k), estimator distributions, zero-signal probability, advantages, dataset mixes",
        20,
    ),
    (
        "04_exploration_collapse",
        "Exploration collapse",
        "Exact softmax-bandit dynamics: exact pass@1 training narrows each easy prompt to one correct answer, exact "
        "pass@4 keeps all three (and what Δ(k) does and does not measure); pass@k as a per-prompt step size on hard "
        "prompts; Chen et al.'s recipe; fixes compared raw, step-normalised and at each one's best learning rate, "
        "beside the base policy and a uniform guesser",
        40,
    ),
    (
        "05_policy_gradient_lab",
        "Policy-gradient lab",
        "A tiny transformer trained with GRPO, RLOO, Chen et al.'s pass@k advantage and recipe, PKPO and "
        "grpo_alpha (GRPO reweighted per prompt by α_k, pass@k's reweighting made explicit); Δ(k), distinct "
        "correct answers and held-out pass@k at matched pass@1",
        45,
    ),
    (
        "06_beyond_passk",
        "Beyond pass@k",
        "Questions the seed paper leaves open (the course's list) and first experiments on them; dependent samples; "
        "Cui et al.'s entropy identity; "
        "Yue et al.'s crossover k* and sampling temperature; NSR/W-REINFORCE, outcome-based exploration, "
        "unlikeliness, Clip-Cov, entropy and KL at tuned learning rates on paired seeds, read at matched pass@1 and "
        "at equal budget, Holm-corrected (`passk lab compare-methods`); ProRL's and Barakat et al.'s claims tested",
        40,
    ),
    (
        "07_passk_as_a_diagnostic",
        "pass@k as a diagnostic",
        "Two checkpoints compared across k on real-format result files: bootstrap intervals (population vs fixed "
        "benchmark), every crossing, coverage losses, pass^k and Cover@τ beside a uniform guesser, a beta-binomial "
        "forecast beyond n checked by subsampling; GRPO group sizes planned from pass rates; a training run "
        "watched from its own samples (`passk curve`, `passk plan`, `passk monitor`)",
        30,
    ),
    (
        "08_real_model",
        "A real language model",
        "SmolLM2-135M from PyPI on a CPU (`passk model`): a prefill-once sampler, few-shot addition with a "
        "question-blind baseline, pass@k curves and the temperature crossover, Yu's identity on real parameters, "
        "GRPO vs Chen vs grpo_alpha on paired seeds; which earlier readings held",
        30,
    ),
]
"""The course map: the one list behind the README table and the start-here notebook."""

EXERCISE_MINUTES = 60
"""Rough time for all exercise notebooks together."""


def course_map_markdown(links: str = "relative") -> str:
    """The course map as a Markdown table.

    ``links="relative"`` links each chapter to its file (README); ``"colab"`` adds an
    Open-in-Colab link per chapter (start-here notebook).
    """
    colab = links == "colab"
    header = ["Chapter", "What you learn", "Minutes"] + (["Open"] if colab else [])
    rows = []
    for stem, title, what, minutes in CHAPTERS:
        path = f"notebooks/{stem}.ipynb"
        chapter = f"[{stem[:2]} {title}]({stem}.ipynb)" if colab else f"[{stem[:2]} {title}]({path})"
        rows.append([chapter, what, minutes] + ([f"[Colab]({colab_url(path)})"] if colab else []))
    exercises = 'Auto-graded questions per chapter (`check("ex01.q1", answer)`), solutions in `solutions/`'
    binder = f"[Binder]({binder_url('exercises/ex01_pass_at_k_metric.ipynb')})"
    rows.append(["exercises", exercises, EXERCISE_MINUTES] + ([binder] if colab else []))
    return markdown_table(header, rows)
