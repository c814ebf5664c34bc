"""OSTrack ViT-B, 256-px search, candidate elimination, as published: ``python ltr/run_training.py ostrack
vitb_256_mae_ce_32x4_ep300`` (published run: ``torchrun --nproc_per_node 4``, i.e. 4 processes x batch 32).

Setup (OSTrack, ECCV 2022; numbers only, the pipeline is :mod:`ltr.trainers.pipelines.ostrack`): MAE-pretrained
ViT-B/16 backbone (``mae_pretrain_vit_base.pth`` in the ``pretrained_networks`` folder), template 2x the target at
128 px, search 4x at 256 px with jitter (centre 3, scale 0.25), grayscale 0.05 and flips; LaSOT (train split), GOT-10k
(vot-train split), COCO 2017 and TrackingNet with equal weights, search frame at most 199 frames after the template
frame; 60,000 pairs per epoch over the 4 processes (15,000 each), validation on GOT-10k vot-val (10,000 pairs, 2,500
per process) every 20 epochs; AdamW lr 4e-4 (backbone 4e-5), weight decay 1e-4, StepLR at epoch 240 (x0.1), 300
epochs, gradient norm clipped at 0.1; loss 2 GIoU + 5 L1 + 1 focal; CE keep rate 1 until epoch 20, then a half cosine
down to 0.7 at epoch 100. AMP off (``settings.amp = True`` enables it on CUDA).

``--batch-size`` and ``--samples-per-epoch`` are per process. A missing dataset path, split list or the MAE file is
reported together in one message before anything is loaded (exit status 2).
"""

from __future__ import annotations

from typing import Any

from ltr.trainers import LTRTrainer
from ltr.trainers.pipelines.ostrack import DATA_SPECS, run_published

__all__ = ["run", "DEFAULTS"]

DEFAULTS: dict[str, Any] = {
    "description": "OSTrack ViT-B/16 256 with candidate elimination (MAE start, published setup).",
    "network": "ostrack_vitb_256_ce",
    "network_kwargs": {"drop_path_rate": 0.1},
    "pretrained": True,
    "mae_file": "mae_pretrain_vit_base.pth",
    "template_factor": 2.0,
    "template_sz": 128,
    "search_factor": 4.0,
    "search_sz": 256,
    "patch_size": 16,
    "center_jitter": {"template": 0.0, "search": 3.0},
    "scale_jitter": {"template": 0.0, "search": 0.25},
    "grayscale_probability": 0.05,
    "joint_flip_probability": 0.5,
    "brightness_jitter": 0.2,
    "flip_probability": 0.5,
    "normalize_mean": [0.485, 0.456, 0.406],
    "normalize_std": [0.229, 0.224, 0.225],
    "datasets": ["lasot", "got10k", "coco", "trackingnet"],
    "dataset_weights": None,  # equal weights (published 1:1:1:1)
    "lasot_train_split": "train",
    "got10k_train_split": str(DATA_SPECS / "got10k_vot_train_split.txt"),
    "got10k_val_split": str(DATA_SPECS / "got10k_vot_val_split.txt"),
    "trackingnet_sets": None,  # every TRAIN_<k> folder present
    "coco_version": "2017",
    "samples_per_epoch": 15000,  # per process: 60,000 per epoch with 4 processes
    "val_samples_per_epoch": 2500,
    "val_epoch_interval": 20,
    "max_gap": 200,
    "batch_size": 32,
    "num_workers": 10,
    "epochs": 300,
    "lr": 4e-4,
    "backbone_lr_factor": 0.1,
    "weight_decay": 1e-4,
    "lr_step_size": 240,
    "lr_gamma": 0.1,
    "grad_clip_norm": 0.1,
    "amp": False,
    "loss_weights": {"giou": 2.0, "l1": 5.0, "focal": 1.0},
    "ce_start_epoch": 20,
    "ce_warm_epochs": 80,
    "ce_keep_ratio": 0.7,
}


def run(settings: Any) -> LTRTrainer:
    """Train OSTrack-256 with the published setup (plus command-line overrides)."""
    return run_published(settings, DEFAULTS, "ostrack/vitb_256_mae_ce_32x4_ep300")
