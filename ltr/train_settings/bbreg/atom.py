"""ATOM IoU-Net training, as published: ``python ltr/run_training.py bbreg atom``.

Setup (ATOM, CVPR 2019): ImageNet-pretrained ResNet-18, frozen; the IoU-Net learns to predict the IoU of 16 proposals
per test frame with an MSE loss. Batch 64, 8 workers, crops of 288x288 (feature size 18 at stride 16) covering 5x the
target, test-frame jitter (centre 4.5, scale 0.5), proposals with min IoU 0.1 and sigma factors
0.01/0.05/0.1/0.2/0.3; training pairs at most 50 frames apart from LaSOT (train split), GOT-10k (vot-train split),
TrackingNet sets 0-3 and COCO with equal weights, 1000 batches per epoch; validation on GOT-10k (vot-val split) with
500 batches every 5 epochs (without that list or GOT-10k: a deterministic 2% hold-out of the training sequences, see
:func:`validation_datasets`; with nothing to hold out, no validation, announced); Adam lr 1e-3 on the IoU-Net only,
StepLR(step 15, gamma 0.2), 50 epochs.

Command-line overrides (``run_training --help``): ``--epochs --batch-size --workers --samples-per-epoch --datasets
--device --seed --workspace --no-pretrained``. ``--batch-size`` and ``--samples-per-epoch`` are *per process*: with
``torchrun --nproc_per_node=N`` the global batch is N x batch and every rank draws its own stream (seed + 1000 x rank).

Split lists: LaSOT's train split is the official protocol (built in: every sequence not in the 280-sequence test
set). The GOT-10k vot-train / vot-val lists are plain text files (one sequence name or 0-based
index per line) read from ``settings.<name>`` (defaults under ``ltr/data_specs/``); they are not shipped with the
readers. A missing dataset path, split list or pretrained backbone file is reported together in one message before
anything is loaded.

``settings.backbone_bn_eval`` (default False) keeps the frozen backbone's BatchNorm in eval mode; False reproduces
the original training, whose frozen backbone still normalises with batch statistics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ltr.actors import AtomActor
from ltr.admin.settings import TrainingSetupError
from ltr.admin.settings_errors import MissingSettingError
from ltr.data import transforms as tfm
from ltr.data.loader import LTRLoader
from ltr.data.processing import ATOMProcessing
from ltr.data.sampler import ATOMSampler
from ltr.models.bbreg.atom import atom_resnet18
from ltr.trainers import LTRTrainer

__all__ = ["run", "TrainingSetupError", "DEFAULTS", "apply_defaults", "build_processing", "train_atom",
           "check_pretrained"]

logger = logging.getLogger("ltr.train_settings")

DATA_SPECS = Path(__file__).resolve().parents[2] / "data_specs"

DEFAULTS: dict[str, Any] = {
    "description": "ATOM IoU predictor with default settings (ResNet-18, published setup).",
    "batch_size": 64,
    "num_workers": 8,
    "print_interval": 1,
    "normalize_mean": [0.485, 0.456, 0.406],
    "normalize_std": [0.229, 0.224, 0.225],
    "search_area_factor": 5.0,
    "feature_sz": 18,
    "center_jitter_factor": {"train": 0.0, "test": 4.5},
    "scale_jitter_factor": {"train": 0.0, "test": 0.5},
    "proposal_params": {"min_iou": 0.1, "boxes_per_frame": 16, "sigma_factor": [0.01, 0.05, 0.1, 0.2, 0.3]},
    "grayscale_probability": 0.05,
    "brightness_jitter": 0.2,
    "samples_per_epoch": 1000 * 64,
    "val_samples_per_epoch": 500 * 64,
    "val_epoch_interval": 5,
    "max_gap": 50,
    "epochs": 50,
    "lr": 1e-3,
    "lr_step_size": 15,
    "lr_gamma": 0.2,
    "pretrained": True,
    "datasets": ["lasot", "got10k", "trackingnet", "coco"],
    "trackingnet_sets": [0, 1, 2, 3],
    "lasot_train_split": "train",  # the official protocol split, built in (ltr.dataset.lasot_splits)
    "got10k_train_split": str(DATA_SPECS / "got10k_vot_train_split.txt"),
    "got10k_val_split": str(DATA_SPECS / "got10k_vot_val_split.txt"),
    "val_holdout_fraction": 0.02,  # validation hold-out when the vot-val list (or GOT-10k) is absent
}

# run_training override name -> settings attribute
OVERRIDE_KEYS = {"epochs": "epochs", "batch_size": "batch_size", "workers": "num_workers",
                 "samples_per_epoch": "samples_per_epoch", "datasets": "datasets", "pretrained": "pretrained"}

_DATASET_SETTING = {"lasot": "lasot_dir", "got10k": "got10k_dir", "trackingnet": "trackingnet_dir",
                    "coco": "coco_dir"}


def apply_defaults(settings: Any, defaults: dict[str, Any]) -> None:
    """Set every default not already set on ``settings``, then apply command-line overrides on top."""
    for key, value in defaults.items():
        if not hasattr(settings, key):
            setattr(settings, key, value)
    for name, value in (getattr(settings, "overrides", None) or {}).items():
        attr = OVERRIDE_KEYS.get(name)
        if attr is not None and value is not None:
            setattr(settings, attr, value)
    settings.output_sz = int(settings.feature_sz) * 16


def check_pretrained(settings: Any) -> str | None:
    """Problem description if ImageNet weights are requested but no local file exists, else None."""
    if not settings.pretrained:
        return None
    from ltr.models.backbone.resnet import _TORCHVISION_FILES, _resolve_pretrained

    try:
        found = _resolve_pretrained("resnet18", settings.pretrained)
    except FileNotFoundError as exc:
        return str(exc)
    if found is not None:
        return None
    try:
        import torchvision  # noqa: F401 - download may work
    except ImportError:
        target = Path(settings.env.pretrained_networks) / _TORCHVISION_FILES["resnet18"]
        return (f"Pretrained ResNet-18 weights not found: put torchvision's {_TORCHVISION_FILES['resnet18']} at "
                f"{target} (setting pretrained_networks, env LTR_PRETRAINED_NETWORKS), or pass --no-pretrained.")
    return None


def _collect_missing(settings: Any) -> list[str]:
    problems: list[str] = []
    unknown = [d for d in settings.datasets if d not in _DATASET_SETTING]
    if unknown:
        problems.append(f"Unknown dataset name(s) {unknown} in --datasets; choose from {sorted(_DATASET_SETTING)}.")
    needed = [d for d in settings.datasets if d in _DATASET_SETTING]
    for name in needed:
        try:
            settings.env.require(_DATASET_SETTING[name])
        except MissingSettingError as exc:
            problems.append(str(exc))
    splits = []
    if "lasot" in settings.datasets:
        if settings.lasot_train_split != "train":
            splits.append(("lasot_train_split", "LaSOT training sequence names"))
    splits += [("got10k_train_split", "GOT-10k vot-train sequences (names or 0-based indices)"),
               ("got10k_val_split", "GOT-10k vot-val sequences (names or 0-based indices)")]
    for attr, what in splits:
        if attr == "got10k_train_split" and "got10k" not in settings.datasets:
            continue
        if attr == "got10k_val_split" and getattr(settings, attr) == DEFAULTS[attr]:
            continue  # the default list is optional: without it validation is a hold-out (see validation_datasets)
        path = getattr(settings, attr)
        if path and not Path(path).is_file():
            problems.append(f"Split list '{attr}' not found at {path} ({what}, one per line). Put the file there "
                            f"or set settings.{attr} in the train settings.")
    problem = check_pretrained(settings)
    if problem:
        problems.append(problem)
    return problems


def build_processing(settings: Any) -> tuple[ATOMProcessing, ATOMProcessing]:
    """Training and validation processing (crops, jitter, proposals) from the settings."""
    joint = tfm.Transform(tfm.ToGrayscale(probability=settings.grayscale_probability))
    train_tf = tfm.Transform(tfm.ToTensorAndJitter(settings.brightness_jitter),
                             tfm.Normalize(mean=settings.normalize_mean, std=settings.normalize_std))
    val_tf = tfm.Transform(tfm.ToTensor(), tfm.Normalize(mean=settings.normalize_mean, std=settings.normalize_std))
    common = {"search_area_factor": settings.search_area_factor, "output_sz": settings.output_sz,
              "center_jitter_factor": settings.center_jitter_factor,
              "scale_jitter_factor": settings.scale_jitter_factor,
              "proposal_params": settings.proposal_params, "mode": "sequence"}
    return (ATOMProcessing(transform=train_tf, joint_transform=joint, **common),
            ATOMProcessing(transform=val_tf, joint_transform=joint, **common))


def rank_seed(settings: Any) -> int:
    """Sampler seed of this process: every rank draws its own stream of training pairs."""
    return int(settings.seed) + 1000 * int(settings.dist.rank)


def train_atom(settings: Any, train_datasets: Sequence[Any], val_datasets: Sequence[Any],
               net_factory: Callable[[], nn.Module] | None = None) -> LTRTrainer:
    """Shared ATOM pipeline: samplers, loaders, network, actor, optimizer, scheduler, trainer; trains and returns it."""
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


def validation_datasets(settings: Any, train: list[Any]) -> tuple[list[Any], list[Any]]:
    """Choose validation data from what the user has, and say which in the log. Returns ``(train, val)``.

    1. The official list: GOT-10k's vot-val split when the file named by ``settings.got10k_val_split`` exists and the
       ``got10k_dir`` setting points at GOT-10k.
    2. Otherwise a deterministic hold-out of ``settings.val_holdout_fraction`` (default 2%) of the sequences of every
       configured training dataset, removed from training (:func:`ltr.dataset.holdout.split_holdout`).
    3. With no sequence to hold out (or a fraction of 0): no validation, announced.
    """
    from ltr.dataset import Got10k
    from ltr.dataset.holdout import split_holdout

    split = Path(settings.got10k_val_split) if settings.got10k_val_split else None
    try:
        got10k_dir = settings.env.require("got10k_dir")
    except MissingSettingError:
        got10k_dir = None
    if split is not None and split.is_file() and got10k_dir is not None:
        logger.info("Validation: GOT-10k vot-val sequences from the official split list %s", split)
        return train, [Got10k(got10k_dir, split=str(split))]
    fraction = float(getattr(settings, "val_holdout_fraction", 0.02))
    why = ("no GOT-10k vot-val split list at " + str(split)) if got10k_dir is not None else "GOT-10k is not set up"
    kept, held = [], []
    for dataset in train:
        part, out = split_holdout(dataset, fraction) if fraction > 0 else (dataset, None)
        kept.append(part)
        if out is not None:
            held.append(out)
    if not held:
        logger.warning("Training WITHOUT validation: %s, and no training sequence can be held out "
                       "(val_holdout_fraction = %s).", why, fraction)
        return train, []
    logger.info("Validation: %s, so a deterministic hold-out of %.1f%% of the training sequences is used instead "
                "(chosen by SHA-1 of '<dataset>/<sequence>', excluded from training): %s", why, 100 * fraction,
                ", ".join(f"{v.base.get_name()} {len(v)} of {v.base.get_num_sequences()}" for v in held))
    return kept, held


def _build_datasets(settings: Any) -> tuple[list[Any], list[Any]]:
    from ltr.dataset import Got10k, Lasot, MSCOCOSeq, TrackingNet

    env = settings.env
    train = []
    for name in settings.datasets:
        if name == "lasot":
            train.append(Lasot(env.require("lasot_dir"), split=settings.lasot_train_split))
        elif name == "got10k":
            train.append(Got10k(env.require("got10k_dir"), split=settings.got10k_train_split))
        elif name == "trackingnet":
            train.append(TrackingNet(env.require("trackingnet_dir"), set_ids=list(settings.trackingnet_sets)))
        elif name == "coco":
            train.append(MSCOCOSeq(env.require("coco_dir")))
    return validation_datasets(settings, train)


def run(settings: Any) -> LTRTrainer:
    """Train ATOM's IoU-Net with the published setup (plus command-line overrides)."""
    apply_defaults(settings, DEFAULTS)
    if isinstance(settings.datasets, str):
        settings.datasets = [d.strip() for d in settings.datasets.split(",") if d.strip()]
    problems = _collect_missing(settings)
    if problems:
        raise TrainingSetupError("Cannot start bbreg/atom training; fix the following:\n\n" +
                                 "\n\n".join(f"- {p}" for p in problems))
    if not settings.pretrained:
        logger.warning("Training with a RANDOM backbone (--no-pretrained): ATOM's IoU-Net expects ImageNet features; "
                       "use this only for tests and experiments.")
    train, val = _build_datasets(settings)
    return train_atom(settings, train, val)
