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
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn

from prroi_pooling.functional import hat_cdf

__all__ = ["ClosedFormIoU"]


def _hat(t: torch.Tensor) -> torch.Tensor:
    return (1 - t.abs()).clamp(min=0)


class _Level:
    """One pooled level: PrRoI pooling (bins, spatial scale) followed by a LinearBlock (linear, eval BN, ReLU)."""

    def __init__(self, pool: nn.Module, block: nn.Module) -> None:
        self.bins = int(pool.pooled_height)
        self.scale = float(pool.spatial_scale)
        lin, bn = block.linear, block.bn
        weight = lin.weight.detach()  # [O, C*P*P] in (c, p, q) order
        out_dim = weight.shape[0]
        self.weight = weight
        # the same weights in (p, c, q) order, matching the pooled layout used below
        self.weight_pcq = (weight.reshape(out_dim, -1, self.bins, self.bins).permute(0, 2, 1, 3)
                           .reshape(out_dim, -1).contiguous())
        self.bias = lin.bias.detach() if lin.bias is not None else torch.zeros_like(self.weight[:, 0])
        if bn is not None:
            inv = bn.weight.detach() / torch.sqrt(bn.running_var.detach() + bn.eps)
            self.bn_scale = inv
            self.bn_shift = bn.bias.detach() - bn.running_mean.detach() * inv
        else:
            self.bn_scale = torch.ones_like(self.bias)
            self.bn_shift = torch.zeros_like(self.bias)
        self.relu = block.relu is not None
        self._aranges: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def _steps_and_grid(self, size: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``arange(P + 1)`` and ``arange(size)`` in ``like``'s dtype/device, made once: building them on every call
        is a measurable part of a refinement step (many tiny operations per frame)."""
        key = (size, like.dtype, like.device)
        if key not in self._aranges:
            self._aranges[key] = (torch.arange(self.bins + 1, dtype=like.dtype, device=like.device),
                                  torch.arange(size, dtype=like.dtype, device=like.device))
        return self._aranges[key]

    def axis(self, start: torch.Tensor, end: torch.Tensor, size: int):
        """Bin weights ``[M, P, size]`` along one axis and their derivatives w.r.t. ``start`` and ``end``.

        ``M`` intervals ``[start, end]`` (rows and columns of all boxes can go in one call with the larger size;
        the caller drops the cells beyond each axis' real size).
        """
        p = self.bins
        diff = end - start
        length = diff.clamp(min=0) / p
        live = (diff >= 0).to(start.dtype)  # clamp passes the gradient where diff >= 0
        steps, grid = self._steps_and_grid(size, start)
        edges = start[:, None] + length[:, None] * steps  # [M, P+1]
        t = edges[:, :, None] - grid  # [M, P+1, size]
        cdf = hat_cdf(t)
        hat = _hat(t)
        d_edge_end = (live[:, None] * steps / p).unsqueeze(-1)  # d edge / d end; d edge / d start = 1 - that
        w = cdf[:, 1:] - cdf[:, :-1]
        dhat = hat[:, 1:] - hat[:, :-1]
        dw_end = hat[:, 1:] * d_edge_end[:, 1:] - hat[:, :-1] * d_edge_end[:, :-1]
        return w, dhat - dw_end, dw_end, length, live


class ClosedFormIoU:
    """``(iou [N], d iou / d boxes [N, 4])`` for an ``AtomIoUNet``-shaped head without autograd.

    Use :meth:`supports` first: it checks that the network has the expected layout (two PrRoI levels feeding
    ``LinearBlock`` s, then ``iou_predictor``) and is in eval mode; otherwise use autograd.
    """

    def __init__(self, net: nn.Module) -> None:
        self.levels = [_Level(net.prroi_pool3t, net.fc3_rt), _Level(net.prroi_pool4t, net.fc4_rt)]
        out = net.iou_predictor
        self.out_weight = out.weight.detach()[0]  # [O3 + O4]
        self.out_bias = out.bias.detach()[0] if out.bias is not None else torch.zeros(())
        self.splits = [lvl.weight.shape[0] for lvl in self.levels]
        self._weights = [lvl.weight_pcq for lvl in self.levels]
        self._worker: ThreadPoolExecutor | None = None
        # dIoU/d(pre-BN activation) where the ReLU passes: constant, so made once
        self.grad_scales = [ow * lvl.bn_scale for lvl, ow in zip(self.levels, torch.split(self.out_weight, self.splits),
                                                                  strict=True)]

    def split_over_two_threads(self, enable: bool = True) -> None:
        """Run each fully connected layer (forward and transposed) as two half products on two threads.

        Why: with ten boxes these products have ten rows, a shape the BLAS library barely parallelises, and they are
        most of a refinement step. Splitting the output columns keeps every output a full dot product over the same
        inputs; values agree with the one-product path to float32 rounding (the library may order a dot product
        differently for another matrix width). Use only with two or more intra-op threads available.
        """
        if enable and self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atom-iou-fc")
        elif not enable and self._worker is not None:
            self._worker.shutdown()
            self._worker = None

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
    def prepare(feats: Sequence[torch.Tensor]) -> list[tuple[torch.Tensor, int, int, int]]:
        """Lay out modulated features ``[1, C, H, W]`` as ``[H, C*W]`` matrices once, for repeated calls."""
        out = []
        for f in feats:
            _, c, h, w = f.shape
            out.append((f[0].permute(1, 0, 2).reshape(h, c * w), c, h, w))
        return out

    def __call__(self, feats: Sequence[torch.Tensor] | list[tuple], boxes: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """IoU and gradient for ``boxes [N, 4]`` (xywh) pooled from modulated features ``feats`` (``[1, C, H, W]``
        per level, already multiplied by the modulation vectors, or the result of :meth:`prepare`)."""
        n = boxes.shape[0]
        if isinstance(feats[0], torch.Tensor):
            feats = self.prepare(feats)
        acts, cache, pools = [], [], []
        # rows (y) and columns (x) of all boxes in one pass (the same for every level up to the scale)
        starts = torch.cat((boxes[:, 1], boxes[:, 0]))
        ends = torch.cat((boxes[:, 1] + boxes[:, 3], boxes[:, 0] + boxes[:, 2]))
        for lvl, (f_rows, c, h, w) in zip(self.levels, feats, strict=True):
            p = lvl.bins
            s = lvl.scale
            start = starts * s
            end = ends * s
            aw, ad1, ad2, alen, alive = lvl.axis(start, end, max(h, w))
            wy, dwy1, dwy2 = aw[:n, :, :h], ad1[:n, :, :h], ad2[:n, :, :h]
            wx, dwx1, dwx2 = aw[n:, :, :w], ad1[n:, :, :w], ad2[n:, :, :w]
            lh, lw, live_h, live_w = alen[:n], alen[n:], alive[:n], alive[n:]
            area = lh * lw
            has_area = area > 0
            inv_area = torch.where(has_area, 1 / torch.where(has_area, area, 1.0), 0.0)
            # Layouts: f_rows [H, C*W] (i, c, j); my [N, P, C, W]; pooled [N, P, C, Q] (weights permuted to match)
            my = (wy.reshape(n * p, h) @ f_rows).reshape(n, p * c, w)
            wx = wx.contiguous()
            u = torch.bmm(my, wx.transpose(1, 2))  # [N, P*C, Q] unnormalised bin integrals
            pool = u * inv_area[:, None, None]
            pools.append(pool)
            cache.append((f_rows, wx, my, pool, dwy1, dwy2, dwx1, dwx2, lh, lw, live_h, live_w, inv_area))
        masks = []
        for lvl, z in zip(self.levels, self._linear_forward([q.reshape(n, -1) for q in pools]), strict=True):
            z = z + lvl.bias
            zn = z * lvl.bn_scale + lvl.bn_shift
            mask = zn > 0 if lvl.relu else torch.ones_like(zn, dtype=torch.bool)
            acts.append(torch.where(mask, zn, 0.0))
            masks.append(mask)
        iou = torch.cat(acts, dim=1) @ self.out_weight + self.out_bias

        g_pools = self._linear_backward([m.to(boxes.dtype) * g_scale for m, g_scale in
                                         zip(masks, self.grad_scales, strict=True)])  # dIoU/dpooled, [N, P*C*Q]
        grad = None
        for lvl, g_pool, cc in zip(self.levels, g_pools, cache, strict=True):
            f_rows, wx, my, pool, dwy1, dwy2, dwx1, dwx2, lh, lw, live_h, live_w, inv_area = cc
            p, s = lvl.bins, lvl.scale
            g_u = g_pool.reshape(pool.shape) * inv_area[:, None, None]  # [N, P*C, Q]
            t = torch.bmm(g_u, wx)  # [N, P*C, W]
            r = (t.reshape(n * p, -1) @ f_rows.t()).reshape(n, p, -1)  # sensitivity to the row weights [N, P, H]
            sx = torch.bmm(g_u.transpose(1, 2), my)  # sensitivity to the column weights [N, Q, W]
            gp = (g_pool.reshape(pool.shape) * pool).sum(dim=(1, 2))  # for the 1/area factor
            # d(1/area)/d(edge) * area = -d(length)/d(edge) / length
            area_ok = (inv_area > 0).to(boxes.dtype)
            k_h = gp * area_ok * live_h / p / torch.where(lh > 0, lh, 1.0)
            k_w = gp * area_ok * live_w / p / torch.where(lw > 0, lw, 1.0)
            g_y1 = (r * dwy1).sum((1, 2)) + k_h
            g_y2 = (r * dwy2).sum((1, 2)) - k_h
            g_x1 = (sx * dwx1).sum((1, 2)) + k_w
            g_x2 = (sx * dwx2).sum((1, 2)) - k_w
            level_grad = torch.stack((g_x1 + g_x2, g_y1 + g_y2, g_x2, g_y2), dim=1) * s  # [N, 4]
            grad = level_grad if grad is None else grad + level_grad
        return iou, grad

    def _linear_forward(self, pools: list[torch.Tensor]) -> list[torch.Tensor]:
        """Each level's fully connected layer without bias: ``pool [N, P*C*Q] @ W^T``."""
        if self._worker is not None:
            return self._split(pools, [(w[:w.shape[0] // 2].t(), w[w.shape[0] // 2:].t()) for w in self._weights])
        return [q @ w.t() for w, q in zip(self._weights, pools, strict=True)]

    def _linear_backward(self, g_zs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Its transpose: ``g_z [N, O] @ W``."""
        if self._worker is not None:
            return self._split(g_zs, [(w[:, :w.shape[1] // 2], w[:, w.shape[1] // 2:]) for w in self._weights])
        return [g @ w for w, g in zip(self._weights, g_zs, strict=True)]

    def _split(self, inputs: list[torch.Tensor], halves: list[tuple[torch.Tensor, torch.Tensor]]) -> list[torch.Tensor]:
        """``x @ [A | B]`` per level as ``[x @ A | x @ B]``: the second halves on the worker thread, the first here,
        each with one intra-op thread (each output element is still one full dot product)."""
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            future = self._worker.submit(lambda: [x @ b for x, (_, b) in zip(inputs, halves, strict=True)])
            first = [x @ a for x, (a, _) in zip(inputs, halves, strict=True)]
            second = future.result()
        finally:
            torch.set_num_threads(threads)
        return [torch.cat((a, b), dim=1) for a, b in zip(first, second, strict=True)]
