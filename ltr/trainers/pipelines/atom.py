"""ATOM's training pipeline as library code: hyper-parameters, processing, samplers, loaders, network, actor,
optimiser, scheduler and trainer.

Why here and not in a settings file: several training setups (``bbreg/atom`` on the benchmarks, ``bbreg/atom_synthetic``
on procedural videos, and future variants) share this pipeline; a settings module only states its numbers (a
subclass of :class:`AtomTrainingParams` with other defaults, or assignments) and calls :func:`train_atom`.

The published setup (ATOM, CVPR 2019) is the defaults of :class:`AtomTrainingParams`: ImageNet-pretrained ResNet-18,
frozen; the IoU-Net learns to predict the IoU of 16 proposals per test frame with an MSE loss; batch 64, 8 workers,
288x288 crops (feature size 18 at stride 16) covering 5x the target, test-frame jitter (centre 4.5, scale 0.5),
proposals with min IoU 0.1 and sigma factors 0.01/0.05/0.1/0.2/0.3, pairs at most 50 frames apart, 1000 batches per
epoch, validation with 500 batches every 5 epochs, Adam lr 1e-3 on the IoU-Net only, StepLR(15, 0.2), 50 epochs.
Validation data (:func:`validation_datasets`): GOT-10k's vot-val list when it is there, else a deterministic, announced
2% hold-out of the training sequences, else none (announced).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ltr.actors.bbreg import AtomActor
from ltr.admin.settings import Settings, TrainingParams
from ltr.data import transforms as tfm
from ltr.data.loader import LTRLoader
from ltr.data.processing import ATOMProcessing
from ltr.data.sampler import ATOMSampler
from ltr.models.backbone.resnet import check_pretrained
from ltr.models.bbreg.atom import atom_resnet18
from ltr.trainers.ltr_trainer import LTRTrainer
from ltr.trainers.pipelines.benchmark_data import (
    DATA_SPECS,
    DATASET_SETTINGS,
    benchmark_datasets,
    check_datasets,
    validation_datasets,
)

__all__ = ["BACKBONE_STRIDE", "DATASET_SETTINGS", "AtomTrainingParams", "benchmark_datasets", "build_processing",
           "check_benchmark_setup", "rank_seed", "train_atom", "validation_datasets"]

BACKBONE_STRIDE = 16  # ResNet layer3: crop size = feature_sz * 16

logger = logging.getLogger("ltr.train_settings")



@dataclass(eq=False)
class AtomTrainingParams(TrainingParams):
    """Hyper-parameters of ATOM's IoU-Net training (published values). Set them as attributes of the run's
    ``Settings``; :func:`ltr.admin.settings.apply_training_params` checks the names and fills in these defaults.

    A new option goes here, in the group it belongs to, with its published default and a one-line comment."""

    OVERRIDES: ClassVar[dict[str, str]] = {"epochs": "epochs", "batch_size": "batch_size", "workers": "num_workers",
                                           "samples_per_epoch": "samples_per_epoch", "datasets": "datasets",
                                           "pretrained": "pretrained"}

    description: str = "ATOM IoU predictor with default settings (ResNet-18, published setup)."
    # --- loading
    batch_size: int = 64
    num_workers: int = 8
    # --- processing: crops, jitter, proposals
    normalize_mean: list[float] = field(default_factory=lambda: [0.485, 0.456, 0.406])
    normalize_std: list[float] = field(default_factory=lambda: [0.229, 0.224, 0.225])
    search_area_factor: float = 5.0
    feature_sz: int = 18  # crop size = feature_sz * BACKBONE_STRIDE
    center_jitter_factor: dict[str, float] = field(default_factory=lambda: {"train": 0.0, "test": 4.5})
    scale_jitter_factor: dict[str, float] = field(default_factory=lambda: {"train": 0.0, "test": 0.5})
    proposal_params: dict[str, Any] = field(default_factory=lambda: {
        "min_iou": 0.1, "boxes_per_frame": 16, "sigma_factor": [0.01, 0.05, 0.1, 0.2, 0.3]})
    grayscale_probability: float = 0.05
    brightness_jitter: float = 0.2
    # --- sampling
    samples_per_epoch: int = 1000 * 64
    val_samples_per_epoch: int = 500 * 64
    val_epoch_interval: int = 5
    max_gap: int = 50
    # --- optimisation
    epochs: int = 50
    lr: float = 1e-3
    lr_step_size: int = 15
    lr_gamma: float = 0.2
    pretrained: bool | str = True  # ImageNet backbone: True (torchvision file), a path, or False (random)
    # --- data (bbreg/atom): reader names and their splits
    datasets: list[str] = field(default_factory=lambda: ["lasot", "got10k", "trackingnet", "coco"])
    trackingnet_sets: list[int] = field(default_factory=lambda: [0, 1, 2, 3])
    lasot_train_split: str = "train"  # the official protocol split, built in (ltr.dataset.lasot_splits)
    got10k_train_split: str = str(DATA_SPECS / "got10k_vot_train_split.txt")
    got10k_val_split: str = str(DATA_SPECS / "got10k_vot_val_split.txt")  # optional: see validation_datasets
    coco_version: str = "2017"
    val_holdout_fraction: float = 0.02  # validation hold-out when the vot-val list (or GOT-10k) is absent


def build_processing(settings: Settings) -> tuple[ATOMProcessing, ATOMProcessing]:
    """Training and validation processing (crops, jitter, proposals) from the settings."""
    joint = tfm.Transform(tfm.ToGrayscale(probability=settings.grayscale_probability))
    train_tf = tfm.Transform(tfm.ToTensorAndJitter(settings.brightness_jitter),
                             tfm.Normalize(mean=settings.normalize_mean, std=settings.normalize_std))
    val_tf = tfm.Transform(tfm.ToTensor(), tfm.Normalize(mean=settings.normalize_mean, std=settings.normalize_std))
    common = {"search_area_factor": settings.search_area_factor,
              "output_sz": int(settings.feature_sz) * BACKBONE_STRIDE,
              "center_jitter_factor": settings.center_jitter_factor,
              "scale_jitter_factor": settings.scale_jitter_factor,
              "proposal_params": settings.proposal_params, "mode": "sequence"}
    return (ATOMProcessing(transform=train_tf, joint_transform=joint, **common),
            ATOMProcessing(transform=val_tf, joint_transform=joint, **common))


def rank_seed(settings: Settings) -> int:
    """Sampler seed of this process: every rank draws its own stream of training pairs."""
    return int(settings.seed) + 1000 * int(settings.dist.rank)


def train_atom(settings: Settings, train_datasets: Sequence[Any], val_datasets: Sequence[Any],
               net_factory: Callable[[], nn.Module] | None = None) -> LTRTrainer:
    """The ATOM pipeline: samplers, loaders, network, actor, optimizer, scheduler, trainer; trains and returns it.

    ``settings`` carries :class:`AtomTrainingParams` (applied with ``apply_training_params``). ``net_factory``
    builds the network (default: ``atom_resnet18`` with the ``pretrained`` backbone).
    """
    proc_train, proc_val = build_processing(settings)
    seed = rank_seed(settings)
    train_sampler = ATOMSampler(train_datasets, [1] * len(train_datasets), samples_per_epoch=settings.samples_per_epoch,
                                max_gap=settings.max_gap, processing=proc_train, seed=seed)
    loader_train = LTRLoader("train", train_sampler, training=True, batch_size=settings.batch_size,
                             num_workers=settings.num_workers, shuffle=True, drop_last=True, stack_dim=1, seed=seed)
    loaders = [loader_train]
    if val_datasets:  # none: training without validation (announced by validation_datasets)
        val_sampler = ATOMSampler(val_datasets, [1] * len(val_datasets),
                                  samples_per_epoch=settings.val_samples_per_epoch, max_gap=settings.max_gap,
                                  processing=proc_val, seed=seed + 500)
        loaders.append(LTRLoader("val", val_sampler, training=False, batch_size=settings.batch_size,
                                 num_workers=settings.num_workers, shuffle=False, drop_last=True, stack_dim=1,
                                 epoch_interval=settings.val_epoch_interval, seed=seed + 500))

    if net_factory is None:
        pretrained = settings.pretrained if settings.pretrained else None
        net = atom_resnet18(backbone_pretrained=pretrained)
    else:
        net = net_factory()
    actor = AtomActor(net=net, objective=nn.MSELoss(), backbone_bn_eval=settings.backbone_bn_eval)
    optimizer = torch.optim.Adam(net.bb_regressor.parameters(), lr=settings.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=settings.lr_step_size, gamma=settings.lr_gamma)
    trainer = LTRTrainer(actor, loaders, optimizer, settings, scheduler)
    trainer.train(int(settings.epochs), load_latest=True, fail_safe=True)
    return trainer


def check_benchmark_setup(settings: Settings) -> list[str]:
    """Every problem that would stop a benchmark training run (unknown dataset names, missing dataset paths, split
    lists, pretrained weights), so that they are reported together before anything is loaded."""
    problems = check_datasets(settings, AtomTrainingParams.got10k_val_split)
    problem = check_pretrained("resnet18", settings.pretrained, settings.env.pretrained_networks)
    if problem:
        problems.append(problem)
    return problems
