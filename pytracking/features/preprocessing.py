"""Image-to-tensor conversion and the search-region crop (``sample_patch``) used by every tracker.

Why the integer arithmetic: the published ATOM results were produced with integer crop extents (centre truncated to
an integer pixel, rows ``[c - (s-1)//2, c + s//2 + 1)``). A later change to true division made even-sized crops one
pixel wider and shifted the sample; we keep the integer semantics so results match the published tracker.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["numpy_to_torch", "sample_patch", "sample_patch_multiscale", "torch_to_numpy"]

SizeLike = torch.Tensor | Sequence[float]


def numpy_to_torch(a: np.ndarray) -> torch.Tensor:
    """HxWx3 image (any numeric dtype) -> float32 tensor ``[1, 3, H, W]`` with the same values (0-255 for uint8)."""
    if a.ndim != 3:
        raise ValueError(f"numpy_to_torch expects an HxWxC image, got shape {a.shape}")
    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1).unsqueeze(0).float()


def torch_to_numpy(a: torch.Tensor) -> np.ndarray:
    """``[1, C, H, W]`` or ``[C, H, W]`` tensor -> HxWxC float numpy array (on the CPU)."""
    if a.dim() == 4:
        if a.shape[0] != 1:
            raise ValueError(f"torch_to_numpy expects a single image, got batch of {a.shape[0]}")
        a = a[0]
    return a.detach().permute(1, 2, 0).cpu().numpy()


def _pair(v: SizeLike, name: str) -> tuple[float, float]:
    t = torch.as_tensor(v, dtype=torch.float64).reshape(-1)
    if t.numel() == 1:
        t = t.repeat(2)
    if t.numel() != 2:
        raise ValueError(f"{name} must have 2 values (rows, cols), got {t.numel()}")
    return float(t[0]), float(t[1])


def _crop_indices(start: int, stop: int, size: int, device: torch.device) -> torch.Tensor | slice:
    """Row/column selector for ``[start, stop)``; indices outside ``[0, size)`` are clamped (replicate border)."""
    if start >= 0 and stop <= size:
        return slice(start, stop)
    return torch.arange(start, stop, device=device).clamp_(0, size - 1)


def sample_patch(im: torch.Tensor, pos: SizeLike, sample_sz: SizeLike, output_sz: SizeLike | None = None,
                 mode: str = "replicate") -> tuple[torch.Tensor, torch.Tensor]:
    """Crop a ``sample_sz`` region centred at ``pos`` and resize it to ``output_sz``.

    Args:
        im: image ``[1, C, H, W]`` (float, any device).
        pos: centre ``[row, col]`` in pixels; truncated towards zero to an integer pixel.
        sample_sz: crop size ``[rows, cols]`` in image pixels (float allowed).
        output_sz: ``[rows, cols]`` of the result; ``None`` keeps the crop size.
        mode: ``'replicate'`` (edge pixels repeated outside the image) or ``'constant'`` (zeros).

    Returns:
        ``(patch [1, C, out_h, out_w], coords [1, 4])`` with ``coords = [top, left, bottom, right)`` of the crop in
        image pixels (exclusive bottom/right, scaled by the pre-decimation factor, as the published tracker did).

    The crop is first decimated by the integer factor ``df = max(int(min(sample_sz / output_sz) - 0.1), 1)`` (strided
    subsampling, which keeps large crops cheap), then resized bilinearly (``align_corners=False``).
    """
    if im.dim() != 4:
        raise ValueError(f"sample_patch expects an image [1, C, H, W], got shape {tuple(im.shape)}")
    if mode not in ("replicate", "constant"):
        raise ValueError(f"sample_patch mode must be 'replicate' or 'constant', got {mode!r}")
    py, px = _pair(pos, "pos")
    sy, sx = _pair(sample_sz, "sample_sz")
    posl = [int(py), int(px)]  # int() truncates towards zero, as the published tracker's .long() did

    df = 1
    out_hw: tuple[int, int] | None = None
    if output_sz is not None:
        oy, ox = _pair(output_sz, "output_sz")
        out_hw = (int(oy), int(ox))
        df = max(int(min(sy / oy, sx / ox) - 0.1), 1)

    im2 = im
    if df > 1:
        offset = [p % df for p in posl]  # Python modulo: non-negative, as torch's remainder
        posl = [(p - o) // df for p, o in zip(posl, offset, strict=True)]
        im2 = im[..., offset[0]::df, offset[1]::df]

    szl = [max(round(sy / df), 2), max(round(sx / df), 2)]
    tl = [p - (s - 1) // 2 for p, s in zip(posl, szl, strict=True)]
    br = [p + s // 2 + 1 for p, s in zip(posl, szl, strict=True)]

    h, w = im2.shape[-2:]
    if mode == "constant":
        patch = F.pad(im2, (-tl[1], br[1] - w, -tl[0], br[0] - h), mode="constant", value=0.0)
    else:
        rows = _crop_indices(tl[0], br[0], h, im.device)
        cols = _crop_indices(tl[1], br[1], w, im.device)
        patch = im2[..., rows, :] if isinstance(rows, slice) else im2.index_select(-2, rows)
        patch = patch[..., cols] if isinstance(cols, slice) else patch.index_select(-1, cols)

    coords = df * torch.tensor([tl + br], dtype=torch.float32)
    if out_hw is None or tuple(patch.shape[-2:]) == out_hw:
        return patch.clone(), coords
    return F.interpolate(patch, size=out_hw, mode="bilinear", align_corners=False), coords


def sample_patch_multiscale(im: torch.Tensor, pos: SizeLike, scales: Sequence[float] | torch.Tensor,
                            image_sz: SizeLike, mode: str = "replicate") -> tuple[torch.Tensor, torch.Tensor]:
    """One :func:`sample_patch` per scale (crop ``scale * image_sz`` resized to ``image_sz``), concatenated.

    Returns ``(patches [S, C, h, w], coords [S, 4])``.
    """
    sy, sx = _pair(image_sz, "image_sz")
    scales_list = [float(s) for s in torch.as_tensor(scales).reshape(-1)]
    out = [sample_patch(im, pos, (s * sy, s * sx), (sy, sx), mode=mode) for s in scales_list]
    return torch.cat([p for p, _ in out]), torch.cat([c for _, c in out])
