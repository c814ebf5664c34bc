"""ATOM's training pipeline on the procedural :class:`~ltr.dataset.SyntheticVideo` dataset only.

Why: the offline demo, the tests and a fresh checkout without any benchmark data need a training run that finishes
in minutes on a 2-core CPU and shows the loss falling. Everything except the data and the sizes is the ATOM setup
of :mod:`ltr.train_settings.bbreg.atom` (same processing, sampler, actor, optimizer, scheduler and trainer).

Sizes (all plain settings attributes, overridable from the command line where ``run_training`` has an option):
64 sequences of 40 frames at 160x224, crops of 96x96 (``feature_sz`` 6), batch 8, 256 training pairs per epoch,
8 epochs, validation every 4 epochs on 64 pairs from another synthetic seed, random backbone (no ImageNet file needed;
``settings.pretrained = True`` or a path uses pretrained weights). Adam lr 1e-3 with StepLR(step 6).
"""

from __future__ import annotations

from typing import Any

from ltr.train_settings.bbreg.atom import DEFAULTS as ATOM_DEFAULTS
from ltr.train_settings.bbreg.atom import TrainingSetupError, apply_defaults, check_pretrained, train_atom
from ltr.trainers import LTRTrainer

__all__ = ["run", "DEFAULTS"]

DEFAULTS: dict[str, Any] = {
    **ATOM_DEFAULTS,
    "description": "ATOM IoU predictor on synthetic videos (offline smoke training).",
    "batch_size": 8,
    "num_workers": 0,
    "feature_sz": 6,
    "samples_per_epoch": 256,
    "val_samples_per_epoch": 64,
    "val_epoch_interval": 4,
    "epochs": 8,
    "lr_step_size": 6,
    "pretrained": False,
    "datasets": ["synthetic"],
    "synthetic_num_sequences": 64,
    "synthetic_seq_len": 40,
    "synthetic_image_size": (160, 224),
    "synthetic_train_seed": 11,
    "synthetic_val_seed": 12,
    "max_gap": 20,
}


def run(settings: Any) -> LTRTrainer:
    """Train on synthetic data (see module docstring)."""
    from ltr.dataset import SyntheticVideo

    apply_defaults(settings, DEFAULTS)
    datasets = settings.datasets.split(",") if isinstance(settings.datasets, str) else list(settings.datasets)
    if [d.strip() for d in datasets] != ["synthetic"]:
        raise TrainingSetupError(f"bbreg/atom_synthetic trains on 'synthetic' only, got --datasets {datasets}")
    problem = check_pretrained(settings)
    if problem:
        raise TrainingSetupError(f"Cannot start bbreg/atom_synthetic training:\n- {problem}")

    def make(seed: int) -> SyntheticVideo:
        return SyntheticVideo(num_sequences=settings.synthetic_num_sequences, seq_len=settings.synthetic_seq_len,
                              image_size=tuple(settings.synthetic_image_size), seed=seed)

    return train_atom(settings, [make(settings.synthetic_train_seed)], [make(settings.synthetic_val_seed)])
