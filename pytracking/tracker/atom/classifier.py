"""ATOM's online target classifier: projection matrix + correlation filter, sample memory and optimisers.

Why separate from the tracker: this is the learning part (first-frame joint Gauss–Newton over filter and projection,
then filter-only CG updates over the weighted memory); the tracker only asks it for scores and feeds it samples.
"""

from __future__ import annotations

import math

import torch

from pytracking.libs import operation
from pytracking.libs.optimization import ConjugateGradient, GaussNewtonCG, GradientDescentL2
from pytracking.libs.tensorlist import TensorList
from pytracking.tracker.atom.memory import SampleMemory
from pytracking.tracker.atom.optim import Activation, ConvProblem, FactorizedConvProblem
from pytracking.tracker.atom.options import check_options, fixed_projection
from pytracking.tracker.atom.params import AtomFeatureParams, AtomParams

__all__ = ["OnlineClassifier", "direction_forget_factor"]


def direction_forget_factor(forgetting_rate: float | None, learning_rate: float) -> float:
    """CG forget factor of the online optimiser: ``(1 - learning_rate) ** CG_forgetting_rate``; 0 (start every CG
    run afresh) when the rate is None or the learning rate is >= 1."""
    if forgetting_rate is None or learning_rate >= 1:
        return 0.0
    return float((1 - learning_rate) ** forgetting_rate)


class OnlineClassifier:
    """Scores ``conv_same(P x, f)`` of a feature map ``x``; learns ``P`` and ``f`` from weighted samples.

    Args:
        params: tracker parameters (optimisation settings, memory size, init methods).
        fparams: per-feature parameters (``compressed_dim``, ``filter_size``, ``filter_reg``, ``projection_reg``,
            ``learning_rate``, ``init_samples_minimum_weight``).
        projection_activation, response_activation: activations of the two layers (the response activation is used
            in training only; scores at test time are the raw filter response, as published).
        generator: source of the random initialisation (CPU generator).
        debug: record losses, CG residuals and gradient magnitudes (for plots); never changes results.
    """

    def __init__(self, params: AtomParams, fparams: AtomFeatureParams, projection_activation: Activation,
                 response_activation: Activation, generator: torch.Generator, debug: bool = False) -> None:
        check_options(params)
        self.params = params
        self.fparams = fparams
        self.projection_activation = projection_activation
        self.response_activation = response_activation
        self.generator = generator
        self.debug = debug
        self.filter_reg = float(fparams.filter_reg)
        self.projection_matrix: torch.Tensor | None = None
        self.filter: torch.Tensor | None = None
        self.memory = SampleMemory(params.sample_memory_size, fparams.learning_rate,
                                   fparams.init_samples_minimum_weight)
        self.filter_optimizer: ConjugateGradient | GradientDescentL2 | None = None
        self.losses: list[float] = []
        self.residuals: list[float] = []
        self.gradient_mags: list[float] = []

    # ------------------------------------------------------------------ initialisation
    def _init_projection(self, x: torch.Tensor) -> torch.Tensor | None:
        if not self.params.use_projection_matrix:
            return None  # classify the raw features
        method = self.params.proj_init_method
        dim_out, dim_in = int(self.fparams.compressed_dim), x.shape[1]
        if method == "randn":
            p = torch.randn(dim_out, dim_in, 1, 1, generator=self.generator) / math.sqrt(dim_in)
            return p.to(x.device)
        if method == "pca":
            # Leading principal directions of the mean-free first-frame features.
            flat = x.permute(1, 0, 2, 3).reshape(dim_in, -1)
            flat = flat - flat.mean(dim=1, keepdim=True)
            u, _, _ = torch.linalg.svd(flat @ flat.t() / flat.shape[1])
            return u[:, :dim_out].t().reshape(dim_out, dim_in, 1, 1).clone()
        raise ValueError(f"unknown proj_init_method {method!r} (expected 'randn' or 'pca')")

    def _init_filter(self, dim: int, device: torch.device) -> torch.Tensor:
        k = int(self.fparams.filter_size)
        method = self.params.filter_init_method
        shape = (1, dim, k, k)
        if method == "zeros":
            return torch.zeros(shape, device=device)
        if method == "randn":
            numel = dim * k * k
            return (torch.randn(shape, generator=self.generator) / numel).to(device)
        raise ValueError(f"unknown filter_init_method {method!r} (expected 'randn' or 'zeros')")

    def _optimizer(self, problem, variable: TensorList, gauss_newton: type[ConjugateGradient], **cg_options):
        """The configured optimiser (``optimizer`` parameter) on ``problem``."""
        p = self.params
        if p.optimizer == "GradientDescentL2":
            return GradientDescentL2(problem, variable, float(p.optimizer_step_length), float(p.optimizer_momentum),
                                     debug=self.debug)
        return gauss_newton(problem, variable, debug=self.debug, **cg_options)

    def _record(self, opt, reset: bool) -> None:
        """Append (or, with ``reset``, take over) the optimiser's debug histories."""
        for history, name in ((self.losses, "losses"), (self.residuals, "residuals"),
                              (self.gradient_mags, "gradient_mags")):
            new = getattr(opt, name, None)
            if new is None:
                continue
            if reset:
                history[:] = new
            else:
                history.extend(new)
            new.clear()

    def initialize(self, init_samples: torch.Tensor, init_labels: torch.Tensor) -> None:
        """First frame: joint Gauss–Newton over filter and projection (or, with a fixed projection, the filter-only
        problem), then fill the memory."""
        p = self.params
        n = init_samples.shape[0]
        self.projection_matrix = self._init_projection(init_samples)
        dim = init_samples.shape[1] if self.projection_matrix is None else self.projection_matrix.shape[0]
        self.filter = self._init_filter(dim, init_samples.device)
        closed_form = bool(p.closed_form_gauss_newton)
        init_cg, init_gn = int(p.init_CG_iter), int(p.init_GN_iter)
        if not fixed_projection(p):
            weights = init_samples.new_full((n,), 1.0 / n)
            joint_problem = FactorizedConvProblem(init_samples, init_labels, self.filter_reg,
                                                  float(self.fparams.projection_reg), weights,
                                                  self.projection_activation, self.response_activation)
            joint_problem.use_closed_form = closed_form
            joint_var = TensorList([self.filter, self.projection_matrix])
            joint_opt = self._optimizer(joint_problem, joint_var, GaussNewtonCG)  # Fletcher-Reeves, as published
            # gradient descent takes init_CG_iter // init_GN_iter steps here (its second argument is ignored)
            joint_opt.run(init_cg // init_gn, init_gn)
            self._record(joint_opt, reset=True)

        self.memory.initialize(self.project(init_samples), init_labels)
        conv_problem = ConvProblem(self.memory.samples, self.memory.labels, self.filter_reg, self.memory.weights,
                                   self.response_activation, num_active=lambda: self.memory.num_active)
        conv_problem.use_closed_form = closed_form
        dff = direction_forget_factor(p.CG_forgetting_rate, float(self.fparams.learning_rate))
        self.filter_optimizer = self._optimizer(conv_problem, TensorList([self.filter]), ConjugateGradient,
                                                fletcher_reeves=bool(p.fletcher_reeves),
                                                standard_alpha=bool(p.standard_alpha),
                                                direction_forget_factor=dff)
        if fixed_projection(p):
            self.run(init_cg)  # the filter-only problem on the first-frame samples
        self.run(int(p.post_init_CG_iter))

    # ------------------------------------------------------------------ use
    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Compressed features ``[N, D, h, w]`` (the raw features, activated, without a projection matrix)."""
        if self.projection_matrix is None:
            return self.projection_activation(x)
        return self.projection_activation(operation.conv1x1(x, self.projection_matrix))

    def scores(self, projected: torch.Tensor) -> torch.Tensor:
        """Raw filter response ``[N, 1, h, w]`` ('same' correlation)."""
        return operation.conv2d(projected, self.filter, mode="same")

    def add_sample(self, sample: torch.Tensor, label: torch.Tensor, learning_rate: float | None = None) -> int:
        """Store one projected sample ``[1, D, h, w]`` and its label; returns the memory slot."""
        return self.memory.insert(sample, label, learning_rate)

    def run(self, num_cg_iter: int) -> None:
        """One Gauss–Newton step of the filter-only problem with ``num_cg_iter`` CG iterations (with gradient
        descent: ``num_cg_iter`` steps); no-op for 0."""
        if num_cg_iter <= 0 or self.filter_optimizer is None:
            return
        self.filter_optimizer.run(num_cg_iter)
        if self.debug:
            self._record(self.filter_optimizer, reset=False)
