"""OSTrack network (one-stream ViT + center head) and its registered constructors.

Why this shape: the released ``OSTrack_ep0300.pth.tar`` files store a state_dict under ``'net'`` with the prefixes
``backbone.*`` (:class:`~ltr.models.backbone.vit.VisionTransformerCE`) and ``box_head.*``
(:class:`~ltr.models.tracking.center_head.CenterHead`); this module reproduces exactly those names and shapes, so the
files load strictly (``ltr.admin.loading.load_network(path, constructor='ostrack_vitb_256_ce')``).

Public API (training and tracking code against it)::

    net = ostrack_vitb_256_ce(mae_pretrained_path=None)      # or ostrack_vitb_384_ce, ostrack_vitb_256 (no CE),
    net = ostrack(template_size=32, search_size=64, patch_size=8, embed_dim=32, depth=4, num_heads=2,
                  ce_loc=(1, 2), head_channels=32)             # any size, e.g. tiny CPU configs
    mask = net.template_mask(batch, device)                    # CTR_POINT CE query mask (B, Nz) bool
    out = net(template, search, ce_template_mask=mask, ce_keep_rate=None)
    out['pred_boxes'] (B,1,4) normalised cx,cy,w,h     out['score_map'] (B,1,F,F)   out['size_map'] (B,2,F,F)
    out['offset_map'] (B,2,F,F)   out['attn'] (last block attention)   out['removed_indexes_s'] [ (B,k) ] * n_ce
    out['backbone_feat'] (B, Nz+Nx, C)
    ctr_point_template_mask(batch, template_size, patch_size)  # same mask without a network
    net.feat_size, net.template_size, net.search_size, net.patch_size

``mae_pretrained_path``: ``None`` = random initialisation; otherwise an MAE ViT checkpoint (dict with ``'model'``,
e.g. ``mae_pretrain_vit_base.pth``) loaded non-strictly into the backbone, after which ``pos_embed_z``/``pos_embed_x``
are re-derived from its 14x14 ``pos_embed`` grid (bicubic). A bare file name is looked up in the ``pretrained_networks``
setting's folder; a missing file raises :class:`~ltr.models.backbone.resnet.PretrainedWeightsError` naming where to put
it (no silent random start).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ltr.models.backbone.resnet import PretrainedWeightsError
from ltr.models.backbone.vit import VisionTransformerCE, ctr_point_template_mask
from ltr.models.registry import register_constructor
from ltr.models.tracking.center_head import CenterHead, cal_bbox

__all__ = [
    "OSTrack",
    "ostrack",
    "ostrack_vitb_256_ce",
    "ostrack_vitb_384_ce",
    "ostrack_vitb_256",
    "ctr_point_template_mask",
    "cal_bbox",
    "load_mae_pretrained",
    "MAE_FILE_NAME",
]

MAE_FILE_NAME = "mae_pretrain_vit_base.pth"


class OSTrack(nn.Module):
    """Backbone (template + search in one ViT) followed by the center head on the search token grid."""

    def __init__(self, backbone: VisionTransformerCE, box_head: CenterHead) -> None:
        super().__init__()
        self.backbone = backbone
        self.box_head = box_head
        if box_head.feat_size != backbone.search_grid:
            raise ValueError(f"head feat_size {box_head.feat_size} != search token grid {backbone.search_grid}")

    @property
    def feat_size(self) -> int:
        return self.backbone.search_grid

    @property
    def template_size(self) -> int:
        return self.backbone.template_size

    @property
    def search_size(self) -> int:
        return self.backbone.search_size

    @property
    def patch_size(self) -> int:
        return self.backbone.patch_size

    def template_mask(self, batch: int, device: torch.device | str | None = None) -> torch.Tensor:
        """CTR_POINT CE template query mask ``(batch, Nz)`` for this network's template size."""
        return ctr_point_template_mask(batch, self.template_size, self.patch_size, device=device)

    def forward(self, template: torch.Tensor, search: torch.Tensor, ce_template_mask: torch.Tensor | None = None,
                ce_keep_rate: float | None = None) -> dict[str, Any]:
        """See the module docstring for the output dict; boxes decode from the raw (un-windowed) score map."""
        feat, aux = self.backbone(template, search, ce_template_mask=ce_template_mask, ce_keep_rate=ce_keep_rate)
        b, _, c = feat.shape
        fs = self.feat_size
        search_feat = feat[:, -fs * fs:].transpose(1, 2).reshape(b, c, fs, fs)
        score_map, size_map, offset_map, boxes = self.box_head(search_feat)
        return {
            "pred_boxes": boxes.reshape(b, 1, 4),
            "score_map": score_map,
            "size_map": size_map,
            "offset_map": offset_map,
            "attn": aux["attn"],
            "removed_indexes_s": aux["removed_indexes_s"],
            "backbone_feat": feat,
        }


# ---------------------------------------------------------------------- MAE weights
def _resolve_mae(path: str | os.PathLike) -> Path:
    p = Path(path).expanduser()
    if p.is_file():
        return p
    directory: Path | None = None
    if not p.is_absolute() and len(p.parts) == 1:
        try:
            from ltr.admin.environment import env_settings  # noqa: PLC0415 - settings only when a name is given
            directory = Path(env_settings().pretrained_networks)
        except Exception as exc:  # a broken local.py must not hide behind a vague weight error
            raise PretrainedWeightsError(f"could not read the pretrained_networks setting to find {p}: {exc}") \
                from exc
        if (directory / p).is_file():
            return directory / p
    where = directory / p if directory is not None else p
    raise PretrainedWeightsError(
        f"MAE-pretrained ViT weights not found at '{where}'. Download {MAE_FILE_NAME} from the MAE release "
        f"(https://dl.fbaipublicfiles.com/mae/pretrain/{MAE_FILE_NAME}) and put it there (folder = setting "
        f"pretrained_networks, env LTR_PRETRAINED_NETWORKS), or build the network with mae_pretrained_path=None to "
        f"train from random weights on purpose.")


def _read_state(path: Path) -> Mapping[str, torch.Tensor]:
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - legacy pickles (e.g. an argparse Namespace beside 'model'): restricted reader
        from ltr.admin.loading import _RESTRICTED_PICKLE  # noqa: PLC0415
        try:
            raw = torch.load(path, map_location="cpu", pickle_module=_RESTRICTED_PICKLE, weights_only=False)
        except Exception as exc:
            raise PretrainedWeightsError(f"cannot read MAE weights {path}: {exc}") from exc
    state = raw.get("model", raw) if isinstance(raw, Mapping) else None
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise PretrainedWeightsError(f"{path} is not an MAE checkpoint (expected a dict with a 'model' state_dict)")
    return state


def load_mae_pretrained(backbone: VisionTransformerCE, path: str | os.PathLike) -> Path:
    """Load MAE ViT weights into ``backbone`` (non-strict), then derive ``pos_embed_z/x`` from its ``pos_embed``.

    Keys the backbone lacks (e.g. an MAE decoder) are ignored; a shape mismatch on a shared key is an error naming the
    file. Returns the file used.
    """
    file = _resolve_mae(path)
    state = _read_state(file)
    own = backbone.state_dict()
    bad = [f"{k} {tuple(v.shape)} vs {tuple(own[k].shape)}" for k, v in state.items()
           if k in own and own[k].shape != v.shape]
    if bad:
        raise PretrainedWeightsError(f"MAE weights {file} do not fit this backbone: {bad[:5]}")
    shared = {k: v for k, v in state.items() if k in own}
    if "pos_embed" not in shared or not any(k.startswith("blocks.") for k in shared):
        raise PretrainedWeightsError(f"{file} holds no ViT encoder weights (no 'pos_embed' / 'blocks.*' keys)")
    backbone.load_state_dict(shared, strict=False)
    backbone.reset_search_template_pos_embed()
    return file


# ---------------------------------------------------------------------- constructors
@register_constructor("ostrack")
def ostrack(template_size: int = 128, search_size: int = 256, patch_size: int = 16, embed_dim: int = 768,
            depth: int = 12, num_heads: int = 12, mlp_ratio: float = 4.0, drop_path_rate: float = 0.1,
            ce_loc: Sequence[int] = (3, 6, 9), ce_keep_ratio: float = 0.7, head_channels: int = 256,
            pretrain_img_size: int = 224, mae_pretrained_path: str | None = None) -> OSTrack:
    """OSTrack of any size (defaults = ViT-B/16, 128/256, CE at blocks 3, 6, 9 keeping 0.7)."""
    backbone = VisionTransformerCE(template_size=template_size, search_size=search_size, patch_size=patch_size,
                                   embed_dim=embed_dim, depth=depth, num_heads=num_heads, mlp_ratio=mlp_ratio,
                                   drop_path_rate=drop_path_rate, ce_loc=ce_loc, ce_keep_ratio=ce_keep_ratio,
                                   pretrain_img_size=pretrain_img_size)
    if mae_pretrained_path is not None:
        load_mae_pretrained(backbone, mae_pretrained_path)
    head = CenterHead(in_channels=embed_dim, channels=head_channels, feat_size=search_size // patch_size)
    return OSTrack(backbone, head)


@register_constructor("ostrack_vitb_256_ce")
def ostrack_vitb_256_ce(mae_pretrained_path: str | None = None, drop_path_rate: float = 0.1) -> OSTrack:
    """``vitb_256_mae_ce_32x4_ep300``: template 128, search 256, CE at 3, 6, 9 keeping 0.7."""
    return ostrack.__wrapped__(template_size=128, search_size=256, drop_path_rate=drop_path_rate,
                               mae_pretrained_path=mae_pretrained_path)


@register_constructor("ostrack_vitb_384_ce")
def ostrack_vitb_384_ce(mae_pretrained_path: str | None = None, drop_path_rate: float = 0.1) -> OSTrack:
    """``vitb_384_mae_ce_32x4_ep300``: template 192, search 384, CE at 3, 6, 9 keeping 0.7."""
    return ostrack.__wrapped__(template_size=192, search_size=384, drop_path_rate=drop_path_rate,
                               mae_pretrained_path=mae_pretrained_path)


@register_constructor("ostrack_vitb_256")
def ostrack_vitb_256(mae_pretrained_path: str | None = None, drop_path_rate: float = 0.1) -> OSTrack:
    """ViT-B 128/256 without candidate elimination (same parameter names and shapes as the CE model)."""
    return ostrack.__wrapped__(template_size=128, search_size=256, drop_path_rate=drop_path_rate, ce_loc=(),
                               mae_pretrained_path=mae_pretrained_path)
