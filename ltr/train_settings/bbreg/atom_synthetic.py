"""ATOM's training pipeline on the procedural :class:`~ltr.dataset.SyntheticVideo` dataset only.

Why: the offline demo, the tests and a fresh checkout without any benchmark data need a training run that finishes
in minutes on a 2-core CPU and produces an IoU predictor that actually ranks boxes. Everything except the data, the
sizes and the crop geometry is the ATOM pipeline :func:`ltr.trainers.pipelines.atom.train_atom` (same processing,
sampler, actor, optimizer, scheduler and trainer; the backbone stays frozen).

Sizes (all plain settings attributes, overridable from the command line where ``run_training`` has an option):
1000 sequences of 40 frames at 160x224 (rendered on demand, so many cost nothing and give the IoU-Net more distinct
objects and backgrounds to generalise from), crops of 96x96 (``feature_sz`` 6), batch 8, 256 training pairs per epoch,
30 epochs, validation every 10 epochs on 64 pairs from another synthetic seed, random backbone (no ImageNet file
needed; ``settings.pretrained = True`` or a path uses pretrained weights). Adam lr 1e-3 with StepLR(step 20).

Deliberate differences from the published crop geometry: ``search_area_factor`` 1.7 instead of 5 and test-frame
centre jitter 1.0 instead of 4.5. The target then spans ~56 px of the 96 px crop, the size it has in the tracker's
288 px sample (288 / 5), instead of ~19 px. A frozen *random* backbone's features are neither scale invariant nor
precise at stride 16: with 19 px targets (about one layer3 cell) the IoU-Net learned only the mean IoU (epoch loss
stuck at the target variance, ~0.22), while at ~56 px it learns real signal at the same cost per sample. The smaller
centre jitter keeps the target inside the tighter crop (offset at most half the target size).

Also unlike ``bbreg/atom``: ``backbone_bn_eval = True`` (set from ``settings.synthetic_backbone_bn_eval``, because
``Settings`` already initialises ``backbone_bn_eval`` to the published False). The tracker runs the backbone in eval
mode; training it with batch statistics (8 images) made the IoU-Net see differently normalised features in training
than at validation and tracking time. The random backbone's untouched BatchNorm (mean 0, var 1, weight 1, bias 0)
keeps its features well scaled (std ~0.8-0.95 at layer2/layer3). Measured on 256 held-out pairs: loss 0.60x the
target variance with eval-mode BatchNorm against 0.71x with train-mode BatchNorm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ltr.admin.settings import Settings, TrainingSetupError, apply_training_params
from ltr.models.backbone.resnet import check_pretrained
from ltr.trainers import LTRTrainer
from ltr.trainers.pipelines.atom import AtomTrainingParams, train_atom

__all__ = ["AtomSyntheticTrainingParams", "run"]


@dataclass(eq=False)
class AtomSyntheticTrainingParams(AtomTrainingParams):
    """ATOM's hyper-parameters with the synthetic setup's numbers (see the module docstring)."""

    description: str = "ATOM IoU predictor on synthetic videos (offline smoke training)."
    batch_size: int = 8
    num_workers: int = 0
    feature_sz: int = 6
    search_area_factor: float = 1.7
    center_jitter_factor: dict[str, float] = field(default_factory=lambda: {"train": 0.0, "test": 1.0})
    samples_per_epoch: int = 256
    val_samples_per_epoch: int = 64
    val_epoch_interval: int = 10
    epochs: int = 30
    lr_step_size: int = 20
    pretrained: bool | str = False
    datasets: list[str] = field(default_factory=lambda: ["synthetic"])
    max_gap: int = 20
    # --- the synthetic videos
    synthetic_num_sequences: int = 1000
    synthetic_backbone_bn_eval: bool = True  # becomes settings.backbone_bn_eval (see module docstring)
    synthetic_seq_len: int = 40
    synthetic_image_size: tuple[int, int] = (160, 224)
    synthetic_train_seed: int = 11
    synthetic_val_seed: int = 12


def run(settings: Settings) -> LTRTrainer:
    """Train on synthetic data (see module docstring)."""
    from ltr.dataset import SyntheticVideo

    apply_training_params(settings, AtomSyntheticTrainingParams, __file__)
    settings.backbone_bn_eval = bool(settings.synthetic_backbone_bn_eval)
    datasets = settings.datasets.split(",") if isinstance(settings.datasets, str) else list(settings.datasets)
    if [d.strip() for d in datasets] != ["synthetic"]:
        raise TrainingSetupError(f"bbreg/atom_synthetic trains on 'synthetic' only, got --datasets {datasets}")
    problem = check_pretrained("resnet18", settings.pretrained, settings.env.pretrained_networks)
    if problem:
        raise TrainingSetupError(f"Cannot start bbreg/atom_synthetic training:\n- {problem}")

    def make(seed: int) -> SyntheticVideo:
        return SyntheticVideo(num_sequences=settings.synthetic_num_sequences, seq_len=settings.synthetic_seq_len,
                              image_size=tuple(settings.synthetic_image_size), seed=seed)

    return train_atom(settings, [make(settings.synthetic_train_seed)], [make(settings.synthetic_val_seed)])
