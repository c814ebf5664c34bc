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
``integrity``      ``{'algorithm': 'sha256', 'tensors': {path: hex}, 'payload': hex}`` written by
                   :func:`save_checkpoint`: a SHA-256 of every tensor (``path`` like ``net/fc.weight``) and one over
                   the whole payload (tensors and plain values), verified by :func:`load_checkpoint`
=================  ==============================================================================================

Why the integrity record: ``torch.load`` does not check the zip's CRCs, so a file with a few KiB of garbage inside loads
"fine" and fails much later (NaN boxes in the tracker). Files without a record (written before it existed) still load;
any network whose weights hold NaN/Inf is refused (:func:`check_finite_weights`) whatever its format.

Files are ``<dir>/<NetType>_ep%04d.pth.tar`` written atomically (temp file + fsync + rename), so a kill at any moment
leaves either the previous or the new complete file. Reading legacy (original-implementation) checkpoints lives in
:mod:`ltr.admin.loading`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
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
    "CheckpointFormatError",
    "CodeReferenceError",
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
    "integrity_record",
    "verify_integrity",
    "check_finite_weights",
    "code_reference_error",
]

CHECKPOINT_FORMAT = "ltr-checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
_CKPT_RE = re.compile(r"^(?P<net_type>.+)_ep(?P<epoch>\d{4,})\.pth\.tar$")


class CheckpointError(UserError, RuntimeError):
    """A checkpoint file is unreadable or not in a format we understand (message names the file)."""


class CheckpointFormatError(CheckpointError):
    """The file cannot be read as *this* project's format (another format, refused content, unreadable); readers of
    several formats try the next one. Integrity and NaN failures are plain :class:`CheckpointError`: final."""


class CodeReferenceError(CheckpointFormatError):
    """The file references code (a function or class) that unpickling would call; it was not loaded."""


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


# ---------------------------------------------------------------------- integrity
def _tensor_bytes(tensor: torch.Tensor) -> bytes:
    t = tensor.detach().cpu().contiguous().reshape(-1)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def _walk(value: Any, path: str, visit: Any) -> None:
    """Call ``visit(path, leaf)`` for every leaf of nested dicts/lists/tuples, in order."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            _walk(v, f"{path}/{k}" if path else str(k), visit)
    elif isinstance(value, (list, tuple)):
        visit(path, f"<{type(value).__name__} {len(value)}>")
        for i, v in enumerate(value):
            _walk(v, f"{path}/{i}", visit)
    else:
        visit(path, value)


def integrity_record(state: Mapping[str, Any]) -> dict[str, Any]:
    """SHA-256 of every tensor and of the whole payload of ``state`` (its ``integrity`` entry excluded)."""
    tensors: dict[str, str] = {}
    payload = hashlib.sha256()

    def visit(path: str, leaf: Any) -> None:
        payload.update(path.encode("utf-8", "backslashreplace") + b"\0")
        if isinstance(leaf, torch.Tensor) and leaf.layout == torch.strided and not leaf.is_quantized:
            digest = hashlib.sha256(f"{leaf.dtype}{tuple(leaf.shape)}".encode() + _tensor_bytes(leaf)).hexdigest()
            tensors[path] = digest
            payload.update(digest.encode())
        else:
            payload.update(repr(leaf).encode("utf-8", "backslashreplace"))
        payload.update(b"\0")

    _walk({k: v for k, v in state.items() if k != "integrity"}, "", visit)
    return {"algorithm": "sha256", "tensors": tensors, "payload": payload.hexdigest()}


def verify_integrity(state: Mapping[str, Any], path: str | os.PathLike) -> bool:
    """Check ``state['integrity']`` against the loaded data. False when the file has no record (older files);
    :class:`CheckpointError` naming the file and the first damaged tensor when it does not match."""
    record = state.get("integrity")
    if record is None:
        return False
    if not isinstance(record, Mapping) or record.get("algorithm") != "sha256":
        raise CheckpointError(f"{path}: unknown integrity record {record!r}; the file was not loaded")
    actual = integrity_record(state)
    if actual["payload"] == record.get("payload"):
        return True
    expected = record.get("tensors") or {}
    damaged = [k for k, v in actual["tensors"].items() if expected.get(k) != v]
    damaged += [k for k in expected if k not in actual["tensors"]]
    what = f"tensor '{damaged[0]}'" + (f" and {len(damaged) - 1} more" if len(damaged) > 1 else "") if damaged \
        else "its non-tensor data"
    raise CheckpointError(f"checkpoint {path} is damaged: {what} does not match the SHA-256 recorded when it was "
                          f"written (disk or transfer corruption). It was not loaded; use another checkpoint")


def check_finite_weights(state: Mapping[str, Any], path: str | os.PathLike) -> None:
    """:class:`CheckpointError` naming ``path`` and the first weight holding NaN or Inf (floating tensors only)."""
    for name, value in state.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            bad = int((~torch.isfinite(value)).sum())
            raise CheckpointError(f"network file {path}: weight '{name}' holds {bad} NaN/Inf value(s); the file is "
                                  f"damaged or the training diverged. It was not loaded; use another checkpoint")


def save_checkpoint(state: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Atomically write ``state`` with its integrity record to ``path`` (parent directories created)."""
    state = {k: v for k, v in state.items() if k != "integrity"}
    state["integrity"] = integrity_record(state)
    return atomic_torch_save(state, path)


def _referenced_global(exc: BaseException) -> str | None:
    """The ``module.name`` a weights-only unpickler refused (from torch's message), if that is why it failed."""
    match = re.search(r"GLOBAL ([\w.]+)", str(exc)) or re.search(r"Unsupported global:?\s*([\w.]+)", str(exc))
    return match.group(1) if match else None


def code_reference_error(path: str | os.PathLike, names: Iterable[str]) -> CodeReferenceError:
    """The error for a file that references code (it was not loaded, and how to convert a trusted legacy file)."""
    listed = ", ".join(sorted(set(names)))
    return CodeReferenceError(
        f"{path} references code ({listed}) that loading it would run, so it was not loaded. Checkpoints written "
        f"by this project never contain code. If it is a trusted checkpoint of the original implementation, "
        f"convert it with `python -m ltr.admin.convert_checkpoint {path} <new file>` (reads it without running "
        f"anything, writes this project's format); otherwise delete it")


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
    except pickle.UnpicklingError as exc:  # refused content: a global (class/function) the file wants to call
        name = _referenced_global(exc)
        if name is not None:
            raise code_reference_error(path, [name]) from None
        raise CheckpointFormatError(f"cannot read checkpoint {path}: {_first_line(exc)}") from None
    except Exception as exc:  # zip/EOF errors on damaged or truncated files
        raise CheckpointFormatError(f"cannot read checkpoint {path} (truncated or damaged file?): "
                                    f"{_first_line(exc)}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointFormatError(f"{path} is not an '{CHECKPOINT_FORMAT}' checkpoint (no matching 'format' entry)")
    if int(state.get("format_version", 0)) > CHECKPOINT_FORMAT_VERSION:
        raise CheckpointError(f"{path} has format_version {state.get('format_version')}, newer than the supported "
                              f"{CHECKPOINT_FORMAT_VERSION}; update the code")
    verify_integrity(state, path)
    if isinstance(state.get("net"), Mapping):
        check_finite_weights(state["net"], path)
    return state


def _first_line(exc: BaseException) -> str:
    """The reason torch gives, without its advice to retry with ``weights_only=False`` (never right for us)."""
    text = str(exc)
    match = re.search(r"WeightsUnpickler error:\s*(.+?)(?:\n\s*\n|$)", text, re.S)
    if match:
        return " ".join(match.group(1).split())
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and "weights_only" not in ln]
    return lines[0].strip() if lines else type(exc).__name__


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
