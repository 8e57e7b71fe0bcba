"""SymPy derivations of the pass@k gradient (chapter 2, ``notebooks/02_pass_at_k_gradient.ipynb``).

- :mod:`.core` -- the symbols (``P``, ``K``), J_k, alpha_k, Delta(k), the generic derivation
  grad J_k = alpha_k grad J_1, a small softmax policy and its exact gradients;
- :mod:`.groups` -- exact expectations over all outcomes of a group of n samples (PKPO, Chen et
  al.'s advantage, the HumanEval estimator): ``from course_lib.symbolic import groups as G``;
- :mod:`.dependent` -- pass@k when the k answers are drawn without replacement, and the proof that
  its gradient leaves the direction of grad J_1 (chapter 6): ``from course_lib.symbolic import dependent``.

The names of :mod:`.core` are re-exported here: ``from course_lib import symbolic as S; S.P``.
"""

from .core import (  # noqa: F401
    AlphaProperties,
    GapProperties,
    GenericDerivation,
    K,
    P,
    SoftmaxPolicy,
    alpha_k_expr,
    alpha_properties,
    autograd_gradients,
    collinearity_ratios,
    cosine,
    dataset_gradients,
    delta_k_expr,
    gap_properties,
    generic_derivation,
    gradient,
    is_identity,
    pass_at_k_expr,
    rho_expr,
    softmax_policy,
)

__all__ = [
    "P",
    "K",
    "pass_at_k_expr",
    "alpha_k_expr",
    "delta_k_expr",
    "rho_expr",
    "is_identity",
    "GenericDerivation",
    "generic_derivation",
    "SoftmaxPolicy",
    "softmax_policy",
    "gradient",
    "collinearity_ratios",
    "autograd_gradients",
    "AlphaProperties",
    "alpha_properties",
    "GapProperties",
    "gap_properties",
    "dataset_gradients",
    "cosine",
]
