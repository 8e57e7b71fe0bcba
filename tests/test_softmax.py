"""Softmax policy math: entropy (NumPy, torch, masked answers), its gradient, the entropy bonus, J_1."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import softmax as SM


def test_entropy_numpy_torch_and_masked():
    z = np.array([[0.0, 0.0, 0.0, 0.0], [5.0, -np.inf, 0.0, 1.0]])
    h = SM.softmax_entropy(z)
    assert h[0] == pytest.approx(math.log(4))
    p = np.exp(z[1] - z[1].max())
    p /= p.sum()
    assert h[1] == pytest.approx(-sum(x * math.log(x) for x in p if x > 0))
    zt = torch.tensor(z, requires_grad=True)
    ht = SM.softmax_entropy(zt)
    np.testing.assert_allclose(ht.detach().numpy(), h, atol=1e-12)
    SM.entropy_bonus(zt, 0.5).backward()
    assert torch.isfinite(zt.grad).all()
    assert SM.entropy_bonus(z, 0.5) == pytest.approx(0.5 * h.mean())


def test_entropy_grad_matches_finite_differences():
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((3, 5))
    g = SM.entropy_grad(SM.softmax(theta))
    eps = 1e-6
    for i in range(5):
        d = np.zeros(5)
        d[i] = eps
        num = (SM.softmax_entropy(theta + d) - SM.softmax_entropy(theta - d)) / (2 * eps)
        np.testing.assert_allclose(g[:, i], num, atol=1e-8)


def test_pass1_sums_correct_and_wrong_mass_separately():
    pi = SM.softmax(np.array([[0.0, 1.0, 2.0]]))
    p, q = SM.pass1(pi, np.array([[True, False, True]]))
    assert p[0] == pytest.approx(pi[0, 0] + pi[0, 2]) and q[0] == pytest.approx(pi[0, 1])


def test_entropy_bonus_rejects_a_negative_coefficient():
    with pytest.raises(ValueError, match="coef"):
        SM.entropy_bonus([0.0, 1.0], -1)
