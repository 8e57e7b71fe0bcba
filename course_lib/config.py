"""Project-wide settings that live in exactly one place.

`REPO_URL` is the one home of the repository address: the README badges and course map
(written by `scripts/sync_notebooks.py`), the Colab set-up cell of every notebook and the
start-here notebook all read it from here. `TAGLINE` and `HEADLINE` are the one home of what the
course claims (README title and opening, `pyproject.toml`'s description, `passk --help`, the site);
each headline claim names the notebook cells that assert it (`tests/test_headline.py` checks them).
"""

from dataclasses import dataclass

from . import papers
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
        "correct answers and held-out pass@k at matched pass@1 and at the end of an equal budget, beside the base "
        "model and a uniform guesser",
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
        "benchmark), every crossing and how it moves with the sampling temperature, coverage losses, pass^k and "
        "Cover@τ beside a uniform guesser, a beta-binomial "
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


TAGLINE = (
    "pass@k in RLVR: per prompt, training on it reweights pass@1; as a diagnostic of exploration, "
    "read it beside its baselines"
)
"""The course's claim in one line: README title, ``pyproject.toml``'s description, ``passk --help``, the site."""


@dataclass(frozen=True)
class Anchor:
    """Where a headline claim is asserted: an ``assert`` in a code cell under a heading of a notebook."""

    notebook: str
    """Notebook stem, e.g. ``"02_pass_at_k_gradient"``."""
    heading: str
    """The start of a Markdown heading line of that notebook (``"## 6."``); the cell sits between it and
    the next heading of the same or a higher level."""
    asserts: str
    """Text that one ``assert`` statement of a code cell in that section contains (the quantity it checks)."""


@dataclass(frozen=True)
class Claim:
    """One headline claim: a Markdown paragraph of the README's opening and the cells that assert it."""

    title: str
    text: str
    anchors: tuple[Anchor, ...]


def _chen_numbers() -> str:
    """Chen et al.'s reported results (course_lib.papers) as the headline quotes them."""
    base, pass1, _, both = papers.CHEN_ENIGMATA

    def margins(rows) -> str:  # the two-phase recipe minus pass@1 training, on pass@1 / on pass@k
        _, p1, _, recipe = rows
        return f"{recipe.pass_at_1 - p1.pass_at_1:+.1f} / {recipe.pass_at_k - p1.pass_at_k:+.1f} points"

    return (
        f"on Qwen2.5-7B-Instruct their pass@k-then-pass@1 recipe lifted Enigmata pass@1 from {base.pass_at_1:g} % "
        f"to {both.pass_at_1:g} % (pass@1 training alone: {pass1.pass_at_1:g} %); against pass@1 training it was "
        f"ahead on pass@1 / pass@{both.k} by {margins(papers.CHEN_ENIGMATA_32B)} at 32B and "
        f"{margins(papers.CHEN_SEED_VL)} on a multimodal mixture-of-experts model (their Tables 2–3, one run "
        f"each; k = {both.k} is the course's reading)"
    )


HEADLINE = (
    Claim(
        "Per prompt and in expectation, training on pass@k is a reweighting of pass@1.",
        "Yu (arXiv 2511.16231) shows that for one prompt the pass@k objective J_k = 1 − (1 − J_1)^k has the "
        "gradient ∇J_k = α_k ∇J_1 with α_k = k(1 − J_1)^(k−1): the pass@1 direction, with a weight that is "
        "largest on hard prompts and vanishes on solved ones. In expectation the same holds for every group "
        "estimator whose weights depend on the rewards alone (PKPO's average exactly to α_k), and where "
        "exploration matters most the sampled signal vanishes for pass@k as for pass@1: a group whose samples "
        "all fail, with probability (1 − p)^n, gets exactly zero from every advantage that depends on the group's "
        "rewards alone and vanishes when they are all equal (GRPO's, RLOO's, Chen et al.'s, PKPO's). "
        "Yu concludes that pass@k is a useful "
        "diagnostic that may be unsuitable as a direct objective. The identity holds per prompt only: across "
        "prompts the weights tilt the dataset gradient — in chapter 2's three-answer example a pass@4 step "
        "lowers mean pass@1 — and a sampled update is not its mean (chapter 2).",
        (
            Anchor("02_pass_at_k_gradient", "## 1.", "is_identity(d.ratio, alpha_k_expr(d.J1))"),
            Anchor("02_pass_at_k_gradient", "#### PKPO", "G.pkpo_weights(rr, k), n), alpha_k_expr(P, k)"),
            Anchor("02_pass_at_k_gradient", "### 4b.", "pk.zero_signal_prob(q, n)"),
            Anchor("02_pass_at_k_gradient", "### 4a.", "mean_pass1_after < mean_pass1_before"),
        ),
    ),
    Claim(
        "So the reweighting is a schedule one can design directly.",
        "On chapter 4's exact bandit, pass@1 ascent with the step α_k(J_1) on each prompt reproduces exact "
        "pass@4 training to the last bit; `grpo_alpha` puts the same weight on GRPO's advantage in the lab "
        "(chapter 5). Chen et al. (arXiv 2508.10751) reach this view from the other side: their analytic "
        "pass@k advantage is implicit reward design, an advantage shaped directly to spend the effort on "
        "harder problems.",
        (
            Anchor("04_exploration_collapse", "## 6.", "np.array_equal(stepped.theta, hk.theta)"),
            Anchor("05_policy_gradient_lab", "## 8.", "np.allclose(alpha_c, pk.alpha_k(cc / n, K) * g_c)"),
            Anchor("02_pass_at_k_gradient", "#### What dividing by", "peak[1] == N_chen // 2"),
        ),
    ),
    Claim(
        "That reweighting toward hard prompts can matter a great deal in practice.",
        "This is Chen et al.'s point, and the course's own runs show it. After the same number of exact steps "
        "on chapter 4's bandit, pass@4 training keeps more correct answers alive (more modes, more entropy) "
        "than pass@1 training. In the transformer lab, at each method's tuned learning rate, Chen et al.'s "
        "advantage and `grpo_alpha` keep more held-out coverage@256 than GRPO, a difference that survives a Holm "
        "correction over paired seeds; by the end of the step budget GRPO's falls below a uniform guesser's while "
        "Chen et al.'s stays above it (chapters 5–6; one task, a tiny model). At scale, "
        + _chen_numbers()
        + ". Their breadth — sizes, dense and mixture-of-experts models, several model families, multimodal "
        "tasks — is what a laptop course cannot repeat.",
        (
            Anchor("04_exploration_collapse", "## 6.", "hk.modes[-1] > h1.modes[-1]"),
            Anchor("06_beyond_passk", "### A verdict per method", 'verdict["chen"] == verdict["grpo_alpha"]'),
            Anchor(
                "06_beyond_passk",
                "### Every method, read twice",
                'mean_of("grpo", "end", held256) < guess_r[held256] < mean_of("chen", "end", held256)',
            ),
        ),
    ),
    Claim(
        "pass@k is a diagnostic of exploration, read beside its baselines.",
        "Δ(k) = J_k − J_1 falls when prompts get solved as well as when answers are lost (chapter 1); on "
        "short answers a uniform guesser reaches a large-k pass@k above an RL-trained model's (chapter 7; "
        "Dragoi et al., arXiv 2510.08325); and a pass@k curve belongs to a checkpoint *and* a sampling "
        "temperature: the same two checkpoints cross at a different k at another temperature (chapter 7). "
        "So the course reads every pass@k beside solved prompts, distinct correct answers, the base model, "
        "a uniform guesser and the temperature.",
        (
            Anchor("01_pass_at_k_metric", "## 6.", "split.rose < split.fell < 0"),
            Anchor("07_passk_as_a_diagnostic", "## 6.", "guess_K > rl_K"),
            Anchor("07_passk_as_a_diagnostic", "## 4.", "k_star_at[T_LOW] < k_star_at[1.0] < k_star_at[T_HIGH]"),
        ),
    ),
)
"""The course's headline: the README's opening (``scripts/sync_notebooks.py`` renders it), each claim with
the notebook cells that assert it (``tests/test_headline.py`` checks that those asserts exist)."""


def readme_title() -> str:
    """The README's title line (without ``# ``), generated from :data:`TAGLINE`."""
    return f"passk-course — {TAGLINE}"


def headline_markdown() -> str:
    """The README's opening claims, one paragraph each, generated from :data:`HEADLINE`."""
    return "\n\n".join(f"**{claim.title}** {claim.text}" for claim in HEADLINE)
