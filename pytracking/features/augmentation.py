"""First-frame data augmentation for online-learned classifiers.

Why: the classifier is trained from a single frame, so the tracker synthesises extra views of that frame (shifts,
flip, blur, rotations). Each transform takes one enlarged patch ``[1, C, H, W]`` and crops its result to
``output_sz`` around the patch centre; an integer ``shift = (rows, cols)`` moves the crop window so that the content
appears displaced by ``+shift`` in the output (the label of that sample is shifted by the same amount).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["Blur", "FlipHorizontal", "Identity", "Rotate", "Scale", "Transform", "Translation"]


class Transform:
    """Base class: crop/pad an image to ``output_sz`` (replicating borders) with an integer ``shift``."""

    def __init__(self, output_sz: Sequence[int] | None = None, shift: Sequence[int] | None = None) -> None:
        self.output_sz = None if output_sz is None else (int(output_sz[0]), int(output_sz[1]))
        self.shift = (0, 0) if shift is None else (int(shift[0]), int(shift[1]))

    def _pads(self, h: int, w: int) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) padding (negative = cropping) that takes an ``h x w`` image to the output."""
        pad_h = 0.0 if self.output_sz is None else (self.output_sz[0] - h) / 2
        pad_w = 0.0 if self.output_sz is None else (self.output_sz[1] - w) / 2
        return (math.floor(pad_h) + self.shift[0], math.ceil(pad_h) - self.shift[0],
                math.floor(pad_w) + self.shift[1], math.ceil(pad_w) - self.shift[1])

    def crop_to_output(self, image: torch.Tensor) -> torch.Tensor:
        """Centre crop (or replicate-pad) ``image [N, C, H, W]`` to ``output_sz``, window moved by ``-shift``."""
        top, bottom, left, right = self._pads(*image.shape[-2:])
        h, w = image.shape[-2:]
        if max(top, bottom, left, right) <= 0:
            return image[..., -top:h + bottom, -left:w + right]  # pure crop: a view, no padding needed
        return F.pad(image, (left, right, top, bottom), mode="replicate")

    def transform(self, image: torch.Tensor) -> torch.Tensor:
        """The geometric/photometric change before cropping (identity here)."""
        return image

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.crop_to_output(self.transform(image))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(output_sz={self.output_sz}, shift={self.shift})"


class Identity(Transform):
    """No change: the centre crop of the enlarged patch (shifted by ``shift``)."""


class Translation(Transform):
    """A pure translation of the content by ``translation = (rows, cols)`` pixels."""

    def __init__(self, translation: Sequence[int], output_sz: Sequence[int] | None = None) -> None:
        super().__init__(output_sz, translation)


class FlipHorizontal(Transform):
    """Mirror left-right about the patch centre."""

    def transform(self, image: torch.Tensor) -> torch.Tensor:
        return image.flip(-1)


class Scale(Transform):
    """Zoom by ``scale_factor`` (> 1 magnifies) via bilinear resizing of a square patch."""

    def __init__(self, scale_factor: float, output_sz: Sequence[int] | None = None,
                 shift: Sequence[int] | None = None) -> None:
        super().__init__(output_sz, shift)
        self.scale_factor = float(scale_factor)

    def transform(self, image: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[-2:]
        if h != w:
            raise ValueError(f"Scale augmentation needs a square patch, got {h}x{w}")
        # Keep the size parity of the original so that centre cropping stays symmetric.
        h_new = round(h / self.scale_factor)
        h_new += (h_new - h) % 2
        w_new = round(w / self.scale_factor)
        w_new += (w_new - w) % 2
        return F.interpolate(image, size=(h_new, w_new), mode="bilinear", align_corners=False)


class Rotate(Transform):
    """Rotate by ``angle`` degrees (counter-clockwise on screen) about the patch centre, borders replicated.

    Uses OpenCV's bilinear ``warpAffine`` (as the published tracker did) so the samples match it.
    """

    def __init__(self, angle: float, output_sz: Sequence[int] | None = None,
                 shift: Sequence[int] | None = None) -> None:
        super().__init__(output_sz, shift)
        self.angle = float(angle)

    def transform(self, image: torch.Tensor) -> torch.Tensor:
        if image.dim() != 4 or image.shape[0] != 1:
            raise ValueError(f"Rotate expects one image [1, C, H, W], got shape {tuple(image.shape)}")
        h, w = image.shape[-2:]
        arr = np.ascontiguousarray(image[0].detach().permute(1, 2, 0).to("cpu", torch.float32).numpy())
        centre = ((w - 1) / 2, (h - 1) / 2)
        mat = cv2.getRotationMatrix2D(centre, self.angle, 1.0)
        out = cv2.warpAffine(arr, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if out.ndim == 2:
            out = out[:, :, None]
        return torch.from_numpy(out).permute(2, 0, 1).unsqueeze(0).to(image.device, image.dtype)


class Blur(Transform):
    """Separable Gaussian blur with standard deviation ``sigma`` (one value or ``(rows, cols)``).

    The kernel radius is ``ceil(2 sigma)`` and the kernel is normalised to sum 1; the convolution zero-pads, which only
    affects a border that the crop to ``output_sz`` removes.
    """

    def __init__(self, sigma: float | Sequence[float], output_sz: Sequence[int] | None = None,
                 shift: Sequence[int] | None = None) -> None:
        super().__init__(output_sz, shift)
        if isinstance(sigma, (int, float)):
            sigma = (sigma, sigma)
        self.sigma = (float(sigma[0]), float(sigma[1]))
        self.radius = tuple(math.ceil(2 * s) for s in self.sigma)
        kernels = []
        for r, s in zip(self.radius, self.sigma, strict=True):
            x = torch.arange(-r, r + 1, dtype=torch.float32)
            k = torch.exp(-(x ** 2) / (2 * s ** 2))
            kernels.append(k / k.sum())
        self.kernel_rows = kernels[0].reshape(1, 1, -1, 1)
        self.kernel_cols = kernels[1].reshape(1, 1, 1, -1)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        # Only the output window and a kernel radius around it influence the result: blur just that part. Where the
        # window plus radius reaches the image border, the crop ends there and the zero padding is the same as for
        # the whole image, so the output is identical.
        top, bottom, left, right = self._pads(*image.shape[-2:])
        if max(top, bottom, left, right) > 0:
            return super().__call__(image)
        h, w = image.shape[-2:]
        r0, r1, c0, c1 = -top, h + bottom, -left, w + right
        m0, m1 = max(r0 - self.radius[0], 0), min(r1 + self.radius[0], h)
        n0, n1 = max(c0 - self.radius[1], 0), min(c1 + self.radius[1], w)
        blurred = self.transform(image[..., m0:m1, n0:n1])
        return blurred[..., r0 - m0:r1 - m0, c0 - n0:c1 - n0]

    def transform(self, image: torch.Tensor) -> torch.Tensor:
        n, c, h, w = image.shape
        x = image.reshape(n * c, 1, h, w)
        x = F.conv2d(x, self.kernel_rows.to(x), padding=(self.radius[0], 0))
        x = F.conv2d(x, self.kernel_cols.to(x), padding=(0, self.radius[1]))
        return x.reshape(n, c, h, w)
