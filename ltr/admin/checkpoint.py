"""Checkpoint format, writing and discovery.

Why a format of our own: the original framework pickled Python objects (its constructor class, settings and stat
objects) into checkpoints, so loading one meant ``torch.load(weights_only=False)``, i.e. running whatever the file
says, and broke whenever those classes moved. Here a checkpoint is a dict of *plain data and tensors only*,
loadable with ``torch.load(weights_only=True)``:

=================  ==============================================================================================
``format``         ``'ltr-checkpoint'``; ``format_version``: 1
``epoch``          last completed epoch (int)
``net_type``       class name of the network, e.g. ``'ATOMnet'`` (also the file name prefix)
``net``            ``state_dict`` of the (unwrapped) network
``constructor``    ``{'name': registered constructor, 'module': defining module, 'kwargs': {...}}`` or None
``optimizer``      ``optimizer.state_dict()``; ``lr_scheduler``: ``scheduler.state_dict()`` (or None)
``stats``          ``{loader_name: {stat_name: [per-epoch average, ...]}}``
``rng_state``      python / numpy / torch (and CUDA) generator states, see :func:`capture_rng_state`
``settings``       the training settings as plain data (non-plain values stored as their ``repr``)
``extra``          anything else a trainer records (e.g. loader/sampler state), plain data
=================  ==============================================================================================

Files are ``<dir>/<NetType>_ep%04d.pth.tar`` written atomically (temp file + fsync + rename), so a kill at any moment
leaves either the previous or the new complete file. Reading legacy (original-implementation) checkpoints lives in
:mod:`ltr.admin.loading`.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ltr.admin.atomic_io import atomic_torch_save
from ltr.admin.errors import UserError

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_FORMAT_VERSION",
    "CheckpointError",
    "unwrap_network",
    "constructor_data",
    "make_checkpoint",
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_path",
    "list_checkpoints",
    "latest_checkpoint",
    "prune_checkpoints",
    "capture_rng_state",
    "restore_rng_state",
    "to_plain",
]

CHECKPOINT_FORMAT = "ltr-checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
_CKPT_RE = re.compile(r"^(?P<net_type>.+)_ep(?P<epoch>\d{4,})\.pth\.tar$")


class CheckpointError(UserError, RuntimeError):
    """A checkpoint file is unreadable or not in a format we understand (message names the file)."""


def unwrap_network(net: nn.Module) -> nn.Module:
    """The bare network inside DistributedDataParallel / DataParallel wrappers (keys without ``module.``)."""
    while isinstance(net, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
        net = net.module
    return net


def constructor_data(net: nn.Module) -> dict[str, Any] | None:
    """Plain-data constructor record of a network built by a registered constructor, else None."""
    spec = getattr(unwrap_network(net), "constructor", None)
    if spec is None:
        return None
    if hasattr(spec, "to_dict"):
        return spec.to_dict()
    if isinstance(spec, Mapping) and "name" in spec:
        return to_plain(dict(spec))
    raise CheckpointError(f"network attribute 'constructor' has unsupported type {type(spec).__name__}")


def to_plain(value: Any, _depth: int = 0) -> Any:
    """Best-effort conversion to plain data (for settings/stats): containers recurse, tensors stay, paths -> str,
    objects with ``__dict__`` -> dict, anything else -> ``repr`` string. Never raises."""
    if _depth > 20:
        return repr(value)
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        items = [to_plain(v, _depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, Mapping):
        return {(k if isinstance(k, (str, int)) else str(k)): to_plain(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((to_plain(v, _depth + 1) for v in value), key=repr)
    if callable(value) or isinstance(value, type):
        return repr(value)
    attrs = getattr(value, "__dict__", None)
    if isinstance(attrs, dict):
        return {"__class__": type(value).__name__,
                **{k: to_plain(v, _depth + 1) for k, v in attrs.items() if not k.startswith("_")}}
    return repr(value)


# ---------------------------------------------------------------------- RNG state
def capture_rng_state() -> dict[str, Any]:
    """Global generator states (python ``random``, numpy legacy, torch CPU and CUDA) as weights_only-safe data."""
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {"kind": str(kind), "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state` (missing entries are left alone)."""
    if "python" in state:
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
    if "numpy" in state:
        s = state["numpy"]
        keys = s["keys"].numpy() if isinstance(s["keys"], torch.Tensor) else np.asarray(s["keys"])
        np.random.set_state((s["kind"], keys.astype(np.uint32), s["pos"], s["has_gauss"], s["cached_gaussian"]))
    if "torch" in state:
        torch.set_rng_state(state["torch"].to(torch.uint8).cpu())
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])


# ---------------------------------------------------------------------- build / save / load
def make_checkpoint(net: nn.Module, epoch: int, *, optimizer: torch.optim.Optimizer | None = None,
                    lr_scheduler: Any = None, stats: Mapping[str, Any] | None = None, settings: Any = None,
                    rng_state: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None,
                    actor_type: str | None = None) -> dict[str, Any]:
    """Assemble a checkpoint dict in the documented format (RNG state captured now unless given)."""
    bare = unwrap_network(net)
    return {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "epoch": int(epoch),
        "net_type": type(bare).__name__,
        "actor_type": actor_type,
        "net": bare.state_dict(),
        "constructor": constructor_data(bare),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "lr_scheduler": lr_scheduler.state_dict() if lr_scheduler is not None else None,
        "stats": to_plain(dict(stats or {})),
        "rng_state": dict(rng_state) if rng_state is not None else capture_rng_state(),
        "settings": to_plain(settings) if settings is not None else None,
        "extra": to_plain(dict(extra or {})),
    }


def save_checkpoint(state: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Atomically write ``state`` to ``path`` (parent directories created)."""
    return atomic_torch_save(dict(state), path)


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint in *this* format with ``torch.load(weights_only=True)``.

    Raises :class:`CheckpointError` (naming the file) for unreadable files or other formats; legacy checkpoints of the
    original implementation are read by :func:`ltr.admin.loading.read_checkpoint` instead.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # UnpicklingError (non-weights-only content), zip/EOF errors on damaged files
        raise CheckpointError(f"cannot read checkpoint {path} with weights_only=True: {exc}") from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not an '{CHECKPOINT_FORMAT}' checkpoint (no matching 'format' entry)")
    if int(state.get("format_version", 0)) > CHECKPOINT_FORMAT_VERSION:
        raise CheckpointError(f"{path} has format_version {state.get('format_version')}, newer than the supported "
                              f"{CHECKPOINT_FORMAT_VERSION}; update the code")
    return state


# ---------------------------------------------------------------------- file names
def checkpoint_path(directory: str | os.PathLike, net_type: str, epoch: int) -> Path:
    """``<directory>/<net_type>_ep%04d.pth.tar``."""
    return Path(directory) / f"{net_type}_ep{int(epoch):04d}.pth.tar"


def list_checkpoints(directory: str | os.PathLike, net_type: str | None = None) -> list[tuple[int, Path]]:
    """``(epoch, path)`` of the checkpoints in ``directory`` (optionally of one net type), sorted by epoch."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for p in directory.iterdir():
        m = _CKPT_RE.match(p.name)
        if m and p.is_file() and (net_type is None or m.group("net_type") == net_type):
            found.append((int(m.group("epoch")), p))
    return sorted(found)


def latest_checkpoint(directory: str | os.PathLike, net_type: str | None = None) -> Path | None:
    """Path of the highest-epoch checkpoint, or None."""
    found = list_checkpoints(directory, net_type)
    return found[-1][1] if found else None


def prune_checkpoints(directory: str | os.PathLike, net_type: str, keep_last: int | None,
                      keep_epochs: Iterable[int] = ()) -> list[Path]:
    """Delete all but the last ``keep_last`` checkpoints and those of ``keep_epochs``; returns deleted paths.

    ``keep_last=None`` keeps everything (the original behaviour: users evaluate every epoch afterwards).
    """
    if keep_last is None:
        return []
    keep_last = max(int(keep_last), 1)  # never delete the newest: it is what resume needs
    found = list_checkpoints(directory, net_type)
    keep = {e for e, _ in found[-keep_last:]} | {int(e) for e in keep_epochs}
    removed = []
    for epoch, path in found:
        if epoch not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
