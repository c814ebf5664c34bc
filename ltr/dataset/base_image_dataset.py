"""Still-image datasets (COCO, synthetic stills) seen both as images and as one-frame sequences.

Image sets are useful for training trackers because they add object diversity; the sampler treats each image as a
"sequence" whose only frame is repeated for the train and test samples. This base implements the sequence contract of
:class:`BaseVideoDataset` on top of a simpler per-image API (:meth:`get_image_info`, :meth:`get_image`), so an image
reader only implements the latter and can be mixed with video readers unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from ltr.dataset.base_video_dataset import BaseVideoDataset, ImageLoader, PathLike

__all__ = ["BaseImageDataset"]


class BaseImageDataset(BaseVideoDataset):
    """Base for datasets whose items are single annotated images (one object box per item).

    Subclasses implement :meth:`_read_image_info` (returning ``bbox`` [4] and optionally ``visible``) and
    :meth:`_image_path` (or override :meth:`_load_image`). ``sequence_list`` holds one entry per item.
    """

    def __init__(self, name: str, root: PathLike | None, image_loader: ImageLoader | None = None) -> None:
        super().__init__(name, root, image_loader)

    def is_video_sequence(self) -> bool:
        return False

    # ---------------------------------------------------------------------------------------------- image API
    def get_num_images(self) -> int:
        return self.get_num_sequences()

    def get_image_info(self, image_id: int) -> dict[str, torch.Tensor]:
        """``bbox`` [4] xywh float32, ``valid`` and ``visible`` scalar bool tensors."""
        info = self.get_sequence_info(image_id)
        return {k: v[0] for k, v in info.items()}

    def get_image(
        self, image_id: int, anno: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any], dict[str, Any]]:
        """``(HxWx3 uint8 RGB image, annotation of the image, object_meta)``."""
        image_id = self._check_seq_id(image_id)
        if anno is None:
            anno = self.get_image_info(image_id)
        return self._load_image(image_id), anno, self.get_object_meta(image_id)

    def _read_image_info(self, image_id: int) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def _image_path(self, image_id: int):
        raise NotImplementedError

    def _load_image(self, image_id: int) -> np.ndarray:
        return self.image_loader(self._image_path(image_id))

    # ---------------------------------------------------------------------------------------------- sequence API
    def _read_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        info = self._read_image_info(seq_id)
        return {k: torch.as_tensor(v).unsqueeze(0) for k, v in info.items()}

    def _load_frame(self, seq_id: int, frame_id: int) -> np.ndarray:
        return self._load_image(seq_id)

    def get_frames(
        self, seq_id: int, frame_ids: Iterable[int], anno: dict[str, Any] | None = None
    ) -> tuple[list[np.ndarray], dict[str, list[Any]], dict[str, Any]]:
        """Like :meth:`BaseVideoDataset.get_frames`; every frame id must be 0 and the image is repeated per id."""
        return super().get_frames(seq_id, frame_ids, anno)
