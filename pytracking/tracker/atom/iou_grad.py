"""Predicted IoU and its gradient with respect to the boxes in closed form, for ATOM's box refinement.

Why: refinement takes five gradient steps on ten boxes each frame. Through autograd, each step replays the IoU-Net
head (PrRoI pooling of two feature levels, two fully connected blocks, the output layer) as a graph of ~150 small
operations and then walks it backwards; at these sizes the bookkeeping costs more than the arithmetic. The head is
simple enough to differentiate by hand: with ``G = dIoU/dpooled`` from the (eval-mode) fully connected blocks, the
derivative of a PrRoI bin with respect to a box edge only needs the hat kernel ``h(t) = max(0, 1 - |t|)`` (the
derivative of the pooling's weight function) at the bin edges. Values equal the network's ``predict_iou`` and
gradients equal autograd's (tests compare both); only the order of summation differs.

Conventions follow ``prroi_pooling``: a box ``[x, y, w, h]`` (pixels) covers ``[x*s, (x+w)*s] x [y*s, (y+h)*s]`` on a
level with ``spatial_scale`` ``s``; grid values sit at integer coordinates; each of the ``P x P`` bins is the integral
of the bilinear surface over the bin divided by the bin area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["ClosedFormIoU"]

Feature = tuple[torch.Tensor, int, int, int]  # ([H, W*C] matrix, C, H, W), see ClosedFormIoU.prepare


class _Level:
    """One pooled level: PrRoI pooling (bins, spatial scale) followed by a LinearBlock (linear, eval BN, ReLU)."""

    def __init__(self, pool: nn.Module, block: nn.Module) -> None:
        self.bins = int(pool.pooled_height)
        self.scale = float(pool.spatial_scale)
        lin, bn = block.linear, block.bn
        weight = lin.weight.detach()  # [O, C*P*P] in (c, p, q) order
        out_dim = weight.shape[0]
        self.weight = weight
        # the same weights in (p, q, c) order, matching the pooled layout used below (channels innermost)
        self.weight_pqc = (weight.reshape(out_dim, -1, self.bins, self.bins).permute(0, 2, 3, 1)
                           .reshape(out_dim, -1).contiguous())
        self.bias = lin.bias.detach() if lin.bias is not None else torch.zeros_like(self.weight[:, 0])
        if bn is not None:
            inv = bn.weight.detach() / torch.sqrt(bn.running_var.detach() + bn.eps)
            self.bn_scale = inv
            self.bn_shift = bn.bias.detach() - bn.running_mean.detach() * inv
        else:
            self.bn_scale = torch.ones_like(self.bias)
            self.bn_shift = torch.zeros_like(self.bias)
        # the layer's bias folded into eval BatchNorm's shift (see ClosedFormIoU._activate)
        self.shift = self.bias * self.bn_scale + self.bn_shift
        self.relu = block.relu is not None
        self._aranges: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def _steps_and_grid(self, size: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``arange(P + 1) / P`` and ``arange(size)`` in ``like``'s dtype/device, made once: building them on every
        call is a measurable part of a refinement step (many tiny operations per frame)."""
        key = (size, like.dtype, like.device)
        if key not in self._aranges:
            self._aranges[key] = (torch.arange(self.bins + 1, dtype=like.dtype, device=like.device) / self.bins,
                                  torch.arange(size, dtype=like.dtype, device=like.device))
        return self._aranges[key]

    def axis(self, start: torch.Tensor, end: torch.Tensor, size: int
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Bin weights along one axis for ``M`` intervals ``[start, end]``.

        Returns ``(w [M, P, size], dw [2, M, P, size], length [M], live [M])``: the weights, their derivatives w.r.t.
        ``start`` (``dw[0]``) and ``end`` (``dw[1]``), the clamped interval length, and where ``end >= start``.
        Rows and columns of all boxes can go in one call with the larger size; the caller drops the cells beyond
        each axis' real size. Bin ``k`` spans ``[e_k, e_(k+1)]`` with ``e_k = start + (k / P) * length``; its weight on
        cell ``i`` is ``Hc(e_(k+1) - i) - Hc(e_k - i)`` (``Hc`` the antiderivative of the hat kernel ``h``), whose
        derivative w.r.t. an edge is ``h`` at that edge.
        """
        diff = end - start
        live = diff >= 0  # the clamp below passes the gradient where diff >= 0
        length = diff.clamp(min=0)
        frac, grid = self._steps_and_grid(size, start)
        edges = torch.addcmul(start[:, None], length[:, None], frac)  # [M, P+1]
        t = (edges[:, :, None] - grid).clamp_(-1.0, 1.0)  # [M, P+1, size]; |t| >= 1 is flat for both functions
        a = t.abs()
        hat = 1 - a  # h(t) = max(0, 1 - |t|)
        cdf = torch.addcmul(t + 0.5, t, a, value=-0.5)  # Hc(t) = 1/2 + t - t |t| / 2 on [-1, 1]
        # d e_k / d end = k / P where the interval is live; d e_k / d start = 1 - that
        hat_end = hat * torch.where(live[:, None], frac, 0.0)[:, :, None]
        hat_end = hat_end[:, 1:] - hat_end[:, :-1]
        dw = torch.stack((hat[:, 1:] - hat[:, :-1] - hat_end, hat_end))
        return cdf[:, 1:] - cdf[:, :-1], dw, length, live


class _MaskedProduct:
    """``where(mask, scale, 0) @ weight`` for ReLU masks ``[N, O]`` that differ in few columns from call to call.

    Why: this product is the fully connected layer's backward pass (dIoU/dpooled). It depends only on which units the
    ReLU passes, not on the features. Across the ten boxes and five steps of a frame, and from frame to frame, the
    masks differ from one reference mask in about 9% of the units (measured on Crossing: a mean of 23 of 256, and a
    full product in 4 of 595 calls). So the product is kept for that reference mask (one row of an earlier full
    product, never updated by additions, so rounding does not drift), and each call adds only the weight rows of the
    units that differ. When more than ``max_changed`` units differ, the full product is computed and its first row
    becomes the new reference. The result equals the full product up to the order of summation (tests compare both).
    Paired on Crossing (2 threads) this is about 4% of ATOM's time per frame."""

    def __init__(self, scale: torch.Tensor, weight: torch.Tensor) -> None:
        self.scale = scale  # [O]
        self.weight = weight  # [O, K]
        self.max_changed = max(1, weight.shape[0] // 8)
        self._reference: tuple[torch.Tensor, torch.Tensor] | None = None  # (mask [O], its product [K])

    def full(self, mask: torch.Tensor) -> torch.Tensor:
        """The straightforward product (the reference twin of :meth:`__call__`)."""
        return torch.where(mask, self.scale, 0.0) @ self.weight

    def __call__(self, mask: torch.Tensor) -> torch.Tensor:
        if self._reference is not None:
            ref_mask, ref_product = self._reference
            changed = torch.nonzero((mask != ref_mask).any(0)).squeeze(1)
            if changed.numel() <= self.max_changed:
                # +scale where a unit turned on against the reference, -scale where it turned off
                sign = mask[:, changed].to(self.scale.dtype) - ref_mask[changed].to(self.scale.dtype)
                return torch.addmm(ref_product, sign * self.scale[changed], self.weight.index_select(0, changed))
        product = self.full(mask)
        if product.shape[0]:
            self._reference = (mask[0].clone(), product[0].clone())
        return product


@dataclass
class _Axes:
    """Bin weights of one level for all boxes (see :meth:`_Level.axis`), split into rows and columns."""

    n: int
    wy: torch.Tensor  # [N, P, H] row weights
    wx: torch.Tensor  # [N, Q, W] column weights (contiguous)
    dw: torch.Tensor  # [2, 2N, P, S] derivatives w.r.t. [start, end] of the rows of all boxes, then their columns
    length: torch.Tensor  # [2N] interval lengths (rows, then columns)
    inv_area: torch.Tensor  # [N] 1 / bin area (0 for empty boxes)
    area_edges: torch.Tensor  # [2N] where the 1/area factor depends on an edge (box has an area, interval live)

    @classmethod
    def of(cls, lvl: _Level, feat: Feature, starts: torch.Tensor, ends: torch.Tensor) -> _Axes:
        _, _, h, w = feat
        n, p = starts.shape[0] // 2, lvl.bins
        aw, dw, length, live = lvl.axis(starts * lvl.scale, ends * lvl.scale, max(h, w))
        area = length[:n] * length[n:]  # P^2 times the bin area
        has_area = area > 0
        return cls(n, aw[:n, :, :h], aw[n:, :, :w].contiguous(), dw, length,
                   torch.where(has_area, (p * p) / area, 0.0), has_area.repeat(2) & live)


class ClosedFormIoU:
    """``(iou [N], d iou / d boxes [N, 4])`` for an ``AtomIoUNet``-shaped head without autograd.

    Use :meth:`supports` first: it checks that the network has the expected layout (two PrRoI levels feeding
    ``LinearBlock`` s, then ``iou_predictor``) and is in eval mode; otherwise use autograd.

    Layout: features are kept as ``[H, W*C]`` (channels innermost) and pooled maps as ``[N, P, Q, C]``, so that
    every product has the 256 channels as its long, contiguous dimension; the fully connected weights are permuted
    to that order once. Per level the chain is: bin weights, pooling, fully connected layer, ReLU mask, and back to
    the box edges; the two levels meet only when their IoU shares and gradients are added.
    """

    def __init__(self, net: nn.Module) -> None:
        self.levels = [_Level(net.prroi_pool3t, net.fc3_rt), _Level(net.prroi_pool4t, net.fc4_rt)]
        out = net.iou_predictor
        out_weight = out.weight.detach()[0]  # [O3 + O4]
        self.out_bias = out.bias.detach()[0] if out.bias is not None else torch.zeros(())
        self.out_weights = list(torch.split(out_weight, [lvl.weight.shape[0] for lvl in self.levels]))
        # dIoU/d(pre-BN activation) where the ReLU passes is constant, so dIoU/dpooled depends only on the ReLU mask
        self.pooled_grads = [_MaskedProduct(ow * lvl.bn_scale, lvl.weight_pqc)
                             for lvl, ow in zip(self.levels, self.out_weights, strict=True)]

    @staticmethod
    def supports(net: nn.Module) -> bool:
        """Whether the closed form applies to ``net`` (layout as in ``ltr.models.bbreg.atom_iou_net`` and eval mode)."""
        try:
            blocks = (net.fc3_rt, net.fc4_rt)
            pools = (net.prroi_pool3t, net.prroi_pool4t)
            ok = all(isinstance(b.linear, nn.Linear) for b in blocks) and isinstance(net.iou_predictor, nn.Linear)
            ok = ok and all(b.bn is None or (isinstance(b.bn, nn.BatchNorm2d) and b.bn.track_running_stats
                                             and b.bn.running_var is not None) for b in blocks)
            ok = ok and all(p.pooled_height == p.pooled_width for p in pools)
            return bool(ok) and not net.training and net.iou_predictor.out_features == 1
        except AttributeError:
            return False

    @staticmethod
    def prepare(feats: Sequence[torch.Tensor]) -> list[Feature]:
        """Lay out modulated features ``[1, C, H, W]`` as ``[H, W*C]`` matrices once, for repeated calls."""
        out = []
        for f in feats:
            _, c, h, w = f.shape
            out.append((f[0].permute(1, 2, 0).reshape(h, w * c), c, h, w))
        return out

    def __call__(self, feats: Sequence[torch.Tensor] | list[Feature], boxes: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """IoU and gradient for ``boxes [N, 4]`` (xywh) pooled from modulated features ``feats`` (``[1, C, H, W]``
        per level, already multiplied by the modulation vectors, or the result of :meth:`prepare`)."""
        if isinstance(feats[0], torch.Tensor):
            feats = self.prepare(feats)
        # rows (y) and columns (x) of all boxes in one pass (the same for every level up to the scale)
        starts = torch.cat((boxes[:, 1], boxes[:, 0]))
        ends = torch.cat((boxes[:, 1] + boxes[:, 3], boxes[:, 0] + boxes[:, 2]))
        parts = [self._level(i, feat, starts, ends) for i, feat in enumerate(feats)]
        return parts[0][0] + parts[1][0] + self.out_bias, parts[0][1] + parts[1][1]

    def _level(self, i: int, feat: Feature, starts: torch.Tensor, ends: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Level ``i``'s share of the IoU (``[N]``, without the output bias) and of its box gradient (``[N, 4]``)."""
        lvl = self.levels[i]
        ax = _Axes.of(lvl, feat, starts, ends)
        my, pool, z = self._forward(lvl, feat, ax)
        iou, mask = self._activate(i, z)
        g_pool = self.pooled_grads[i](mask).reshape(pool.shape)  # dIoU/dpooled
        g_edges, gp = self._backward(lvl, feat, ax, my, pool, g_pool)
        return iou, self._box_gradient(lvl, ax, g_edges, gp)

    @staticmethod
    def _forward(lvl: _Level, feat: Feature, ax: _Axes) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Row-pooled features ``my [N, P, W, C]``, pooled bins ``[N, P, Q, C]`` and the fully connected product
        ``[N, O]`` (before bias and BatchNorm)."""
        f_hwc, c, h, w = feat
        n, p = ax.n, lvl.bins
        # rows: one product for all boxes; columns: per box, shared over the bin rows
        my = (ax.wy.reshape(n * p, h) @ f_hwc).reshape(n, p, w, c)
        pool = torch.matmul(ax.wx[:, None], my) * ax.inv_area[:, None, None, None]
        return my, pool, pool.reshape(n, -1) @ lvl.weight_pqc.t()

    def _activate(self, i: int, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Eval BatchNorm (the layer's bias folded into its shift) and ReLU of the product ``z [N, O]``: the level's
        IoU share and the ReLU mask (where dIoU/dz is not zero)."""
        lvl = self.levels[i]
        z = torch.addcmul(lvl.shift, z, lvl.bn_scale)
        mask = z > 0 if lvl.relu else torch.ones_like(z, dtype=torch.bool)
        return torch.where(mask, z, 0.0) @ self.out_weights[i], mask

    @staticmethod
    def _backward(lvl: _Level, feat: Feature, ax: _Axes, my: torch.Tensor, pool: torch.Tensor, g_pool: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
        """dIoU/d[box edge starts, ends] through the bin weights (``[2, 2N]``: rows of all boxes, then columns) and
        ``sum(dIoU/dpool * pool)`` per box (for the 1/area factor), from dIoU/dpooled ``g_pool [N, P, Q, C]``."""
        f_hwc, _, h, w = feat
        n, p = ax.n, lvl.bins
        gp = (g_pool * pool).sum(dim=(1, 2, 3))
        g_u = g_pool * ax.inv_area[:, None, None, None]  # w.r.t. the unnormalised bin integrals
        sx = torch.matmul(g_u, my.transpose(2, 3)).sum(1)  # sensitivity to the column weights [N, Q, W]
        g_my = torch.matmul(ax.wx.transpose(1, 2)[:, None], g_u)  # [N, P, W, C]
        r = (g_my.reshape(n * p, -1) @ f_hwc.t()).reshape(n, p, h)  # sensitivity to the row weights [N, P, H]
        g_edges = torch.cat(((r * ax.dw[:, :n, :, :h]).sum((2, 3)), (sx * ax.dw[:, n:, :, :w]).sum((2, 3))), dim=1)
        return g_edges, gp

    @staticmethod
    def _box_gradient(lvl: _Level, ax: _Axes, g_edges: torch.Tensor, gp: torch.Tensor) -> torch.Tensor:
        """dIoU/d[x, y, w, h] ``[N, 4]`` from the edge sensitivities, adding the 1/area factor's part:
        d(1/area)/d(edge) * area = -d(length)/d(edge) / length."""
        n = ax.n
        k = torch.where(ax.area_edges, gp.repeat(2) / ax.length, 0.0)
        g_start, g_end = g_edges[0] + k, g_edges[1] - k
        g_pos = g_start + g_end  # moving a box moves both of its edges
        return torch.stack((g_pos[n:], g_pos[:n], g_end[n:], g_end[:n]), dim=1) * lvl.scale
