"""Draw training samples (a few train frames + a few test frames of one target) from a mix of datasets.

:class:`TrackingSampler` is a map-style ``torch.utils.data.Dataset`` whose items are random: item ``index`` of epoch
``epoch`` is drawn from a ``np.random.Generator`` seeded with ``SeedSequence([seed, epoch, index])``. Hence

* two runs with the same ``seed`` produce the same samples in the same batches, whatever the number of workers
  (each sample depends only on its index, not on which worker makes it or what that worker made before);
* different indices (and so different workers) never share a random stream, and a new epoch gives new samples
  (:class:`~ltr.data.loader.LTRLoader` calls :meth:`TrackingSampler.set_epoch` before every pass).

No global random state (python ``random``, numpy legacy, torch default generator) is read or changed.

A sample whose box turns out unusable (processing raises
:class:`~ltr.data.processing_utils.DegenerateBoxError`) is redrawn from the same stream and counted in
:attr:`TrackingSampler.degenerate_redraws` (per process), so a bad annotation never kills a worker.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.utils.data

from ltr.data.processing_utils import DegenerateBoxError
from pytracking.libs.tensordict import TensorDict

__all__ = ["TrackingSampler", "ATOMSampler", "no_processing", "SamplerConfigError"]

logger = logging.getLogger(__name__)

_FRAME_SAMPLE_MODES = ("causal", "interval")
#: Frames a video needs at least (besides enough visible ones) to be used.
MIN_VIDEO_FRAMES = 20
#: How much the frame window grows per failed attempt to find enough visible frames.
GAP_INCREASE_STEP = 5


class SamplerConfigError(ValueError):
    """Invalid sampler arguments (raised at construction, naming the argument)."""


def no_processing(data: TensorDict, rng: np.random.Generator | None = None) -> TensorDict:
    """Identity processing (returns the raw frames and boxes)."""
    return data


def _accepts_two_args(fn: Callable[..., Any]) -> bool:
    """Whether ``fn(data, rng)`` is a valid call (older processing functions take only ``data``)."""
    try:
        inspect.signature(fn).bind(None, None)
    except TypeError:
        return False
    except ValueError:  # no signature available (some builtins): assume the modern form
        return True
    return True


class TrackingSampler(torch.utils.data.Dataset):
    """Pick a dataset, a sequence with enough visible frames, and train/test frames from it; then process them.

    Args:
        datasets: datasets following the ``BaseVideoDataset`` contract (image datasets return
            ``is_video_sequence() == False``).
        p_datasets: relative probability of each dataset (normalised); ``None`` means proportional to the number of
            sequences of each dataset.
        samples_per_epoch: length of the dataset (samples per epoch).
        max_gap: largest frame distance between the base frame and the other frames (before ``gap_increase``).
        num_test_frames, num_train_frames: frames per split.
        processing: called as ``processing(data, rng)`` (e.g. :class:`~ltr.data.processing.ATOMProcessing`).
        frame_sample_mode: ``'interval'`` (train and test frames around a visible base frame, ATOM) or ``'causal'``
            (train frames up to the base frame, test frames after it; DiMP-style).
        seed: run seed; see module docstring.
        max_redraws: give up (RuntimeError) after this many consecutive degenerate samples for one index.

    A video sequence is used when it has more than ``2 * (num_test_frames + num_train_frames)`` visible frames and at
    least 20 frames; an image dataset's sequences are always used. When frames cannot be found within the window,
    the window grows by 5 frames and a new base frame is drawn.
    """

    def __init__(
        self,
        datasets: Sequence[Any],
        p_datasets: Sequence[float] | None,
        samples_per_epoch: int,
        max_gap: int,
        num_test_frames: int,
        num_train_frames: int = 1,
        processing: Callable[..., TensorDict] = no_processing,
        frame_sample_mode: str = "causal",
        seed: int = 0,
        max_redraws: int = 100,
    ) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise SamplerConfigError("TrackingSampler: datasets is empty; give at least one dataset")
        self._check_ints(samples_per_epoch=samples_per_epoch, num_test_frames=num_test_frames,
                         num_train_frames=num_train_frames, max_redraws=max_redraws)
        if int(max_gap) != max_gap or max_gap < 0:
            raise SamplerConfigError(f"TrackingSampler: max_gap must be a non-negative integer, got {max_gap!r}")
        if frame_sample_mode not in _FRAME_SAMPLE_MODES:
            raise SamplerConfigError(
                f"TrackingSampler: frame_sample_mode must be one of {_FRAME_SAMPLE_MODES}, got {frame_sample_mode!r}")
        if not callable(processing):
            raise SamplerConfigError(f"TrackingSampler: processing must be callable, got {type(processing).__name__}")
        self.samples_per_epoch = int(samples_per_epoch)
        self.max_gap = int(max_gap)
        self.num_test_frames = int(num_test_frames)
        self.num_train_frames = int(num_train_frames)
        self.processing = processing
        self._processing_takes_rng = _accepts_two_args(processing)
        self.frame_sample_mode = frame_sample_mode
        self.seed = int(seed)
        self.max_redraws = int(max_redraws)
        self.epoch = 0
        self.degenerate_redraws: Counter[str] = Counter()

        names = [self._name(d) for d in self.datasets]
        sizes = [int(d.get_num_sequences()) for d in self.datasets]
        empty = [n for n, s in zip(names, sizes, strict=True) if s <= 0]
        if empty:
            raise SamplerConfigError(f"TrackingSampler: dataset(s) {empty} contain no sequences")
        self.p_datasets = self._normalise_weights(p_datasets, names, sizes)
        for d, p in zip(self.datasets, self.p_datasets, strict=True):
            if p > 0:
                self._check_usable(d)

    # ------------------------------------------------------------------------------------------------ validation
    @staticmethod
    def _name(dataset: Any) -> str:
        return dataset.get_name() if hasattr(dataset, "get_name") else type(dataset).__name__

    @staticmethod
    def _check_ints(**values: Any) -> None:
        for name, v in values.items():
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise SamplerConfigError(f"TrackingSampler: {name} must be a positive integer, got {v!r}")

    @staticmethod
    def _normalise_weights(p_datasets: Sequence[float] | None, names: list[str], sizes: list[int]) -> np.ndarray:
        if p_datasets is None:
            w = np.asarray(sizes, dtype=np.float64)
        else:
            w = np.asarray(list(p_datasets), dtype=np.float64).reshape(-1)
            if w.size != len(names):
                raise SamplerConfigError(
                    f"TrackingSampler: p_datasets has {w.size} weight(s) but {len(names)} dataset(s) were given "
                    f"({names}); give one weight per dataset, or p_datasets=None for weights proportional to size")
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise SamplerConfigError(
                    f"TrackingSampler: p_datasets must be finite and non-negative, got {list(p_datasets)}")
            if w.sum() <= 0:
                raise SamplerConfigError(f"TrackingSampler: p_datasets sums to 0 ({list(p_datasets)})")
        return w / w.sum()

    def _check_usable(self, dataset: Any) -> None:
        """Raise if no sequence of the dataset passes the visibility rule (stops at the first usable one)."""
        if not dataset.is_video_sequence():
            return
        for seq_id in range(dataset.get_num_sequences()):
            if self._sequence_usable(dataset.get_sequence_info(seq_id)["visible"]):
                return
        need = 2 * (self.num_test_frames + self.num_train_frames)
        raise SamplerConfigError(
            f"TrackingSampler: dataset {self._name(dataset)!r} has no usable sequence: a video needs more than {need} "
            f"visible frames and at least {MIN_VIDEO_FRAMES} frames (num_test_frames={self.num_test_frames}, "
            f"num_train_frames={self.num_train_frames})")

    def _sequence_usable(self, visible: torch.Tensor) -> bool:
        n_visible = int(visible.sum())
        return n_visible > 2 * (self.num_test_frames + self.num_train_frames) and len(visible) >= MIN_VIDEO_FRAMES

    # ------------------------------------------------------------------------------------------------ dataset API
    def __len__(self) -> int:
        return self.samples_per_epoch

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose samples ``__getitem__`` returns (called by LTRLoader before each pass)."""
        self.epoch = int(epoch)

    def make_rng(self, index: int, epoch: int | None = None) -> np.random.Generator:
        """The generator sample ``index`` of ``epoch`` (default: current epoch) is drawn from."""
        ep = self.epoch if epoch is None else int(epoch)
        return np.random.default_rng(np.random.SeedSequence([self.seed, ep, int(index)]))

    def __getitem__(self, index: int) -> TensorDict:
        if index < 0:
            raise IndexError(f"TrackingSampler index must be non-negative, got {index}")
        rng = self.make_rng(index)
        last_error: DegenerateBoxError | None = None
        for _ in range(self.max_redraws):
            data = self.sample_raw(rng)
            try:
                return self.processing(data, rng) if self._processing_takes_rng else self.processing(data)
            except DegenerateBoxError as err:
                self.degenerate_redraws[str(data["dataset"])] += 1
                logger.debug("redrawing sample %d (dataset %s): %s", index, data["dataset"], err)
                last_error = err
        raise RuntimeError(
            f"TrackingSampler: {self.max_redraws} consecutive degenerate samples for index {index} "
            f"(last: {last_error}); check the datasets' boxes") from last_error

    # ------------------------------------------------------------------------------------------------ sampling
    def sample_raw(self, rng: np.random.Generator) -> TensorDict:
        """Choose dataset, sequence and frames and load them (unprocessed TensorDict)."""
        d_idx = int(rng.choice(len(self.datasets), p=self.p_datasets))
        dataset = self.datasets[d_idx]
        is_video = dataset.is_video_sequence()
        seq_id, info = self._sample_sequence(dataset, is_video, rng)

        if is_video:
            train_ids, test_ids = self._sample_frame_ids(info["visible"], rng)
        else:
            train_ids, test_ids = [0] * self.num_train_frames, [0] * self.num_test_frames

        frames, anno, meta = dataset.get_frames(seq_id, train_ids + test_ids, info)
        n = len(train_ids)
        return TensorDict({
            "train_images": frames[:n],
            "train_anno": anno["bbox"][:n],
            "test_images": frames[n:],
            "test_anno": anno["bbox"][n:],
            "dataset": self._name(dataset),
            "test_class": meta.get("object_class_name") if meta is not None else None,
        })

    def _sample_sequence(self, dataset: Any, is_video: bool, rng: np.random.Generator) -> tuple[int, dict]:
        n = dataset.get_num_sequences()
        # construction checked that a usable sequence exists; bound the loop anyway so a bug cannot hang a worker
        for _ in range(100 * n + 1000):
            seq_id = int(rng.integers(n))
            info = dataset.get_sequence_info(seq_id)
            if not is_video or self._sequence_usable(info["visible"]):
                return seq_id, info
        raise RuntimeError(f"TrackingSampler: no usable sequence found in {self._name(dataset)!r}")

    @staticmethod
    def _sample_visible(
        visible: np.ndarray, num: int, lo: int, hi: int, rng: np.random.Generator
    ) -> list[int] | None:
        """``num`` visible frame ids from ``[lo, hi)`` (with replacement), or None if none is visible there."""
        if num == 0:
            return []
        lo, hi = max(lo, 0), min(hi, len(visible))
        if hi <= lo:
            return None
        ids = np.flatnonzero(visible[lo:hi])
        if ids.size == 0:
            return None
        return [int(i) + lo for i in rng.choice(ids, size=num, replace=True)]

    def _sample_frame_ids(self, visible_t: torch.Tensor, rng: np.random.Generator) -> tuple[list[int], list[int]]:
        visible = visible_t.numpy().astype(bool)
        n = len(visible)
        n_tr, n_te = self.num_train_frames, self.num_test_frames
        gap_increase = 0
        max_attempts = 2 + math.ceil(n / GAP_INCREASE_STEP) + 100
        for _ in range(max_attempts):
            gap = self.max_gap + gap_increase
            if self.frame_sample_mode == "interval":
                base = self._sample_visible(visible, 1, 0, n, rng)
                if base is not None:
                    b = base[0]
                    extra = self._sample_visible(visible, n_tr - 1, b - gap, b + gap + 1, rng)
                    test = self._sample_visible(visible, n_te, b - gap, b + gap + 1, rng)
                    if extra is not None and test is not None:
                        return base + extra, test
            else:  # causal: train frames at or before the base frame, test frames after it
                base = self._sample_visible(visible, 1, n_tr - 1, n - n_te, rng)
                if base is not None:
                    b = base[0]
                    prev = self._sample_visible(visible, n_tr - 1, b - gap, b, rng)
                    test = self._sample_visible(visible, n_te, b + 1, b + gap + 1, rng)
                    if prev is not None and test is not None:
                        return base + prev, test
            gap_increase += GAP_INCREASE_STEP
        raise RuntimeError(
            f"TrackingSampler: could not find {n_tr} train + {n_te} test visible frames ({self.frame_sample_mode} "
            f"mode) in a sequence of {n} frames with {int(visible.sum())} visible")


class ATOMSampler(TrackingSampler):
    """The ATOM sampler: ``interval`` mode with one train and one test frame."""

    def __init__(
        self,
        datasets: Sequence[Any],
        p_datasets: Sequence[float] | None,
        samples_per_epoch: int,
        max_gap: int,
        processing: Callable[..., TensorDict] = no_processing,
        seed: int = 0,
        max_redraws: int = 100,
    ) -> None:
        super().__init__(datasets, p_datasets, samples_per_epoch, max_gap, num_test_frames=1, num_train_frames=1,
                         processing=processing, frame_sample_mode="interval", seed=seed, max_redraws=max_redraws)
