"""Batching for training: a ``DataLoader`` whose collate stacks along a chosen axis and keeps metadata as lists.

ATOM batches are ``[frames, batch, ...]`` (``stack_dim=1``) because the network iterates over frames; most other
code wants ``[batch, ...]`` (``stack_dim=0``). :func:`ltr_collate` handles tensors, numpy arrays, numbers, strings,
``None``, (Tensor)dicts, named tuples and sequences; anything else is returned as a list of the samples' values.

Seeding: the loader owns a ``torch.Generator`` seeded from ``seed`` (shuffling order and the per-worker torch seeds),
and before each pass it calls ``dataset.set_epoch(epoch)`` when the dataset has it (TrackingSampler draws each sample
from ``(seed, epoch, index)``). :func:`seed_worker` additionally seeds python ``random`` and numpy's legacy global
state in each worker from the worker's torch seed, so third-party code that uses them still differs across workers
and is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.utils.data

from pytracking.libs.tensordict import TensorDict

__all__ = ["ltr_collate", "ltr_collate_stack1", "LTRLoader", "seed_worker"]


def _stack(batch: Sequence[torch.Tensor], stack_dim: int) -> torch.Tensor:
    elem = batch[0]
    dim = stack_dim if stack_dim >= 0 else stack_dim + elem.dim() + 1
    if not 0 <= dim <= elem.dim():
        raise ValueError(f"ltr_collate: stack_dim {stack_dim} is invalid for tensors of shape {tuple(elem.shape)}")
    if torch.utils.data.get_worker_info() is not None:
        # In a worker, build the batch directly in shared memory so it is not copied again when sent to the main
        # process (the same trick torch's default collate uses).
        shape = (*elem.shape[:dim], len(batch), *elem.shape[dim:])
        numel = len(batch) * elem.numel()
        storage = elem._typed_storage()._new_shared(numel, device=elem.device)
        out = elem.new(storage).resize_(shape)
        return torch.stack(list(batch), dim, out=out)
    if all(x.device.type == "cpu" and not x.requires_grad for x in batch):
        # numpy copy: single-threaded, unaffected by torch's intra-op pool stalling on a busy CPU
        return torch.from_numpy(np.stack([x.numpy() for x in batch], axis=dim))
    return torch.stack(list(batch), dim)


def ltr_collate(batch: Sequence[Any], stack_dim: int = 0) -> Any:
    """Collate a list of samples: tensors/arrays stacked along ``stack_dim``, numbers to a 1-D tensor, strings and
    unknown objects to lists, mappings (incl. TensorDict, type kept) and sequences recursively."""
    if len(batch) == 0:
        raise ValueError("ltr_collate: empty batch")
    elem = batch[0]
    if isinstance(elem, torch.Tensor):
        shapes = {tuple(x.shape) for x in batch}
        if len(shapes) != 1:
            raise ValueError(f"ltr_collate: cannot stack tensors of different shapes {sorted(shapes)}")
        return _stack(batch, stack_dim)
    if isinstance(elem, np.ndarray) and elem.dtype.kind not in "SaUO":
        return ltr_collate([torch.as_tensor(b) for b in batch], stack_dim)
    if isinstance(elem, (bool, np.bool_)):
        return torch.tensor([bool(b) for b in batch])
    if isinstance(elem, (int, np.integer)):
        return torch.tensor([int(b) for b in batch], dtype=torch.int64)
    if isinstance(elem, (float, np.floating)):
        return torch.tensor([float(b) for b in batch], dtype=torch.float64)
    if isinstance(elem, (str, bytes)) or elem is None:
        return list(batch)
    if isinstance(elem, TensorDict):
        return TensorDict((k, ltr_collate([d[k] for d in batch], stack_dim)) for k in elem)
    if isinstance(elem, Mapping):
        collated = {k: ltr_collate([d[k] for d in batch], stack_dim) for k in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(ltr_collate(list(s), stack_dim) for s in zip(*batch, strict=True)))
    if isinstance(elem, Sequence):
        lengths = {len(b) for b in batch}
        if len(lengths) != 1:
            # variable-length lists (e.g. per-sample metadata) cannot be transposed: keep them per sample
            return list(batch)
        transposed = [ltr_collate(list(s), stack_dim) for s in zip(*batch, strict=True)]
        if type(elem) is list or type(elem) is tuple:
            return type(elem)(transposed)
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    return list(batch)


def ltr_collate_stack1(batch: Sequence[Any]) -> Any:
    """:func:`ltr_collate` with ``stack_dim=1`` (picklable, for workers)."""
    return ltr_collate(batch, stack_dim=1)


class _CollateAlong:
    """Picklable collate with a fixed ``stack_dim``."""

    def __init__(self, stack_dim: int) -> None:
        self.stack_dim = stack_dim

    def __call__(self, batch: Sequence[Any]) -> Any:
        return ltr_collate(batch, self.stack_dim)


def seed_worker(worker_id: int) -> None:
    """Seed python ``random`` and numpy's legacy global RNG in a worker from the worker's torch seed.

    Torch already seeds each worker with ``base_seed + worker_id`` (``base_seed`` drawn from the loader's generator);
    this spreads that seed to the other global RNGs third-party code might use. Our own code uses explicit generators.
    """
    seed = torch.initial_seed() % 2**32
    # OpenCV's thread pool is deliberately left alone: cv2.setNumThreads() in a forked worker whose parent has used
    # torch's OpenMP pool deadlocked in testing.
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - safety net for third-party code only


class _WorkerInit:
    def __init__(self, user_fn: Callable[[int], None] | None) -> None:
        self.user_fn = user_fn

    def __call__(self, worker_id: int) -> None:
        seed_worker(worker_id)
        if self.user_fn is not None:
            self.user_fn(worker_id)


class LTRLoader(torch.utils.data.DataLoader):
    """DataLoader for training: named, with an epoch interval, stacking along ``stack_dim``.

    Args:
        name: shown in logs ('train', 'val').
        dataset: e.g. a :class:`~ltr.data.sampler.TrackingSampler`.
        training: whether the trainer runs this loader in training mode (gradients on).
        epoch_interval: the trainer runs this loader every ``epoch_interval`` epochs.
        stack_dim: axis along which samples are stacked (ATOM: 1).
        seed: seeds the loader's generator (shuffle order, worker seeds).
        Remaining arguments are those of ``torch.utils.data.DataLoader``. ``collate_fn`` defaults to
        :func:`ltr_collate` along ``stack_dim``.
    """

    def __init__(
        self,
        name: str,
        dataset: torch.utils.data.Dataset,
        training: bool = True,
        batch_size: int = 1,
        shuffle: bool = False,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        epoch_interval: int = 1,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        stack_dim: int = 0,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        seed: int = 0,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        if epoch_interval < 1:
            raise ValueError(f"LTRLoader {name!r}: epoch_interval must be >= 1, got {epoch_interval}")
        if persistent_workers and hasattr(dataset, "set_epoch"):
            raise ValueError(
                f"LTRLoader {name!r}: persistent_workers=True would hide set_epoch() from the workers, so every epoch "
                "would repeat the same samples; leave persistent_workers=False")
        generator = torch.Generator()
        generator.manual_seed(int(seed))
        kwargs: dict[str, Any] = {}
        if num_workers > 0:
            kwargs["prefetch_factor"] = prefetch_factor if prefetch_factor is not None else 2
            kwargs["persistent_workers"] = persistent_workers
        super().__init__(
            dataset,
            batch_size=batch_size if batch_sampler is None else 1,
            shuffle=shuffle if sampler is None and batch_sampler is None else None,
            sampler=sampler,
            batch_sampler=batch_sampler,
            num_workers=num_workers,
            collate_fn=collate_fn if collate_fn is not None else _CollateAlong(stack_dim),
            pin_memory=pin_memory,
            drop_last=drop_last if batch_sampler is None else False,
            timeout=timeout,
            worker_init_fn=_WorkerInit(worker_init_fn),
            generator=generator,
            **kwargs,
        )
        self.name = name
        self.training = training
        self.epoch_interval = epoch_interval
        self.stack_dim = stack_dim
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch the next pass draws (the trainer calls this so resumed runs continue the same stream)."""
        self.epoch = int(epoch)

    def __iter__(self):  # noqa: ANN204 - DataLoader's iterator type is private
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(self.epoch)
        self.epoch += 1
        return super().__iter__()
