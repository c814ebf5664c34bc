"""OSTrack's tracker parameters: one declared type whose defaults are the published 256 setting.

Why a declared type instead of an attribute bag: every setting the tracker reads is listed here once, with its default
and meaning, so a parameter file only states what differs, and a misspelt name (``serach_size``) fails at once with the
file and line that set it instead of being silently ignored.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["OSTrackParams", "UnknownParameterError", "BACKENDS"]

BACKENDS = ("torch", "onnxruntime")
_NO_DEFAULT = object()


class UnknownParameterError(AttributeError):
    """A parameter file set (or the tracker read) a name that :class:`OSTrackParams` does not declare."""


@dataclass
class OSTrackParams:
    """Settings of :class:`pytracking.tracker.ostrack.OSTrack` (defaults: ``vitb_256_mae_ce_32x4_ep300``).

    Attributes:
        net_path: network file (released ``{'net': state_dict}`` or this project's checkpoint); a bare name is looked
            up in the tracking ``network_path`` setting.
        constructor: registered network constructor used when the file records none (released files never do).
        net: an already built network (tests, notebooks); replaces ``net_path`` when set.
        template_factor / template_size: template crop side = ``ceil(sqrt(w h) * factor)``, resized to this size.
        search_factor / search_size: search crop around the previous box, likewise.
        backend: ``'torch'`` or ``'onnxruntime'`` (runs the file made by ``python -m pytracking.export``).
        onnx_path: ONNX file for the onnxruntime backend; None = ``net_path`` with its extension replaced by
            ``_<param_name>.onnx`` (what the export command writes by default), looked up like ``net_path``.
        onnx_threads: onnxruntime intra-op threads (None = onnxruntime's default, all cores).
        use_gpu: run on CUDA when available (torch backend; onnxruntime uses its CUDA provider when installed).
        debug / visualization: debug level (visdom blocks) and the wrapper's visualisation switch.
        tracker_name / param_name: filled in by the evaluation wrapper.
    """

    net_path: str = "OSTrack_ep0300.pth.tar"
    constructor: str = "ostrack_vitb_256_ce"
    net: Any = None
    template_factor: float = 2.0
    template_size: int = 128
    search_factor: float = 4.0
    search_size: int = 256
    backend: str = "torch"
    onnx_path: str | None = None
    onnx_threads: int | None = None
    use_gpu: bool = True
    debug: int = 0
    visualization: bool = False
    tracker_name: str = "ostrack"
    param_name: str = ""

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _FIELD_NAMES:
            frame = sys._getframe(1)
            raise UnknownParameterError(
                f"{frame.f_code.co_filename}:{frame.f_lineno}: OSTrack has no parameter {name!r}; declared ones are "
                f"{sorted(_FIELD_NAMES)} (pytracking/tracker/ostrack/params.py)")
        if name == "backend" and value not in BACKENDS:
            frame = sys._getframe(1)
            raise ValueError(f"{frame.f_code.co_filename}:{frame.f_lineno}: backend must be one of {BACKENDS}, "
                             f"got {value!r}")
        object.__setattr__(self, name, value)

    # The evaluation wrapper and BaseTracker read optional settings through get()/has().
    def get(self, name: str, default: Any = _NO_DEFAULT) -> Any:
        """Value of the declared parameter ``name`` (``default`` is accepted for interface compatibility only)."""
        if name in _FIELD_NAMES:
            return getattr(self, name)
        if default is not _NO_DEFAULT:
            return default
        raise UnknownParameterError(f"OSTrack has no parameter {name!r} (pytracking/tracker/ostrack/params.py)")

    def has(self, name: str) -> bool:
        return name in _FIELD_NAMES


_FIELD_NAMES = frozenset(f.name for f in fields(OSTrackParams))
