"""Shared pieces of the OSTrack tracker tests: tiny networks, a released-format file writer, a square-finding stub."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ltr.models.backbone.vit import ctr_point_template_mask
from ltr.models.tracking.ostrack import ostrack

TINY = dict(template_size=32, search_size=64, patch_size=8, embed_dim=32, depth=4, num_heads=2, mlp_ratio=2.0,
            ce_loc=(1, 2, 3), head_channels=32, pretrain_img_size=32)


def tiny_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    net = ostrack(**TINY).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics so eval-mode BN matters
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return net


def save_released_format(state_dict: dict[str, torch.Tensor], path: Path) -> None:
    """``{'net': state_dict, 'epoch': 300}`` like ``OSTrack_ep0300.pth.tar`` (plain torch.save)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"net": state_dict, "epoch": 300, "net_type": "OSTrack"}, path)


def random_vitb_state_dict(shapes: dict[str, tuple[int, ...]], seed: int = 0) -> dict[str, torch.Tensor]:
    """Random ViT-B weights as views of one storage (a ~7 MB file instead of 370 MB), scaled to sane magnitudes."""
    gen = torch.Generator().manual_seed(seed)
    biggest = max(math.prod(s) for s in shapes.values())
    buf = torch.randn(biggest + 4096, generator=gen) * 0.02
    sd = {}
    for i, (k, shape) in enumerate(shapes.items()):
        if k.endswith("num_batches_tracked"):
            sd[k] = torch.tensor(0, dtype=torch.int64)
        elif k.endswith("running_var") or (k.endswith("weight") and len(shape) == 1):
            sd[k] = torch.ones(shape)  # norms / BN scales and variances
        else:
            off = (i * 977) % 4096
            sd[k] = buf[off:off + math.prod(shape)].view(shape)
    return sd


class SquareFinder(nn.Module):
    """Stub network: puts the score peak on the bright square of the search crop, its size in the size map.

    Lets an end-to-end test check the tracker's crop, decoding and mapping back against a known moving target.
    """

    def __init__(self, template_size: int = 32, search_size: int = 64, patch_size: int = 8) -> None:
        super().__init__()
        self.template_size, self.search_size, self.patch_size = template_size, search_size, patch_size
        self.dummy = nn.Parameter(torch.zeros(1))

    def template_mask(self, batch: int, device=None) -> torch.Tensor:
        return ctr_point_template_mask(batch, self.template_size, self.patch_size, device)

    def forward(self, template, search, ce_template_mask=None, ce_keep_rate=None):
        s = self.search_size
        f = s // self.patch_size
        bright = (search[0].mean(0) > 1.0).float()  # normalised white ~ 2.2, black ~ -1.9
        ys, xs = torch.nonzero(bright, as_tuple=True)
        cy, cx = (ys.float().mean() + 0.5) / s, (xs.float().mean() + 0.5) / s  # normalised centre
        w = (xs.max() - xs.min() + 1).float() / s
        h = (ys.max() - ys.min() + 1).float() / s
        score = torch.full((1, 1, f, f), 0.01)
        col, row = int(cx * f), int(cy * f)
        score[0, 0, row, col] = 0.99
        size = torch.zeros(1, 2, f, f)
        size[0, 0], size[0, 1] = w, h
        offset = torch.zeros(1, 2, f, f)
        offset[0, 0], offset[0, 1] = cx * f - col, cy * f - row
        return {"score_map": score, "size_map": size, "offset_map": offset, "removed_indexes_s": [],
                "pred_boxes": None}


def moving_square_sequence(n: int = 8, height: int = 120, width: int = 160) -> tuple[list[np.ndarray], np.ndarray]:
    """White 20x14 square moving 3 px right and 2 px down per frame on black; returns frames and GT boxes."""
    frames, boxes = [], []
    for i in range(n):
        x, y = 40 + 3 * i, 30 + 2 * i
        im = np.zeros((height, width, 3), np.uint8)
        im[y:y + 14, x:x + 20] = 255
        frames.append(im)
        boxes.append([x, y, 20, 14])
    return frames, np.asarray(boxes, dtype=np.float64)
