"""Joint image / box / coordinate / mask transforms for building training samples.

A transform changes an image and everything annotated on it (boxes, point coordinates, segmentation masks) with one
random draw, so that the annotation still describes the transformed pixels. ``Transform(*transforms)`` chains them.

Conventions (used by every transform here):

* Images are either ``HxWxC`` numpy arrays (what the readers return; uint8 RGB) or ``CxHxW`` torch tensors (after
  :class:`ToTensor`). Masks are ``HxW`` arrays or tensors.
* Coordinates are continuous pixel coordinates: pixel ``(i, j)`` (row, column) covers ``[j, j+1) x [i, i+1)``, so its
  centre is ``(j + 0.5, i + 0.5)`` and an image of width ``W`` spans ``x`` in ``[0, W]``. A box ``[x, y, w, h]`` covers
  ``[x, x+w] x [y, y+h]``; a horizontal flip maps ``x`` to ``W - x``. ``coords`` are ``Tensor[N, 2]`` of ``(x, y)``.
* Boxes are transformed by transforming their four corners and taking the enclosing axis-aligned box.
* Randomness comes from the ``rng`` (``np.random.Generator``) given to the call; without one, each transform uses its
  own generator (seeded by its ``seed`` argument), never the global numpy/python/torch state.

Calling convention::

    image, bbox = transform(image=img, bbox=box)                     # one image
    images, boxes = transform(image=[im1, im2], bbox=[b1, b2])        # several, one shared draw (joint=True)
    images = transform(image=[im1, im2], joint=False)                 # an independent draw per image
    mask = transform(mask=m, new_roll=False)                          # reuse the previous draw

The outputs come back in the fixed order ``image, coords, bbox, mask`` (only those given); a single output is
returned on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import torch

__all__ = [
    "Transform",
    "TransformBase",
    "ToTensor",
    "ToTensorAndJitter",
    "Normalize",
    "ToGrayscale",
    "ToBGR",
    "RandomHorizontalFlip",
    "Blur",
    "RandomBlur",
    "RandomAffine",
]

_INPUT_NAMES = ("image", "coords", "bbox", "mask")
_BORDER_MODES = {"constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT_101}


def _given_inputs(owner: str, inputs: dict[str, Any]) -> list[str]:
    """Names of the inputs that were passed, in the fixed output order; at least one is required."""
    given = [name for name in _INPUT_NAMES if inputs[name] is not None]
    if not given:
        raise ValueError(f"{owner}: give at least one of image=, coords=, bbox=, mask=")
    return given


def _pack_outputs(results: list[Any]) -> Any:
    """A single output on its own, several as a tuple (the calling convention in the module docstring)."""
    return results[0] if len(results) == 1 else tuple(results)


def _is_item_list(value: Any) -> bool:
    """A list/tuple of arrays/tensors means several items; a list of numbers is one box/point."""
    return isinstance(value, (list, tuple)) and not (len(value) > 0 and isinstance(value[0], (int, float)))


def _image_hw(image: np.ndarray | torch.Tensor) -> tuple[int, int]:
    """(height, width) of an HxW(xC) numpy image or a (C x)HxW tensor."""
    if isinstance(image, torch.Tensor):
        return int(image.shape[-2]), int(image.shape[-1])
    return int(image.shape[0]), int(image.shape[1])


def _as_box_tensor(bbox: Any) -> torch.Tensor:
    if isinstance(bbox, torch.Tensor):
        return bbox
    return torch.as_tensor(np.asarray(bbox, dtype=np.float32))


def _box_to_corners(bbox: torch.Tensor) -> torch.Tensor:
    """[..., 4] xywh -> [..., 4, 2] corner (x, y) points."""
    x, y, w, h = bbox.unbind(-1)
    xs = torch.stack([x, x + w, x, x + w], dim=-1)
    ys = torch.stack([y, y, y + h, y + h], dim=-1)
    return torch.stack([xs, ys], dim=-1)


def _corners_to_box(corners: torch.Tensor) -> torch.Tensor:
    """[..., 4, 2] points -> [..., 4] enclosing xywh box."""
    lo = corners.min(dim=-2).values
    hi = corners.max(dim=-2).values
    return torch.cat([lo, hi - lo], dim=-1)


class TransformBase:
    """One transform: draws its random parameters with :meth:`roll`, then applies them to every input kind.

    Subclasses override :meth:`roll` and the ``transform_*`` methods they affect. Geometric transforms set
    ``geometric = True`` and implement :meth:`transform_coords`; boxes then follow through their corners.
    """

    geometric: bool = False

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self._rand_params: Any = None

    # --- to override ---------------------------------------------------------------------------------------------
    def roll(self, rng: np.random.Generator) -> tuple:
        """Draw this transform's random parameters (a tuple passed to every transform_* call)."""
        return ()

    def transform_image(self, image: Any, *params: Any) -> Any:
        return image

    def transform_coords(self, coords: torch.Tensor, image_hw: tuple[int, int], *params: Any) -> torch.Tensor:
        return coords

    def transform_bbox(self, bbox: torch.Tensor, image_hw: tuple[int, int], *params: Any) -> torch.Tensor:
        if not self.geometric:
            return bbox
        corners = _box_to_corners(bbox.float())
        flat = self.transform_coords(corners.reshape(-1, 2), image_hw, *params)
        return _corners_to_box(flat.reshape(corners.shape)).to(bbox.dtype)

    def transform_mask(self, mask: Any, *params: Any) -> Any:
        return mask

    # --- calling ---------------------------------------------------------------------------------------------------
    def __call__(
        self,
        image: Any = None,
        coords: Any = None,
        bbox: Any = None,
        mask: Any = None,
        joint: bool = True,
        new_roll: bool = True,
        rng: np.random.Generator | None = None,
    ) -> Any:
        inputs = {"image": image, "coords": coords, "bbox": bbox, "mask": mask}
        given = _given_inputs(type(self).__name__, inputs)
        as_list = _is_item_list(inputs[given[0]])
        items = {name: list(inputs[name]) if as_list else [inputs[name]] for name in given}
        lengths = {name: len(v) for name, v in items.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"{type(self).__name__}: inputs must have the same number of items, got {lengths}")
        count = next(iter(lengths.values()))
        params = self._params_for(count, joint, new_roll, rng if rng is not None else self._rng)

        out = {name: [] for name in given}
        for i in range(count):
            p = params[i]
            image_hw = _image_hw(items["image"][i]) if "image" in items else None
            if "image" in items:
                out["image"].append(self.transform_image(items["image"][i], *p))
            if "coords" in items:
                out["coords"].append(self.transform_coords(items["coords"][i], self._need_hw(image_hw), *p))
            if "bbox" in items:
                box = _as_box_tensor(items["bbox"][i])
                out["bbox"].append(self.transform_bbox(box, self._need_hw(image_hw), *p))
            if "mask" in items:
                out["mask"].append(self.transform_mask(items["mask"][i], *p))

        return _pack_outputs([out[name] if as_list else out[name][0] for name in given])

    def _need_hw(self, image_hw: tuple[int, int] | None) -> tuple[int, int]:
        if image_hw is None and self.geometric:
            raise ValueError(f"{type(self).__name__} moves pixels, so boxes/coords need the image= they belong to")
        return image_hw if image_hw is not None else (0, 0)

    def _params_for(self, count: int, joint: bool, new_roll: bool, rng: np.random.Generator) -> list[tuple]:
        if new_roll or self._rand_params is None:
            if joint:
                self._rand_params = self.roll(rng)
            else:
                self._rand_params = [self.roll(rng) for _ in range(count)]
        if isinstance(self._rand_params, list):
            if len(self._rand_params) != count:
                raise ValueError(
                    f"{type(self).__name__}: new_roll=False reuses {len(self._rand_params)} per-item draws "
                    f"but {count} items were given"
                )
            return self._rand_params
        return [self._rand_params] * count


class Transform:
    """A pipeline of transforms applied in order with the same call signature as a single transform.

    ``joint``/``new_roll``/``rng`` are handed to every stage, so with ``joint=True`` all inputs share each stage's draw.
    """

    def __init__(self, *transforms: TransformBase) -> None:
        if len(transforms) == 1 and isinstance(transforms[0], (list, tuple)):
            transforms = tuple(transforms[0])
        self.transforms = list(transforms)

    def __call__(
        self,
        image: Any = None,
        coords: Any = None,
        bbox: Any = None,
        mask: Any = None,
        joint: bool = True,
        new_roll: bool = True,
        rng: np.random.Generator | None = None,
    ) -> Any:
        values = {"image": image, "coords": coords, "bbox": bbox, "mask": mask}
        given = _given_inputs("Transform", values)
        for t in self.transforms:
            res = t(**{name: values[name] for name in given}, joint=joint, new_roll=new_roll, rng=rng)
            res = (res,) if len(given) == 1 else res
            values.update(zip(given, res, strict=True))
        return _pack_outputs([values[name] for name in given])

    def __repr__(self) -> str:
        inner = ", ".join(repr(t) for t in self.transforms)
        return f"Transform({inner})"


# --------------------------------------------------------------------------------------------------------------------
# Tensor conversion, brightness, normalisation
# --------------------------------------------------------------------------------------------------------------------


def _to_chw_tensor(image: Any) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        return image
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)


def _chw_float(image: np.ndarray, scale: float, clamp_max: float | None) -> torch.Tensor:
    """HxWxC (or HxW) array -> contiguous CxHxW float32 tensor ``image * scale`` (clamped to [0, clamp_max]).

    Done in numpy on purpose: per-sample work is small, and torch's intra-op thread pool stalls badly on an
    oversubscribed CPU (measured 50x slower than one thread), which a data pipeline in the main process would hit.
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    out = np.empty((arr.shape[2], arr.shape[0], arr.shape[1]), np.float32)
    np.multiply(arr.transpose(2, 0, 1), np.float32(scale), out=out, casting="unsafe")
    if clamp_max is not None:
        np.clip(out, 0.0, clamp_max, out=out)
    return torch.from_numpy(out)


def _mask_to_tensor(mask: Any) -> torch.Tensor:
    return mask if isinstance(mask, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(mask))


def _plain_cpu(t: torch.Tensor) -> bool:
    """A CPU tensor without autograd history, safe to process through its numpy view."""
    return t.device.type == "cpu" and not t.requires_grad and t.dtype in (torch.float32, torch.float64)


class ToTensor(TransformBase):
    """HxWxC uint8 array -> CxHxW float32 tensor in [0, 1] (float arrays keep their scale); masks -> tensors."""

    def transform_image(self, image: Any) -> torch.Tensor:
        if not isinstance(image, torch.Tensor):
            return _chw_float(image, 1.0 / 255.0 if np.asarray(image).dtype == np.uint8 else 1.0, None)
        if image.dtype == torch.uint8:
            return image.float().div_(255.0)
        return image.float()

    def transform_mask(self, mask: Any) -> torch.Tensor:
        return _mask_to_tensor(mask)


class ToTensorAndJitter(TransformBase):
    """To tensor with a random brightness factor drawn uniformly from ``[1 - j, 1 + j]``.

    With ``normalize=True`` the result is ``image * factor / 255`` clamped to ``[0, 1]``; otherwise it stays in the
    0..255 range (``image * factor`` clamped to ``[0, 255]``).
    """

    def __init__(self, brightness_jitter: float = 0.0, normalize: bool = True, seed: int | None = None) -> None:
        super().__init__(seed)
        if brightness_jitter < 0:
            raise ValueError(f"ToTensorAndJitter: brightness_jitter must be >= 0, got {brightness_jitter}")
        self.brightness_jitter = float(brightness_jitter)
        self.normalize = normalize

    def roll(self, rng: np.random.Generator) -> tuple:
        j = self.brightness_jitter
        return (float(rng.uniform(max(0.0, 1.0 - j), 1.0 + j)),)

    def transform_image(self, image: Any, factor: float) -> torch.Tensor:
        scale, hi = (factor / 255.0, 1.0) if self.normalize else (factor, 255.0)
        if not isinstance(image, torch.Tensor):
            return _chw_float(image, scale, hi)
        return image.float().mul_(scale).clamp_(0.0, hi)

    def transform_mask(self, mask: Any, factor: float) -> torch.Tensor:
        return _mask_to_tensor(mask)

    def __repr__(self) -> str:
        return f"ToTensorAndJitter(brightness_jitter={self.brightness_jitter}, normalize={self.normalize})"


class Normalize(TransformBase):
    """``(image - mean) / std`` per channel on CxHxW float tensors (use after ToTensor)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        super().__init__()
        if any(s == 0 for s in std):
            raise ValueError(f"Normalize: std must be non-zero, got {list(std)}")
        self.mean = torch.tensor(list(mean), dtype=torch.float32).view(-1, 1, 1)
        self.std = torch.tensor(list(std), dtype=torch.float32).view(-1, 1, 1)
        self._mean_np = self.mean.numpy()
        self._std_np = self.std.numpy()
        self.inplace = inplace

    def transform_image(self, image: Any) -> torch.Tensor:
        if not isinstance(image, torch.Tensor) or not image.is_floating_point():
            raise TypeError("Normalize expects a float CxHxW tensor; put ToTensor/ToTensorAndJitter before it")
        if _plain_cpu(image):  # numpy: see _chw_float for why
            arr = image.numpy()
            out = arr if self.inplace else np.empty_like(arr)
            np.subtract(arr, self._mean_np.astype(arr.dtype), out=out)
            np.divide(out, self._std_np.astype(arr.dtype), out=out)
            return image if self.inplace else torch.from_numpy(out)
        mean = self.mean.to(image.device, image.dtype)
        std = self.std.to(image.device, image.dtype)
        if self.inplace:
            return image.sub_(mean).div_(std)
        return (image - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.flatten().tolist()}, std={self.std.flatten().tolist()})"


# --------------------------------------------------------------------------------------------------------------------
# Colour
# --------------------------------------------------------------------------------------------------------------------

_GRAY_WEIGHTS = (0.299, 0.587, 0.114)


class ToGrayscale(TransformBase):
    """With probability ``probability`` replace an RGB image by its luminance, replicated to 3 channels."""

    def __init__(self, probability: float = 0.5, seed: int | None = None) -> None:
        super().__init__(seed)
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"ToGrayscale: probability must be in [0, 1], got {probability}")
        self.probability = probability

    def roll(self, rng: np.random.Generator) -> tuple:
        return (bool(rng.random() < self.probability),)

    def transform_image(self, image: Any, do_gray: bool) -> Any:
        if not do_gray:
            return image
        if isinstance(image, torch.Tensor):
            w = torch.tensor(_GRAY_WEIGHTS, dtype=torch.float32, device=image.device).view(3, 1, 1)
            gray = (image.float() * w).sum(dim=0, keepdim=True)
            if not image.is_floating_point():
                gray = gray.round_().clamp_(0, 255)
            return gray.to(image.dtype).expand(3, -1, -1).contiguous()
        if image.dtype == np.uint8 or image.dtype == np.float32:
            gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        else:
            gray = (image.astype(np.float64) @ np.asarray(_GRAY_WEIGHTS)).astype(image.dtype)
        return cv2.merge([gray, gray, gray])

    def __repr__(self) -> str:
        return f"ToGrayscale(probability={self.probability})"


class ToBGR(TransformBase):
    """Reverse the channel order (RGB -> BGR), for networks trained on BGR input."""

    def transform_image(self, image: Any) -> Any:
        if isinstance(image, torch.Tensor):
            return image.flip(0)
        return np.ascontiguousarray(image[:, :, ::-1])


# --------------------------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------------------------


def _hflip_image(image: Any) -> Any:
    if isinstance(image, torch.Tensor):
        return image.flip(-1)
    return cv2.flip(image, 1) if image.ndim == 2 or image.shape[2] <= 4 else np.ascontiguousarray(image[:, ::-1])


class RandomHorizontalFlip(TransformBase):
    """Mirror left-right with probability ``probability`` (``x -> W - x`` for coordinates)."""

    geometric = True

    def __init__(self, probability: float = 0.5, seed: int | None = None) -> None:
        super().__init__(seed)
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: probability must be in [0, 1], got {probability}")
        self.probability = probability

    def roll(self, rng: np.random.Generator) -> tuple:
        return (bool(rng.random() < self.probability),)

    def transform_image(self, image: Any, do_flip: bool) -> Any:
        return _hflip_image(image) if do_flip else image

    def transform_coords(self, coords: torch.Tensor, image_hw: tuple[int, int], do_flip: bool) -> torch.Tensor:
        if not do_flip:
            return coords
        out = coords.clone()
        out[..., 0] = image_hw[1] - coords[..., 0]
        return out

    def transform_mask(self, mask: Any, do_flip: bool) -> Any:
        return _hflip_image(mask) if do_flip else mask

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(probability={self.probability})"


def _gauss_kernel(sigma: float) -> tuple[int, np.ndarray]:
    radius = max(1, math.ceil(3.0 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return 2 * radius + 1, (k / k.sum()).astype(np.float32)


def _gaussian_blur(image: Any, sigma: tuple[float, float]) -> Any:
    """Separable Gaussian blur with replicated borders; sigma = (sigma_y, sigma_x); zero sigma skips that axis."""
    sy, sx = sigma
    if isinstance(image, torch.Tensor):
        out = image.float()
        squeeze = out.dim() == 2
        x = out.reshape(1, -1, *out.shape[-2:]) if not squeeze else out[None, None]
        c = x.shape[1]
        if sx > 0:
            size, k = _gauss_kernel(sx)
            w = torch.from_numpy(k).to(x.device).view(1, 1, 1, size).expand(c, 1, 1, size)
            x = torch.nn.functional.pad(x, (size // 2, size // 2, 0, 0), mode="replicate")
            x = torch.nn.functional.conv2d(x, w, groups=c)
        if sy > 0:
            size, k = _gauss_kernel(sy)
            w = torch.from_numpy(k).to(x.device).view(1, 1, size, 1).expand(c, 1, size, 1)
            x = torch.nn.functional.pad(x, (0, 0, size // 2, size // 2), mode="replicate")
            x = torch.nn.functional.conv2d(x, w, groups=c)
        x = x.reshape(out.shape)
        return x if image.is_floating_point() else x.round_().clamp_(0, 255).to(image.dtype)
    kx = _gauss_kernel(sx)[1] if sx > 0 else np.ones(1, np.float32)
    ky = _gauss_kernel(sy)[1] if sy > 0 else np.ones(1, np.float32)
    return cv2.sepFilter2D(image, -1, kx, ky, borderType=cv2.BORDER_REPLICATE)


def _sigma_pair(sigma: float | Sequence[float], name: str) -> tuple[float, float]:
    pair = (float(sigma), float(sigma)) if isinstance(sigma, (int, float)) else tuple(float(s) for s in sigma)
    if len(pair) != 2 or min(pair) < 0:
        raise ValueError(f"{name}: sigma must be a non-negative number or (sigma_y, sigma_x), got {sigma}")
    return pair  # type: ignore[return-value]


class Blur(TransformBase):
    """Gaussian blur with a fixed ``sigma`` (number, or ``(sigma_y, sigma_x)``); masks and boxes unchanged."""

    def __init__(self, sigma: float | Sequence[float]) -> None:
        super().__init__()
        self.sigma = _sigma_pair(sigma, "Blur")

    def transform_image(self, image: Any) -> Any:
        return _gaussian_blur(image, self.sigma)

    def __repr__(self) -> str:
        return f"Blur(sigma={self.sigma})"


class RandomBlur(TransformBase):
    """With probability ``probability`` blur; ``sigma`` is fixed (number) or drawn uniformly from ``(low, high)``."""

    def __init__(self, sigma: float | Sequence[float], probability: float = 0.1, seed: int | None = None) -> None:
        super().__init__(seed)
        if isinstance(sigma, (int, float)):
            self.sigma_range = (float(sigma), float(sigma))
        else:
            self.sigma_range = (float(sigma[0]), float(sigma[1]))
        if self.sigma_range[0] < 0 or self.sigma_range[1] < self.sigma_range[0]:
            raise ValueError(f"RandomBlur: sigma must be >= 0 or a (low, high) range, got {sigma}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"RandomBlur: probability must be in [0, 1], got {probability}")
        self.probability = probability

    def roll(self, rng: np.random.Generator) -> tuple:
        do_blur = bool(rng.random() < self.probability)
        sigma = float(rng.uniform(*self.sigma_range)) if do_blur else 0.0
        return (do_blur, sigma)

    def transform_image(self, image: Any, do_blur: bool, sigma: float) -> Any:
        return _gaussian_blur(image, (sigma, sigma)) if do_blur and sigma > 0 else image

    def __repr__(self) -> str:
        return f"RandomBlur(sigma={self.sigma_range}, probability={self.probability})"


class RandomAffine(TransformBase):
    """Random flip, rotation (degrees, counter-clockwise on screen), shear, scale and aspect change about the centre.

    ``scale = exp(U(-max_scale, max_scale))``, aspect ``a = exp(U(-max_ar_factor, max_ar_factor))`` gives x/y scales
    ``(scale·a, scale/a)``; shears are ``U(-max_shear, max_shear)`` per axis. The output is ``pad_amount`` pixels larger
    on every side; uncovered pixels follow ``border_mode`` ('constant' zero, 'replicate' or 'reflect'). Masks are
    resampled bilinearly with zero border, so threshold them if a binary mask is needed.
    """

    geometric = True

    def __init__(
        self,
        p_flip: float = 0.0,
        max_rotation: float = 0.0,
        max_shear: float = 0.0,
        max_scale: float = 0.0,
        max_ar_factor: float = 0.0,
        border_mode: str = "constant",
        pad_amount: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if border_mode not in _BORDER_MODES:
            raise ValueError(f"RandomAffine: border_mode must be one of {sorted(_BORDER_MODES)}, got {border_mode!r}")
        if not 0.0 <= p_flip <= 1.0:
            raise ValueError(f"RandomAffine: p_flip must be in [0, 1], got {p_flip}")
        if min(max_rotation, max_shear, max_scale, max_ar_factor) < 0 or pad_amount < 0:
            raise ValueError("RandomAffine: max_* ranges and pad_amount must be non-negative")
        self.p_flip = p_flip
        self.max_rotation = max_rotation
        self.max_shear = max_shear
        self.max_scale = max_scale
        self.max_ar_factor = max_ar_factor
        self.border_mode = border_mode
        self.pad_amount = int(pad_amount)

    def roll(self, rng: np.random.Generator) -> tuple:
        do_flip = bool(rng.random() < self.p_flip)
        theta = float(rng.uniform(-self.max_rotation, self.max_rotation))
        shear = tuple(float(v) for v in rng.uniform(-self.max_shear, self.max_shear, size=2))
        ar = math.exp(rng.uniform(-self.max_ar_factor, self.max_ar_factor))
        scale = math.exp(rng.uniform(-self.max_scale, self.max_scale))
        return (do_flip, theta, shear, (scale * ar, scale / ar))

    def matrix(self, image_hw: tuple[int, int], do_flip: bool, theta: float, shear: tuple, scale: tuple) -> np.ndarray:
        """2x3 forward affine matrix in continuous pixel coordinates (see module docstring)."""
        h, w = image_hw
        cx, cy = w / 2.0, h / 2.0
        t_in = np.array([[1.0, 0.0, -cx], [0.0, 1.0, -cy], [0.0, 0.0, 1.0]])
        flip = np.diag([-1.0 if do_flip else 1.0, 1.0, 1.0])
        scl = np.diag([scale[0], scale[1], 1.0])
        shr = np.array([[1.0, shear[0], 0.0], [shear[1], 1.0, 0.0], [0.0, 0.0, 1.0]])
        a = math.radians(theta)
        rot = np.array([[math.cos(a), math.sin(a), 0.0], [-math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
        p = self.pad_amount
        t_out = np.array([[1.0, 0.0, cx + p], [0.0, 1.0, cy + p], [0.0, 0.0, 1.0]])
        return (t_out @ rot @ shr @ scl @ flip @ t_in)[:2]

    def _warp(self, image: np.ndarray, params: tuple, interp: int, border: int) -> np.ndarray:
        h, w = image.shape[:2]
        m = self.matrix((h, w), *params)
        # cv2 addresses pixel centres by integer index; shift the continuous-coordinate matrix accordingly.
        m_idx = m.copy()
        m_idx[:, 2] = m[:, :2] @ np.array([0.5, 0.5]) + m[:, 2] - 0.5
        size = (w + 2 * self.pad_amount, h + 2 * self.pad_amount)
        return cv2.warpAffine(image, m_idx, size, flags=interp, borderMode=border, borderValue=0)

    def transform_image(self, image: Any, *params: Any) -> Any:
        if isinstance(image, torch.Tensor):
            arr = image.permute(1, 2, 0).contiguous().cpu().numpy() if image.dim() == 3 else image.cpu().numpy()
            out = self._warp(arr, params, cv2.INTER_LINEAR, _BORDER_MODES[self.border_mode])
            out_t = torch.from_numpy(out)
            if out_t.dim() == 3:
                out_t = out_t.permute(2, 0, 1)
            elif image.dim() == 3:
                out_t = out_t[None]
            return out_t.contiguous().to(image.device)
        return self._warp(image, params, cv2.INTER_LINEAR, _BORDER_MODES[self.border_mode])

    def transform_coords(self, coords: torch.Tensor, image_hw: tuple[int, int], *params: Any) -> torch.Tensor:
        m = torch.from_numpy(self.matrix(image_hw, *params)).to(coords.device, torch.float64)
        c = coords.to(torch.float64)
        out = c @ m[:, :2].T + m[:, 2]
        return out.to(coords.dtype)

    def transform_mask(self, mask: Any, *params: Any) -> Any:
        arr = mask.cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)
        out = self._warp(arr.astype(np.float32), params, cv2.INTER_LINEAR, cv2.BORDER_CONSTANT)
        if arr.dtype == np.bool_:
            out = out >= 0.5
        elif np.issubdtype(arr.dtype, np.integer):
            out = np.rint(out).astype(arr.dtype)
        else:
            out = out.astype(arr.dtype, copy=False)
        return torch.from_numpy(out).to(mask.device) if isinstance(mask, torch.Tensor) else out

    def __repr__(self) -> str:
        return (
            f"RandomAffine(p_flip={self.p_flip}, max_rotation={self.max_rotation}, max_shear={self.max_shear}, "
            f"max_scale={self.max_scale}, max_ar_factor={self.max_ar_factor}, border_mode={self.border_mode!r}, "
            f"pad_amount={self.pad_amount})"
        )
