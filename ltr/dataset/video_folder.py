"""Generic reader for users' own videos: ``root/<seq>/<frames>`` plus ``root/<seq>/groundtruth.txt``.

Frames are the image files of the sequence folder (or of its ``img/`` subfolder if it has one), in natural order
(``frame2.jpg`` before ``frame10.jpg``). ``groundtruth.txt`` holds one ``x,y,w,h`` box per frame with any delimiter
(comma, tab, space, semicolon); NaN or non-positive boxes mark frames without a usable target. A sequence may have
more frames than boxes (only the annotated prefix is used) but not fewer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ltr.dataset.base_video_dataset import (
    BaseVideoDataset,
    ImageLoader,
    PathLike,
    make_object_meta,
    natural_key,
    read_text_table,
    select_fraction,
    sequence_info_from_boxes,
)

__all__ = ["VideoFolder", "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


class VideoFolder(BaseVideoDataset):
    """Every sub-folder of ``root`` with a ground-truth file is a sequence.

    Args:
        root: folder of sequence folders.
        image_loader: image decoder.
        groundtruth_name: name of the box file inside each sequence folder.
        data_fraction: keep a deterministic fraction of the sequences.
        seed: seed of the ``data_fraction`` selection.
        name: dataset name.
    """

    def __init__(
        self,
        root: PathLike,
        image_loader: ImageLoader | None = None,
        groundtruth_name: str = "groundtruth.txt",
        data_fraction: float | None = None,
        seed: int = 0,
        name: str = "video_folder",
    ) -> None:
        super().__init__(name, root, image_loader)
        self._require_root_dir("video folder")
        self.groundtruth_name = groundtruth_name
        names = sorted(
            (e for e in os.listdir(self.root) if (self.root / e / groundtruth_name).is_file()), key=natural_key
        )
        if not names:
            raise FileNotFoundError(f"no sequence folders with '{groundtruth_name}' under '{self.root}'")
        self.sequence_list = select_fraction(names, data_fraction, seed)
        self._frames: dict[int, list[Path]] = {}

    def _frame_files(self, seq_id: int) -> list[Path]:
        if seq_id not in self._frames:
            seq_dir = self.root / self.sequence_list[seq_id]
            img_dir = seq_dir / "img" if (seq_dir / "img").is_dir() else seq_dir
            files = sorted((f for f in os.listdir(img_dir) if f.lower().endswith(IMAGE_EXTENSIONS)), key=natural_key)
            self._frames[seq_id] = [img_dir / f for f in files]
        return self._frames[seq_id]

    def _read_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        gt_path = self.root / self.sequence_list[seq_id] / self.groundtruth_name
        bbox = read_text_table(gt_path, num_cols=4)
        frames = self._frame_files(seq_id)
        if len(frames) < bbox.shape[0]:
            raise ValueError(
                f"'{gt_path}' has {bbox.shape[0]} boxes but only {len(frames)} image files were found next to it"
            )
        return sequence_info_from_boxes(bbox)

    def _frame_path(self, seq_id: int, frame_id: int) -> Path:
        return self._frame_files(seq_id)[frame_id]

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        return make_object_meta()
