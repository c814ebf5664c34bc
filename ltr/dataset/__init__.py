"""Training dataset readers (one module per benchmark) behind a common sequence contract.

Names are exported lazily (module ``__getattr__``): ``import ltr.dataset`` imports nothing heavy, and a reader's
module, with any optional dependency it needs, is imported only when that reader is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "BaseVideoDataset": "base_video_dataset",
    "BaseImageDataset": "base_image_dataset",
    "Lasot": "lasot",
    "Got10k": "got10k",
    "TrackingNet": "trackingnet",
    "MSCOCOSeq": "coco_seq",
    "ImagenetVID": "imagenetvid",
    "SyntheticVideo": "synthetic",
    "SyntheticImages": "synthetic",
    "VideoFolder": "video_folder",
}

__all__ = [
    "BaseImageDataset",
    "BaseVideoDataset",
    "Got10k",
    "ImagenetVID",
    "Lasot",
    "MSCOCOSeq",
    "SyntheticImages",
    "SyntheticVideo",
    "TrackingNet",
    "VideoFolder",
]

if TYPE_CHECKING:  # pragma: no cover - static analysers only
    from ltr.dataset.base_image_dataset import BaseImageDataset
    from ltr.dataset.base_video_dataset import BaseVideoDataset
    from ltr.dataset.coco_seq import MSCOCOSeq
    from ltr.dataset.got10k import Got10k
    from ltr.dataset.imagenetvid import ImagenetVID
    from ltr.dataset.lasot import Lasot
    from ltr.dataset.synthetic import SyntheticImages, SyntheticVideo
    from ltr.dataset.trackingnet import TrackingNet
    from ltr.dataset.video_folder import VideoFolder


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ltr.dataset' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
