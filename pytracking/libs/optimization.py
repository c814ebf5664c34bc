"""Small iterative optimisers for online learning: conjugate gradient, Gauss–Newton–CG, Newton–CG, gradient descent.

Variables are :class:`TensorList` s of leaf tensors (one block per parameter group: filters of several feature layers,
a projection matrix, ...). Optimisers update them **in place**, so a tracker keeps references to its filter tensors.

Problems
--------
* :class:`L2Problem` -- least squares ``min_x ||r(x)||²``: ``__call__(x)`` returns the residuals ``r(x)`` (a
  TensorList), ``ip_input`` / ``ip_output`` are the inner products in parameter / residual space, ``M1`` / ``M2`` the
  preconditioner (``z = M2(M1(r))`` should approximate ``A⁻¹ r``; identity by default).
* :class:`MinimizationProblem` -- general ``min_x f(x)``: ``__call__(x)`` returns a scalar loss.

Inner products may return either one scalar tensor (all blocks solved as one CG system, the default) or a TensorList
with one scalar per block of ``x``. In the second case every block gets its own step length ``α`` and ``β``: several
independent systems run in one loop (a problem whose blocks are coupled returns the same joint value for each of the
coupled blocks). Where a single number is needed (loss, residual norm) the blocks are summed.

Gauss–Newton system and the closed-form hook
--------------------------------------------
One Gauss–Newton step at ``x`` solves ``(JᵀJ) δ = -Jᵀ r`` (J: Jacobian of the residuals at ``x``) with a few CG
iterations and then sets ``x += δ``. The optimiser gets this system from :meth:`L2Problem.linearize`:

* The default returns ``None`` and the optimiser builds the system with autograd (:func:`autograd_gauss_newton_system`):
  ``Jᵀu = grad(r, x, grad_outputs=u, create_graph=True)`` with a dummy ``u`` that requires grad; since ``Jᵀu`` is
  linear in ``u``, ``grad(Jᵀu, u, grad_outputs=v) = J v`` (the double-backward trick), and ``Jᵀ(Jv) = grad(r, x,
  grad_outputs=Jv)``. Each product costs two backward passes through the residual graph.
* A problem that knows its Jacobian overrides ``linearize(x)`` and returns a :class:`GaussNewtonSystem` holding the
  residuals ``r(x)``, ``Jᵀ r(x)`` and a callable ``p -> JᵀJ p`` evaluated at ``x`` (it may cache anything, e.g.
  activation derivatives, in the closure). The optimiser then never touches autograd. ``x`` is passed without
  ``requires_grad`` and must not be modified. Compare it once against :func:`autograd_gauss_newton_system` in a test.

The Gauss–Newton system always uses the plain (Euclidean) inner product in residual space; weight residuals by
``sqrt(w)`` instead of through ``ip_output``, which only measures the reported loss ``ip_output(r, r)``.

Debugging: with ``debug=True`` the optimisers append to ``self.losses`` (the loss at the start of every step and after
the last one of every ``run``) and ``self.residuals`` (CG residual norms ``||b - Aδ||``, ``num_cg_iter + 1`` values per
CG run) as Python floats, for plotting. The Gauss–Newton optimisers also append to ``self.gradient_mags`` the
magnitude of the gradient of ``||r||²`` at the start of every step, ``sqrt(ip_input(g, g))`` with ``g = 2 Jᵀ r``
(the gradient-descent optimisers record the same quantity for their own loss). With ``debug=False`` no extra work is
done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from pytracking.libs.tensorlist import TensorList, tensor_operation

__all__ = [
    "L2Problem",
    "MinimizationProblem",
    "GaussNewtonSystem",
    "autograd_gauss_newton_system",
    "ConjugateGradientBase",
    "LinearConjugateGradient",
    "ConjugateGradient",
    "GaussNewtonCG",
    "NewtonCG",
    "GradientDescentL2",
    "GradientDescent",
]

InnerProduct = torch.Tensor | TensorList  # one scalar, or one scalar per block


def _dot(a: TensorList, b: TensorList) -> torch.Tensor:
    """Euclidean inner product over all blocks (a 0-dim tensor)."""
    return torch.stack([x.reshape(-1) @ y.reshape(-1) for x, y in zip(a, b, strict=True)]).sum()


def _total(v: InnerProduct) -> torch.Tensor:
    """A per-block inner product summed to one scalar tensor."""
    if isinstance(v, TensorList):
        return torch.stack([t.sum() for t in v]).sum()
    return v.sum()


@contextmanager
def _requiring_grad(x: TensorList) -> Iterator[None]:
    """Make the leaf tensors of ``x`` require grad for the duration of the block, then restore their flags."""
    flags = [t.requires_grad for t in x]
    x.requires_grad_(True)
    try:
        yield
    finally:
        for t, f in zip(x, flags, strict=True):
            t.requires_grad_(f)


def _all_small(v: InnerProduct, eps: float) -> bool:
    if isinstance(v, TensorList):
        return all(bool((t.abs() <= eps).all()) for t in v)
    return bool((v.abs() <= eps).all())


@tensor_operation
def _safe_div(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / den, and 0 where den == 0 (a converged block must not turn into NaN)."""
    return torch.where(den != 0, num / torch.where(den != 0, den, torch.ones_like(den)), torch.zeros_like(num))


def _as_tensorlist(variable: TensorList | torch.Tensor) -> TensorList:
    if isinstance(variable, TensorList):
        return variable
    if isinstance(variable, torch.Tensor):
        return TensorList([variable])
    raise TypeError(f"optimisation variable must be a TensorList or a Tensor, got {type(variable).__name__}")


class _Problem:
    """What every problem gives the optimisers besides its value: the parameter-space inner product and the
    preconditioner (defaults: Euclidean, identity)."""

    def ip_input(self, a: TensorList, b: TensorList) -> InnerProduct:
        """Inner product in parameter space (a scalar, or one per block; see the module docstring)."""
        return _dot(a, b)

    def M1(self, x: TensorList) -> TensorList:
        """First preconditioner factor (identity)."""
        return x

    def M2(self, x: TensorList) -> TensorList:
        """Second preconditioner factor (identity)."""
        return x


class L2Problem(_Problem):
    """Least-squares problem ``min_x ||r(x)||²``; override ``__call__`` (and optionally the rest)."""

    def __call__(self, x: TensorList) -> TensorList:
        """Residuals ``r(x)``."""
        raise NotImplementedError

    def ip_output(self, a: TensorList, b: TensorList) -> InnerProduct:
        """Inner product in residual space; used for the reported loss only."""
        return _dot(a, b)

    def linearize(self, x: TensorList) -> GaussNewtonSystem | None:
        """Closed-form Gauss–Newton system at ``x``, or ``None`` to let the optimiser use autograd."""
        return None


class MinimizationProblem(_Problem):
    """General problem ``min_x f(x)``; override ``__call__`` to return the scalar loss."""

    def __call__(self, x: TensorList) -> torch.Tensor:
        raise NotImplementedError


@dataclass
class GaussNewtonSystem:
    """The linearisation of an :class:`L2Problem` at one point ``x``.

    ``residuals``: ``r(x)`` (detached); ``jt_residual``: ``Jᵀ r(x)``; ``jtj_product(p)``: ``Jᵀ J p``.
    """

    residuals: TensorList
    jt_residual: TensorList
    jtj_product: Callable[[TensorList], TensorList]


def _grad(outputs: TensorList, inputs: TensorList, grad_outputs: TensorList, create_graph: bool = False) -> TensorList:
    """``torch.autograd.grad`` over TensorLists; outputs that do not require grad contribute zero."""
    keep = [i for i, o in enumerate(outputs) if o.requires_grad]
    if not keep:
        return TensorList([torch.zeros_like(t) for t in inputs])
    return TensorList(
        torch.autograd.grad(
            [outputs[i] for i in keep],
            list(inputs),
            grad_outputs=[grad_outputs[i] for i in keep],
            create_graph=create_graph,
            retain_graph=True,
            allow_unused=True,
            materialize_grads=True,
        )
    )


def autograd_gauss_newton_system(problem: L2Problem, x: TensorList) -> GaussNewtonSystem:
    """Gauss–Newton system of ``problem`` at ``x`` by double backward; ``x`` must be leaf tensors requiring grad."""
    with torch.enable_grad():
        r = TensorList(problem(x))
        u = TensorList([t.detach().clone().requires_grad_(True) for t in r])
        jt_u = _grad(r, x, u, create_graph=True)  # Jᵀ u, linear in u; equals Jᵀ r at u = r
    jt_r = TensorList([t.detach() for t in jt_u])

    def jtj_product(p: TensorList) -> TensorList:
        jp = _grad(jt_u, u, p)  # J p
        return TensorList([t.detach() for t in _grad(r, x, jp)])  # Jᵀ (J p)

    return GaussNewtonSystem(residuals=TensorList([t.detach() for t in r]), jt_residual=jt_r, jtj_product=jtj_product)


class ConjugateGradientBase:
    """Preconditioned conjugate gradient for ``A δ = b`` (``A`` symmetric positive semi-definite), started at 0.

    Subclasses provide ``A(p)`` and set ``self.b`` before calling :meth:`run_CG`; they may override ``ip``, ``M1`` and
    ``M2``. Options: ``fletcher_reeves`` (β = ρ_k/ρ_{k-1}; otherwise Polak–Ribière β = (ρ_k - ⟨r_{k-1}, z_k⟩)/ρ_{k-1}),
    β clamped at 0 in both cases; ``standard_alpha`` (α = ρ/⟨p, Ap⟩; otherwise ⟨p, r⟩/⟨p, Ap⟩);
    ``direction_forget_factor`` (0: every ``run_CG`` starts fresh; f > 0: the last search direction is kept and its
    ρ divided by f, so the next run continues from it); ``cg_eps`` (stop once |ρ| ≤ cg_eps, ρ = ⟨r, M r⟩).
    """

    def __init__(
        self,
        fletcher_reeves: bool = True,
        standard_alpha: bool = True,
        direction_forget_factor: float = 0.0,
        debug: bool = False,
        cg_eps: float = 0.0,
    ) -> None:
        self.fletcher_reeves = fletcher_reeves
        self.standard_alpha = standard_alpha
        self.direction_forget_factor = direction_forget_factor
        self.debug = debug
        self.cg_eps = cg_eps
        self.b: TensorList | None = None
        self.reset_state()

    def reset_state(self) -> None:
        """Forget the search direction carried between ``run_CG`` calls."""
        self.p: TensorList | None = None
        self.rho: InnerProduct | None = None
        self.r_prev: TensorList | None = None

    def A(self, p: TensorList) -> TensorList:
        raise NotImplementedError

    def ip(self, a: TensorList, b: TensorList) -> InnerProduct:
        return _dot(a, b)

    def M1(self, x: TensorList) -> TensorList:
        return x

    def M2(self, x: TensorList) -> TensorList:
        return x

    def residual_norm(self, r: TensorList) -> torch.Tensor:
        return _total(self.ip(r, r)).abs().sqrt()

    def run_CG(
        self, num_iter: int, x: TensorList | None = None, eps: float = 0.0
    ) -> tuple[TensorList, torch.Tensor | None]:
        """Run up to ``num_iter`` CG iterations on ``A δ = self.b`` from ``x`` (default 0).

        Stops early when ``|ρ| ≤ cg_eps`` or, if ``eps > 0``, when the residual norm drops to ``eps``. Returns the
        solution and, in debug mode, the residual norms (initial one first; one per performed iteration), else None.
        """
        if self.b is None:
            raise RuntimeError("run_CG: set self.b (the right-hand side) before calling run_CG")
        if self.direction_forget_factor == 0:
            self.reset_state()
        elif self.p is not None and self.rho is not None:
            self.rho = self.rho / self.direction_forget_factor

        with torch.no_grad():
            r = self.b.clone() if x is None else self.b - self.A(x)
            norms = [self.residual_norm(r)] if self.debug else None
            for ii in range(num_iter):
                z = self.M2(self.M1(r))
                rho_prev = self.rho
                self.rho = self.ip(r, z)
                if _all_small(self.rho, self.cg_eps):
                    break
                if self.p is None or rho_prev is None:
                    self.p = z.clone()
                else:
                    if self.fletcher_reeves:
                        beta = _safe_div(self.rho, rho_prev)
                    else:
                        beta = _safe_div(self.rho - self.ip(self.r_prev, z), rho_prev)
                    self.p = z + self.p * beta.clamp(min=0)
                q = self.A(self.p)
                pq = self.ip(self.p, q)
                alpha = _safe_div(self.rho if self.standard_alpha else self.ip(self.p, r), pq)
                if not self.fletcher_reeves:
                    self.r_prev = r.clone()
                step = self.p * alpha
                x = step if x is None else x + step
                if ii < num_iter - 1 or self.debug or eps > 0:
                    r = r - q * alpha
                if norms is not None or eps > 0:
                    normr = self.residual_norm(r)
                    if norms is not None:
                        norms.append(normr)
                    if eps > 0 and normr <= eps:
                        break
        if x is None:
            x = TensorList([torch.zeros_like(t) for t in self.b])
        return x, (torch.stack(norms) if norms is not None else None)


class LinearConjugateGradient(ConjugateGradientBase):
    """CG on an externally supplied operator: ``LinearConjugateGradient(A, b).run_CG(n)`` solves ``A δ = b``.

    ``A``: callable ``TensorList -> TensorList`` (symmetric PSD); ``ip``, ``M1``, ``M2`` optional callables.
    """

    def __init__(
        self,
        A: Callable[[TensorList], TensorList],
        b: TensorList | torch.Tensor,
        ip: Callable[[TensorList, TensorList], InnerProduct] | None = None,
        M1: Callable[[TensorList], TensorList] | None = None,
        M2: Callable[[TensorList], TensorList] | None = None,
        **cg_options: Any,
    ) -> None:
        super().__init__(**cg_options)
        self._A, self._ip, self._M1, self._M2 = A, ip, M1, M2
        self.b = _as_tensorlist(b)

    def A(self, p: TensorList) -> TensorList:
        return self._A(p)

    def ip(self, a: TensorList, b: TensorList) -> InnerProduct:
        return self._ip(a, b) if self._ip is not None else _dot(a, b)

    def M1(self, x: TensorList) -> TensorList:
        return self._M1(x) if self._M1 is not None else x

    def M2(self, x: TensorList) -> TensorList:
        return self._M2(x) if self._M2 is not None else x


def _step_schedule(num_cg_iter: int | Sequence[int], num_steps: int | None) -> list[int]:
    """CG iterations of each outer (Gauss–Newton / Newton) step: ``num_steps`` (default 1) times ``num_cg_iter``, or
    the given per-step sequence."""
    if isinstance(num_cg_iter, int):
        return [num_cg_iter] * (1 if num_steps is None else num_steps)
    return list(num_cg_iter)


class _ProblemConjugateGradient(ConjugateGradientBase):
    """CG whose inner product and preconditioner come from a problem (``ip_input``, ``M1``, ``M2``) and which updates
    ``variable`` in place; keeps the debug ``losses`` / ``residuals`` lists shared by the outer-loop optimisers."""

    def __init__(
        self,
        problem: L2Problem | MinimizationProblem,
        variable: TensorList | torch.Tensor,
        cg_eps: float,
        fletcher_reeves: bool,
        standard_alpha: bool,
        direction_forget_factor: float,
        debug: bool,
    ) -> None:
        super().__init__(fletcher_reeves, standard_alpha, direction_forget_factor, debug, cg_eps)
        self.problem = problem
        self.x = _as_tensorlist(variable)
        self.losses: list[float] = []
        self.residuals: list[float] = []
        self.gradient_mags: list[float] = []

    def ip(self, a: TensorList, b: TensorList) -> InnerProduct:
        return self.problem.ip_input(a, b)

    def M1(self, x: TensorList) -> TensorList:
        return self.problem.M1(x)

    def M2(self, x: TensorList) -> TensorList:
        return self.problem.M2(x)


class ConjugateGradient(_ProblemConjugateGradient):
    """One Gauss–Newton step per :meth:`run`: linearise at ``variable``, solve with CG, update ``variable`` in place.

    Used online where the system changes a little each time (new samples) and a few CG iterations per frame suffice.
    The problem's ``ip_input``, ``M1`` and ``M2`` define the CG inner product and preconditioner.
    """

    problem: L2Problem

    def __init__(
        self,
        problem: L2Problem,
        variable: TensorList | torch.Tensor,
        cg_eps: float = 0.0,
        fletcher_reeves: bool = True,
        standard_alpha: bool = True,
        direction_forget_factor: float = 0.0,
        debug: bool = False,
    ) -> None:
        super().__init__(problem, variable, cg_eps, fletcher_reeves, standard_alpha, direction_forget_factor, debug)
        self._system: GaussNewtonSystem | None = None

    def A(self, p: TensorList) -> TensorList:
        if self._system is None:
            raise RuntimeError("ConjugateGradient.A called outside a Gauss–Newton step")
        return self._system.jtj_product(p)

    def loss(self, residuals: TensorList) -> float:
        """The reported loss ``ip_output(r, r)`` summed over blocks."""
        return float(_total(self.problem.ip_output(residuals, residuals)))

    def _gauss_newton_step(self, num_cg_iter: int) -> None:
        system = self.problem.linearize(self.x)
        if system is None:
            with _requiring_grad(self.x):
                delta = self._solve(autograd_gauss_newton_system(self.problem, self.x), num_cg_iter)
        else:
            delta = self._solve(system, num_cg_iter)
        with torch.no_grad():
            self.x += delta

    def _solve(self, system: GaussNewtonSystem, num_cg_iter: int) -> TensorList:
        self._system = system
        try:
            if self.debug:
                self.losses.append(self.loss(system.residuals))
                grad = system.jt_residual * 2  # gradient of ||r||² at the linearisation point
                self.gradient_mags.append(float(_total(self.ip(grad, grad)).abs().sqrt()))
            self.b = -system.jt_residual
            delta, resvec = self.run_CG(num_cg_iter)
        finally:
            self._system = None  # frees the autograd graph
            self.b = None
        if resvec is not None:
            self.residuals.extend(resvec.tolist())
        return delta

    def _record_final_loss(self) -> None:
        if self.debug:
            with torch.no_grad():
                self.losses.append(self.loss(TensorList(self.problem(self.x))))

    def run(self, num_cg_iter: int) -> tuple[list[float], list[float]]:
        """One Gauss–Newton step with ``num_cg_iter`` CG iterations (none if 0). Returns (losses, residuals)."""
        if num_cg_iter > 0:
            self._gauss_newton_step(num_cg_iter)
            self._record_final_loss()
        return self.losses, self.residuals


class GaussNewtonCG(ConjugateGradient):
    """Several Gauss–Newton steps, each solved approximately with CG (first-frame joint optimisation in ATOM)."""

    def run(  # type: ignore[override]
        self, num_cg_iter: int | Sequence[int], num_gn_iter: int | None = None
    ) -> tuple[list[float], list[float]]:
        """``num_gn_iter`` steps of ``num_cg_iter`` CG iterations each (default one step).

        ``num_cg_iter`` may also be a sequence giving the CG iterations of each step. Returns (losses, residuals).
        """
        schedule = _step_schedule(num_cg_iter, num_gn_iter)
        if not isinstance(num_cg_iter, int) and num_gn_iter is not None and num_gn_iter != len(schedule):
            raise ValueError(f"GaussNewtonCG.run: num_gn_iter={num_gn_iter} but {len(schedule)} CG counts given")
        for n in schedule:
            if n > 0:
                self._gauss_newton_step(n)
        if any(n > 0 for n in schedule):
            self._record_final_loss()
        return self.losses, self.residuals


class NewtonCG(_ProblemConjugateGradient):
    """Newton steps for a :class:`MinimizationProblem`: CG on ``(H + λ I) δ = -∇f`` with Hessian-vector products by
    double backward. ``λ`` starts at ``init_hessian_reg`` and is multiplied by ``hessian_reg_factor`` after each step.
    """

    problem: MinimizationProblem

    def __init__(
        self,
        problem: MinimizationProblem,
        variable: TensorList | torch.Tensor,
        init_hessian_reg: float = 0.0,
        hessian_reg_factor: float = 1.0,
        cg_eps: float = 0.0,
        fletcher_reeves: bool = True,
        standard_alpha: bool = True,
        direction_forget_factor: float = 0.0,
        debug: bool = False,
    ) -> None:
        super().__init__(problem, variable, cg_eps, fletcher_reeves, standard_alpha, direction_forget_factor, debug)
        self.hessian_reg = init_hessian_reg
        self.hessian_reg_factor = hessian_reg_factor
        self._hvp: Callable[[TensorList], TensorList] | None = None

    def A(self, p: TensorList) -> TensorList:
        if self._hvp is None:
            raise RuntimeError("NewtonCG.A called outside a Newton step")
        return self._hvp(p) + p * self.hessian_reg

    def _newton_step(self, num_cg_iter: int) -> None:
        x = self.x
        with _requiring_grad(x):
            with torch.enable_grad():
                loss = self.problem(x)
                g = TensorList(torch.autograd.grad(loss, list(x), create_graph=True, materialize_grads=True))
            if self.debug:
                self.losses.append(float(loss.detach()))
            self._hvp = lambda p: TensorList([t.detach() for t in _grad(g, x, p)])
            self.b = -TensorList([t.detach() for t in g])
            try:
                delta, resvec = self.run_CG(num_cg_iter)
            finally:
                self._hvp = None
                self.b = None
        if resvec is not None:
            self.residuals.extend(resvec.tolist())
        with torch.no_grad():
            self.x += delta
        self.hessian_reg *= self.hessian_reg_factor

    def run(self, num_cg_iter: int | Sequence[int], num_newton_iter: int | None = None) -> tuple[list[float], list]:
        """``num_newton_iter`` Newton steps (default one) of ``num_cg_iter`` CG iterations each."""
        schedule = _step_schedule(num_cg_iter, num_newton_iter)
        for n in schedule:
            if n > 0:
                self._newton_step(n)
        if self.debug and any(n > 0 for n in schedule):
            with torch.no_grad():
                self.losses.append(float(self.problem(self.x)))
        return self.losses, self.residuals


class _GradientDescentBase:
    """Steepest descent with heavy-ball momentum: ``d = ∇f + momentum · d``, ``x -= step_length · d``.

    Subclasses only say how to get the loss and its gradient (``_loss_and_grad``); the problem's ``ip_input`` measures
    the reported gradient magnitude."""

    def __init__(
        self,
        problem: L2Problem | MinimizationProblem,
        variable: TensorList | torch.Tensor,
        step_length: float,
        momentum: float = 0.0,
        debug: bool = False,
    ) -> None:
        self.problem = problem
        self.x = _as_tensorlist(variable)
        self.step_length = step_length
        self.momentum = momentum
        self.debug = debug
        self.direction: TensorList | None = None
        self.losses: list[float] = []
        self.gradient_mags: list[float] = []

    def _loss_and_grad(self) -> tuple[torch.Tensor, TensorList]:
        raise NotImplementedError

    def _ip(self, a: TensorList, b: TensorList) -> InnerProduct:
        return self.problem.ip_input(a, b)

    def run(self, num_iter: int, dummy: Any = None) -> tuple[list[float], list[float]]:
        """``num_iter`` descent steps (``dummy`` keeps the call signature of the CG optimisers)."""
        for _ in range(num_iter):
            loss, grad = self._loss_and_grad()
            self.direction = grad if self.direction is None else grad + self.direction * self.momentum
            with torch.no_grad():
                self.x -= self.direction * self.step_length
            if self.debug:
                self.losses.append(float(loss))
                self.gradient_mags.append(float(_total(self._ip(grad, grad)).abs().sqrt()))
        return self.losses, self.gradient_mags


class GradientDescentL2(_GradientDescentBase):
    """Gradient descent on ``ip_output(r, r)`` of an :class:`L2Problem` (gradient ``2 Jᵀ r``; uses the closed-form
    ``linearize`` hook when the problem has one)."""

    problem: L2Problem

    def _loss_and_grad(self) -> tuple[torch.Tensor, TensorList]:
        system = self.problem.linearize(self.x)
        if system is not None:
            r = system.residuals
            return _total(self.problem.ip_output(r, r)).detach(), system.jt_residual * 2
        with _requiring_grad(self.x), torch.enable_grad():
            r = TensorList(self.problem(self.x))
            loss = _total(self.problem.ip_output(r, r))
            grad = TensorList(torch.autograd.grad(loss, list(self.x), materialize_grads=True))
        return loss.detach(), grad


class GradientDescent(_GradientDescentBase):
    """Gradient descent with momentum on a :class:`MinimizationProblem`."""

    problem: MinimizationProblem

    def _loss_and_grad(self) -> tuple[torch.Tensor, TensorList]:
        with _requiring_grad(self.x), torch.enable_grad():
            loss = self.problem(self.x)
            grad = TensorList(torch.autograd.grad(loss, list(self.x), materialize_grads=True))
        return loss.detach(), grad
