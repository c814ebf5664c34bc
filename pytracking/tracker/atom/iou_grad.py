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

from prroi_pooling.functional import hat_and_cdf

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


class _BinWeights:
    """PrRoI bin weights along one axis, for every level at once (one pass of ~20 small operations instead of one
    per level: at these sizes a refinement step's time is mostly per-operation overhead).

    For ``M`` intervals ``[start, end]`` (pixels), level ``l`` (spatial scale ``s``, ``P`` bins) has edges
    ``e_k = s * (start + (k / P) * length)``, ``length = max(end - start, 0)``, ``k = 0..P``. Bin ``k`` spans
    ``[e_k, e_(k+1)]``; its weight on cell ``i`` is ``Hc(e_(k+1) - i) - Hc(e_k - i)`` (``Hc`` the antiderivative of
    the hat kernel ``h(t) = max(0, 1 - |t|)``), whose derivative w.r.t. an edge is ``h`` at that edge. The edges of
    all levels sit side by side in one table (``P + 1`` columns per level); differences of neighbouring columns are
    the bins, and the one difference between two levels' columns is never read. With power-of-two scales (1/8, 1/16)
    scaling the pixel edges is exact, so the values equal a per-level computation bit for bit.
    """

    def __init__(self, levels: Sequence[_Level]) -> None:
        self.levels = list(levels)
        self.first_bin = [sum(lvl.bins + 1 for lvl in self.levels[:i]) for i in range(len(self.levels))]
        self._tables: dict[tuple, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def _table(self, size: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(k / P, s)`` per edge column and ``arange(size)``, in ``like``'s dtype/device, made once."""
        key = (size, like.dtype, like.device)
        if key not in self._tables:
            opts = {"dtype": like.dtype, "device": like.device}
            frac = torch.cat([torch.arange(lvl.bins + 1, **opts) / lvl.bins for lvl in self.levels])
            scale = torch.cat([torch.full((lvl.bins + 1,), lvl.scale, **opts) for lvl in self.levels])
            self._tables[key] = (frac, scale, torch.arange(size, **opts))
        return self._tables[key]

    def __call__(self, start: torch.Tensor, end: torch.Tensor, size: int
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(w [M, B, size], dw [2, M, B, size], length [M], live [M])``: bin weights of all levels' columns, their
        derivatives w.r.t. ``start`` (``dw[0]``) and ``end`` (``dw[1]``, both in level units), the clamped length in
        pixels and where ``end >= start``. Level ``l``'s bins are columns ``first_bin[l]`` to ``+ P``; cells beyond an
        axis' real size are the caller's to drop."""
        diff = end - start
        live = diff >= 0  # the clamp below passes the gradient where diff >= 0
        length = diff.clamp(min=0)
        frac, scale, grid = self._table(size, start)
        edges = torch.addcmul(start[:, None], length[:, None], frac) * scale  # [M, E]
        hat, cdf = hat_and_cdf(edges[:, :, None] - grid)  # [M, E, size] each
        # d e_k / d end = s k / P where the interval is live, d e_k / d start = s - that; the factor s is applied by
        # the caller (ClosedFormIoU._edge_gradient) once per level
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
        self._reference: tuple[torch.Tensor, torch.Tensor] | None = None  # (mask [O] as 0/1, its product [K])

    def full(self, mask: torch.Tensor) -> torch.Tensor:
        """The straightforward product (the reference twin of :meth:`__call__`)."""
        return torch.where(mask, self.scale, 0.0) @ self.weight

    def __call__(self, mask: torch.Tensor) -> torch.Tensor:
        if self._reference is not None:
            ref_on, ref_product = self._reference
            diff = mask.to(ref_on.dtype) - ref_on  # +1 where a unit turned on against the reference, -1 where off
            changed = torch.nonzero(diff.any(0)).squeeze(1)
            if changed.numel() <= self.max_changed:
                coef = (diff * self.scale).index_select(1, changed)
                return torch.addmm(ref_product, coef, self.weight.index_select(0, changed))
        product = self.full(mask)
        if product.shape[0]:
            self._reference = (mask[0].to(self.scale.dtype), product[0].clone())
        return product


@dataclass
class _Axes:
    """One level's bin weights for all boxes (see :class:`_BinWeights`), split into columns and rows."""

    n: int
    wx: torch.Tensor  # [N, Q, W] column weights (contiguous)
    wy: torch.Tensor  # [N, P, H] row weights
    dw: torch.Tensor  # [2, 2N, P, S] derivatives w.r.t. [start, end] of the columns of all boxes, then their rows
    length: torch.Tensor  # [2N] interval lengths in level units (columns, then rows)
    inv_area: torch.Tensor  # [N, 1, 1, 1] 1 / bin area (0 for empty boxes)
    area_edges: torch.Tensor  # [2N] where the 1/area factor depends on an edge (box has an area, interval live)

    @classmethod
    def of(cls, lvl: _Level, first_bin: int, feat: Feature,
           bins: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]) -> _Axes:
        """Level ``lvl``'s part of the result of :class:`_BinWeights` (its bins start at column ``first_bin``)."""
        weights, dw, length_px, live = bins
        _, _, h, w = feat
        n, p = length_px.shape[0] // 2, lvl.bins
        cols = slice(first_bin, first_bin + p)
        weights = weights[:, cols]
        length = length_px * lvl.scale
        area = length[:n] * length[n:]  # P^2 times the bin area
        has_area = area > 0
        return cls(n, weights[:n, :, :w].contiguous(), weights[n:, :, :h], dw[:, :, cols], length,
                   torch.where(has_area, (p * p) / area, 0.0)[:, None, None, None], has_area.repeat(2) & live)


class ClosedFormIoU:
    """``(iou [N], d iou / d boxes [N, 4])`` for an ``AtomIoUNet``-shaped head without autograd.

    Use :meth:`supports` first: it checks that the network has the expected layout (two PrRoI levels feeding
    ``LinearBlock`` s, then ``iou_predictor``) and is in eval mode; otherwise use autograd.

    Layout: features are kept as ``[H, W*C]`` (channels innermost) and pooled maps as ``[N, P, Q, C]``, so that
    every product has the 256 channels as its long, contiguous dimension; the fully connected weights are permuted
    to that order once. The bin weights of both levels come from one pass (:class:`_BinWeights`); then per level the
    chain is: pooling, fully connected layer, ReLU mask, and back to the box edges; the levels meet again when their
    IoU shares and edge gradients are added.
    """

    def __init__(self, net: nn.Module) -> None:
        self.levels = [_Level(net.prroi_pool3t, net.fc3_rt), _Level(net.prroi_pool4t, net.fc4_rt)]
        self.bin_weights = _BinWeights(self.levels)
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
        n = boxes.shape[0]
        # the intervals: columns (x) of all boxes, then their rows (y)
        lo = boxes[:, :2]
        starts, ends = lo.t().reshape(-1), (lo + boxes[:, 2:]).t().reshape(-1)
        bins = self.bin_weights(starts, ends, max(max(h, w) for _, _, h, w in feats))
        parts = [self._level(i, feat, bins) for i, feat in enumerate(feats)]
        edges = parts[0][1] + parts[1][1]  # dIoU/d[starts; ends] [2, 2N]
        # x0 = x and x1 = x + w (y likewise): d/dx = d/dx0 + d/dx1 and d/dw = d/dx1
        grad = torch.cat((edges[0] + edges[1], edges[1])).reshape(4, n).t()
        return parts[0][0] + parts[1][0] + self.out_bias, grad

    def _level(self, i: int, feat: Feature, bins: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Level ``i``'s share of the IoU (``[N]``, without the output bias) and of the gradient w.r.t. the interval
        edges (``[2, 2N]``, pixels)."""
        lvl = self.levels[i]
        ax = _Axes.of(lvl, self.bin_weights.first_bin[i], feat, bins)
        my, pool, z = self._forward(lvl, feat, ax)
        iou, mask = self._activate(i, z)
        g_pool = self.pooled_grads[i](mask).reshape(pool.shape)  # dIoU/dpooled
        g_edges, gp = self._backward(lvl, feat, ax, my, pool, g_pool)
        return iou, self._edge_gradient(lvl, ax, g_edges, gp)

    @staticmethod
    def _forward(lvl: _Level, feat: Feature, ax: _Axes) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Row-pooled features ``my [N, P, W, C]``, pooled bins ``[N, P, Q, C]`` and the fully connected product
        ``[N, O]`` (before bias and BatchNorm)."""
        f_hwc, c, h, w = feat
        n, p = ax.n, lvl.bins
        # rows: one product for all boxes; columns: per box, shared over the bin rows
        my = (ax.wy.reshape(n * p, h) @ f_hwc).reshape(n, p, w, c)
        pool = torch.matmul(ax.wx[:, None], my) * ax.inv_area
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
        """dIoU/d[box edge starts, ends] through the bin weights (``[2, 2N]``: columns of all boxes, then rows) and
        ``sum(dIoU/dpool * pool)`` per box (for the 1/area factor), from dIoU/dpooled ``g_pool [N, P, Q, C]``."""
        f_hwc, _, h, w = feat
        n, p = ax.n, lvl.bins
        gp = (g_pool * pool).sum(dim=(1, 2, 3))
        g_u = g_pool * ax.inv_area  # w.r.t. the unnormalised bin integrals
        sx = torch.matmul(g_u, my.transpose(2, 3)).sum(1)  # sensitivity to the column weights [N, Q, W]
        g_my = torch.matmul(ax.wx.transpose(1, 2)[:, None], g_u)  # [N, P, W, C]
        r = (g_my.reshape(n * p, -1) @ f_hwc.t()).reshape(n, p, h)  # sensitivity to the row weights [N, P, H]
        g_edges = torch.cat(((sx * ax.dw[:, :n, :, :w]).sum((2, 3)), (r * ax.dw[:, n:, :, :h]).sum((2, 3))), dim=1)
        return g_edges, gp

    @staticmethod
    def _edge_gradient(lvl: _Level, ax: _Axes, g_edges: torch.Tensor, gp: torch.Tensor) -> torch.Tensor:
        """dIoU/d[starts; ends] ``[2, 2N]`` in pixels from the sensitivities through the bin weights, adding the 1/area
        factor's part: d(1/area)/d(edge) * area = -d(length)/d(edge) / length (+1/length for a start, -1 for an end)."""
        k = torch.where(ax.area_edges, gp.repeat(2) / ax.length, 0.0)
        return (g_edges + torch.stack((k, -k))) * lvl.scale
