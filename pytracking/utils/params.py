"""Parameter containers for trackers and their features.

Why a plain attribute bag: parameter files (``pytracking/parameter/<tracker>/<name>.py``) set whatever settings a
tracker understands, and trackers read optional settings with a default. ``get``/``has`` make "optional with a
default" explicit instead of scattering ``getattr(params, name, default)`` with silent typos.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FeatureParams", "MissingParameterError", "TrackerParams"]

_NO_DEFAULT = object()


class MissingParameterError(AttributeError):
    """A required tracker/feature parameter was never set by the parameter file."""


class TrackerParams:
    """Attribute bag for tracker settings. Set attributes freely; read optional ones with :meth:`get`."""

    def get(self, name: str, *default: Any) -> Any:
        """Value of ``name``; with one extra argument that value is returned when ``name`` is unset.

        Raises:
            MissingParameterError: ``name`` is unset and no default was given.
            TypeError: more than one default was given.
        """
        if len(default) > 1:
            raise TypeError(f"get({name!r}, ...) takes at most one default, got {len(default)}")
        if name in self.__dict__:
            return self.__dict__[name]
        if default:
            return default[0]
        raise MissingParameterError(f"parameter {name!r} is not set in {type(self).__name__} "
                                    f"(set it in the parameter file or pass a default to get())")

    def has(self, name: str) -> bool:
        """Whether ``name`` has been set."""
        return name in self.__dict__

    def set_default_values(self, defaults: dict[str, Any]) -> None:
        """Set each entry of ``defaults`` unless the attribute is already set."""
        for name, value in defaults.items():
            if not self.has(name):
                setattr(self, name, value)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in sorted(self.__dict__.items()))
        return f"{type(self).__name__}({items})"


class FeatureParams(TrackerParams):
    """Settings that belong to one feature (e.g. learning rate, filter size of the classifier on layer3)."""

    def __init__(self, **kwargs: Any) -> None:
        for name, value in kwargs.items():
            setattr(self, name, value)
