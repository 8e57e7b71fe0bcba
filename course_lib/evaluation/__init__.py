"""Pass@k as a diagnostic on real evaluation results (``passk curve``, ``passk plan``; chapter 7).

- :mod:`.readers` -- the entry point :func:`read_counts`: format detection, generic per-sample files
  and per-problem ``n, c`` tables; :mod:`.harnesses` -- EvalPlus and lm-evaluation-harness files;
  :mod:`.records` -- the plumbing they share (gzip, line numbers, verdicts, one-line errors);
- :mod:`.runs` -- what RL training runs write, per step and prompt (verl's ``{step}.jsonl`` generation
  dumps, read strictly or live while the run writes them);
- :mod:`.bootstrap` -- the bootstrap over problems, vectorised (multinomial counts of distinct problems);
- :mod:`.metrics` -- per-problem metrics besides pass@k: pass^k (unbiased), Cover@τ (plug-in), their identity;
- :mod:`.curve` -- curves over k with intervals, paired differences, every crossing and the first, k*;
- :mod:`.forecast` -- pass@K beyond n from a beta-binomial fit (model-based), and subsampling to check it;
- :mod:`.groups` -- the chance that an RL group has no signal: exact from p, unbiased from (n, c);
- :mod:`.plan` -- GRPO group sizes: shares per G, informative prompts per batch, the recommendation;
- :mod:`.charts`, :mod:`.report`, :mod:`.cli` -- the Altair chart, ``passk curve``'s logic and the two
  subcommands (not imported here).

Everything but ``charts`` needs NumPy alone. Taught in ``notebooks/07_passk_as_a_diagnostic.ipynb``.
"""

from .bootstrap import percentile_interval, resampled_means
from .curve import Comparison, Curve, align, compare, crossings, crossover_k, default_ks, pass_at_k_curve, resolved
from .forecast import BetaFit, Forecast, beta_metric, fit_beta_binomial, forecast, subsample
from .groups import grpo_zero_signal_prob, passk_zero_advantage_prob
from .metrics import cover_plugin, cover_weights, pass_hat_k
from .plan import GroupPlan, plan_groups
from .readers import Counts, ReadError, ReadOptions, read_counts
from .runs import PromptGroup, StepGroups, read_verl_dumps, read_verl_step, verl_step_files

__all__ = [
    "ReadOptions",
    "ReadError",
    "Counts",
    "read_counts",
    "resampled_means",
    "percentile_interval",
    "default_ks",
    "Curve",
    "pass_at_k_curve",
    "Comparison",
    "compare",
    "align",
    "crossover_k",
    "crossings",
    "resolved",
    "pass_hat_k",
    "cover_plugin",
    "cover_weights",
    "BetaFit",
    "Forecast",
    "fit_beta_binomial",
    "beta_metric",
    "forecast",
    "subsample",
    "PromptGroup",
    "StepGroups",
    "read_verl_step",
    "read_verl_dumps",
    "verl_step_files",
    "GroupPlan",
    "plan_groups",
    "grpo_zero_signal_prob",
    "passk_zero_advantage_prob",
]
