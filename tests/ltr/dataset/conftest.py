"""Helpers for building tiny exact-format dataset fixtures in tmp_path."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest


def write_solid_image(path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (24, 32)) -> Path:
    """Write a solid-colour image (format from the suffix); solid colours survive JPEG almost exactly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((size[0], size[1], 3), dtype=np.uint8)
    img[:] = rgb
    ext = ".jpg" if path.suffix.lower() in (".jpeg", ".jpg") else path.suffix
    ok, enc = cv2.imencode(ext, cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 100])
    assert ok
    path.write_bytes(enc.tobytes())
    return path


def frame_colour(index: int) -> tuple[int, int, int]:
    """A colour that encodes a frame index (so tests can tell which file was loaded)."""
    return (10 * (index % 25) + 5, 200 - 7 * (index % 25), 60)


def colour_index(image: np.ndarray) -> int:
    """Inverse of :func:`frame_colour` for a decoded (nearly) solid image."""
    r = float(image[..., 0].mean())
    return int(round((r - 5) / 10))


@pytest.fixture
def imgfx() -> SimpleNamespace:
    """``write(path, rgb)``, ``colour(i)`` and ``index(image)`` helpers for fixture frames."""
    return SimpleNamespace(write=write_solid_image, colour=frame_colour, index=colour_index)
