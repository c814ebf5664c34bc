"""Turn the raw frames a sampler picked into network-ready training samples.

A processing object is called with a :class:`~pytracking.libs.tensordict.TensorDict` holding ``train_images``,
``train_anno``, ``test_images``, ``test_anno`` (lists with one full RGB frame / one ``[x, y, w, h]`` box per frame)
and a ``np.random.Generator``. It returns a TensorDict of fixed-size tensors. All randomness goes through the given
generator, so a sample is a pure function of (frames, generator seed).

:class:`ATOMProcessing` (the IoU-Net training data of ATOM):

1. joint transform over all frames, one draw shared by train and test (ATOM: grayscale with p = 0.05);
2. per frame, a jittered box (:func:`~ltr.data.processing_utils.jitter_box`);
3. a square crop around it, resized to ``output_sz``, with the GT box mapped into the crop
   (:func:`~ltr.data.processing_utils.sample_target`, :func:`~ltr.data.processing_utils.transform_image_to_crop`);
4. per-image transform of each split (train: brightness jitter + normalisation; val: normalisation);
5. ``boxes_per_frame`` proposals per test frame with ``proposal_iou = 2 IoU - 1``;
6. ``mode='sequence'`` stacks frames (``[F, ...]``); ``mode='pair'`` keeps the first frame only (no frame axis).

Besides the training fields, each split also returns the crop geometry so that the mapping can be audited:
``<split>_image_anno`` (GT box in the full frame after the joint transform), ``<split>_jittered_anno`` (the box the
crop was centred on) and ``<split>_crop_box`` (``[x1, y1, side, side]`` of the crop in the full frame).
A degenerate box raises :class:`~ltr.data.processing_utils.DegenerateBoxError`; the sampler redraws.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from ltr.data import processing_utils as prutils
from ltr.data import transforms as tfm
from pytracking.libs.tensordict import TensorDict

__all__ = ["BaseProcessing", "ATOMProcessing", "IMAGENET_MEAN", "IMAGENET_STD"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

TransformLike = Callable[..., Any]
_SPLITS = ("train", "test")
_MODES = ("pair", "sequence")


class BaseProcessing:
    """Holds the transforms: ``transform`` for both splits unless ``train_transform``/``test_transform`` is given,
    and ``joint_transform`` applied to all frames with one draw before anything else.

    ``seed`` seeds the fallback generator used when a call passes no ``rng`` (the sampler always passes one).
    """

    def __init__(
        self,
        transform: TransformLike | None = None,
        train_transform: TransformLike | None = None,
        test_transform: TransformLike | None = None,
        joint_transform: TransformLike | None = None,
        seed: int | None = None,
    ) -> None:
        default = transform if transform is not None else tfm.ToTensor()
        self.transform: dict[str, TransformLike | None] = {
            "train": train_transform if train_transform is not None else default,
            "test": test_transform if test_transform is not None else default,
            "joint": joint_transform,
        }
        self._rng = np.random.default_rng(seed)

    def __call__(self, data: TensorDict, rng: np.random.Generator | None = None) -> TensorDict:
        raise NotImplementedError


def _per_split(value: float | Mapping[str, float], name: str) -> dict[str, float]:
    if isinstance(value, Mapping):
        missing = [s for s in _SPLITS if s not in value]
        if missing:
            raise ValueError(f"ATOMProcessing: {name} needs entries for {missing} (got keys {sorted(value)})")
        return {s: float(value[s]) for s in _SPLITS}
    return {s: float(value) for s in _SPLITS}


class ATOMProcessing(BaseProcessing):
    """ATOM training-sample processing (see module docstring).

    Args:
        search_area_factor: crop side = ``ceil(sqrt(w' h') * search_area_factor)`` around the jittered box.
        output_sz: side of the resized square crop in pixels.
        center_jitter_factor, scale_jitter_factor: ``{'train': ..., 'test': ...}`` (or one number for both).
        proposal_params: ``{'boxes_per_frame': 16, 'min_iou': 0.1, 'sigma_factor': [0.01, 0.05, 0.1, 0.2, 0.3]}``.
        mode: ``'sequence'`` (stack frames) or ``'pair'`` (one frame per split, no frame axis).
    """

    def __init__(
        self,
        search_area_factor: float,
        output_sz: int,
        center_jitter_factor: float | Mapping[str, float],
        scale_jitter_factor: float | Mapping[str, float],
        proposal_params: Mapping[str, Any],
        mode: str = "pair",
        transform: TransformLike | None = None,
        train_transform: TransformLike | None = None,
        test_transform: TransformLike | None = None,
        joint_transform: TransformLike | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(transform, train_transform, test_transform, joint_transform, seed)
        if search_area_factor <= 0:
            raise ValueError(f"ATOMProcessing: search_area_factor must be > 0, got {search_area_factor}")
        if int(output_sz) != output_sz or output_sz < 1:
            raise ValueError(f"ATOMProcessing: output_sz must be a positive integer, got {output_sz}")
        if mode not in _MODES:
            raise ValueError(f"ATOMProcessing: mode must be one of {_MODES}, got {mode!r}")
        missing = [k for k in ("boxes_per_frame", "min_iou", "sigma_factor") if k not in proposal_params]
        if missing:
            raise ValueError(f"ATOMProcessing: proposal_params lacks {missing} (got {sorted(proposal_params)})")
        self.search_area_factor = float(search_area_factor)
        self.output_sz = int(output_sz)
        self.center_jitter_factor = _per_split(center_jitter_factor, "center_jitter_factor")
        self.scale_jitter_factor = _per_split(scale_jitter_factor, "scale_jitter_factor")
        self.proposal_params = dict(proposal_params)
        self.mode = mode

    def __call__(self, data: TensorDict, rng: np.random.Generator | None = None) -> TensorDict:
        rng = rng if rng is not None else self._rng
        consumed = {f"{s}_{kind}" for s in _SPLITS for kind in ("images", "anno")}
        out = TensorDict((k, v) for k, v in data.items() if k not in consumed)  # metadata passes through

        frames = {s: list(data[f"{s}_images"]) for s in _SPLITS}
        annos = {s: [torch.as_tensor(a, dtype=torch.float32) for a in data[f"{s}_anno"]] for s in _SPLITS}
        for s in _SPLITS:
            if len(frames[s]) != len(annos[s]) or not frames[s]:
                raise ValueError(f"ATOMProcessing: {s}_images has {len(frames[s])} frames but {s}_anno has "
                                 f"{len(annos[s])} boxes (need the same, at least one)")

        joint = self.transform["joint"]
        if joint is not None:  # one draw for train and test
            frames["train"], annos["train"] = joint(image=frames["train"], bbox=annos["train"], rng=rng)
            frames["test"], annos["test"] = joint(image=frames["test"], bbox=annos["test"], new_roll=False, rng=rng)

        for s in _SPLITS:
            crops, boxes, jittered, crop_boxes = [], [], [], []
            for image, anno in zip(frames[s], annos[s], strict=True):
                jb = prutils.jitter_box(anno, self.scale_jitter_factor[s], self.center_jitter_factor[s], rng)
                crop, crop_box, resize_factor = prutils.sample_target(
                    image, jb, self.search_area_factor, self.output_sz
                )
                crops.append(crop)
                boxes.append(torch.from_numpy(
                    prutils.transform_image_to_crop(anno, jb, resize_factor, self.output_sz).astype(np.float32)))
                jittered.append(jb)
                crop_boxes.append(crop_box)
            split_tf = self.transform[s]
            if split_tf is not None:
                crops, boxes = split_tf(image=crops, bbox=boxes, joint=False, rng=rng)
            out[f"{s}_images"] = crops
            out[f"{s}_anno"] = boxes
            out[f"{s}_image_anno"] = [a.float() for a in annos[s]]
            out[f"{s}_jittered_anno"] = [torch.from_numpy(j.astype(np.float32)) for j in jittered]
            out[f"{s}_crop_box"] = [torch.from_numpy(c.astype(np.float32)) for c in crop_boxes]

        proposals, ious = [], []
        for box in out["test_anno"]:
            p, iou = prutils.sample_box_proposals(
                box.double().numpy(),
                int(self.proposal_params["boxes_per_frame"]),
                float(self.proposal_params["min_iou"]),
                self.proposal_params["sigma_factor"],
                rng,
            )
            proposals.append(p)
            ious.append(iou)
        out["test_proposals"] = proposals
        out["proposal_iou"] = ious

        return self._finalize(out)

    def _finalize(self, out: TensorDict) -> TensorDict:
        for key, value in list(out.items()):
            if not isinstance(value, list) or not value or not isinstance(value[0], torch.Tensor):
                continue
            out[key] = _stack_frames(value) if self.mode == "sequence" else value[0]
        return out


def _stack_frames(values: list[torch.Tensor]) -> torch.Tensor:
    """``torch.stack(values)``, through numpy for plain CPU tensors (single-threaded; see transforms._chw_float)."""
    if all(v.device.type == "cpu" and not v.requires_grad for v in values):
        return torch.from_numpy(np.stack([v.numpy() for v in values], axis=0))
    return torch.stack(values, dim=0)

