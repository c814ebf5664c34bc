"""Builders for small on-disk folder datasets used by the evaluation tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def make_sequence(root: Path, name: str, num_frames: int, first_rgb: tuple[int, int, int], box=(10, 12, 20, 16)):
    """``root/name/img/0001.png...`` (32x48 frames, top-left pixel of frame 0 = ``first_rgb``) + groundtruth.txt."""
    img_dir = root / name / "img"
    img_dir.mkdir(parents=True)
    for i in range(num_frames):
        rgb = np.full((32, 48, 3), 40 + i, dtype=np.uint8)
        if i == 0:
            rgb[0, 0] = first_rgb
        cv2.imwrite(str(img_dir / f"{i + 1:04d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    x, y, w, h = box
    lines = [f"{x + i},{y},{w},{h}" for i in range(num_frames)]
    (root / name / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    return root / name


def make_folder_dataset(root: Path, bad: tuple[str, ...] = ()) -> Path:
    """Four sequences seq_a..seq_d (5, 4, 6, 3 frames); those named in ``bad`` start with a pure blue pixel."""
    root.mkdir(parents=True, exist_ok=True)
    for name, n in (("seq_a", 5), ("seq_b", 4), ("seq_c", 6), ("seq_d", 3)):
        make_sequence(root, name, n, (0, 0, 255) if name in bad else (255, 0, 0))
    return root
