"""Closed-form Gauss–Newton products of ATOM's problems vs autograd double backward on random data."""

from __future__ import annotations

import pytest
import torch

from pytracking.libs.optimization import ConjugateGradient, GaussNewtonCG, autograd_gauss_newton_system
from pytracking.libs.tensorlist import TensorList
from pytracking.tracker.atom.optim import Activation, ConvProblem, FactorizedConvProblem, make_activation


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _leaf(tl: TensorList) -> TensorList:
    return TensorList([t.detach().clone().requires_grad_(True) for t in tl])


@pytest.mark.parametrize("kind,param", [("mlu", 0.05), ("none", None), ("elu", 0.5), ("relu", None)])
def test_activation_derivative_matches_autograd(kind, param):
    act = Activation(kind, param)
    x = torch.linspace(-1, 1, 41, dtype=torch.float64).requires_grad_(True)
    (g,) = torch.autograd.grad(act(x).sum(), x)
    torch.testing.assert_close(act.derivative(x.detach()), g)
    if kind == "mlu":
        xv = torch.tensor([-0.1, 0.0, 0.3], dtype=torch.float64)
        torch.testing.assert_close(act(xv), torch.tensor([0.05 * (torch.exp(torch.tensor(-2.0)) - 1), 0, 0.3],
                                                         dtype=torch.float64))
    assert make_activation(("mlu", 0.05)).kind == "mlu" and make_activation("none").is_identity


def test_factorized_problem_closed_form_equals_double_backward():
    g = _gen(0)
    x = torch.randn(5, 16, 9, 9, generator=g, dtype=torch.float64)
    y = torch.rand(5, 1, 9, 9, generator=g, dtype=torch.float64)
    w = torch.rand(5, generator=g, dtype=torch.float64)
    prob = FactorizedConvProblem(x, y, 0.1, 1e-4, w, Activation("none"), Activation("mlu", 0.05))
    var = TensorList([0.3 * torch.randn(1, 6, 4, 4, generator=g, dtype=torch.float64),
                      0.3 * torch.randn(6, 16, 1, 1, generator=g, dtype=torch.float64)])
    fast = prob.linearize(var)
    ref = autograd_gauss_newton_system(prob, _leaf(var))
    for a, b in zip(fast.residuals, ref.residuals, strict=True):
        torch.testing.assert_close(a, b)
    for a, b in zip(fast.jt_residual, ref.jt_residual, strict=True):
        torch.testing.assert_close(a, b)
    for _ in range(2):
        p = TensorList([torch.randn(v.shape, generator=g, dtype=torch.float64) for v in var])
        for a, b in zip(fast.jtj_product(p), ref.jtj_product(p), strict=True):
            torch.testing.assert_close(a, b)
    # both negative and positive scores occurred, so both mlu branches were exercised
    s = torch.nn.functional.conv2d(torch.nn.functional.conv2d(x, var[1]), var[0], padding=2)
    assert (s < 0).any() and (s > 0).any()
    assert FactorizedConvProblem(x, y, 0.1, 1e-4, w, Activation("relu"), Activation("none")).linearize(var) is None


def test_conv_problem_closed_form_equals_double_backward_and_skips_empty_slots():
    g = _gen(1)
    x = torch.randn(8, 6, 10, 10, generator=g, dtype=torch.float64)
    y = torch.rand(8, 1, 10, 10, generator=g, dtype=torch.float64)
    w = torch.rand(8, generator=g, dtype=torch.float64)
    w[5:] = 0  # empty memory slots
    f = TensorList([0.3 * torch.randn(1, 6, 4, 4, generator=g, dtype=torch.float64)])
    full = ConvProblem(x, y, 0.1, w, Activation("mlu", 0.05))
    active = ConvProblem(x, y, 0.1, w, Activation("mlu", 0.05), num_active=lambda: 5)
    ref = autograd_gauss_newton_system(full, _leaf(f))
    fast = active.linearize(f)
    torch.testing.assert_close(fast.jt_residual[0], ref.jt_residual[0])
    p = TensorList([torch.randn(1, 6, 4, 4, generator=g, dtype=torch.float64)])
    torch.testing.assert_close(fast.jtj_product(p)[0], ref.jtj_product(p)[0])


def test_online_cg_with_closed_form_matches_autograd_path():
    g = _gen(2)
    x = torch.randn(6, 4, 8, 8, generator=g, dtype=torch.float64)
    y = torch.rand(6, 1, 8, 8, generator=g, dtype=torch.float64)
    w = torch.full((6,), 1 / 6, dtype=torch.float64)
    f0 = 0.1 * torch.randn(1, 4, 4, 4, generator=g, dtype=torch.float64)
    results = []
    for closed in (True, False):
        prob = ConvProblem(x, y, 0.1, w, Activation("mlu", 0.05))
        prob.use_closed_form = closed
        f = f0.clone()
        opt = ConjugateGradient(prob, TensorList([f]), fletcher_reeves=False)
        opt.run(5)
        opt.run(5)
        results.append(f)
    torch.testing.assert_close(results[0], results[1])
    assert not torch.equal(results[0], f0)


def test_joint_gauss_newton_decreases_loss_same_with_both_paths():
    g = _gen(3)
    x = torch.randn(6, 12, 8, 8, generator=g, dtype=torch.float64)
    y = torch.rand(6, 1, 8, 8, generator=g, dtype=torch.float64)
    w = torch.full((6,), 1 / 6, dtype=torch.float64)
    f0 = torch.randn(1, 4, 4, 4, generator=g, dtype=torch.float64) / 64
    p0 = torch.randn(4, 12, 1, 1, generator=g, dtype=torch.float64) / 12 ** 0.5
    out = []
    for closed in (True, False):
        prob = FactorizedConvProblem(x, y, 0.1, 1e-4, w, Activation("none"), Activation("mlu", 0.05))
        prob.use_closed_form = closed
        var = TensorList([f0.clone(), p0.clone()])
        opt = GaussNewtonCG(prob, var, debug=True)
        losses, _ = opt.run(5, 3)
        out.append((var, losses))
    for a, b in zip(out[0][0], out[1][0], strict=True):
        torch.testing.assert_close(a, b)
    assert out[0][1][-1] < out[0][1][0]
