"""An ordered dict of named tensors (a training sample, a batch) that forwards tensor methods to its values.

``sample.to(device)``, ``sample.float()`` or ``sample.pin_memory()`` act on every value that has that method and keep
every other value (strings, lists of metadata, numbers) unchanged, so one call moves a whole batch. Only names that
exist on :class:`torch.Tensor` and are not dunder names are forwarded; dict methods (``copy``, ``values``, ``items``,
...) keep their dict meaning. Strings and bytes are never treated as tensors even where they share a method name.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import torch

__all__ = ["TensorDict"]


def _forwardable(value: Any, name: str) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, name)


class TensorDict(OrderedDict):
    """Ordered dict of tensors with tensor-method forwarding over its values; see the module docstring."""

    def concat(self, other: Mapping[str, Any]) -> TensorDict:
        """New TensorDict with the entries of ``self`` followed by those of ``other`` (``other`` wins on clashes)."""
        out = TensorDict(self)
        out.update(other)
        return out

    def copy(self) -> TensorDict:
        """Shallow copy (values are shared)."""
        return TensorDict(self)

    def __deepcopy__(self, memo: dict) -> TensorDict:
        return TensorDict(copy.deepcopy(list(self.items()), memo))

    def attribute(self, name: str, *default: Any) -> TensorDict:
        """``getattr(v, name, *default)`` for every value."""
        return TensorDict((k, getattr(v, name, *default)) for k, v in self.items())

    def apply(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> TensorDict:
        """``fn(v, *args, **kwargs)`` for every value."""
        return TensorDict((k, fn(v, *args, **kwargs)) for k, v in self.items())

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails; never forward dunder names (torch would take the dict for a tensor).
        if (name.startswith("__") and name.endswith("__")) or not hasattr(torch.Tensor, name):
            raise AttributeError(f"'TensorDict' object has no attribute '{name}' (not a torch.Tensor attribute)")
        if not callable(getattr(torch.Tensor, name)):
            return TensorDict((k, getattr(v, name)) for k, v in self.items() if _forwardable(v, name))

        def forwarded(*args: Any, **kwargs: Any) -> TensorDict:
            return TensorDict(
                (k, getattr(v, name)(*args, **kwargs) if _forwardable(v, name) else v) for k, v in self.items()
            )

        forwarded.__name__ = name
        return forwarded
