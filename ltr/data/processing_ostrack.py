"""OSTrack's training samples: a template crop (2x the target) and a search crop (4x) with the normalised GT box and
its Gaussian score-map label.

Why a separate processing class from :class:`~ltr.data.processing.ATOMProcessing`: the one-stream tracker crops with
*zero* padding (what the tracker sees at test time), needs a padding mask to reject crops that are (nearly) all
padding, predicts boxes normalised to the crop instead of IoU proposals, and has a per-image flip that template and
search draw separately.

Steps for one sample (every random draw from the generator the sampler passes):

1. joint transform over template and search frames, one shared draw (published: grayscale p = 0.05, horizontal flip
   p = 0.5 on the full frames);
2. per frame, a jittered box (:func:`~ltr.data.processing_utils.jitter_box`; template: no jitter);
3. :func:`sample_target_padded` around the jittered box (side ``ceil(sqrt(w' h') * factor)``, zero padding, bilinear
   resize) and the GT box mapped into it (:func:`~ltr.data.processing_utils.transform_image_to_crop`);
4. rejection (:class:`~ltr.data.processing_utils.DegenerateBoxError`, the sampler redraws) if the padding mask is all
   padding, or all padding after nearest down-sampling to the token grid (``output_sz // 16``);
5. per-image transform, separate draws for template and search (published: brightness U(0.8, 1.2), horizontal flip
   p = 0.5, ImageNet normalisation); the box is then divided by the crop size (normalised ``[x1, y1, w, h]``);
6. the search box's Gaussian label (:func:`~ltr.data.center_labels.gaussian_label`) on the ``feat_sz`` grid.

Output (one template and one search frame, no frame axis; stack with ``LTRLoader(stack_dim=0)``):
``template_images [3, Tz, Tz]``, ``template_anno [4]``, ``search_images [3, Tx, Tx]``, ``search_anno [4]``,
``search_label [F, F]``, plus the metadata the sampler put in (``dataset``, ``test_class``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import torch

from ltr.data import processing_utils as prutils
from ltr.data import transforms as tfm
from ltr.data.center_labels import gaussian_label
from ltr.data.processing import IMAGENET_MEAN, IMAGENET_STD, BaseProcessing
from ltr.data.processing_utils import DegenerateBoxError
from pytracking.libs.tensordict import TensorDict

__all__ = ["sample_target_padded", "OSTrackProcessing", "ostrack_transforms", "PATCH_STRIDE"]

#: Side of one ViT patch / score-map cell in crop pixels.
PATCH_STRIDE = 16


def sample_target_padded(image: np.ndarray, box: Sequence[float] | np.ndarray | torch.Tensor, factor: float,
                         output_sz: int) -> tuple[np.ndarray, float, np.ndarray]:
    """OSTrack's square crop around ``box`` (``[x, y, w, h]`` pixels, 0-based top-left), as the tracker crops.

    ``side = ceil(sqrt(w h) * factor)``, ``x1 = round(x + w/2 - side/2)`` (Python round: half to even),
    ``x2 = x1 + side``, same vertically. The part inside the image is cut out and padded with zeros to
    ``side x side``; the right/bottom padding is ``max(x2 - W + 1, 0)`` (one more than needed, so a crop that
    crosses the right or bottom border loses the image's last column/row and gets one extra zero column/row, as in
    the published code). Then ``cv2.resize`` (bilinear) to ``output_sz``.

    Returns ``(crop [output_sz, output_sz, C] same dtype, resize_factor = output_sz / side, padding mask
    [output_sz, output_sz] bool (True = padding; bilinearly resized, any non-zero counts))``.
    Raises :class:`DegenerateBoxError` if the box is degenerate, the side is under one pixel or the crop holds no
    image pixel at all.
    """
    b = prutils.check_box(box, "crop box")
    x, y, w, h = (float(v) for v in b)
    raw = math.sqrt(w * h) * factor
    side = math.ceil(raw) if math.isfinite(raw) else 0
    if side < 1:
        raise DegenerateBoxError(f"crop side {raw:.4g} < 1 pixel for box {b.tolist()} (factor {factor})")
    x1 = round(x + 0.5 * w - side * 0.5)
    y1 = round(y + 0.5 * h - side * 0.5)
    x2, y2 = x1 + side, y1 + side
    im_h, im_w = image.shape[:2]
    x1_pad, y1_pad = max(0, -x1), max(0, -y1)
    x2_pad, y2_pad = max(x2 - im_w + 1, 0), max(y2 - im_h + 1, 0)
    if x1 + x1_pad >= x2 - x2_pad or y1 + y1_pad >= y2 - y2_pad:
        raise DegenerateBoxError(f"crop [{x1}, {y1}, {side}, {side}] around box {b.tolist()} holds no pixel of the "
                                 f"{im_w}x{im_h} image")
    inner = image[y1 + y1_pad:y2 - y2_pad, x1 + x1_pad:x2 - x2_pad]
    padded = cv2.copyMakeBorder(inner, y1_pad, y2_pad, x1_pad, x2_pad, cv2.BORDER_CONSTANT, value=0)
    if image.ndim == 3 and padded.ndim == 2:  # cv2 drops a singleton channel axis
        padded = padded[:, :, None]
    mask = np.ones((side, side), dtype=np.float64)
    mask[y1_pad:side - y2_pad, x1_pad:side - x2_pad] = 0
    crop = cv2.resize(padded, (output_sz, output_sz))
    if image.ndim == 3 and crop.ndim == 2:
        crop = crop[:, :, None]
    mask_out = cv2.resize(mask, (output_sz, output_sz)).astype(np.bool_)
    return crop, output_sz / side, mask_out


def _nearest_downsample(mask: np.ndarray, size: int) -> np.ndarray:
    """Nearest down-sampling as ``torch.nn.functional.interpolate(mode='nearest')``: source ``floor(i * in/out)``."""
    rows = np.minimum(np.floor(np.arange(size) * (mask.shape[0] / size)).astype(np.int64), mask.shape[0] - 1)
    cols = np.minimum(np.floor(np.arange(size) * (mask.shape[1] / size)).astype(np.int64), mask.shape[1] - 1)
    return mask[np.ix_(rows, cols)]


def ostrack_transforms(grayscale_probability: float = 0.05, joint_flip_probability: float = 0.5,
                       brightness_jitter: float = 0.2, flip_probability: float = 0.5,
                       mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                       ) -> tuple[tfm.Transform, tfm.Transform, tfm.Transform]:
    """``(joint, train, val)`` transforms of the published setup (validation: no brightness jitter and no flip)."""
    joint = tfm.Transform(tfm.ToGrayscale(probability=grayscale_probability),
                          tfm.RandomHorizontalFlip(probability=joint_flip_probability))
    train = tfm.Transform(tfm.ToTensorAndJitter(brightness_jitter),
                          tfm.RandomHorizontalFlip(probability=flip_probability),
                          tfm.Normalize(mean=mean, std=std))
    val = tfm.Transform(tfm.ToTensor(), tfm.Normalize(mean=mean, std=std))
    return joint, train, val


class OSTrackProcessing(BaseProcessing):
    """Template/search crops with normalised boxes and the search Gaussian label (see module docstring).

    Args:
        template_factor, template_sz: crop side relative to the target (2.0) and output size (128 [192]).
        search_factor, search_sz: 4.0 [5.0] and 256 [384].
        center_jitter, scale_jitter: ``{'template': ..., 'search': ...}`` (published 0/0 and 3/0.25 [4.5/0.5]).
        transform: per-image transform of both crops (separate draws); ``joint_transform``: shared draw on the frames.
        stride: token / score-map cell size in pixels (16); the label grid is ``search_sz // stride``.

    The sampler's ``train`` frame is the template, its ``test`` frame the search frame; exactly one each.
    """

    def __init__(self, template_factor: float, template_sz: int, search_factor: float, search_sz: int,
                 center_jitter: dict[str, float], scale_jitter: dict[str, float],
                 transform: Any = None, joint_transform: Any = None, stride: int = PATCH_STRIDE,
                 seed: int | None = None) -> None:
        super().__init__(transform=transform, joint_transform=joint_transform, seed=seed)
        for name, value in (("template_factor", template_factor), ("search_factor", search_factor)):
            if not value > 0:
                raise ValueError(f"OSTrackProcessing: {name} must be > 0, got {value}")
        for name, value in (("template_sz", template_sz), ("search_sz", search_sz), ("stride", stride)):
            if int(value) != value or value < 1:
                raise ValueError(f"OSTrackProcessing: {name} must be a positive integer, got {value}")
        for name, value in (("center_jitter", center_jitter), ("scale_jitter", scale_jitter)):
            missing = [k for k in ("template", "search") if k not in value]
            if missing:
                raise ValueError(f"OSTrackProcessing: {name} lacks {missing} (got {sorted(value)})")
        self.factor = {"template": float(template_factor), "search": float(search_factor)}
        self.output_sz = {"template": int(template_sz), "search": int(search_sz)}
        self.center_jitter = {k: float(center_jitter[k]) for k in ("template", "search")}
        self.scale_jitter = {k: float(scale_jitter[k]) for k in ("template", "search")}
        self.stride = int(stride)
        self.feat_sz = self.output_sz["search"] // self.stride

    def __call__(self, data: TensorDict, rng: np.random.Generator | None = None) -> TensorDict:
        rng = rng if rng is not None else self._rng
        consumed = ("train_images", "train_anno", "test_images", "test_anno")
        out = TensorDict((k, v) for k, v in data.items() if k not in consumed)
        frames, annos = {}, {}
        for split, src in (("template", "train"), ("search", "test")):
            imgs, boxes = list(data[f"{src}_images"]), list(data[f"{src}_anno"])
            if len(imgs) != 1 or len(boxes) != 1:
                raise ValueError(f"OSTrackProcessing: needs exactly one {src} frame and box (the {split}), got "
                                 f"{len(imgs)} frame(s) and {len(boxes)} box(es)")
            frames[split] = imgs
            annos[split] = [torch.as_tensor(boxes[0], dtype=torch.float32)]

        joint = self.transform["joint"]
        if joint is not None:
            frames["template"], annos["template"] = joint(image=frames["template"], bbox=annos["template"], rng=rng)
            frames["search"], annos["search"] = joint(image=frames["search"], bbox=annos["search"], new_roll=False,
                                                      rng=rng)

        for split, tf_key in (("template", "train"), ("search", "test")):
            anno = annos[split][0]
            jittered = prutils.jitter_box(anno, self.scale_jitter[split], self.center_jitter[split], rng)
            sz = self.output_sz[split]
            crop, resize_factor, pad_mask = sample_target_padded(frames[split][0], jittered, self.factor[split], sz)
            if pad_mask.all() or _nearest_downsample(pad_mask, sz // self.stride).all():
                raise DegenerateBoxError(f"{split} crop around {jittered.tolist()} is all padding")
            box = torch.from_numpy(prutils.transform_image_to_crop(anno, jittered, resize_factor, sz)
                                   .astype(np.float32))
            image_tf = self.transform[tf_key]
            if image_tf is not None:
                crop, box = image_tf(image=crop, bbox=box, rng=rng)
            out[f"{split}_images"] = crop
            out[f"{split}_anno"] = box / sz
        out["search_label"] = gaussian_label(out["search_anno"], self.feat_sz)
        return out
