"""Rebuild networks from checkpoints: the safe new format and the original implementation's pickles.

Why two readers: new checkpoints (:mod:`ltr.admin.checkpoint`) contain only plain data and tensors and load with
``torch.load(weights_only=True)``. Users also own networks trained by the original implementation (e.g.
``atom_default.pth``); those are pickles whose ``constructor`` entry is an object of a class from the original package
(``NetConstructor`` with attributes ``fun_name``, ``fun_module``, ``args``, ``kwds``) and whose ``settings``/``stats``
are objects too. We read them with :class:`RestrictedUnpickler`: only tensor/storage rebuild functions and a few inert
containers resolve to real objects; every other class or function named by the file becomes an inert
:class:`LegacyStub` that merely records its arguments and state. Nothing named by the file is imported or called.
"""

from __future__ import annotations

import inspect
import io
import os
import pickle
import types
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ltr.admin.checkpoint import (
    CheckpointError,
    CheckpointFormatError,
    check_finite_weights,
    latest_checkpoint,
    load_checkpoint,
)
from ltr.models.registry import ConstructorSpec, get_constructor

__all__ = [
    "LegacyStub",
    "RestrictedUnpickler",
    "read_checkpoint",
    "read_legacy_checkpoint",
    "load_network",
    "LEGACY_NEUTRALISED_KWARGS",
    "verify_network_file",
]

# Constructor kwargs that would fetch pretrained weights again; the checkpoint's state_dict replaces them anyway, and
# the original files usually say ``backbone_pretrained=True`` which would otherwise require the ImageNet file.
LEGACY_NEUTRALISED_KWARGS: dict[str, Any] = {"backbone_pretrained": None, "mae_pretrained_path": None}

# (module, name) pairs that resolve to the real object. All are tensor/storage rebuild helpers or plain containers that
# do not execute user-controlled code. Storage classes ('...Storage') are resolved by torch.load's own wrapper.
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor"): torch._utils._rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): torch._utils._rebuild_parameter_with_state,
    ("torch", "Size"): torch.Size,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "set"): set,
}


class LegacyStub:
    """Inert stand-in for a class or function named by a legacy pickle.

    Calling it (pickle REDUCE/NEWOBJ) creates an instance that stores the call arguments in ``_legacy_args`` /
    ``_legacy_kwargs``; pickle BUILD state lands in ``__dict__`` (dict state) or ``_legacy_state``. Nothing else runs.
    ``_legacy_name`` is the ``module.qualname`` the file asked for.
    """

    _legacy_name = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> LegacyStub:
        obj = object.__new__(cls)
        obj.__dict__["_legacy_args"] = args
        obj.__dict__["_legacy_kwargs"] = kwargs
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: D107 - arguments were recorded in __new__
        pass

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)):
            state = {**(state[0] or {}), **(state[1] or {})}  # (dict_state, slot_state)
        if isinstance(state, dict):
            self.__dict__.update({str(k): v for k, v in state.items()})
        else:
            self.__dict__["_legacy_state"] = state

    def __repr__(self) -> str:
        return f"<legacy stub {self._legacy_name}>"


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only :data:`_ALLOWED_GLOBALS`; every other global becomes a :class:`LegacyStub`
    subclass named after it. Used through :data:`_RESTRICTED_PICKLE` as ``torch.load(pickle_module=...)``."""

    _stub_cache: dict[tuple[str, str], type] = {}

    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is not None:
            return allowed
        key = (module, name)
        stub = self._stub_cache.get(key)
        if stub is None:
            stub = type(name.replace(".", "_") or "Stub", (LegacyStub,),
                        {"_legacy_name": f"{module}.{name}", "__module__": __name__})
            self._stub_cache[key] = stub
        return stub


def _restricted_load(file: Any, **kwargs: Any) -> Any:
    return RestrictedUnpickler(file, **kwargs).load()


# A module-like object torch.load accepts as ``pickle_module`` (it subclasses ``.Unpickler`` and calls ``.load``).
_RESTRICTED_PICKLE = types.ModuleType("ltr_restricted_pickle")
_RESTRICTED_PICKLE.Unpickler = RestrictedUnpickler  # type: ignore[attr-defined]
_RESTRICTED_PICKLE.load = _restricted_load  # type: ignore[attr-defined]


def _stub_to_data(value: Any, _depth: int = 0) -> Any:
    """Replace stubs by ``{'__legacy_class__': name, **attributes}`` recursively (tensors kept)."""
    if _depth > 30:
        return repr(value)
    if isinstance(value, LegacyStub):
        out: dict[str, Any] = {"__legacy_class__": value._legacy_name}
        for k, v in value.__dict__.items():
            if k in ("_legacy_args", "_legacy_kwargs") and not v:
                continue
            out[k] = _stub_to_data(v, _depth + 1)
        return out
    if isinstance(value, Mapping):
        return type(value)((k, _stub_to_data(v, _depth + 1)) for k, v in value.items()) \
            if isinstance(value, OrderedDict) else {k: _stub_to_data(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_stub_to_data(v, _depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def _legacy_constructor(obj: Any, path: Path) -> dict[str, Any] | None:
    """``{'name', 'module', 'kwargs'}`` from the original ``NetConstructor`` object (a stub here)."""
    if obj is None:
        return None
    attrs = obj.__dict__ if isinstance(obj, LegacyStub) else obj if isinstance(obj, Mapping) else None
    if not attrs or not isinstance(attrs.get("fun_name"), str):
        raise CheckpointError(f"legacy checkpoint {path}: 'constructor' entry has no 'fun_name' ({obj!r})")
    args = attrs.get("args") or ()
    kwds = attrs.get("kwds") or {}
    if not isinstance(kwds, Mapping) or not isinstance(args, (list, tuple)):
        raise CheckpointError(f"legacy checkpoint {path}: constructor 'args'/'kwds' are not a tuple/dict")
    kwargs = dict(kwds)
    if args:  # positional arguments of the original call: map them onto the registered constructor's signature
        params = list(inspect.signature(get_constructor(attrs["fun_name"])).parameters)
        if len(args) > len(params):
            raise CheckpointError(f"legacy checkpoint {path}: {len(args)} positional constructor arguments, "
                                  f"'{attrs['fun_name']}' takes {len(params)}")
        kwargs.update(dict(zip(params, args, strict=False)))
    return {"name": attrs["fun_name"], "module": str(attrs.get("fun_module") or ""), "kwargs": _stub_to_data(kwargs)}


def read_legacy_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Read an original-implementation checkpoint safely and convert it to this package's checkpoint layout.

    Returns a dict with ``format='legacy'``, ``epoch``, ``net_type``, ``net`` (state_dict), ``constructor``
    (plain data or None), ``optimizer`` (if tensors/containers only), ``settings``/``stats`` (stubs converted to
    dicts with ``__legacy_class__``) and ``legacy_keys`` (the original top-level keys).
    """
    path = Path(path)
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        raw = torch.load(io.BytesIO(data), map_location=map_location, pickle_module=_RESTRICTED_PICKLE,
                         weights_only=False)
    except Exception as exc:  # corrupt file, unknown pickle protocol, ...
        raise CheckpointError(f"cannot read legacy checkpoint {path}: {exc}") from exc
    if isinstance(raw, Mapping) and "net" not in raw and all(isinstance(v, torch.Tensor) for v in raw.values()):
        raw = {"net": raw}  # a bare state_dict
    if not isinstance(raw, Mapping) or "net" not in raw:
        raise CheckpointError(f"legacy checkpoint {path} has no 'net' state_dict (top-level type "
                              f"{type(raw).__name__})")
    net_state = raw["net"]
    if not isinstance(net_state, Mapping) or not all(isinstance(v, torch.Tensor) for v in net_state.values()):
        raise CheckpointError(f"legacy checkpoint {path}: 'net' is not a state_dict of tensors")
    return {
        "format": "legacy",
        "epoch": int(raw["epoch"]) if isinstance(raw.get("epoch"), int) else None,
        "net_type": raw.get("net_type") if isinstance(raw.get("net_type"), str) else None,
        "actor_type": raw.get("actor_type") if isinstance(raw.get("actor_type"), str) else None,
        "net": OrderedDict(net_state),
        "constructor": _legacy_constructor(raw.get("constructor"), path),
        "optimizer": _stub_to_data(raw.get("optimizer")),
        "settings": _stub_to_data(raw.get("settings")),
        "stats": _stub_to_data(raw.get("stats")),
        "net_info": _stub_to_data(raw.get("net_info")),
        "legacy_keys": sorted(str(k) for k in raw.keys()),
    }


def _resolve(path: str | os.PathLike) -> Path:
    p = Path(path).expanduser()
    if p.is_dir():
        latest = latest_checkpoint(p)
        if latest is None:
            candidates = sorted(list(p.glob("*.pth.tar")) + list(p.glob("*.pth")))
            if not candidates:
                raise FileNotFoundError(f"no checkpoint (*.pth.tar / *.pth) in directory {p}")
            latest = candidates[-1]
        return latest
    if not p.is_file():
        raise FileNotFoundError(f"network checkpoint not found: {p}")
    return p


def read_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint of either format: new (``weights_only=True``) first, legacy restricted reader otherwise.

    ``path`` may be a directory: its latest ``*_epNNNN.pth.tar`` is used.
    """
    p = _resolve(path)
    try:
        return load_checkpoint(p, map_location=map_location)
    except CheckpointFormatError as exc:  # not our format (or pickled objects): try the original implementation's
        ours = exc
    # (a file of our format that fails its integrity record or holds NaN/Inf is refused above: no second reader)
    try:
        return read_legacy_checkpoint(p, map_location=map_location)
    except CheckpointError as exc:
        if "cannot read legacy checkpoint" not in str(exc):
            raise
        raise CheckpointError(f"{p} is not a readable network checkpoint, neither in this project's format "
                              f"({str(ours).split(': ', 1)[-1]}) nor in the original implementation's "
                              f"({str(exc).split(': ', 1)[-1]}); the file is damaged or of another kind") from None


def load_network(path: str | os.PathLike, *, map_location: Any = "cpu", strict: bool = True,
                 constructor: str | None = None, **kwargs: Any) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the network stored in ``path`` and load its weights.

    Args:
        path: checkpoint file (new or legacy format) or a directory of ``*_epNNNN.pth.tar`` (latest used).
        map_location: device for the loaded tensors (the network is built on CPU; move it yourself).
        strict: ``load_state_dict(strict=...)``.
        constructor: registered constructor name to use when the checkpoint records none (or to override it).
        **kwargs: overrides of the recorded constructor kwargs.

    Returns:
        ``(net, checkpoint_dict)``; ``net`` is in eval mode. ``backbone_pretrained`` is always neutralised to None
        because the checkpoint supplies all weights.
    """
    ckpt = read_checkpoint(path, map_location=map_location)
    check_finite_weights(ckpt["net"], _resolve(path))
    recorded = ckpt.get("constructor")
    if constructor is not None:
        spec = ConstructorSpec(constructor, "", dict(recorded["kwargs"]) if recorded and
                               recorded.get("name") == constructor else {})
    elif recorded:
        spec = ConstructorSpec.from_dict(recorded)
    else:
        raise CheckpointError(f"{path}: checkpoint records no network constructor; pass constructor='<name>' "
                              f"(a registered name, e.g. 'atom_resnet18')")
    params = inspect.signature(get_constructor(spec.name)).parameters
    neutral = {k: v for k, v in LEGACY_NEUTRALISED_KWARGS.items() if k in params}
    net = spec.build(**{**neutral, **kwargs})
    net.load_state_dict(ckpt["net"], strict=strict)
    net.eval()
    return net, ckpt


def verify_network_file(path: str | os.PathLike) -> Path:
    """Read ``path`` as a network checkpoint (either format) and check its weights, without building the network.

    Raises :class:`CheckpointError` naming the file when it is unreadable, not a network checkpoint, fails its
    integrity record, or holds NaN/Inf weights; FileNotFoundError when it does not exist. Returns the resolved path.
    """
    p = _resolve(path)
    ckpt = read_checkpoint(p)
    check_finite_weights(ckpt["net"], p)
    return p

