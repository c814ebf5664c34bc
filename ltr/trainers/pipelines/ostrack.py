"""OSTrack's training pipeline: datasets -> causal TrackingSampler -> OSTrackProcessing -> LTRLoader -> OSTrackActor ->
LTRTrainer, with the published optimiser (AdamW, backbone at 0.1x lr, StepLR, gradient clipping) and the CE keep-rate
warm-up.

The hyper-parameters are declared once, with the published values (``vitb_256_mae_ce_32x4_ep300``) as defaults, in
:class:`OSTrackTrainingParams`; a train-settings module (``ltr/train_settings/ostrack/<name>.py``) only states the
numbers it changes (a subclass with other defaults) and calls :func:`run_published` (real datasets) or
:func:`run_synthetic` (procedural videos). Every value becomes an attribute of ``settings`` and is stored in each
checkpoint.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from ltr.actors.ostrack import OSTrackActor, ce_keep_rate
from ltr.admin.settings import Settings, TrainingParams, TrainingSetupError, apply_training_params
from ltr.data.loader import LTRLoader
from ltr.data.processing_ostrack import OSTrackProcessing, ostrack_transforms
from ltr.data.sampler import TrackingSampler
from ltr.models.backbone.vit import ctr_point_template_mask
from ltr.models.registry import build_network
from ltr.trainers import LTRTrainer
from ltr.trainers.pipelines.benchmark_data import DATA_SPECS, benchmark_datasets, check_datasets

__all__ = ["OSTrackTrainingParams", "apply_params", "build_processing", "build_optimizer",
           "build_network_from_settings", "train_ostrack", "run_published", "run_synthetic", "UNUSED_PARAMETERS",
           "DATA_SPECS"]

logger = logging.getLogger("ltr.train_settings")

#: Parameters kept only for checkpoint compatibility (the 224-px ViT's class token and positional embedding); they
#: take no part in the forward pass, so they are frozen: DDP would otherwise wait for their gradients forever.
UNUSED_PARAMETERS = ("backbone.cls_token", "backbone.pos_embed")

@dataclass(eq=False)
class OSTrackTrainingParams(TrainingParams):
    """Hyper-parameters of OSTrack training; the defaults are the published ``vitb_256_mae_ce_32x4_ep300`` setup
    (OSTrack, ECCV 2022). Set them as attributes of the run's ``Settings``; :func:`apply_params` checks the names
    (an unknown one is an error naming the settings file) and fills in these defaults. ``OVERRIDES`` maps
    ``run_training`` command-line options to the field they set."""

    OVERRIDES: ClassVar[dict[str, str]] = {"epochs": "epochs", "batch_size": "batch_size", "workers": "num_workers",
                                           "samples_per_epoch": "samples_per_epoch", "datasets": "datasets",
                                           "pretrained": "pretrained"}

    description: str = "OSTrack ViT-B/16 256 with candidate elimination (MAE start, published setup)."
    # --- network: a registered constructor and its arguments; MAE weights for the backbone
    network: str = "ostrack_vitb_256_ce"
    network_kwargs: dict[str, Any] = field(default_factory=lambda: {"drop_path_rate": 0.1})
    pretrained: bool = True  # start the backbone from mae_file (False: random weights, tests/experiments only)
    mae_file: str = "mae_pretrain_vit_base.pth"  # a bare name is looked up in the pretrained_networks folder
    # --- crops: template 2x the target at 128 px, search 4x at 256 px (token grid 16x16 with 16-px patches)
    template_factor: float = 2.0
    template_sz: int = 128
    search_factor: float = 4.0
    search_sz: int = 256
    patch_size: int = 16
    center_jitter: dict[str, float] = field(default_factory=lambda: {"template": 0.0, "search": 3.0})
    scale_jitter: dict[str, float] = field(default_factory=lambda: {"template": 0.0, "search": 0.25})
    # --- augmentation
    grayscale_probability: float = 0.05  # joint (template and search share the draw)
    joint_flip_probability: float = 0.5  # joint horizontal flip of the full frames
    brightness_jitter: float = 0.2  # per image: factor U(0.8, 1.2)
    flip_probability: float = 0.5  # per image (template and search draw separately)
    normalize_mean: list[float] = field(default_factory=lambda: [0.485, 0.456, 0.406])
    normalize_std: list[float] = field(default_factory=lambda: [0.229, 0.224, 0.225])
    # --- data: readers, splits, sampling (per process: 60,000 pairs per epoch over the published 4 processes)
    datasets: list[str] = field(default_factory=lambda: ["lasot", "got10k", "coco", "trackingnet"])
    dataset_weights: list[float] | None = None  # None = equal (published 1:1:1:1)
    lasot_train_split: str = "train"  # the official protocol split, built in (ltr.dataset.lasot_splits)
    got10k_train_split: str = str(DATA_SPECS / "got10k_vot_train_split.txt")
    got10k_val_split: str = str(DATA_SPECS / "got10k_vot_val_split.txt")
    trackingnet_sets: list[int] | None = None  # None = every TRAIN_<k> folder present
    coco_version: str = "2017"
    val_holdout_fraction: float = 0.02  # validation hold-out when the vot-val list (or GOT-10k) is absent
    samples_per_epoch: int = 15000
    val_samples_per_epoch: int = 2500
    val_epoch_interval: int = 20
    max_gap: int = 200  # search frame within [t+1, t+max_gap) of the template frame t
    # --- optimisation
    batch_size: int = 32  # per process (published: 4 processes)
    num_workers: int = 10
    epochs: int = 300
    lr: float = 4e-4
    backbone_lr_factor: float = 0.1  # parameters whose name contains "backbone" train at lr * this
    weight_decay: float = 1e-4
    lr_step_size: int = 240
    lr_gamma: float = 0.1
    grad_clip_norm: float | None = 0.1  # global gradient L2 norm
    amp: bool = False  # mixed precision (CUDA only)
    # --- objective and candidate elimination
    loss_weights: dict[str, float] = field(default_factory=lambda: {"giou": 2.0, "l1": 5.0, "focal": 1.0})
    ce_start_epoch: int = 20  # keep rate 1 before this epoch
    ce_warm_epochs: int = 80  # half-cosine descent to ce_keep_ratio over these epochs
    ce_keep_ratio: float | None = 0.7  # None: no keep-rate override (e.g. the network without CE)



def apply_params(settings: Settings, params_cls: type[OSTrackTrainingParams], source: str) -> OSTrackTrainingParams:
    """:func:`~ltr.admin.settings.apply_training_params` (names checked against ``params_cls``, defaults filled in,
    command-line overrides applied), then ``datasets`` given as a comma-separated string becomes a list."""
    params = apply_training_params(settings, params_cls, source)
    if isinstance(settings.datasets, str):
        settings.datasets = [d.strip() for d in settings.datasets.split(",") if d.strip()]
    return params


def build_processing(settings: Any) -> tuple[OSTrackProcessing, OSTrackProcessing]:
    """Training and validation processing (validation: no brightness jitter, no per-image flip)."""
    joint, train_tf, val_tf = ostrack_transforms(
        grayscale_probability=settings.grayscale_probability, joint_flip_probability=settings.joint_flip_probability,
        brightness_jitter=settings.brightness_jitter, flip_probability=settings.flip_probability,
        mean=settings.normalize_mean, std=settings.normalize_std)
    common = {"template_factor": settings.template_factor, "template_sz": settings.template_sz,
              "search_factor": settings.search_factor, "search_sz": settings.search_sz,
              "center_jitter": settings.center_jitter, "scale_jitter": settings.scale_jitter,
              "stride": settings.patch_size}
    return (OSTrackProcessing(transform=train_tf, joint_transform=joint, **common),
            OSTrackProcessing(transform=val_tf, joint_transform=joint, **common))


def build_optimizer(net: nn.Module, settings: Any) -> torch.optim.Optimizer:
    """AdamW: trainable parameters whose name contains ``backbone`` at ``lr * backbone_lr_factor``, the rest at
    ``lr``; ``weight_decay`` on every parameter (no exclusion of norms, biases or embeddings, as published)."""
    named = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    head = [p for n, p in named if "backbone" not in n]
    backbone = [p for n, p in named if "backbone" in n]
    lr = float(settings.lr)
    groups = [{"params": head}, {"params": backbone, "lr": lr * float(settings.backbone_lr_factor)}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, weight_decay=float(settings.weight_decay))


def _mae_path(settings: Any) -> Path:
    path = Path(str(settings.mae_file)).expanduser()
    if path.is_absolute():
        return path
    return Path(settings.env.pretrained_networks) / path


def build_network_from_settings(settings: Any) -> nn.Module:
    """The registered constructor ``settings.network`` with ``settings.network_kwargs`` (+ the MAE file when
    ``settings.pretrained``); unused compatibility parameters frozen; sizes checked against the crop settings."""
    kwargs = dict(settings.network_kwargs or {})
    if settings.pretrained:
        kwargs["mae_pretrained_path"] = str(_mae_path(settings))
    net = build_network(settings.network, kwargs)
    for name, param in net.named_parameters():
        if name in UNUSED_PARAMETERS:
            param.requires_grad_(False)
    sizes = {"template_sz": net.template_size, "search_sz": net.search_size, "patch_size": net.patch_size}
    wrong = [f"{k}={getattr(settings, k)} but the network has {v}" for k, v in sizes.items()
             if int(getattr(settings, k)) != int(v)]
    if wrong:
        raise TrainingSetupError(f"settings and network '{settings.network}' disagree: {'; '.join(wrong)}")
    return net


def _rank_seed(settings: Any) -> int:
    """Sampler seed of this process: every rank draws its own stream of training pairs."""
    return int(settings.seed) + 1000 * int(settings.dist.rank)


def _keep_rate_fn(settings: Any) -> Callable[[int], float] | None:
    if getattr(settings, "ce_keep_ratio", None) is None:
        return None
    return functools.partial(ce_keep_rate, start_epoch=int(settings.ce_start_epoch),
                             warm_epochs=int(settings.ce_warm_epochs), base_keep_rate=float(settings.ce_keep_ratio))


def train_ostrack(settings: Any, train_datasets: Sequence[Any], val_datasets: Sequence[Any],
                  net: nn.Module | None = None) -> LTRTrainer:
    """Samplers, loaders, network, actor, optimiser, scheduler and trainer; trains and returns the trainer.

    The sampler's ``max_gap`` window is inclusive, the published ``MAX_GAP`` (``settings.max_gap``) is exclusive
    (search frame within ``[t+1, t+MAX_GAP)``), hence ``max_gap - 1``.
    """
    proc_train, proc_val = build_processing(settings)
    seed = _rank_seed(settings)
    weights = list(settings.dataset_weights) if getattr(settings, "dataset_weights", None) else None
    if weights is not None and len(weights) != len(train_datasets):
        raise TrainingSetupError(f"dataset_weights {weights} must have one weight per dataset "
                                 f"({len(train_datasets)}: {list(settings.datasets)})")
    common = {"max_gap": int(settings.max_gap) - 1, "num_test_frames": 1, "num_train_frames": 1,
              "frame_sample_mode": "causal"}
    train_sampler = TrackingSampler(train_datasets, weights or [1] * len(train_datasets),
                                    samples_per_epoch=settings.samples_per_epoch, processing=proc_train, seed=seed,
                                    **common)
    val_sampler = TrackingSampler(val_datasets, [1] * len(val_datasets),
                                  samples_per_epoch=settings.val_samples_per_epoch, processing=proc_val,
                                  seed=seed + 500, **common)
    loader_train = LTRLoader("train", train_sampler, training=True, batch_size=settings.batch_size,
                             num_workers=settings.num_workers, shuffle=True, drop_last=True, stack_dim=0, seed=seed)
    loader_val = LTRLoader("val", val_sampler, training=False, batch_size=settings.batch_size,
                           num_workers=settings.num_workers, shuffle=False, drop_last=True, stack_dim=0,
                           epoch_interval=settings.val_epoch_interval, seed=seed + 500)
    if net is None:
        net = build_network_from_settings(settings)
    if not settings.pretrained:
        logger.warning("OSTrack starts from RANDOM weights (pretrained = False): the published setup starts from "
                       "MAE ViT-B weights; use this only for tests and experiments.")
    template_sz, patch_size = int(settings.template_sz), int(settings.patch_size)

    def template_mask(batch: int, device: torch.device) -> torch.Tensor:  # CTR_POINT: the template's centre token
        return ctr_point_template_mask(batch, template_sz, patch_size, device=device)

    actor = OSTrackActor(net, template_mask_fn=template_mask, loss_weights=settings.loss_weights,
                         keep_rate_fn=_keep_rate_fn(settings))
    optimizer = build_optimizer(net, settings)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=int(settings.lr_step_size),
                                                gamma=float(settings.lr_gamma))
    trainer = LTRTrainer(actor, [loader_train, loader_val], optimizer, settings, scheduler,
                         grad_clip_norm=settings.grad_clip_norm, amp=settings.amp)
    trainer.train(int(settings.epochs), load_latest=True, fail_safe=True)
    return trainer


# ---------------------------------------------------------------------------------------------------- entry points
def _collect_missing(settings: Any) -> list[str]:
    """Every problem that would stop the published setup, so the user sees them all at once."""
    problems = check_datasets(settings, OSTrackTrainingParams.got10k_val_split)
    if settings.pretrained and not _mae_path(settings).is_file():
        problems.append(f"MAE-pretrained ViT-B weights not found at {_mae_path(settings)}: download "
                        f"{Path(str(settings.mae_file)).name} (https://dl.fbaipublicfiles.com/mae/pretrain/"
                        f"mae_pretrain_vit_base.pth) into the pretrained_networks folder (setting pretrained_networks, "
                        f"env LTR_PRETRAINED_NETWORKS), or pass --no-pretrained to start from random weights.")
    return problems


def run_published(settings: Settings, params_cls: type[OSTrackTrainingParams], source: str,
                  setup_name: str) -> LTRTrainer:
    """Train on the real datasets with ``params_cls``'s values (+ overrides); every missing item is reported in one
    error before anything is loaded. ``source``: the settings file (named in errors about unknown settings)."""
    apply_params(settings, params_cls, source)
    problems = _collect_missing(settings)
    if problems:
        raise TrainingSetupError(f"Cannot start {setup_name} training; fix the following:\n\n" +
                                 "\n\n".join(f"- {p}" for p in problems))
    train, val = benchmark_datasets(settings)
    return train_ostrack(settings, train, val)


def run_synthetic(settings: Settings, params_cls: type[OSTrackTrainingParams], source: str,
                  setup_name: str) -> LTRTrainer:
    """Train on :class:`~ltr.dataset.SyntheticVideo` only (no files needed); ``params_cls`` declares the
    ``synthetic_*`` fields (number of videos, length, frame size, seeds)."""
    from ltr.dataset import SyntheticVideo

    apply_params(settings, params_cls, source)
    if list(settings.datasets) != ["synthetic"]:
        raise TrainingSetupError(f"{setup_name} trains on 'synthetic' only, got --datasets {settings.datasets}")
    if settings.pretrained:
        raise TrainingSetupError(f"{setup_name} builds a tiny ViT from random weights; pretrained must be False")

    def make(seed: int) -> SyntheticVideo:
        return SyntheticVideo(num_sequences=settings.synthetic_num_sequences, seq_len=settings.synthetic_seq_len,
                              image_size=tuple(settings.synthetic_image_size), seed=seed)

    return train_ostrack(settings, [make(settings.synthetic_train_seed)], [make(settings.synthetic_val_seed)])
