"""The policy-gradient lab (chapter 5, ``notebooks/05_policy_gradient_lab.ipynb``; chapter 6 compares methods in it).

A tiny GPT, warm-started on a digit-sum task, trained with any method of the estimator registry
(:data:`course_lib.advantages.ESTIMATORS`: the ``objective`` of :class:`LabConfig` is its key).

- :mod:`.task` -- the digit-sum task: prompts, verifier, solution styles;
- :mod:`.model` -- the GPT (nanoGPT-style), sampling with a KV cache, exact answer log-probs;
- :mod:`.config` -- :class:`LabConfig`, :class:`WarmStartConfig`;
- :mod:`.base_model` -- the supervised warm start that gives RL its base model (cached);
- :mod:`.step` -- one RL step and one evaluation, in the order of the pseudocode;
- :mod:`.metrics` -- exact and sampled pass@k, Delta(k), coverage@K, distinct correct answers, modes;
  Yu's gradient identity;
- :mod:`.diagnostics` -- what a run measured: Delta(k) split by prompt, matched pass@1, seeds;
- :mod:`.loop` -- runs: files, resume, Ctrl-C, several seeds, runs in worker processes;
- :mod:`.dumps` -- ``--dump-dir``: a run's samples in verl's dump format, for ``passk monitor``;
- :mod:`.methods` -- chapter 6's methods and how one run is read (at matched pass@1 and at the end of
  the budget, exactly: pass@k, coverage@k, Cover@tau, distinct correct answers, the crossover k* against
  the base model), with the base model's and a uniform guesser's readings beside them;
- :mod:`.tuning` -- the learning-rate sweep (one grid, a declared criterion, tuning seeds);
- :mod:`.compare` -- the comparison on paired evaluation seeds, Holm-corrected verdicts, power;
- :mod:`.experiments` -- ProRL's prolonged run and Barakat et al.'s pass@1 test;
- :mod:`.report` -- reading the results files: tables, paired intervals, Holm-corrected verdicts, power;
- :mod:`.charts`, :mod:`.cli` -- the live chart and ``passk lab`` (import Altair; not imported here);
- :mod:`._runtime` -- CPU/GPU tuning (threads, determinism, memory) and why the code is shaped for
  speed; imported first, because deterministic cuBLAS needs its environment variable before the
  first CUDA matmul.
"""

from course_lib.lab import _runtime  # noqa: F401  (first: sets CUBLAS_WORKSPACE_CONFIG)
from course_lib.lab.base_model import warm_start
from course_lib.lab.config import LabConfig, WarmStartConfig
from course_lib.lab.loop import read_history, run_many, train
from course_lib.lab.step import LabState, evaluate, make_state, rl_step

__all__ = [
    "LabConfig",
    "WarmStartConfig",
    "warm_start",
    "LabState",
    "make_state",
    "rl_step",
    "evaluate",
    "train",
    "run_many",
    "read_history",
]
