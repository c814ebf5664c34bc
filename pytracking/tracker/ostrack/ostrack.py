"""OSTrack online tracker: a fixed template, one search crop per frame, Hann-windowed arg-max, box mapped back.

Why so little state: OSTrack has no online learning, no template update, no score threshold and no scale smoothing.
Each frame crops 4x (5x for the 384 model) the previous box, runs the one-stream network with the first frame's template
and the CTR_POINT candidate-elimination mask, multiplies the score map by a Hann window, decodes the box at the window's
arg-max from the size and offset maps, maps it back around the previous box's centre and clips it to the image.

Network: ``params.net`` if given, else the file ``params.net_path`` (a bare name is looked up in the tracking
``network_path`` setting); released ``{'net': state_dict}`` files record no constructor, so ``params.constructor``
says which registered network they fit. ``params.backend = 'onnxruntime'`` runs an exported file instead
(:mod:`pytracking.export`).
"""

from __future__ import annotations

import inspect
import time

import numpy as np
import torch

from ltr.admin.loading import read_checkpoint
from ltr.models.registry import ConstructorSpec, get_constructor
from ltr.models.tracking.center_head import cal_bbox
from pytracking.features.extractors import resolve_network_path
from pytracking.tracker.base.basetracker import BaseTracker
from pytracking.tracker.ostrack.backends import NetworkOutput, OnnxRuntimeBackend, TorchBackend
from pytracking.tracker.ostrack.geometry import clip_box, hann2d_window, map_box_back, normalize_crop, sample_target
from pytracking.tracker.ostrack.params import OSTrackParams, check_backend, default_onnx_path

__all__ = ["OSTrack", "load_ostrack_network", "default_onnx_path"]


def load_ostrack_network(net_path: str, constructor: str) -> torch.nn.Module:
    """Build and strictly load the network in ``net_path``; ``constructor`` is used when the file records none."""
    path = resolve_network_path(net_path)
    ckpt = read_checkpoint(path)
    recorded = ckpt.get("constructor")
    spec = ConstructorSpec.from_dict(recorded) if recorded else ConstructorSpec(constructor)
    accepted = inspect.signature(get_constructor(spec.name)).parameters
    overrides = {"mae_pretrained_path": None} if "mae_pretrained_path" in accepted else {}  # weights come from file
    net = spec.build(**overrides)
    try:
        net.load_state_dict(ckpt["net"], strict=True)
    except RuntimeError as exc:
        raise RuntimeError(f"{path}: weights do not fit network '{spec.name}' (set 'constructor' in the parameter "
                           f"file to the network this file was trained with): {exc}") from exc
    return net.eval()


class OSTrack(BaseTracker):
    """The OSTrack tracker (``initialize`` / ``track``), parameters :class:`OSTrackParams`."""

    def __init__(self, params: OSTrackParams) -> None:
        super().__init__(params)
        self._backend: TorchBackend | OnnxRuntimeBackend | None = None
        self.device = torch.device("cpu")

    # ------------------------------------------------------------------ network
    def _select_device(self) -> torch.device:
        use_gpu = bool(self.params.use_gpu)
        return torch.device("cuda") if use_gpu and torch.cuda.is_available() else torch.device("cpu")

    def _ensure_backend(self) -> None:
        if self._backend is not None:
            return
        p = self.params
        check_backend(p)
        self.device = self._select_device()
        if p.backend == "onnxruntime":
            onnx = resolve_network_path(p.onnx_path or default_onnx_path(p.net_path))
            self._backend = OnnxRuntimeBackend(onnx, self.device, use_gpu=self.device.type == "cuda",
                                               threads=p.onnx_threads)
            shape = self._backend.template_shape
            if shape[-1] != p.template_size or self._backend.search_shape[-1] != p.search_size:
                raise ValueError(f"{onnx}: exported for template {shape[-1]} / search "
                                 f"{self._backend.search_shape[-1]} px, the parameters say {p.template_size} / "
                                 f"{p.search_size}")
            mask_inputs = [i for i in self._backend.session.get_inputs() if i.name == "template_mask"]
            nz = int(mask_inputs[0].shape[1]) if mask_inputs else 1
            g = int(round(nz ** 0.5))
            self.template_mask = torch.zeros(1, nz, dtype=torch.bool, device=self.device)
            self.template_mask[0, ((g - 1) // 2) * g + (g - 1) // 2] = True
            self.patch_size = p.template_size // g
        else:
            net = p.net if p.net is not None else load_ostrack_network(p.net_path, p.constructor)
            if net.template_size != p.template_size or net.search_size != p.search_size:
                raise ValueError(f"network expects template {net.template_size} / search {net.search_size} px, the "
                                 f"parameters say {p.template_size} / {p.search_size}")
            self._backend = TorchBackend(net, self.device)
            self.template_mask = net.template_mask(1, device=self.device)
            self.patch_size = net.patch_size

    def run_network(self, search: torch.Tensor) -> NetworkOutput:
        """Network maps for one normalised search crop against the stored template."""
        assert self._backend is not None
        return self._backend(self.template, search, self.template_mask)

    # ------------------------------------------------------------------ tracking
    def initialize(self, image: np.ndarray, info: dict) -> dict:
        self._ensure_backend()  # network loading is not part of the first frame's time
        start = time.perf_counter()
        p = self.params
        self.frame_num = 1
        self.state = [float(v) for v in info["init_bbox"]]
        crop, _ = sample_target(image, self.state, p.template_factor, p.template_size)
        self.template = normalize_crop(crop, self.device)
        self.window: torch.Tensor | None = None
        self.debug_register(2, "image", "Template", lambda: crop)
        return {"target_bbox": list(self.state), "time": time.perf_counter() - start}

    def track(self, image: np.ndarray, info: dict | None = None) -> dict:
        p = self.params
        self.frame_num += 1
        h, w = image.shape[:2]
        crop, resize_factor = sample_target(image, self.state, p.search_factor, p.search_size)
        out = self.run_network(normalize_crop(crop, self.device))
        if self.window is None or self.window.shape[-1] != out.score_map.shape[-1]:
            self.window = hann2d_window(out.score_map.shape[-1], self.device)
        response = self.window * out.score_map
        box = cal_bbox(response, out.size_map, out.offset_map)  # (1, 4) normalised cx, cy, w, h
        pred = (box[0] * p.search_size / resize_factor).tolist()
        self.state = clip_box(map_box_back(pred, self.state, p.search_size, resize_factor), h, w, margin=10)
        self._register_debug(crop, out, response)
        return {"target_bbox": list(self.state)}

    # ------------------------------------------------------------------ debugging
    def _register_debug(self, crop: np.ndarray, out: NetworkOutput, response: torch.Tensor) -> None:
        self.debug_register(1, "info_dict", "Status", lambda: {"frame_num": self.frame_num,
                                                                "max_score": float(out.score_map.max())})
        self.debug_register(2, "image", "Search Region", lambda: crop)
        self.debug_register(2, "heatmap", "Score Map", lambda: out.score_map[0, 0].detach().cpu())
        self.debug_register(2, "heatmap", "Score Map x Window", lambda: response[0, 0].detach().cpu())
        if out.removed_indexes is not None:
            self.debug_register(3, "image", "Eliminated Tokens",
                                lambda: eliminated_tokens_image(crop, out.removed_indexes[0], self.patch_size))


def eliminated_tokens_image(crop: np.ndarray, removed: torch.Tensor, patch_size: int) -> np.ndarray:
    """The search crop with every eliminated token's patch darkened to a quarter of its brightness."""
    img = crop.copy()
    grid = img.shape[1] // patch_size
    for t in removed.detach().cpu().tolist():
        r, c = divmod(int(t), grid)
        cell = img[r * patch_size:(r + 1) * patch_size, c * patch_size:(c + 1) * patch_size]
        cell //= 4
    return img
