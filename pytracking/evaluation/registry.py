"""Which trackers and parameter sets exist, found by discovery (no hand-kept list to update).

A tracker is a package ``pytracking/tracker/<name>/`` whose ``__init__`` exposes ``get_tracker_class()`` (``base``
is the shared interface, not a tracker); its parameter sets are the modules ``pytracking/parameter/<name>/<set>.py``
(names starting with ``_`` are helpers, not sets). Discovery lists files only: nothing is imported, so a broken
tracker cannot hide the others and listing stays fast.

Used by ``run_tracker.py --list`` and for the up-front check of a ``<tracker> <param>`` pair; other command lines
can call :func:`check_tracker` before they load any data.
"""

from __future__ import annotations

import difflib
import pkgutil

import pytracking.parameter
import pytracking.tracker
from ltr.admin.errors import UserError

__all__ = ["UnknownTrackerError", "available_trackers", "check_tracker", "format_available"]

_NOT_TRACKERS = frozenset({"base"})


class UnknownTrackerError(UserError, ValueError):
    """A tracker or parameter-set name that does not exist; the message lists what does."""


def _modules(paths: list[str], packages: bool) -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(paths) if m.ispkg == packages and not m.name.startswith("_"))


def available_trackers() -> dict[str, list[str]]:
    """``{tracker: [parameter sets]}`` for every tracker package under ``pytracking/tracker`` (sorted)."""
    out: dict[str, list[str]] = {}
    params_root = list(pytracking.parameter.__path__)
    for name in _modules(list(pytracking.tracker.__path__), packages=True):
        if name in _NOT_TRACKERS:
            continue
        param_paths = [f"{root}/{name}" for root in params_root]
        out[name] = _modules(param_paths, packages=False)
    return out


def format_available(trackers: dict[str, list[str]] | None = None) -> str:
    """One line per tracker: ``name: set1, set2`` (for ``--list`` and error messages)."""
    trackers = available_trackers() if trackers is None else trackers
    return "\n".join(f"  {name}: {', '.join(sets) or '(no parameter sets)'}" for name, sets in trackers.items())


def _closest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def check_tracker(tracker: str, parameter_set: str | None = None) -> None:
    """Raise :class:`UnknownTrackerError` unless ``tracker`` (and ``parameter_set``) exist.

    Dotted names (``mypkg.mytracker``: a module supplying its own tracker class and parameters) are not checked.
    """
    if "." in tracker:
        return
    trackers = available_trackers()
    if tracker not in trackers:
        raise UnknownTrackerError(f"unknown tracker {tracker!r}{_closest(tracker, list(trackers))}; available "
                                  f"trackers and parameter sets:\n{format_available(trackers)}")
    sets = trackers[tracker]
    if parameter_set is not None and parameter_set not in sets:
        raise UnknownTrackerError(
            f"unknown parameter set {parameter_set!r} for tracker {tracker!r}{_closest(parameter_set, sets)}; "
            f"available: {', '.join(sets) or '(none: add pytracking/parameter/' + tracker + '/<name>.py)'}")
