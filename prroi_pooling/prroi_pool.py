"""Public PrRoIPool op: picks the compiled CUDA kernel for CUDA tensors when it is built, else the exact reference."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from prroi_pooling._extension import kernel_disabled_by_env, load_extension
from prroi_pooling.functional import empty_output, prroi_pool2d_reference, validate_inputs

__all__ = ["PrRoIPool2D", "kernel_available", "prroi_pool2d"]


def kernel_available() -> bool:
    """True when the compiled CUDA kernel is built and loadable (it is then used for CUDA tensors)."""
    return load_extension() is not None


class _PrRoIPoolKernelFunction(torch.autograd.Function):
    """Autograd wrapper around the compiled kernel: forward, feature backward and coordinate backward."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        features: torch.Tensor,
        rois: torch.Tensor,
        pooled_height: int,
        pooled_width: int,
        spatial_scale: float,
    ) -> torch.Tensor:
        ext = load_extension()
        features_c = features.contiguous()
        rois_c = rois.detach().to(features.dtype).contiguous()
        ctx.save_for_backward(features_c, rois_c)
        ctx.geometry = (pooled_height, pooled_width, float(spatial_scale))
        ctx.rois_dtype = rois.dtype
        return ext.forward(features_c, rois_c, pooled_height, pooled_width, float(spatial_scale))

    @staticmethod
    @once_differentiable  # the kernel's backward is not itself differentiable: double backward raises clearly
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        ext = load_extension()
        features, rois = ctx.saved_tensors
        _, _, spatial_scale = ctx.geometry
        grad_output = grad_output.contiguous()
        grad_features = grad_rois = None
        if ctx.needs_input_grad[0]:
            batch, _, height, width = features.shape
            grad_features = ext.backward_features(grad_output, rois, batch, height, width, spatial_scale)
        if ctx.needs_input_grad[1]:
            grad_rois = ext.backward_coords(grad_output, features, rois, spatial_scale).to(ctx.rois_dtype)
        return grad_features, grad_rois, None, None, None


def prroi_pool2d(
    features: torch.Tensor,
    rois: torch.Tensor,
    pooled_height: int,
    pooled_width: int,
    spatial_scale: float,
    use_kernel: bool | None = None,
) -> torch.Tensor:
    """Precise RoI pooling: ``[K, C, PH, PW]`` exact bin averages of the bilinearly interpolated ``features``.

    ``features`` is ``[B, C, H, W]``; ``rois`` is ``[K, 5] = [batch_index, x1, y1, x2, y2]`` in input-image pixels
    (multiplied by ``spatial_scale`` to reach feature-map units). Gradients flow to ``features`` and ``rois[:, 1:]``.

    ``use_kernel``: ``None`` picks the compiled CUDA kernel for CUDA tensors when it is built (and the environment
    variable ``PRROI_POOL_FORCE_REFERENCE`` is not set), ``False`` forces the pure-PyTorch path, ``True`` requires the
    kernel and raises ``RuntimeError`` where it cannot be used.
    """
    if pooled_height <= 0 or pooled_width <= 0:
        raise ValueError(f"prroi_pool2d: pooled size must be positive, got {pooled_height}x{pooled_width}")
    if _should_use_kernel(features, use_kernel):
        validate_inputs(features, rois)
        if rois.shape[0] == 0:
            return empty_output(features, rois, pooled_height, pooled_width)
        return _PrRoIPoolKernelFunction.apply(features, rois, pooled_height, pooled_width, spatial_scale)
    return prroi_pool2d_reference(features, rois, pooled_height, pooled_width, spatial_scale)


def _should_use_kernel(features: torch.Tensor, use_kernel: bool | None) -> bool:
    if use_kernel is False:
        return False
    usable = features.is_cuda and kernel_available()
    if use_kernel is True:
        if not usable:
            raise RuntimeError(
                "prroi_pool2d: use_kernel=True needs CUDA tensors and the compiled prroi_pooling._C extension "
                f"(features on {features.device}, extension built: {kernel_available()})"
            )
        return True
    return usable and not kernel_disabled_by_env()


class PrRoIPool2D(nn.Module):
    """Precise RoI Pooling layer (see :func:`prroi_pool2d`); no parameters.

    Example: ``PrRoIPool2D(7, 7, 1 / 8)(feat[B, C, H, W], rois[K, 5])`` -> ``[K, C, 7, 7]``.
    """

    def __init__(
        self, pooled_height: int, pooled_width: int, spatial_scale: float, use_kernel: bool | None = None
    ) -> None:
        super().__init__()
        if int(pooled_height) <= 0 or int(pooled_width) <= 0:
            raise ValueError(f"PrRoIPool2D: pooled size must be positive, got {pooled_height}x{pooled_width}")
        self.pooled_height = int(pooled_height)
        self.pooled_width = int(pooled_width)
        self.spatial_scale = float(spatial_scale)
        self.use_kernel = use_kernel

    def forward(self, features: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        return prroi_pool2d(
            features, rois, self.pooled_height, self.pooled_width, self.spatial_scale, use_kernel=self.use_kernel
        )

    def extra_repr(self) -> str:
        return (
            f"pooled_height={self.pooled_height}, pooled_width={self.pooled_width}, "
            f"spatial_scale={self.spatial_scale}, use_kernel={self.use_kernel}"
        )
