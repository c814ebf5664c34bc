"""Typed parameter containers for trackers (and the legacy attribute bags they replace).

Why typed: a tracker's settings used to be an untyped bag that tracker code read with ``get(name, default)``, so every
default was stated twice (parameter file and tracker code) and the two could disagree, and a misspelt setting in a
parameter file was silently ignored. Now each tracker declares one dataclass whose field defaults are the single source
of truth; parameter files (``pytracking/parameter/<tracker>/<name>.py``) keep their familiar shape::

    def parameters() -> AtomParams:
        params = AtomParams()
        params.search_area_scale = 4      # attribute assignment, as before
        return params

and setting a name the class does not declare raises :class:`UnknownParameterError` naming the file and line of the
assignment, the bad name and the closest valid names.

How a tracker declares its parameters (any tracker, e.g. ``pytracking/tracker/<name>/params.py``)::

    from dataclasses import dataclass
    from pytracking.utils.params import TrackerParamsBase

    @dataclass(eq=False)
    class MyParams(TrackerParamsBase):
        search_area_scale: float = 4.0      # every field needs a default (the published value)
        # spellings users copy from other code bases: accepted once with a warning
        ALIASES: ClassVar[dict[str, str]] = {"serach_area_scale": "search_area_scale"}

Nested groups are plain :class:`Params` dataclasses held in a field (``default_factory``); they get the same checks.
``TrackerParams`` / ``FeatureParams`` (the old bags) still work for user files until the next release, with a
:class:`DeprecationWarning`; :meth:`Params.from_legacy` converts one into a typed instance (unknown names are errors).
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
import warnings
from typing import Any, ClassVar, TypeVar

__all__ = ["FeatureParams", "MissingParameterError", "ParameterAliasWarning", "Params", "TrackerParams",
           "TrackerParamsBase", "UnknownParameterError"]

_NO_DEFAULT = object()
P = TypeVar("P", bound="Params")


class MissingParameterError(AttributeError):
    """A required tracker/feature parameter was never set by the parameter file."""


class UnknownParameterError(AttributeError):
    """A parameter file set a name the tracker's parameter class does not declare."""


class ParameterAliasWarning(UserWarning):
    """A parameter was set under an accepted alias (e.g. the original framework's spelling)."""


def _caller_location() -> str:
    """``file:line`` of the first frame outside this module (the parameter file doing the assignment)."""
    frame = sys._getframe(1)
    here = __file__
    while frame is not None and frame.f_code.co_filename == here:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


@dataclasses.dataclass(eq=False)
class Params:
    """Base of typed parameter groups: declared dataclass fields only, unknown names are errors.

    Subclasses are ``@dataclass(eq=False)`` classes whose fields all have defaults. ``ALIASES`` maps accepted
    alternative spellings to field names (each use warns once per call site with :class:`ParameterAliasWarning`).
    """

    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the declared fields, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    def _resolve(self, name: str, location: str | None) -> str:
        names = self.field_names()
        if name in names or name.startswith("__"):
            return name
        target = self.ALIASES.get(name)
        if target is not None:
            warnings.warn(f"{location or _caller_location()}: parameter {name!r} of {type(self).__name__} is an "
                          f"alias; write {target!r}", ParameterAliasWarning, stacklevel=4)
            return target
        close = difflib.get_close_matches(name, names + list(self.ALIASES), n=3, cutoff=0.6)
        hint = f"; closest valid names: {', '.join(close)}" if close else f"; valid names: {', '.join(names)}"
        raise UnknownParameterError(f"{location or _caller_location()}: unknown parameter {name!r} for "
                                    f"{type(self).__name__}{hint}")

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, self._resolve(name, None), value)

    def __getattr__(self, name: str) -> Any:  # only called when normal lookup fails
        target = type(self).ALIASES.get(name)
        if target is not None:
            return getattr(self, target)
        raise AttributeError(f"{type(self).__name__} has no parameter {name!r}")

    def set(self, location: str, **values: Any) -> None:
        """Set several fields; errors name ``location`` (e.g. the file the values came from)."""
        for name, value in values.items():
            object.__setattr__(self, self._resolve(name, location), value)

    def to_dict(self) -> dict[str, Any]:
        """Field values (nested groups as dicts), e.g. for logging the settings of a run."""
        return {name: (v.to_dict() if isinstance(v := getattr(self, name), Params) else v)
                for name in self.field_names()}

    @classmethod
    def from_legacy(cls: type[P], legacy: TrackerParams, location: str) -> P:
        """A typed instance with every attribute of an old-style ``TrackerParams`` bag set on it.

        ``location`` names where the bag came from (the parameter module) in error messages. Every name the class
        does not declare is reported, all in one :class:`UnknownParameterError` (a file written for another framework
        version may hold several).
        """
        out = cls()
        problems = []
        for name, value in vars(legacy).items():
            try:
                out.set(location, **{name: value})
            except UnknownParameterError as err:
                problems.append(str(err))
        if problems:
            raise UnknownParameterError("\n".join(problems))
        return out

    def __repr__(self) -> str:
        changed = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                   if f.default is dataclasses.MISSING or getattr(self, f.name) is not f.default]
        return f"{type(self).__name__}({', '.join(changed)})"


@dataclasses.dataclass(eq=False)
class TrackerParamsBase(Params):
    """Run-time fields every tracker has; a tracker's parameter class derives from this.

    Attributes:
        debug: debug level (0: none; 1..4: more visualisation blocks, see ``BaseTracker.debug_register``).
        visualization: show the tracking visualisation.
        use_gpu: run on CUDA when available (CPU otherwise).
        seed: seeds the tracker's random generator (random initialisation, augmentation, box jitter).
    """

    debug: int = 0
    visualization: bool = False
    use_gpu: bool = True
    seed: int = 0


class TrackerParams:
    """Deprecated attribute bag for tracker settings (use the tracker's typed parameter class).

    Kept so that parameter files written the old way still run until the next release; creating one warns.
    """

    def __init__(self) -> None:
        warnings.warn(f"{type(self).__name__} is deprecated: fill the tracker's typed parameter class instead "
                      f"(e.g. pytracking.tracker.atom.params.AtomParams); see pytracking/README.md",
                      DeprecationWarning, stacklevel=2)

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
    """Deprecated: settings of one feature (use the tracker's typed feature parameter class)."""

    def __init__(self, **kwargs: Any) -> None:  # warns itself: the warning points at the caller
        warnings.warn("FeatureParams is deprecated: fill the tracker's typed feature parameter class instead (e.g. "
                      "pytracking.tracker.atom.params.AtomFeatureParams); see pytracking/README.md",
                      DeprecationWarning, stacklevel=2)
        for name, value in kwargs.items():
            setattr(self, name, value)
