"""OSTrack's training pipeline at CPU size on the procedural :class:`~ltr.dataset.SyntheticVideo` dataset.

Why: tests, the offline demo and a checkout without benchmark data or MAE weights need an OSTrack training run that
finishes in minutes on a 2-core CPU and still exercises everything of the published setup: causal frame sampling,
zero-padded template/search crops with jitter, Gaussian labels, focal + GIoU + L1, AdamW with a backbone parameter
group, StepLR, gradient clipping and the candidate-elimination keep-rate warm-up, through the same trainer
(checkpoints, resume, DDP).

Differences from ``vitb_256_mae_ce_32x4_ep300`` (sizes only): a tiny ViT from random weights (patch 16, width 64,
depth 4, 4 heads, CE after blocks 1 and 2 keeping 0.7, head width 32), template 64 px and search 128 px (8x8 score
map), synthetic videos of 160x224, batch 16, 512 pairs per epoch, 20 epochs with the CE warm-up from epoch 5 to 15,
lr 2e-3 with StepLR at epoch 15, and the backbone at the full learning rate (the 0.1 factor protects MAE features,
which a random tiny ViT does not have).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ltr.admin.settings import Settings
from ltr.trainers import LTRTrainer
from ltr.trainers.pipelines.ostrack import OSTrackTrainingParams, run_synthetic

__all__ = ["run", "OSTrackSyntheticTrainingParams"]


def _tiny_vit() -> dict[str, Any]:
    return {"template_size": 64, "search_size": 128, "patch_size": 16, "embed_dim": 64, "depth": 4, "num_heads": 4,
            "mlp_ratio": 4.0, "drop_path_rate": 0.0, "ce_loc": [1, 2], "ce_keep_ratio": 0.7, "head_channels": 32}


@dataclass(eq=False)
class OSTrackSyntheticTrainingParams(OSTrackTrainingParams):
    """The published pipeline at CPU size (see the module docstring)."""

    description: str = "OSTrack tiny ViT on synthetic videos (offline smoke training)."
    network: str = "ostrack"
    network_kwargs: dict[str, Any] = field(default_factory=_tiny_vit)
    pretrained: bool = False
    template_sz: int = 64
    search_sz: int = 128
    datasets: list[str] = field(default_factory=lambda: ["synthetic"])
    max_gap: int = 20
    batch_size: int = 16
    num_workers: int = 0
    samples_per_epoch: int = 512
    val_samples_per_epoch: int = 64
    val_epoch_interval: int = 5
    epochs: int = 20
    lr: float = 2e-3
    backbone_lr_factor: float = 1.0
    lr_step_size: int = 15
    ce_start_epoch: int = 5
    ce_warm_epochs: int = 10
    # --- the synthetic videos
    synthetic_num_sequences: int = 1000
    synthetic_seq_len: int = 40
    synthetic_image_size: tuple[int, int] = (160, 224)
    synthetic_train_seed: int = 21
    synthetic_val_seed: int = 22


def run(settings: Settings) -> LTRTrainer:
    """Train on synthetic data (see module docstring)."""
    return run_synthetic(settings, OSTrackSyntheticTrainingParams, __file__, "ostrack/ostrack_synthetic")
