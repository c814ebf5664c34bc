"""Where OSTrack's network runs: PyTorch (any device) or onnxruntime on an exported file.

Why one small interface: the tracker needs only "template, search, mask -> score, size and offset maps (and the
eliminated token indices for debugging)", so the ONNX file made by :mod:`pytracking.export` can stand in for the
PyTorch module without the tracker knowing. Both return float32 tensors on the tracker's device.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

__all__ = ["NetworkOutput", "TorchBackend", "OnnxRuntimeBackend", "ExportWrapper", "export_onnx", "ONNX_INPUTS",
           "ONNX_OUTPUTS", "OnnxRuntimeMissingError"]

ONNX_INPUTS = ("template", "search", "template_mask")
ONNX_OUTPUTS = ("score_map", "size_map", "offset_map", "removed_indexes")


class OnnxRuntimeMissingError(ImportError):
    """The onnxruntime backend or the ONNX export was requested but the packages are not installed."""


@dataclass
class NetworkOutput:
    score_map: torch.Tensor  # (1,1,F,F)
    size_map: torch.Tensor  # (1,2,F,F)
    offset_map: torch.Tensor  # (1,2,F,F)
    removed_indexes: torch.Tensor | None  # (1, n) original raster indices of eliminated search tokens


class TorchBackend:
    """Runs the PyTorch network in eval mode without gradients on ``device``."""

    def __init__(self, net: nn.Module, device: torch.device) -> None:
        self.net = net.to(device).eval()
        self.device = device

    def __call__(self, template: torch.Tensor, search: torch.Tensor, template_mask: torch.Tensor) -> NetworkOutput:
        with torch.no_grad():
            out = self.net(template, search, ce_template_mask=template_mask)
        removed = out["removed_indexes_s"]
        return NetworkOutput(out["score_map"], out["size_map"], out["offset_map"],
                             torch.cat(removed, dim=1) if removed else None)


class ExportWrapper(nn.Module):
    """Tuple-returning view of an OSTrack network for tracing: (score, size, offset[, removed indices])."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, template: torch.Tensor, search: torch.Tensor,
                template_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.net(template, search, ce_template_mask=template_mask)
        maps = (out["score_map"], out["size_map"], out["offset_map"])
        if out["removed_indexes_s"]:
            return maps + (torch.cat(out["removed_indexes_s"], dim=1),)
        return maps


def _require_onnx() -> None:
    import importlib.util  # noqa: PLC0415

    missing = [m for m in ("onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        raise OnnxRuntimeMissingError(f"{' and '.join(missing)} not installed; install the 'onnx' extra "
                                      f"(pip install -e '.[onnx]') or rerun install.sh")


def export_onnx(net: nn.Module, path: str | os.PathLike, opset: int = 17) -> Path:
    """Trace ``net`` (batch 1, its fixed template/search sizes, CE path included) into an ONNX file at ``path``.

    Written to a temporary file first and renamed, so an interrupted export never leaves a truncated file.
    """
    _require_onnx()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    was_training = net.training
    wrapper = ExportWrapper(net).eval()
    device = next(net.parameters()).device
    template = torch.zeros(1, 3, net.template_size, net.template_size, device=device)
    search = torch.zeros(1, 3, net.search_size, net.search_size, device=device)
    mask = net.template_mask(1, device=device)
    n_out = len(wrapper(template, search, mask))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on Python-level shape checks of fixed sizes
            torch.onnx.export(wrapper, (template, search, mask), str(tmp), dynamo=False, opset_version=opset,
                              input_names=list(ONNX_INPUTS), output_names=list(ONNX_OUTPUTS[:n_out]),
                              do_constant_folding=True)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
        net.train(was_training)
    return path


class OnnxRuntimeBackend:
    """Runs an exported OSTrack ONNX file with onnxruntime (CUDA provider first when available and asked for)."""

    def __init__(self, path: str | os.PathLike, device: torch.device, use_gpu: bool = False,
                 threads: int | None = None) -> None:
        _require_onnx()
        import onnxruntime as ort  # noqa: PLC0415 - optional dependency

        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = int(threads)

        available = ort.get_available_providers()
        providers = ["CPUExecutionProvider"]
        if use_gpu and "CUDAExecutionProvider" in available:
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        if self.output_names[:3] != list(ONNX_OUTPUTS[:3]):
            raise ValueError(f"{path}: not an OSTrack export (outputs {self.output_names}, expected "
                             f"{list(ONNX_OUTPUTS)}); make it with python -m pytracking.export")
        self.template_shape = tuple(self.session.get_inputs()[0].shape)
        self.search_shape = tuple(self.session.get_inputs()[1].shape)
        self.device = device
        self.path = Path(path)

    def __call__(self, template: torch.Tensor, search: torch.Tensor, template_mask: torch.Tensor) -> NetworkOutput:
        for name, t, shape in (("template", template, self.template_shape), ("search", search, self.search_shape)):
            if tuple(t.shape) != shape:
                raise ValueError(f"{self.path}: exported for {name} {shape}, got {tuple(t.shape)}; export again with "
                                 f"the parameter set you track with")
        feed = {"template": template, "search": search, "template_mask": template_mask}
        outs = self.session.run(None, {k: feed[k].detach().cpu().numpy() for k in self.input_names})
        t = [torch.from_numpy(o).to(self.device) for o in outs]
        return NetworkOutput(t[0], t[1], t[2], t[3] if len(t) > 3 else None)
