"""The two least-squares problems of ATOM's online classifier, with closed-form Gauss–Newton products.

Classifier: ``score = act(conv_same(P * x, f))`` -- a 1x1 projection ``P`` (256 -> 64 channels) followed by a
small filter ``f`` (64 x 4 x 4), response activation ``act`` (``mlu``). Residuals of sample ``j``:
``sqrt(w_j) (score_j - y_j)`` plus Tikhonov terms ``sqrt(filter_reg) f`` (and ``sqrt(projection_reg) P`` in the
joint problem).

Why closed form: the Gauss–Newton products ``J^T J p`` are what the optimiser spends its time on. Autograd gets them by
double backward through the whole residual graph; here they are two one-output-channel correlations done as matrix
products (``tapconv.SameCorrelation``), plus, for the projection, a contraction ``P^T f`` that avoids ever projecting
the 256-channel samples by a perturbation of ``P``. The result is the same linear operator (tests compare it with
the autograd one), only cheaper. ``__call__`` keeps the plain residuals so the generic autograd path remains
available and is the reference.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from pytracking.libs import operation
from pytracking.libs.optimization import GaussNewtonSystem, L2Problem
from pytracking.libs.tensorlist import TensorList
from pytracking.tracker.atom.tapconv import SameCorrelation

__all__ = ["Activation", "ConvProblem", "FactorizedConvProblem", "make_activation"]


class Activation:
    """A pointwise activation with its derivative (so closed-form Jacobians can use it).

    ``kind``: ``'none'`` (identity), ``'relu'``, ``'elu'`` (parameter alpha), ``'mlu'`` (parameter alpha:
    ``x`` for ``x >= 0``, ``alpha (exp(x / alpha) - 1)`` below -- ELU with its negative slope stretched to 1 at 0).
    """

    def __init__(self, kind: str = "none", param: float | None = None) -> None:
        if kind not in ("none", "relu", "elu", "mlu"):
            raise ValueError(f"unknown activation {kind!r} (expected 'none', 'relu', 'elu' or 'mlu')")
        if kind in ("elu", "mlu") and (param is None or param <= 0):
            raise ValueError(f"activation {kind!r} needs a positive parameter, got {param!r}")
        self.kind = kind
        self.param = param

    @property
    def is_identity(self) -> bool:
        return self.kind == "none"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "none":
            return x
        if self.kind == "relu":
            return F.relu(x)
        if self.kind == "elu":
            return F.elu(x, self.param)
        # mlu as published: leaky ReLU with slope 1/alpha, then ELU with alpha (autograd derivative = closed form).
        return F.elu(F.leaky_relu(x, 1 / self.param), self.param)

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """Derivative at ``x`` (the value autograd uses at the kinks: 1 for mlu at 0, 0 for relu at 0)."""
        if self.kind == "none":
            return torch.ones_like(x)
        if self.kind == "relu":
            return (x > 0).to(x.dtype)
        if self.kind == "elu":
            return torch.where(x > 0, torch.ones_like(x), self.param * torch.exp(x))
        return torch.where(x > 0, torch.ones_like(x), torch.exp(x / self.param))

    def __repr__(self) -> str:
        return f"Activation({self.kind!r}, {self.param!r})"


def make_activation(spec: str | tuple | list) -> Activation:
    """Parameter-file spelling (``'none'``, ``'relu'``, ``('mlu', 0.05)``, ``('elu', 1.0)``) -> :class:`Activation`."""
    if isinstance(spec, str):
        return Activation(spec)
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        return Activation(str(spec[0]), float(spec[1]))
    raise ValueError(f"activation must be a name or (name, parameter), got {spec!r}")


# ---------------------------------------------------------------------- 'same' convolution and its adjoints
def _conv_same(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    return operation.conv2d(x, f, mode="same")


def _project(x: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
    return operation.conv1x1(x, P)


def _dot(a: TensorList, b: TensorList) -> torch.Tensor:
    return sum((u.reshape(-1) @ v.reshape(-1) for u, v in zip(a, b, strict=True)), torch.zeros((), device=a[0].device))


# ---------------------------------------------------------------------- problems
class FactorizedConvProblem(L2Problem):
    """First-frame joint problem over ``x = [f, P]`` (filter ``[1, D, k, k]``, projection ``[D, C, 1, 1]``).

    Residuals: ``sqrt(w) (act(conv_same(proj_act(P x_j), f)) - y_j)`` for all samples, ``sqrt(filter_reg) f``,
    ``sqrt(projection_reg) P``. One joint inner product over ``f`` and ``P``; the preconditioner divides the filter
    part by ``filter_reg`` and the projection part by ``projection_reg``.

    Args:
        samples: ``[N, C, H, W]`` unprojected training samples.
        labels: ``[N, 1, H, W]``.
        sample_weights: ``[N]`` or one value broadcast to all samples.
    """

    def __init__(self, samples: torch.Tensor, labels: torch.Tensor, filter_reg: float, projection_reg: float,
                 sample_weights: torch.Tensor, projection_activation: Activation,
                 response_activation: Activation) -> None:
        self.samples = samples
        self.labels = labels
        self.filter_reg = float(filter_reg)
        self.projection_reg = float(projection_reg)
        self.sqrt_w = sample_weights.reshape(-1, 1, 1, 1).sqrt()
        self.projection_activation = projection_activation
        self.response_activation = response_activation
        self.use_closed_form = True
        self._samples_corr: SameCorrelation | None = None

    def __call__(self, x: TensorList) -> TensorList:
        f, P = x[0], x[1]
        compressed = self.projection_activation(_project(self.samples, P))
        scores = self.response_activation(_conv_same(compressed, f))
        return TensorList([self.sqrt_w * (scores - self.labels), math.sqrt(self.filter_reg) * f,
                           math.sqrt(self.projection_reg) * P])

    def ip_input(self, a: TensorList, b: TensorList) -> torch.Tensor:
        return _dot(a, b)

    def M1(self, x: TensorList) -> TensorList:
        return TensorList([x[0] / self.filter_reg, x[1] / self.projection_reg])

    def linearize(self, x: TensorList) -> GaussNewtonSystem | None:
        """Closed-form system (identity projection activation only; otherwise autograd is used)."""
        if not self.use_closed_form or not self.projection_activation.is_identity:
            return None
        f, P = x[0].detach(), x[1].detach()
        ksz = tuple(f.shape[-2:])
        if self._samples_corr is None:  # the raw samples never change: lay them out once
            self._samples_corr = SameCorrelation(self.samples, ksz)
        x_corr = self._samples_corr
        with torch.no_grad():
            compressed = _project(self.samples, P)
            c_corr = SameCorrelation(compressed, ksz)
            s = c_corr.forward(f)
            data_res = self.sqrt_w * (self.response_activation(s) - self.labels)
            # d = sqrt(w) * act'(s): the data Jacobian is  v -> d * (conv(c, df) + conv(x, dP^T f))
            d = self.sqrt_w * self.response_activation.derivative(s)
            d2 = d * d
            sf, sp = math.sqrt(self.filter_reg), math.sqrt(self.projection_reg)
            dim_out, dim_in = P.shape[0], P.shape[1]
            f_flat = f.reshape(dim_out, -1)  # [D, k*k]

            def jt_data(g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                """(J_data)^T applied to the pre-multiplied data residual ``g`` (already times d)."""
                grad_f = c_corr.weight_grad(g)
                grad_eff = x_corr.weight_grad(g)
                # d<g, conv(x, P^T f)>/dP[c, i] = sum_k f[c, k] grad_eff[i, k]
                grad_p = (f_flat @ grad_eff.reshape(dim_in, -1).t()).reshape(P.shape)
                return grad_f, grad_p

            jt_f, jt_p = jt_data(d * data_res)
            jt_r = TensorList([jt_f + sf * (sf * f), jt_p + sp * (sp * P)])

            def jtj(p: TensorList) -> TensorList:
                with torch.no_grad():
                    df, dP = p[0], p[1]
                    w_eff = (dP.reshape(dim_out, dim_in).t() @ f_flat).reshape(1, dim_in, *ksz)
                    jv = c_corr.forward(df) + x_corr.forward(w_eff)
                    gf, gp = jt_data(d2 * jv)
                    return TensorList([gf + self.filter_reg * df, gp + self.projection_reg * dP])

            residuals = TensorList([data_res, sf * f, sp * P])
        return GaussNewtonSystem(residuals=residuals, jt_residual=jt_r, jtj_product=jtj)


class ConvProblem(L2Problem):
    """Online filter-only problem over ``x = [f]`` with the projected samples in memory.

    Residuals: ``sqrt(w_j) (act(conv_same(x_j, f)) - y_j)`` over the stored samples and ``sqrt(filter_reg) f``. Plain
    inner product, no preconditioner.

    The memory tensors are read at each call (the tracker updates them in place); ``num_active()`` tells how many
    leading slots are filled -- empty slots have weight 0 and contribute exactly nothing, so they are skipped.
    """

    def __init__(self, samples: torch.Tensor, labels: torch.Tensor, filter_reg: float, sample_weights: torch.Tensor,
                 response_activation: Activation, num_active: callable | None = None) -> None:
        self.samples = samples
        self.labels = labels
        self.filter_reg = float(filter_reg)
        self.sample_weights = sample_weights
        self.response_activation = response_activation
        self.num_active = num_active if num_active is not None else (lambda: samples.shape[0])
        self.use_closed_form = True

    def _active(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = self.num_active()
        return self.samples[:n], self.labels[:n], self.sample_weights[:n].reshape(-1, 1, 1, 1).sqrt()

    def __call__(self, x: TensorList) -> TensorList:
        f = x[0]
        samples, labels, sqrt_w = self._active()
        scores = self.response_activation(_conv_same(samples, f))
        return TensorList([sqrt_w * (scores - labels), math.sqrt(self.filter_reg) * f])

    def ip_input(self, a: TensorList, b: TensorList) -> torch.Tensor:
        return _dot(a, b)

    def linearize(self, x: TensorList) -> GaussNewtonSystem | None:
        """Closed form: ``J^T J p = sum_j w_j act'(s_j)^2 * corr(x_j, conv(x_j, p)) + filter_reg p``."""
        if not self.use_closed_form:
            return None
        f = x[0].detach()
        samples, labels, sqrt_w = self._active()
        with torch.no_grad():
            corr = SameCorrelation(samples, tuple(f.shape[-2:]))
            s = corr.forward(f)
            data_res = sqrt_w * (self.response_activation(s) - labels)
            d = sqrt_w * self.response_activation.derivative(s)
            d2 = d * d
            sf = math.sqrt(self.filter_reg)
            jt_r = TensorList([corr.weight_grad(d * data_res) + self.filter_reg * f])

            def jtj(p: TensorList) -> TensorList:
                with torch.no_grad():
                    return TensorList([corr.weight_grad(d2 * corr.forward(p[0])) + self.filter_reg * p[0]])

            residuals = TensorList([data_res, sf * f])
        return GaussNewtonSystem(residuals=residuals, jt_residual=jt_r, jtj_product=jtj)
