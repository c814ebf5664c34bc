"""OSTrack's tracker parameters: one declared type whose defaults are the published 256 setting.

Why a declared type instead of an attribute bag: every setting the tracker reads is listed here once, with its default
and meaning, so a parameter file only states what differs, and a misspelt name (``serach_size``) fails at once with the
file and line that set it instead of being silently ignored (:class:`~pytracking.utils.params.TrackerParamsBase`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytracking.utils.params import TrackerParamsBase, UnknownParameterError

__all__ = ["OSTrackParams", "UnknownParameterError", "BACKENDS", "check_backend", "default_onnx_path"]

BACKENDS = ("torch", "onnxruntime")


def default_onnx_path(net_path: str) -> str:
    """``OSTrack_ep0300.pth.tar`` -> ``OSTrack_ep0300.onnx`` (same folder)."""
    p = Path(net_path)
    name = p.name
    for suffix in (".pth.tar", ".pth", ".tar", ".pt"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return str(p.with_name(name + ".onnx"))


def check_backend(params: OSTrackParams) -> None:
    """Raise ``ValueError`` naming the parameter set unless ``params.backend`` is one of :data:`BACKENDS`."""
    if params.backend not in BACKENDS:
        where = f"parameter set '{params.tracker_name} {params.param_name}'" if params.param_name else "OSTrackParams"
        raise ValueError(f"{where}: backend must be one of {BACKENDS}, got {params.backend!r}")


@dataclass(eq=False)
class OSTrackParams(TrackerParamsBase):
    """Settings of :class:`pytracking.tracker.ostrack.OSTrack` (defaults: ``vitb_256_mae_ce_32x4_ep300``).

    Attributes (besides ``debug``, ``visualization``, ``use_gpu``, ``seed`` of the base):
        net_path: network file (released ``{'net': state_dict}`` or this project's checkpoint); a bare name is looked
            up in the tracking ``network_path`` setting.
        constructor: registered network constructor used when the file records none (released files never do).
        net: an already built network (tests, notebooks); replaces ``net_path`` when set.
        template_factor / template_size: template crop side = ``ceil(sqrt(w h) * factor)``, resized to this size.
        search_factor / search_size: search crop around the previous box, likewise.
        backend: ``'torch'`` or ``'onnxruntime'`` (runs the file made by ``python -m pytracking.export``).
        onnx_path: ONNX file for the onnxruntime backend; None = ``net_path`` with ``.onnx`` instead of ``.pth.tar``
            (what the export command writes by default), looked up like ``net_path``.
        onnx_threads: onnxruntime intra-op threads (None = onnxruntime's default, all cores).
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
    tracker_name: str = "ostrack"
    param_name: str = ""

    def validate(self) -> None:
        """Check values that have a fixed set of choices (``backend``); raises ``ValueError``."""
        check_backend(self)

    def network_files(self) -> list[tuple[str, str]]:
        """The files tracking will read, as ``(path, kind)`` with kind ``'checkpoint'`` or ``'onnx'``, for the checks
        before a run (``pytracking.evaluation.preflight``): the exported file for the onnxruntime backend (the
        checkpoint is then not needed), else ``net_path`` unless a network is given in memory."""
        if self.backend == "onnxruntime":
            return [(self.onnx_path or default_onnx_path(self.net_path), "onnx")]
        return [] if self.net is not None else [(self.net_path, "checkpoint")]
