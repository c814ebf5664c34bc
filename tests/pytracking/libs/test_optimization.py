"""Optimisers against solutions computed independently (numpy lstsq / solve, hand-derived update formulas)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytracking.libs.operation import conv2d
from pytracking.libs.optimization import (
    ConjugateGradient,
    GaussNewtonCG,
    GaussNewtonSystem,
    GradientDescent,
    GradientDescentL2,
    L2Problem,
    LinearConjugateGradient,
    MinimizationProblem,
    NewtonCG,
    autograd_gauss_newton_system,
)
from pytracking.libs.tensorlist import TensorList

DT = torch.float64


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _split(v: np.ndarray, sizes: tuple[int, ...]) -> TensorList:
    out, i = TensorList(), 0
    for s in sizes:
        out.append(torch.tensor(v[i : i + s], dtype=DT))
        i += s
    return out


def _join(tl: TensorList) -> np.ndarray:
    return np.concatenate([t.detach().numpy().reshape(-1) for t in tl])


class LinearLSQ(L2Problem):
    """r(x) = M x - y with x split into blocks (sizes), residuals split into two blocks."""

    def __init__(self, M: np.ndarray, y: np.ndarray, sizes: tuple[int, ...], precond: np.ndarray | None = None):
        self.M = torch.tensor(M, dtype=DT)
        self.y = torch.tensor(y, dtype=DT)
        self.sizes = sizes
        self.precond = None if precond is None else _split(precond, sizes)

    def __call__(self, x: TensorList) -> TensorList:
        r = self.M @ torch.cat([t.reshape(-1) for t in x]) - self.y
        half = r.shape[0] // 2
        return TensorList([r[:half], r[half:]])

    def M1(self, x: TensorList) -> TensorList:
        return x if self.precond is None else x / self.precond


def _lstsq_problem(seed: int = 0, m: int = 9, n: int = 5):
    rng = _rng(seed)
    M = rng.normal(size=(m, n))
    y = rng.normal(size=m)
    return M, y, np.linalg.lstsq(M, y, rcond=None)[0]


def test_linear_cg_solves_spd_system() -> None:
    rng = _rng(1)
    B = rng.normal(size=(6, 6))
    Q = B.T @ B + 0.1 * np.eye(6)
    c = rng.normal(size=6)
    Qt = torch.tensor(Q, dtype=DT)

    def A(p: TensorList) -> TensorList:
        return _split((Qt @ torch.cat(list(p))).numpy(), (2, 4))

    cg = LinearConjugateGradient(A, _split(c, (2, 4)), debug=True)
    x, resvec = cg.run_CG(6)
    np.testing.assert_allclose(_join(x), np.linalg.solve(Q, c), rtol=1e-8, atol=1e-10)
    assert resvec is not None and resvec.shape == (7,)
    assert resvec[0].item() == pytest.approx(np.linalg.norm(c))  # initial residual is b (x0 = 0)
    assert resvec[-1].item() < 1e-8


def test_cg_more_iterations_than_unknowns_stays_finite() -> None:
    """After convergence ρ = 0 exactly or pq = 0: no NaN may appear (safe division / early stop)."""
    Q = np.diag([1.0, 2.0, 4.0])
    c = np.array([1.0, 1.0, 1.0])
    Qt = torch.tensor(Q, dtype=DT)
    cg = LinearConjugateGradient(lambda p: TensorList([Qt @ p[0]]), torch.tensor(c, dtype=DT), cg_eps=1e-20)
    x, _ = cg.run_CG(20)
    np.testing.assert_allclose(_join(x), c / np.diag(Q), rtol=1e-10)


@pytest.mark.parametrize("fletcher_reeves", [True, False])
@pytest.mark.parametrize("standard_alpha", [True, False])
def test_gauss_newton_step_on_linear_lsq_equals_lstsq(fletcher_reeves: bool, standard_alpha: bool) -> None:
    M, y, x_star = _lstsq_problem()
    x = _split(np.zeros(5), (3, 2))
    x_ids = [id(t) for t in x]
    opt = ConjugateGradient(
        LinearLSQ(M, y, (3, 2)), x, fletcher_reeves=fletcher_reeves, standard_alpha=standard_alpha, debug=True
    )
    losses, residuals = opt.run(5)
    np.testing.assert_allclose(_join(x), x_star, rtol=1e-8, atol=1e-10)
    assert [id(t) for t in x] == x_ids  # updated in place
    assert not any(t.requires_grad for t in x)  # flags restored
    # Losses: ||y||² at x = 0, then the least-squares optimum.
    assert losses[0] == pytest.approx(float(y @ y))
    assert losses[-1] == pytest.approx(float(np.sum((M @ x_star - y) ** 2)), rel=1e-8)
    # CG residual norms: initial ||Mᵀ y||, 6 values for 5 iterations, ending ~0.
    assert len(residuals) == 6
    assert residuals[0] == pytest.approx(np.linalg.norm(M.T @ y))
    assert residuals[-1] < 1e-8
    # Gradient magnitude at the start of the step: ||∇ ||Mx - y||²|| = ||2 Mᵀ(M·0 - y)||
    assert opt.gradient_mags == [pytest.approx(2 * np.linalg.norm(M.T @ y))]


def test_start_point_not_zero_and_preconditioner() -> None:
    M, y, x_star = _lstsq_problem(seed=2)
    x0 = np.array([0.3, -1.0, 2.0, 0.5, 0.1])
    x = _split(x0, (3, 2))
    diag = np.sum(M * M, axis=0)  # Jacobi preconditioner for MᵀM
    ConjugateGradient(LinearLSQ(M, y, (3, 2), precond=diag), x).run(5)
    np.testing.assert_allclose(_join(x), x_star, rtol=1e-8, atol=1e-10)


def test_direction_forgetting_continues_cg_across_runs() -> None:
    """With factor 1, k runs of one iteration on a linear problem equal one run of k iterations (state carried)."""
    M, y, _ = _lstsq_problem(seed=3, m=12, n=8)
    ref = _split(np.zeros(8), (8,))
    ConjugateGradient(LinearLSQ(M, y, (8,)), ref).run(3)
    carried = _split(np.zeros(8), (8,))
    opt = ConjugateGradient(LinearLSQ(M, y, (8,)), carried, direction_forget_factor=1.0)
    for _ in range(3):
        opt.run(1)
    np.testing.assert_allclose(_join(carried), _join(ref), rtol=1e-8, atol=1e-12)
    fresh = _split(np.zeros(8), (8,))
    opt = ConjugateGradient(LinearLSQ(M, y, (8,)), fresh)  # factor 0: three steepest-descent-like restarts
    for _ in range(3):
        opt.run(1)
    assert np.max(np.abs(_join(fresh) - _join(ref))) > 1e-4


class TwoIndependentLSQ(L2Problem):
    """Two unrelated least-squares problems, one per block, with per-block inner products."""

    def __init__(self, problems: list[tuple[np.ndarray, np.ndarray]]):
        self.Ms = [torch.tensor(M, dtype=DT) for M, _ in problems]
        self.ys = [torch.tensor(y, dtype=DT) for _, y in problems]

    def __call__(self, x: TensorList) -> TensorList:
        return TensorList([M @ xi - y for M, xi, y in zip(self.Ms, x, self.ys, strict=True)])

    def ip_input(self, a: TensorList, b: TensorList) -> TensorList:
        return TensorList([ai @ bi for ai, bi in zip(a, b, strict=True)])


def test_per_block_inner_products_solve_blocks_independently() -> None:
    M1, y1, s1 = _lstsq_problem(seed=4, m=7, n=3)
    M2, y2, s2 = _lstsq_problem(seed=5, m=6, n=4)
    x = TensorList([torch.zeros(3, dtype=DT), torch.zeros(4, dtype=DT)])
    # 3 CG iterations solve block 1 exactly and then must leave it alone (ρ = 0) while block 2 continues.
    ConjugateGradient(TwoIndependentLSQ([(M1, y1), (M2, y2)]), x).run(4)
    np.testing.assert_allclose(x[0].numpy(), s1, rtol=1e-8)
    np.testing.assert_allclose(x[1].numpy(), s2, rtol=1e-8)


class ExpFit(L2Problem):
    """Residuals a·exp(b·t) - y for parameters x = [tensor([a]), tensor([b])]."""

    def __init__(self, t: torch.Tensor, y: torch.Tensor):
        self.t, self.y = t, y

    def __call__(self, x: TensorList) -> TensorList:
        return TensorList([x[0] * torch.exp(x[1] * self.t) - self.y])


class ExpFitClosedForm(ExpFit):
    """Same problem with the Jacobian written out: J = [exp(b t), a t exp(b t)]."""

    def linearize(self, x: TensorList) -> GaussNewtonSystem:
        a, b = x[0].detach(), x[1].detach()
        e = torch.exp(b * self.t)
        J = torch.stack([e, a * self.t * e], dim=1)  # [N, 2]
        r = a * e - self.y

        def jtj(p: TensorList) -> TensorList:
            v = J.T @ (J @ torch.cat(list(p)))
            return TensorList([v[:1], v[1:]])

        jtr = J.T @ r
        return GaussNewtonSystem(TensorList([r]), TensorList([jtr[:1], jtr[1:]]), jtj)


def _exp_data() -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.linspace(0.0, 3.0, 25, dtype=DT)
    return t, 2.0 * torch.exp(-0.7 * t)


@pytest.mark.parametrize("cls", [ExpFit, ExpFitClosedForm])
def test_gauss_newton_exponential_fit_recovers_parameters(cls) -> None:
    t, y = _exp_data()
    x = TensorList([torch.tensor([1.0], dtype=DT), torch.tensor([-0.2], dtype=DT)])
    losses, residuals = GaussNewtonCG(cls(t, y), x, debug=True).run(2, 12)
    assert x[0].item() == pytest.approx(2.0, abs=1e-7)
    assert x[1].item() == pytest.approx(-0.7, abs=1e-7)
    assert len(losses) == 13
    # Each CG run records 1 + (performed iterations) norms; once the fit is exact (ρ = 0) CG stops at once.
    assert 12 <= len(residuals) <= 12 * 3
    e = torch.exp(-0.2 * t)
    r0 = e - y
    assert residuals[0] == pytest.approx(float(torch.stack([e @ r0, (t * e) @ r0]).norm()))
    assert losses[0] == pytest.approx(float(r0 @ r0))
    assert losses[-1] < 1e-20
    assert all(b <= a * (1 + 1e-9) for a, b in zip(losses[:-1], losses[1:], strict=True))


@pytest.mark.parametrize("cls", [ExpFit, ExpFitClosedForm])
def test_gauss_newton_records_gradient_magnitude_per_step(cls) -> None:
    t, y = _exp_data()
    start = [(1.0, -0.2)]
    x = TensorList([torch.tensor([1.0], dtype=DT), torch.tensor([-0.2], dtype=DT)])
    opt = GaussNewtonCG(cls(t, y), x, debug=True)
    opt.run(2, 3)
    # the iterates, replayed without debugging, give the points where each step's gradient was taken
    replay = TensorList([torch.tensor([1.0], dtype=DT), torch.tensor([-0.2], dtype=DT)])
    replay_opt = GaussNewtonCG(cls(t, y), replay)
    for _ in range(2):
        replay_opt.run(2, 1)
        start.append((replay[0].item(), replay[1].item()))
    expected = []
    for a, k in start:  # residual a·exp(k t) - y: gradient of ||r||² is 2 [Σ e r, Σ a t e r]
        e = torch.exp(k * t)
        r = a * e - y
        expected.append(2 * float(torch.stack([e @ r, (a * t * e) @ r]).norm()))
    assert opt.gradient_mags == pytest.approx(expected, rel=1e-9)
    assert len(opt.gradient_mags) == 3 and opt.gradient_mags[-1] < opt.gradient_mags[0]


def test_closed_form_hook_matches_autograd_system_and_explicit_jacobian() -> None:
    t, y = _exp_data()
    x = TensorList([torch.tensor([1.3], dtype=DT), torch.tensor([-0.4], dtype=DT)])
    closed = ExpFitClosedForm(t, y).linearize(x)
    x.requires_grad_(True)
    auto = autograd_gauss_newton_system(ExpFit(t, y), x)
    # Independent Jacobian by central finite differences.
    a, b, h = 1.3, -0.4, 1e-6
    f = lambda a_, b_: (a_ * torch.exp(b_ * t) - y).numpy()  # noqa: E731
    J = np.stack([(f(a + h, b) - f(a - h, b)) / (2 * h), (f(a, b + h) - f(a, b - h)) / (2 * h)], axis=1)
    r = f(a, b)
    np.testing.assert_allclose(_join(auto.jt_residual), J.T @ r, rtol=1e-6)
    np.testing.assert_allclose(_join(closed.jt_residual), J.T @ r, rtol=1e-6)
    p = TensorList([torch.tensor([0.7], dtype=DT), torch.tensor([-1.1], dtype=DT)])
    np.testing.assert_allclose(_join(auto.jtj_product(p)), J.T @ J @ np.array([0.7, -1.1]), rtol=1e-6)
    np.testing.assert_allclose(_join(closed.jtj_product(p)), J.T @ J @ np.array([0.7, -1.1]), rtol=1e-6)
    np.testing.assert_allclose(_join(auto.residuals), r, rtol=1e-12)


def test_closed_form_path_never_sets_requires_grad() -> None:
    seen = []

    class Spy(ExpFitClosedForm):
        def linearize(self, x: TensorList) -> GaussNewtonSystem:
            seen.append([v.requires_grad for v in x])
            return super().linearize(x)

    t, y = _exp_data()
    x = TensorList([torch.tensor([1.0], dtype=DT), torch.tensor([-0.2], dtype=DT)])
    GaussNewtonCG(Spy(t, y), x).run([2, 2])
    assert seen == [[False, False], [False, False]]


class Quadratic(MinimizationProblem):
    """f(x) = ½ xᵀQx - cᵀx over two blocks."""

    def __init__(self, Q: np.ndarray, c: np.ndarray):
        self.Q = torch.tensor(Q, dtype=DT)
        self.c = torch.tensor(c, dtype=DT)

    def __call__(self, x: TensorList) -> torch.Tensor:
        v = torch.cat(list(x))
        return 0.5 * v @ self.Q @ v - self.c @ v


def _quadratic() -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(7)
    B = rng.normal(size=(4, 4))
    return B.T @ B + np.eye(4), rng.normal(size=4)


def test_newton_cg_solves_quadratic_in_one_step() -> None:
    Q, c = _quadratic()
    x = _split(np.ones(4), (1, 3))
    losses, _ = NewtonCG(Quadratic(Q, c), x, debug=True).run(4)
    x_star = np.linalg.solve(Q, c)
    np.testing.assert_allclose(_join(x), x_star, rtol=1e-8)
    assert losses[-1] == pytest.approx(-0.5 * c @ x_star)


def test_newton_cg_hessian_regularisation() -> None:
    """With λ the step solves (Q + λI) δ = -(Q x0 - c)."""
    Q, c = _quadratic()
    x0 = np.ones(4)
    x = _split(x0, (1, 3))
    opt = NewtonCG(Quadratic(Q, c), x, init_hessian_reg=2.0, hessian_reg_factor=0.5)
    opt.run(4)
    expected = x0 + np.linalg.solve(Q + 2.0 * np.eye(4), -(Q @ x0 - c))
    np.testing.assert_allclose(_join(x), expected, rtol=1e-8)
    assert opt.hessian_reg == pytest.approx(1.0)


def test_gradient_descent_with_momentum_matches_hand_iteration() -> None:
    Q, c = _quadratic()
    x0 = np.array([0.5, -0.5, 1.0, 2.0])
    x = _split(x0, (2, 2))
    GradientDescent(Quadratic(Q, c), x, step_length=0.05, momentum=0.9).run(3)
    v, d = x0.copy(), None
    for _ in range(3):
        g = Q @ v - c
        d = g if d is None else g + 0.9 * d
        v = v - 0.05 * d
    np.testing.assert_allclose(_join(x), v, rtol=1e-10)


@pytest.mark.parametrize("cls", [ExpFit, ExpFitClosedForm])
def test_gradient_descent_l2_step_is_twice_jt_r(cls) -> None:
    t, y = _exp_data()
    x = TensorList([torch.tensor([1.0], dtype=DT), torch.tensor([-0.2], dtype=DT)])
    losses, mags = GradientDescentL2(cls(t, y), x, step_length=1e-3, debug=True).run(1)
    e = torch.exp(-0.2 * t)
    r = e - y
    grad = 2 * torch.stack([e @ r, (t * e) @ r])
    np.testing.assert_allclose(_join(x), np.array([1.0, -0.2]) - 1e-3 * grad.numpy(), rtol=1e-10)
    assert losses == [pytest.approx(float(r @ r))]
    assert mags == [pytest.approx(float(grad.norm()))]


def test_single_tensor_variable_is_updated_in_place() -> None:
    M, y, x_star = _lstsq_problem(seed=8, m=6, n=6)

    class Single(L2Problem):
        def __call__(self, x: TensorList) -> TensorList:
            return TensorList([torch.tensor(M, dtype=DT) @ x[0] - torch.tensor(y, dtype=DT)])

    v = torch.zeros(6, dtype=DT)
    ConjugateGradient(Single(), v).run(6)
    np.testing.assert_allclose(v.numpy(), x_star, rtol=1e-7)


def test_bad_variable_type() -> None:
    with pytest.raises(TypeError, match="TensorList or a Tensor"):
        ConjugateGradient(L2Problem(), [np.zeros(2)])  # type: ignore[arg-type]


class FilterProblem(L2Problem):
    """DCF-style linear problem over two feature blocks: r = [√w (conv(X_i, f_i, 'same') summed) - y, √λ f_i]."""

    def __init__(self, xs: TensorList, y: torch.Tensor, w: float, reg: float):
        self.xs, self.y, self.sw, self.sreg = xs, y, w**0.5, reg**0.5

    def __call__(self, f: TensorList) -> TensorList:
        scores = sum(conv2d(self.xs, f, mode="same"))
        return TensorList([self.sw * (scores - self.y)]).concat(f * self.sreg)


def test_conv_filter_problem_matches_lstsq_of_explicit_design_matrix() -> None:
    g = torch.Generator().manual_seed(11)
    xs = TensorList([torch.randn(3, 1, 6, 6, generator=g, dtype=DT), torch.randn(3, 1, 6, 6, generator=g, dtype=DT)])
    shapes = [(1, 1, 4, 4), (1, 1, 3, 3)]
    y = torch.randn(3, 1, 6, 6, generator=g, dtype=DT)
    w, reg = 0.5, 0.1
    # Design matrix column by column: the response to each unit filter coefficient (conv is linear in the filter).
    cols = []
    for b, shape in enumerate(shapes):
        for j in range(int(np.prod(shape))):
            e = torch.zeros(int(np.prod(shape)), dtype=DT)
            e[j] = 1
            cols.append(conv2d(xs[b], e.view(shape), mode="same").reshape(-1).numpy())
    A = np.stack(cols, axis=1)
    n = A.shape[1]
    big = np.concatenate([np.sqrt(w) * A, np.sqrt(reg) * np.eye(n)])
    rhs = np.concatenate([np.sqrt(w) * y.reshape(-1).numpy(), np.zeros(n)])
    f_star = np.linalg.lstsq(big, rhs, rcond=None)[0]
    f = TensorList([torch.zeros(s, dtype=DT) for s in shapes])
    GaussNewtonCG(FilterProblem(xs, y, w, reg), f).run(n)
    np.testing.assert_allclose(_join(f), f_star, rtol=1e-6, atol=1e-9)
