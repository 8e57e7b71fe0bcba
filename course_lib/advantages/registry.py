"""One entry point to every group estimator (placeholder: being rebuilt as the registry)."""

from __future__ import annotations

from .pass1 import grpo, risk_seeking, rloo
from .passk import passk_group_analytic, passk_group_bootstrap, passk_group_full, pkpo, pkpo_binary

# ----------------------------------------------------------------------------- one entry point
ESTIMATORS = {
    "grpo": "GRPO: (r - mean)/(std + eps)",
    "rloo": "RLOO: r_i - mean of the others",
    "passk_analytic": "Chen et al. pass@k, closed form",
    "passk_bootstrap": "Chen et al. pass@k, bootstrap groups",
    "passk_full": "Chen et al. pass@k, disjoint groups",
    "pkpo_binary": "PKPO weights, binary rewards",
    "pkpo": "PKPO max@k weights (baseline None/'loo'/'loo-1')",
    "risk_seeking": "RS-GRPO exponential tilting",
}
"""Names accepted by :func:`compute_advantages`, with a one-line description each."""


def compute_advantages(
    method: str,
    r,
    *,
    k: int = 1,
    beta: float = 1.0,
    baseline: str | None = None,
    num_groups: int = 64,
    rng=0,
    eps: float = 1e-6,
):
    """Dispatch to one estimator by name (for widgets, the lab and the CLI).

    Parameters
    ----------
    method : str
        A key of :data:`ESTIMATORS`.
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards; see the chosen estimator.
    k, beta, baseline, num_groups, rng, eps
        Passed on to the estimators that take them; ignored by the others.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``

    Raises
    ------
    ValueError
        On an unknown ``method`` or invalid arguments for it.

    Examples
    --------
    >>> compute_advantages("rloo", [1, 0]).tolist()
    [1.0, -1.0]
    """
    calls = {
        "grpo": lambda: grpo(r, eps=eps),
        "rloo": lambda: rloo(r),
        "passk_analytic": lambda: passk_group_analytic(r, k, eps=eps),
        "passk_bootstrap": lambda: passk_group_bootstrap(r, k, num_groups, rng, eps=eps),
        "passk_full": lambda: passk_group_full(r, k, eps=eps),
        "pkpo_binary": lambda: pkpo_binary(r, k),
        "pkpo": lambda: pkpo(r, k, baseline=baseline),
        "risk_seeking": lambda: risk_seeking(r, beta),
    }
    if method not in calls:
        raise ValueError(f"method must be one of {sorted(calls)}, got {method!r}")
    return calls[method]()
