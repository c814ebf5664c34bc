"""IoU-Net box refinement of ATOM: candidate boxes, gradient ascent on predicted IoU, robust averaging.

Boxes here are ``[x, y, w, h]`` in *sample* (patch) pixels of the IoU-Net input crop.

Why the region cache: the IoU-Net's test branch runs two 3x3 convolutions on each backbone level before the boxes are
pooled. Over the whole 288x288 sample those cost about as much as the backbone itself, but boxes only ever pool from
a small area around the target. :class:`RegionIoUFeatures` computes the test-branch features only over the cells the
boxes can read (PrRoI pooling reads the cells from ``floor(start)`` to ``ceil(end)``) plus the convolutions'
receptive-field margin, and hands out that crop (boxes are shifted by its corner, so pooling from the crop equals
pooling from the full map; PrRoI pooling on the small crop is also cheaper). Cells the boxes read are exactly what the
full computation gives (only the crop's outer margin differs, and it is dropped); when boxes move outside the computed
area, it is recomputed for the enlarged area, so results never depend on the shortcut.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BOX_REFINEMENT_SPACES", "BoxRefinementParams", "RegionIoUFeatures", "autograd_iou_and_grad",
           "from_relative", "iounet_box", "jitter_boxes", "optimize_boxes", "relative_gradient", "select_box",
           "to_relative"]


def iounet_box(pos: torch.Tensor, sz: torch.Tensor, sample_pos: torch.Tensor, sample_scale: float,
               sample_sz: torch.Tensor) -> torch.Tensor:
    """Image target (centre ``pos [row, col]``, size ``sz [h, w]``) -> ``[x, y, w, h]`` in sample pixels.

    The sample of size ``sample_sz`` is centred at ``sample_pos`` and scaled by ``sample_scale`` (image pixels per
    sample pixel); centre = ``(pos - sample_pos) / scale + (sample_sz - 1) / 2``, top-left = centre - (size - 1) / 2.
    """
    box_center = (pos - sample_pos) / sample_scale + (sample_sz - 1) / 2
    box_sz = sz / sample_scale
    target_ul = box_center - (box_sz - 1) / 2
    return torch.cat((target_ul.flip(0), box_sz.flip(0)))


def jitter_boxes(init_box: torch.Tensor, num: int, jitter_pos: float, jitter_sz: float,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """``[num + 1, 4]``: ``init_box`` followed by ``num`` random boxes around it.

    Offsets are uniform in ``+-jitter/2 * sqrt(w h)`` for the centre (``jitter_pos``) and the size (``jitter_sz``);
    sizes are clamped to at least a third of the box's smaller side.
    """
    init_box = init_box.reshape(4).to(torch.float32)
    if num <= 0:
        return init_box.reshape(1, 4).clone()
    square_sz = init_box[2:].prod().sqrt()
    rand_factor = square_sz * torch.tensor([jitter_pos, jitter_pos, jitter_sz, jitter_sz])
    min_edge = init_box[2:].min() / 3
    rand_bb = (torch.rand(num, 4, generator=generator) - 0.5) * rand_factor
    new_sz = (init_box[2:] + rand_bb[:, 2:]).clamp(min=float(min_edge))
    new_center = (init_box[:2] + init_box[2:] / 2) + rand_bb[:, :2]
    return torch.cat((init_box.reshape(1, 4), torch.cat((new_center - new_sz / 2, new_sz), dim=1)))


IoUAndGrad = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def autograd_iou_and_grad(predict_iou: Callable[[torch.Tensor], torch.Tensor]) -> IoUAndGrad:
    """Wrap ``predict_iou`` (``[1, N, 4]`` boxes -> ``[1, N]``) into ``boxes [N, 4] -> (iou [N], dIoU/dbox [N, 4])``
    using autograd (the reference for :class:`~pytracking.tracker.atom.iou_grad.ClosedFormIoU`)."""

    def iou_and_grad(boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        bb = boxes.detach().reshape(1, -1, 4).clone().requires_grad_(True)
        with torch.enable_grad():
            iou = predict_iou(bb)
            (grad,) = torch.autograd.grad(iou, bb, grad_outputs=torch.ones_like(iou))
        return iou.detach().reshape(-1), grad.reshape(-1, 4)

    return iou_and_grad


StepLength = float | tuple[float, float] | list[float]


def _step_lengths(step_length: StepLength, n: int, like: torch.Tensor) -> torch.Tensor | float:
    """A scalar stays a Python float (exactly today's arithmetic); a ``(pos, size)`` pair becomes per-coordinate
    lengths ``[pos, pos, size, size]`` for every box, ``[N, 4]``."""
    if isinstance(step_length, (tuple, list)):
        if len(step_length) != 2:
            raise ValueError(f"box_refinement_step_length must be a number or a (pos, size) pair, got {step_length!r}")
        pos, size = (float(v) for v in step_length)
        return like.new_tensor([pos, pos, size, size]).expand(n, 4).clone()
    return float(step_length)


def to_relative(boxes: torch.Tensor, size_norm: torch.Tensor) -> torch.Tensor:
    """``[x, y, w, h]`` -> ``[cx / sw, cy / sh, log w, log h]``: centre ``xy + wh / 2``, ``size_norm = [sw, sh]``."""
    return torch.cat(((boxes[:, :2] + boxes[:, 2:] / 2) / size_norm, boxes[:, 2:].log()), dim=1)


def from_relative(rel: torch.Tensor, size_norm: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`to_relative`: ``wh = exp(rel[2:])``, ``xy = rel[:2] * [sw, sh] - wh / 2``."""
    wh = rel[:, 2:].exp()
    return torch.cat((rel[:, :2] * size_norm - wh / 2, wh), dim=1)


def relative_gradient(grad: torch.Tensor, boxes: torch.Tensor, size_norm: torch.Tensor) -> torch.Tensor:
    """Chain rule: ``dIoU/d[x, y, w, h]`` -> ``dIoU/d[cx/sw, cy/sh, log w, log h]`` at ``boxes``.

    ``x = u0 sw - exp(u2) / 2`` and ``w = exp(u2)`` give ``dIoU/du0 = g_x sw`` and ``dIoU/du2 = (g_w - g_x / 2) w``
    (rows likewise)."""
    wh = boxes[:, 2:]
    return torch.cat((grad[:, :2] * size_norm, (grad[:, 2:] - grad[:, :2] / 2) * wh), dim=1)


BOX_REFINEMENT_SPACES = ("default", "relative")


def optimize_boxes(iou_and_grad: IoUAndGrad, boxes: torch.Tensor, num_iter: int, step_length: StepLength,
                   step_decay: float = 1.0, space: str = "default") -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient ascent on the predicted IoU for ``num_iter`` steps.

    ``iou_and_grad`` maps boxes ``[N, 4]`` (xywh) to their IoU ``[N]`` and its gradient ``[N, 4]``.

    Spaces (``box_refinement_space``):

    * ``'default'``: the boxes themselves move, by ``step_length * dIoU/dbox * [w, h, w, h]``;
    * ``'relative'``: the coordinates ``[cx/sw, cy/sh, log w, log h]`` move, by ``step_length * dIoU/dcoordinate``
      (no size factor); ``[sw, sh]`` is the size of the first box (the current estimate), fixed during refinement.

    Step decay (only acts when ``step_decay < 1``): every box remembers the IoU predicted at the previous step (start
    ``-inf``). A box whose IoU rose takes a new gradient step; a box whose IoU did not rise multiplies its own step
    length by ``step_decay`` and undoes its previous step (applies minus that step). With ``step_decay >= 1`` every
    box always steps. ``step_length`` is one number or a ``(pos, size)`` pair (per coordinate pair).

    Returns the final boxes ``[N, 4]`` and the IoUs predicted in the last forward pass (i.e. for the boxes *before*
    the last update, as the published tracker did).
    """
    if space not in BOX_REFINEMENT_SPACES:
        raise ValueError(f"box_refinement_space must be one of {BOX_REFINEMENT_SPACES}, got {space!r}")
    out = boxes.detach().reshape(-1, 4)
    n = out.shape[0]
    relative = space == "relative"
    size_norm = out[:1, 2:].clone() if relative else None
    coords = to_relative(out, size_norm) if relative else out
    step = _step_lengths(step_length, n, out)
    decaying = step_decay < 1
    if decaying:
        if not isinstance(step, torch.Tensor):
            step = out.new_full((n, 4), step)
        prev_iou = out.new_full((n,), -math.inf)
        prev_step = out.new_zeros((n, 4))
    iou = None
    for _ in range(num_iter):
        iou, grad = iou_and_grad(out)
        if decaying:
            improved = (iou > prev_iou).reshape(-1, 1)
            step = torch.where(improved, step, step * step_decay)
        if relative:
            update = step * relative_gradient(grad, out, size_norm)
        else:
            update = step * grad * out[:, 2:].repeat(1, 2)
        if decaying:
            update = torch.where(improved, update, -prev_step)
            prev_iou, prev_step = iou, update
        coords = coords + update
        out = from_relative(coords, size_norm) if relative else coords
    if iou is None:
        iou, _ = iou_and_grad(out)
    return out, iou.detach().reshape(-1)


def select_box(boxes: torch.Tensor, ious: torch.Tensor, max_aspect_ratio: float,
               top_k: int) -> tuple[torch.Tensor, float] | None:
    """Mean of the ``top_k`` boxes by IoU among those with aspect ratio in ``(1/max, max)`` (sizes clamped to >= 1).

    Returns ``(box [4], mean IoU)`` or None when every box was dropped.
    """
    boxes = boxes.clone()
    boxes[:, 2:] = boxes[:, 2:].clamp(min=1)
    aspect = boxes[:, 2] / boxes[:, 3]
    keep = (aspect < max_aspect_ratio) & (aspect > 1 / max_aspect_ratio)
    boxes, ious = boxes[keep], ious[keep]
    if boxes.shape[0] == 0:
        return None
    k = min(top_k, boxes.shape[0])
    _, inds = torch.topk(ious, k)
    return boxes[inds].mean(0), float(ious[inds].mean())


@dataclass(frozen=True)
class BoxRefinementParams:
    num_init_random_boxes: int = 9
    box_jitter_pos: float = 0.1
    box_jitter_sz: float = 0.5
    maximal_aspect_ratio: float = 6.0
    box_refinement_iter: int = 5
    box_refinement_step_length: float | tuple[float, float] = 1.0
    box_refinement_step_decay: float = 1.0
    box_refinement_space: str = "default"

    def __post_init__(self) -> None:
        if self.box_refinement_space not in BOX_REFINEMENT_SPACES:
            raise ValueError(f"parameter box_refinement_space must be one of {BOX_REFINEMENT_SPACES}, "
                             f"got {self.box_refinement_space!r}")
    iounet_k: int = 3


def _test_branches(net: nn.Module) -> list[list[nn.Sequential]] | None:
    """The IoU-Net's test branches as lists of conv(3x3, pad 1)-BN-ReLU blocks, or None for another layout."""
    try:
        branches = [[net.conv3_1t, net.conv3_2t], [net.conv4_1t, net.conv4_2t]]
    except AttributeError:
        return None
    for branch in branches:
        for block in branch:
            conv = block[0] if isinstance(block, nn.Sequential) and len(block) > 0 else None
            if not (isinstance(conv, nn.Conv2d) and conv.kernel_size == (3, 3) and conv.padding == (1, 1)
                    and conv.stride == (1, 1) and conv.dilation == (1, 1) and conv.groups == 1):
                return None
            if any(m.training for m in block):
                return None
    return branches


class RegionIoUFeatures:
    """IoU-Net test-branch features of one sample, computed (lazily) only where boxes can pool from.

    Args:
        iou_predictor: the network's ``bb_regressor`` (``get_iou_feat``).
        backbone_feats: backbone features of one sample, one ``[1, C, H, W]`` per IoU-Net level.
        strides: pixels per cell of each level (8 and 16 for layer2/layer3).
        margin: receptive-field half-width of the test-branch convolutions in cells (two 3x3 convs -> 2).
        restrict: False computes the full maps (the reference path).
        slack: extra cells around the boxes' current area, so that small box moves need no recomputation.
    """

    def __init__(self, iou_predictor: nn.Module, backbone_feats: Sequence[torch.Tensor],
                 strides: Sequence[int] = (8, 16), margin: int = 2, restrict: bool = True, slack: int = 2) -> None:
        self.net = iou_predictor
        self.backbone = list(backbone_feats)
        self.strides = list(strides)
        self.margin = int(margin)
        self.restrict = restrict
        self.slack = int(slack)
        self.region: list[tuple[int, int, int, int]] | None = None  # per level [r0, r1) x [c0, c1) computed exactly
        self.features: list[torch.Tensor] | None = None
        self.offset: torch.Tensor | None = None
        self.num_computations = 0
        self.branches = _test_branches(iou_predictor)

    @staticmethod
    def _valid_branch(blocks: list[nn.Sequential], feat: torch.Tensor,
                      region: tuple[int, int, int, int]) -> torch.Tensor:
        """Run conv-BN-ReLU blocks (3x3, padding 1) so that exactly ``region`` of the output is produced.

        Each block runs unpadded ('valid') on a crop one cell larger per block on every side; on sides where the crop
        reaches the map border, the zero padding of the full computation is added explicitly. The result equals the
        full maps' ``region`` without computing the margins of every layer.
        """
        r0, r1, c0, c1 = region
        h, w = feat.shape[-2:]
        k = len(blocks)
        x = feat[..., max(r0 - k, 0):min(r1 + k, h), max(c0 - k, 0):min(c1 + k, w)]
        for depth, block in enumerate(blocks):
            grow = k - depth  # cells this layer's input extends beyond the region on an interior side
            pad = (int(c0 - grow < 0), int(c1 + grow > w), int(r0 - grow < 0), int(r1 + grow > h))
            conv = block[0]
            with torch.no_grad():
                y = F.conv2d(F.pad(x, pad) if any(pad) else x, conv.weight, conv.bias)
                for layer in list(block)[1:]:
                    y = layer(y)
            x = y  # one cell smaller on every interior side
        return x.contiguous()

    @staticmethod
    def _extent(boxes: torch.Tensor) -> tuple[float, float, float, float]:
        """``(x1, y1, x2, y2)``: the pixel rectangle all ``boxes`` cover, in float64, in one host transfer."""
        b = boxes.detach().reshape(-1, 4).to(device="cpu", dtype=torch.float64)
        x1, y1, x2, y2 = torch.cat((b[:, :2].amin(0), (b[:, :2] + b[:, 2:]).amax(0))).tolist()
        return x1, y1, x2, y2

    def _needed(self, extent: tuple[float, float, float, float], level: int, slack: int) -> tuple[int, int, int, int]:
        """Cells ``[r0, r1) x [c0, c1)`` that PrRoI pooling of boxes within ``extent`` reads on ``level``
        (+ ``slack``)."""
        h, w = self.backbone[level].shape[-2:]
        x1, y1, x2, y2 = (v / self.strides[level] for v in extent)
        # the hat kernel of cell i covers (i - 1, i + 1): an interval [a, b] reads cells floor(a) .. ceil(b)
        r0 = max(math.floor(y1) - slack, 0)
        r1 = min(math.ceil(y2) + 1 + slack, h)
        c0 = max(math.floor(x1) - slack, 0)
        c1 = min(math.ceil(x2) + 1 + slack, w)
        return r0, max(r1, r0 + 1), c0, max(c1, c0 + 1)

    def _covered(self, extent: tuple[float, float, float, float]) -> bool:
        if self.region is None:
            return False
        for lvl, (r0, r1, c0, c1) in enumerate(self.region):
            n0, n1, m0, m1 = self._needed(extent, lvl, 0)
            if n0 < r0 or n1 > r1 or m0 < c0 or m1 > c1:
                return False
        return True

    def _aligned(self, regions: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
        """Move each level's region start back so all levels start at the same pixel (a multiple of every stride)."""
        step = math.lcm(*self.strides)
        oy = min(r[0] * s for r, s in zip(regions, self.strides, strict=True)) // step * step
        ox = min(r[2] * s for r, s in zip(regions, self.strides, strict=True)) // step * step
        return [(oy // s, r1, ox // s, c1) for (_, r1, _, c1), s in zip(regions, self.strides, strict=True)]

    def get(self, boxes: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """IoU features for ``boxes`` (``[..., 4]`` xywh, sample pixels).

        Returns ``(maps, offset)``: per level a ``[1, C, h, w]`` crop of the test-branch features that contains every
        cell the boxes can pool from, and ``offset = [x, y, 0, 0]`` (pixels) of the crops' common top-left corner.
        Pool ``boxes - offset`` from the crops; that equals pooling ``boxes`` from the full maps.
        """
        if not self.restrict:
            if self.features is None:
                with torch.no_grad():
                    self.features = list(self.net.get_iou_feat(self.backbone))
                self.region = [(0, f.shape[-2], 0, f.shape[-1]) for f in self.backbone]
                self.offset = boxes.new_zeros(4)
                self.num_computations += 1
            return self.features, self.offset
        extent = self._extent(boxes)
        if self.features is not None and self._covered(extent):
            return self.features, self.offset
        regions = [self._needed(extent, lvl, self.slack) for lvl in range(len(self.backbone))]
        if self.region is not None:  # grow, never shrink: earlier boxes stay valid
            regions = [(min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                       for a, b in zip(regions, self.region, strict=True)]
        regions = self._aligned(regions)
        if self.branches is not None:
            self.features = [self._valid_branch(branch, feat, reg)
                             for branch, feat, reg in zip(self.branches, self.backbone, regions, strict=True)]
        else:
            crops, inner = [], []
            m = self.margin
            for feat, (r0, r1, c0, c1) in zip(self.backbone, regions, strict=True):
                h, w = feat.shape[-2:]
                cr0, cr1, cc0, cc1 = max(r0 - m, 0), min(r1 + m, h), max(c0 - m, 0), min(c1 + m, w)
                crops.append(feat[..., cr0:cr1, cc0:cc1])
                inner.append((r0 - cr0, r1 - cr0, c0 - cc0, c1 - cc0))
            with torch.no_grad():
                outs = self.net.get_iou_feat(crops)
            self.features = [out[..., i0:i1, j0:j1].contiguous()
                             for out, (i0, i1, j0, j1) in zip(outs, inner, strict=True)]
        self.region = regions
        s0 = self.strides[0]
        self.offset = torch.tensor([regions[0][2] * s0, regions[0][0] * s0, 0.0, 0.0], dtype=boxes.dtype,
                                   device=boxes.device)
        self.num_computations += 1
        return self.features, self.offset
