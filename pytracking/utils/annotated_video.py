"""Write tracking results as an MP4 a person can watch: predicted box red, ground truth green, frame number.

Why a small writer of its own: the demo and ``run_video.py --save-video`` both need it, OpenCV's ``VideoWriter``
reports failure only through ``isOpened()`` (an unwritable path or missing codec otherwise yields a silent empty
file), and a half-written video must never replace a good one: frames go to a temporary file beside the target,
which is renamed over it only after the writer closed cleanly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

__all__ = ["AnnotatedVideoWriter", "draw_annotations", "count_frames", "PRED_COLOR_BGR", "GT_COLOR_BGR"]

PRED_COLOR_BGR = (0, 0, 255)  # red
GT_COLOR_BGR = (0, 255, 0)  # green


def _rect(img: np.ndarray, box: Sequence[float] | None, color: tuple[int, int, int], thickness: int) -> None:
    if box is None:
        return
    x, y, w, h = (float(v) for v in box)
    if not all(np.isfinite([x, y, w, h])) or w <= 0 or h <= 0:
        return
    cv2.rectangle(img, (round(x), round(y)), (round(x + w - 1), round(y + h - 1)), color, thickness)


def draw_annotations(rgb: np.ndarray, pred: Sequence[float] | None, gt: Sequence[float] | None,
                     frame_number: int) -> np.ndarray:
    """BGR copy of the RGB ``rgb`` frame with the ground truth (green), the prediction (red, drawn on top) and
    ``frame_number`` in the top-left corner. Boxes are ``[x, y, w, h]`` pixels; invalid ones are not drawn."""
    bgr = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
    thickness = max(2, round(min(bgr.shape[:2]) / 240))
    _rect(bgr, gt, GT_COLOR_BGR, thickness)
    _rect(bgr, pred, PRED_COLOR_BGR, thickness)
    scale = max(0.5, min(bgr.shape[:2]) / 480)
    text = f"#{frame_number}"
    org = (8, 8 + round(22 * scale))
    cv2.putText(bgr, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), round(4 * scale), cv2.LINE_AA)
    cv2.putText(bgr, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), max(1, round(1.5 * scale)),
                cv2.LINE_AA)
    return bgr


class AnnotatedVideoWriter:
    """``with AnnotatedVideoWriter(path, fps) as w: w.write(rgb, pred, gt, n)``; MP4 (``mp4v``) at ``path``.

    The frame size is taken from the first frame; later frames of another size are an error. The file appears at
    ``path`` only when the block ends without an exception.
    """

    def __init__(self, path: str | os.PathLike, fps: float = 25.0) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise ValueError(f"video output {self.path}: the file name must end in .mp4")
        self.fps = float(fps) if fps and np.isfinite(fps) and fps > 0 else 25.0
        self.tmp = self.path.with_name(f".{self.path.stem}.partial.mp4")
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None
        self.frames = 0

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def write(self, rgb: np.ndarray, pred: Sequence[float] | None = None, gt: Sequence[float] | None = None,
              frame_number: int | None = None) -> None:
        bgr = draw_annotations(rgb, pred, gt, self.frames + 1 if frame_number is None else frame_number)
        size = (bgr.shape[1], bgr.shape[0])
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, size)
            if not self._writer.isOpened():
                self._writer = None
                raise OSError(f"OpenCV cannot write an mp4v video at {self.tmp} (folder not writable, or OpenCV "
                              f"built without an MP4 encoder)")
            self._size = size
        elif size != self._size:
            raise ValueError(f"video {self.path}: frame {self.frames + 1} is {size[0]}x{size[1]}, the first was "
                             f"{self._size[0]}x{self._size[1]}")
        self._writer.write(bgr)
        self.frames += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._writer is not None:
            self._writer.release()
        if exc_type is None and self.frames > 0:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def count_frames(path: str | os.PathLike) -> int:
    """Number of frames OpenCV decodes from the video at ``path`` (reads them all; 0 when it cannot be opened)."""
    cap = cv2.VideoCapture(str(path))
    n = 0
    try:
        while cap.isOpened():
            ok, _ = cap.read()
            if not ok:
                break
            n += 1
    finally:
        cap.release()
    return n
