"""Export OSTrack's network for a parameter set to ONNX and check the file against PyTorch.

Why check at export time: tracing fixes every shape and the candidate-elimination path (three sorts and gathers with
fixed keep counts); comparing onnxruntime's maps with PyTorch's on one random input right after writing the file
catches a wrong export before anyone tracks with it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from pytracking.tracker.ostrack.backends import ONNX_OUTPUTS, OnnxRuntimeBackend, TorchBackend, export_onnx
from pytracking.tracker.ostrack.params import OSTrackParams

__all__ = ["export", "compare_backends", "default_export_path"]


def default_export_path(params: OSTrackParams) -> Path:
    """Where the onnxruntime backend looks by default: ``onnx_path`` or the network file name with ``.onnx``."""
    from pytracking.tracker.ostrack.ostrack import default_onnx_path  # noqa: PLC0415

    p = Path(params.onnx_path or default_onnx_path(params.net_path)).expanduser()
    if p.is_absolute():
        return p
    from pytracking.evaluation.environment import env_settings  # noqa: PLC0415

    return Path(env_settings().network_path) / p


def compare_backends(net: torch.nn.Module, onnx_path: str | os.PathLike, seed: int = 0) -> dict[str, float]:
    """Max absolute difference per output map between PyTorch and onnxruntime on one random input pair."""
    gen = torch.Generator().manual_seed(seed)
    device = next(net.parameters()).device
    z = torch.randn(1, 3, net.template_size, net.template_size, generator=gen).to(device)
    x = torch.randn(1, 3, net.search_size, net.search_size, generator=gen).to(device)
    mask = net.template_mask(1, device=device)
    ref = TorchBackend(net, device)(z, x, mask)
    got = OnnxRuntimeBackend(onnx_path, device)(z, x, mask)
    diffs = {}
    for name in ONNX_OUTPUTS[:3]:
        diffs[name] = float(np.abs(getattr(ref, name).cpu().numpy() - getattr(got, name).cpu().numpy()).max())
    if ref.removed_indexes is not None:
        diffs["removed_indexes"] = float((ref.removed_indexes.cpu() != got.removed_indexes.cpu()).sum())
    return diffs


def export(params: OSTrackParams, path: str | os.PathLike | None = None, net: torch.nn.Module | None = None,
           overwrite: bool = False) -> tuple[Path, dict[str, float]]:
    """Write the ONNX file for ``params`` (network from ``params.net`` / ``net_path``) and compare it with PyTorch.

    Returns ``(path, max differences per output)``. An existing file is replaced only with ``overwrite`` (raises
    :class:`FileExistsError` otherwise); the write is atomic.
    """
    from pytracking.tracker.ostrack.ostrack import load_ostrack_network  # noqa: PLC0415

    if net is None:
        net = params.net if params.net is not None else load_ostrack_network(params.net_path, params.constructor)
    net = net.cpu().eval()
    out = Path(path) if path is not None else default_export_path(params)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass --force (overwrite=True) to replace it")
    export_onnx(net, out)
    return out, compare_backends(net, out)
