"""ATOM IoU-Net training, as published: ``python ltr/run_training.py bbreg atom``.

Setup (ATOM, CVPR 2019): ImageNet-pretrained ResNet-18, frozen; the IoU-Net learns to predict the IoU of 16 proposals
per test frame with an MSE loss. Batch 64, 8 workers, crops of 288x288 (feature size 18 at stride 16) covering 5x the
target, test-frame jitter (centre 4.5, scale 0.5), proposals with min IoU 0.1 and sigma factors
0.01/0.05/0.1/0.2/0.3; training pairs at most 50 frames apart from LaSOT (train split), GOT-10k (vot-train split),
TrackingNet sets 0-3 and COCO with equal weights, 1000 batches per epoch; validation on GOT-10k (vot-val split) with
500 batches every 5 epochs; Adam lr 1e-3 on the IoU-Net only, StepLR(step 15, gamma 0.2), 50 epochs.

Command-line overrides (``run_training --help``): ``--epochs --batch-size --workers --samples-per-epoch --datasets
--device --seed --workspace --no-pretrained``. ``--batch-size`` and ``--samples-per-epoch`` are *per process*: with
``torchrun --nproc_per_node=N`` the global batch is N x batch and every rank draws its own stream (seed + 1000 x rank).

Split lists: LaSOT's train split is the official protocol (built in: every sequence not in the 280-sequence test
set). The GOT-10k vot-train / vot-val lists are plain text files (one sequence name or 0-based
index per line) read from ``settings.<name>`` (defaults under ``ltr/data_specs/``); they are not shipped with the
readers. A missing dataset path, split list or pretrained backbone file is reported together in one message before
anything is loaded.

The numbers are the defaults of :class:`ltr.trainers.pipelines.atom.AtomTrainingParams`; the pipeline is
:func:`ltr.trainers.pipelines.atom.train_atom`.

``settings.backbone_bn_eval`` (default False) keeps the frozen backbone's BatchNorm in eval mode; False reproduces
the original training, whose frozen backbone still normalises with batch statistics.
"""

from __future__ import annotations

import logging

from ltr.admin.settings import Settings, TrainingSetupError, apply_training_params
from ltr.trainers import LTRTrainer
from ltr.trainers.pipelines.atom import AtomTrainingParams, benchmark_datasets, check_benchmark_setup, train_atom

__all__ = ["run"]

logger = logging.getLogger("ltr.train_settings")


def run(settings: Settings) -> LTRTrainer:
    """Train ATOM's IoU-Net with the published setup (plus command-line overrides)."""
    apply_training_params(settings, AtomTrainingParams, __file__)
    if isinstance(settings.datasets, str):
        settings.datasets = [d.strip() for d in settings.datasets.split(",") if d.strip()]
    problems = check_benchmark_setup(settings)
    if problems:
        raise TrainingSetupError("Cannot start bbreg/atom training; fix the following:\n\n" +
                                 "\n\n".join(f"- {p}" for p in problems))
    if not settings.pretrained:
        logger.warning("Training with a RANDOM backbone (--no-pretrained): ATOM's IoU-Net expects ImageNet features; "
                       "use this only for tests and experiments.")
    train, val = benchmark_datasets(settings)
    return train_atom(settings, train, val)
