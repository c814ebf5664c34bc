"""Network constructors addressed by name, so checkpoints can store *how to build* a network as plain data.

Why: the original framework pickled a constructor object (a class from its own package) into every checkpoint, which
makes checkpoints depend on importable code and forces ``torch.load(weights_only=False)`` - i.e. running whatever the
file says. Here a checkpoint stores ``{'name': 'atom_resnet18', 'module': 'ltr.models.bbreg.atom', 'kwargs': {...}}``;
loading looks the name up in this registry (never imports a module named by the file; the ``module`` entry is only
informative, so old checkpoints load even when a constructor moved) and calls the registered function with the
recorded keyword arguments.

Discovery: constructors register themselves where they are defined. On the first lookup of an unknown name every
module under ``ltr.models`` is imported once (:func:`discover`), so a new network only needs its own module with the
decorator - no list to edit. An import error in any of those modules is raised with the module's name, never skipped.

Usage::

    @register_constructor("atom_resnet18")
    def atom_resnet18(iou_input_dim=(256, 256), ...) -> nn.Module: ...

    net = atom_resnet18(backbone_pretrained=None)
    net.constructor            # ConstructorSpec(name='atom_resnet18', module=..., kwargs={... all arguments ...})
    net2 = build_network(net.constructor.name, net.constructor.kwargs)
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ltr.admin.errors import UserError

__all__ = [
    "ConstructorSpec",
    "UnknownConstructorError",
    "register_constructor",
    "get_constructor",
    "build_network",
    "registered_names",
    "to_plain_data",
    "discover",
    "NetworkModuleImportError",
]

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}
_DISCOVERED = False


class NetworkModuleImportError(ImportError):
    """A module under ``ltr.models`` failed to import during constructor discovery."""


class UnknownConstructorError(UserError, KeyError):
    """A checkpoint names a network constructor that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ConstructorSpec:
    """How a network was built: registered constructor name, defining module (informative) and keyword arguments."""

    name: str
    module: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form stored in checkpoints (loads with ``torch.load(weights_only=True)``)."""
        return {"name": self.name, "module": self.module, "kwargs": to_plain_data(self.kwargs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConstructorSpec:
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
            raise ValueError(f"constructor entry must be a dict with a 'name' string, got {data!r}")
        kwargs = data.get("kwargs") or {}
        if not isinstance(kwargs, Mapping):
            raise ValueError(f"constructor 'kwargs' must be a dict, got {type(kwargs).__name__}")
        return cls(name=data["name"], module=str(data.get("module") or ""), kwargs=dict(kwargs))

    def build(self, **overrides: Any) -> nn.Module:
        """Call the registered constructor with the recorded kwargs updated by ``overrides``."""
        return build_network(self.name, {**self.kwargs, **overrides})


def to_plain_data(value: Any, _path: str = "kwargs") -> Any:
    """Check ``value`` is plain data (None/bool/int/float/str, lists/tuples/dicts of those) and return it.

    Paths are converted to str. Anything else raises ``TypeError`` naming where it was found, because it could not be
    stored in a ``weights_only`` checkpoint.
    """
    import os

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        items = [to_plain_data(v, f"{_path}[{i}]") for i, v in enumerate(value)]
        return type(value)(items) if isinstance(value, list) else tuple(items)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{_path}: dict keys must be str, got {k!r}")
            out[k] = to_plain_data(v, f"{_path}.{k}")
        return out
    raise TypeError(f"{_path}: {type(value).__name__} is not plain data (use None/bool/int/float/str/list/dict)")


def register_constructor(name: str | None = None) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: register a network constructor under ``name`` (default: the function's name).

    The wrapped function attaches ``net.constructor = ConstructorSpec(...)`` with *all* arguments (defaults filled
    in) to the network it returns. Constructors must take keyword-compatible, plain-data arguments.
    """

    def decorator(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        reg_name = name or fn.__name__
        if reg_name in _REGISTRY and _REGISTRY[reg_name].__wrapped__ is not fn:  # type: ignore[attr-defined]
            existing = _REGISTRY[reg_name].__wrapped__  # type: ignore[attr-defined]
            if (existing.__module__, existing.__qualname__) != (fn.__module__, fn.__qualname__):
                raise ValueError(f"network constructor name '{reg_name}' is already registered by "
                                 f"{existing.__module__}.{existing.__qualname__}")
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> nn.Module:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            recorded = dict(bound.arguments)
            spec = ConstructorSpec(reg_name, fn.__module__, to_plain_data(recorded))
            net = fn(*args, **kwargs)
            net.constructor = spec
            return net

        _REGISTRY[reg_name] = wrapper
        return wrapper

    return decorator


def discover(package: str = "ltr.models") -> list[str]:
    """Import every module under ``package`` (once per process for the default), registering their constructors.

    Returns the imported module names.

    Raises:
        NetworkModuleImportError: a module failed to import; the message names it and the original error.
    """
    global _DISCOVERED
    if package == "ltr.models" and _DISCOVERED:
        return []
    root = importlib.import_module(package)

    def failed(name: str) -> None:  # pkgutil calls this when importing a sub-package fails
        raise NetworkModuleImportError(f"network constructor discovery: importing package {name} failed", name=name)

    imported = []
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}.", onerror=failed):
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            raise NetworkModuleImportError(f"network constructor discovery: importing {info.name} failed: "
                                           f"{type(exc).__name__}: {exc}", name=info.name) from exc
        imported.append(info.name)
    if package == "ltr.models":
        _DISCOVERED = True
    return imported


def registered_names() -> list[str]:
    """Names of all registered constructors (every module under ``ltr.models`` imported first)."""
    discover()
    return sorted(_REGISTRY)


def get_constructor(name: str) -> Callable[..., nn.Module]:
    """The registered constructor called ``name``; raises :class:`UnknownConstructorError` listing known names."""
    if name not in _REGISTRY:
        discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownConstructorError(
            f"no network constructor registered as '{name}'; known: {sorted(_REGISTRY)}. Register it with "
            f"@ltr.models.registry.register_constructor('{name}') in a module under ltr.models (found automatically) "
            f"or in a module imported before loading."
        ) from None


def build_network(name: str, kwargs: Mapping[str, Any] | None = None) -> nn.Module:
    """Build a network from its registered constructor name and keyword arguments (unknown kwargs are an error)."""
    fn = get_constructor(name)
    kwargs = dict(kwargs or {})
    params = inspect.signature(fn).parameters
    accepts_var = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unknown = [k for k in kwargs if k not in params] if not accepts_var else []
    if unknown:
        raise TypeError(f"constructor '{name}' does not accept argument(s) {unknown}; it takes {list(params)}")
    return fn(**kwargs)
