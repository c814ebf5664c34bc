"""First-frame training samples of ATOM: the augmentation set and the features of every augmented view.

Why its own module: the 30 first-frame samples (identity, 4 shifts, flip, 5 blurs, 12 rotations, 7 feature-dropout
copies with the published defaults) and their shifts are what the labels must follow, and the random shifts and
dropout masks are the first draws from the run's generator; keeping it here makes that order explicit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from pytracking.features import augmentation as aug
from pytracking.features.preprocessing import sample_patch

__all__ = ["InitSamples", "build_transforms", "expanded_sample_size", "feature_dropout", "generate_init_samples",
           "iounet_reference_shifts"]

IOUNET_REFERENCE_KINDS = (aug.Identity, aug.Translation, aug.FlipHorizontal, aug.Blur)


def expanded_sample_size(sample_sz: tuple[int, int], expansion_factor: float | None) -> tuple[int, int]:
    """Size of the enlarged crop the augmentations are cut from (same parity as ``sample_sz``)."""
    if expansion_factor is None or expansion_factor == 1:
        return sample_sz
    out = []
    for s in sample_sz:
        e = int(s * expansion_factor)
        e += (e - int(s)) % 2
        out.append(e)
    return out[0], out[1]


def build_transforms(augmentation: Mapping, sample_sz: tuple[int, int], output_sz: tuple[int, int] | None,
                     random_shift_factor: float, generator: torch.Generator) -> list[aug.Transform]:
    """The augmentation list in the published order: identity, shifts, relative shifts, flip, blurs, scales,
    rotations. Flip, blur, scale and rotation views get a random integer shift of up to
    ``+-random_shift_factor / 2`` of the sample size (drawn in that order from ``generator``)."""

    def rand_shift() -> tuple[int, int] | None:
        if not random_shift_factor > 0:
            return None
        r = (torch.rand(2, generator=generator) - 0.5) * torch.tensor(sample_sz, dtype=torch.float32)
        return tuple(int(v) for v in (r * random_shift_factor).tolist())  # int() truncates, like .long()

    transforms: list[aug.Transform] = [aug.Identity(output_sz)]
    for shift in augmentation.get("shift", []):
        transforms.append(aug.Translation(shift, output_sz))
    for rel in augmentation.get("relativeshift", []):
        absolute = tuple(int(r * s / 2) for r, s in zip(rel, sample_sz, strict=True))
        transforms.append(aug.Translation(absolute, output_sz))
    if augmentation.get("fliplr", False):
        transforms.append(aug.FlipHorizontal(output_sz, rand_shift()))
    for sigma in augmentation.get("blur", []):
        transforms.append(aug.Blur(sigma, output_sz, rand_shift()))
    for factor in augmentation.get("scale", []):
        transforms.append(aug.Scale(factor, output_sz, rand_shift()))
    for angle in augmentation.get("rotate", []):
        transforms.append(aug.Rotate(angle, output_sz, rand_shift()))
    return transforms


def feature_dropout(feat: torch.Tensor, num: int, prob: float, generator: torch.Generator) -> torch.Tensor:
    """``num`` copies of ``feat [1, C, H, W]`` with whole channels zeroed with probability ``prob`` and the rest
    scaled by ``1 / (1 - prob)`` (channel dropout in training mode)."""
    keep = (torch.rand(num, feat.shape[1], 1, 1, generator=generator) < 1 - prob).to(feat.dtype)
    return feat.expand(num, -1, -1, -1) * (keep.to(feat.device) / (1 - prob))


@dataclass
class InitSamples:
    """First-frame features ``[N, C, h, w]``, the shift of each sample (pixels), the IoU-Net backbone features of the
    unaugmented view, those of every transformed view (in transform order) and the transforms themselves."""

    features: torch.Tensor
    shifts: list[tuple[int, int]]
    iou_backbone_features: list[torch.Tensor]
    iou_backbone_views: list[torch.Tensor] = field(default_factory=list)
    transforms: list[aug.Transform] = field(default_factory=list)


def iounet_reference_shifts(transforms: list[aug.Transform]) -> list[tuple[int, int]]:
    """Shifts ``(rows, cols)`` of the views ``iounet_augmentation`` averages the reference over: the leading views
    whose transform is identity, translation, flip or blur, up to the first transform of another kind."""
    shifts = []
    for t in transforms:
        if type(t) not in IOUNET_REFERENCE_KINDS:
            break
        shifts.append(t.shift)
    return shifts


def generate_init_samples(extractor, im: torch.Tensor, pos: torch.Tensor, target_scale: float,
                          sample_sz: tuple[int, int], augmentation: Mapping, expansion_factor: float | None,
                          random_shift_factor: float, generator: torch.Generator,
                          preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None) -> InitSamples:
    """Crop an enlarged patch once, apply every transform, extract features of all views in one batch (then
    ``preprocess`` them, e.g. a feature window), then append the dropout copies of the unaugmented view."""
    exp_sz = expanded_sample_size(sample_sz, expansion_factor)
    out_sz = None if exp_sz == sample_sz else sample_sz
    transforms = build_transforms(augmentation, sample_sz, out_sz, random_shift_factor, generator)
    patch, _ = sample_patch(im, pos, (target_scale * exp_sz[0], target_scale * exp_sz[1]), exp_sz)
    views = torch.cat([t(patch) for t in transforms])
    feats = extractor.extract(views)
    if preprocess is not None:
        feats = preprocess(feats)
    iou_views = list(getattr(extractor, "iounet_backbone_features", None) or [])  # only ATOM networks' extractors
    iou_backbone = [f[:1] for f in iou_views]
    shifts = [t.shift for t in transforms]
    if "dropout" in augmentation:
        num, prob = augmentation["dropout"]
        feats = torch.cat((feats, feature_dropout(feats[:1], int(num), float(prob), generator)))
        shifts += [transforms[0].shift] * int(num)
    return InitSamples(feats, shifts, iou_backbone, iou_views, transforms)
