"""OSTrack tracking speed (256 model, random weights) as a ratio to one plain ViT-B forward of the same token count.

Why a ratio: the machines these numbers come from are shared and their load varies, so absolute milliseconds are not
comparable between runs. The reference is what any one-stream ViT-B tracker must at least do per frame: a standard
12-layer ViT-B encoder (``torch.nn.TransformerEncoder``, pre-norm, GELU, 768 wide, 12 heads, MLP 3072) over the same
64 + 256 = 320 tokens, plus the patch embedding of both images, with PyTorch's own kernels. Candidate elimination
makes the later blocks cheaper, the center head and the crop add work. Each tracked frame is followed by one timed
reference forward, so both see the same load. The same is done for the onnxruntime backend (the network exported by
``python -m pytracking.export``; the reference stays the PyTorch encoder).

Usage::

    python benchmarks/ostrack_speed.py [--sequence DIR] [--frames N] [--threads T] [--no-onnx] [--device cuda]

``--sequence``: an OTB-layout folder, default ``<repo>/../shared/data/otb/Crossing``. ``--device cuda`` runs the
tracker (``use_gpu``) and the reference encoder on the GPU, reading every clock after ``torch.cuda.synchronize()``;
it times the PyTorch backend only (onnxruntime's GPU provider is not assumed; default ``cpu``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn
from track_speed import DEFAULT_SEQUENCE, clock, load_sequence  # same folder: run as a script

from ltr.models.tracking.ostrack import ostrack_vitb_256_ce
from pytracking.tracker.ostrack.backends import export_onnx
from pytracking.tracker.ostrack.ostrack import OSTrack
from pytracking.tracker.ostrack.params import OSTrackParams


class PlainViTB(nn.Module):
    """Reference: patch embedding of a 128 and a 256 px image + a standard ViT-B encoder over the 320 tokens."""

    def __init__(self) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, 768, 16, 16)
        layer = nn.TransformerEncoderLayer(768, 12, 3072, dropout=0.0, activation="gelu", layer_norm_eps=1e-6,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 12, norm=nn.LayerNorm(768, eps=1e-6), enable_nested_tensor=False)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        tokens = torch.cat([self.patch(z).flatten(2), self.patch(x).flatten(2)], dim=2).transpose(1, 2)
        return self.encoder(tokens)


def run(frames: list[np.ndarray], box: list[float], params: OSTrackParams, reference: nn.Module, label: str,
        device: torch.device | None = None) -> dict:
    """Track the frames; after each one, time one reference forward on ``device`` (the reference's device)."""
    device = device or torch.device("cpu")
    tracker = OSTrack(params)
    tracker.initialize(frames[0], {"init_bbox": box})
    z, x = torch.randn(1, 3, 128, 128).to(device), torch.randn(1, 3, 256, 256).to(device)
    track_ms, ref_ms = [], []
    for im in frames[1:]:
        t = clock(device)
        tracker.track(im)
        track_ms.append(1000 * (clock(device) - t))
        t = clock(device)
        with torch.no_grad():
            reference(z, x)
        ref_ms.append(1000 * (clock(device) - t))
    track, ref = statistics.median(track_ms), statistics.median(ref_ms)
    return {"label": label, "track": track, "ref": ref, "ratio": track / ref,
            "ratio_mean": statistics.fmean(track_ms) / statistics.fmean(ref_ms)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sequence", type=Path, default=DEFAULT_SEQUENCE)
    ap.add_argument("--frames", type=int, default=21, help="frames used (first one initialises); default 21")
    ap.add_argument("--threads", type=int, default=None, help="torch and onnxruntime threads (default: torch's)")
    ap.add_argument("--no-onnx", action="store_true", help="skip the onnxruntime backend")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="where the tracker (use_gpu) and the reference run; cuda times the PyTorch backend only")
    args = ap.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: CUDA is not available on this machine")
    device = torch.device(args.device)
    use_gpu = device.type == "cuda"
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    frames, box = load_sequence(args.sequence, args.frames)
    print(f"sequence {args.sequence.name}: {len(frames) - 1} tracked frames, {frames[0].shape[1]}x"
          f"{frames[0].shape[0]}, {threads} threads, device {device}; medians per frame")
    torch.manual_seed(0)
    net = ostrack_vitb_256_ce().eval()
    reference = PlainViTB().eval().to(device)
    rows = [run(frames, box, OSTrackParams(net=net, use_gpu=use_gpu), reference, "torch", device)]
    if use_gpu and not args.no_onnx:
        print("--device cuda: onnxruntime backend not timed (PyTorch backend only)")
    elif not args.no_onnx:
        with tempfile.TemporaryDirectory() as tmp:
            path = export_onnx(net, Path(tmp) / "ostrack_vitb_256_ce.onnx")
            params = OSTrackParams(backend="onnxruntime", onnx_path=str(path), onnx_threads=threads, use_gpu=False)
            rows.append(run(frames, box, params, reference, "onnxruntime"))
    print("| backend | tracker ms/frame | plain ViT-B forward ms (320 tokens) | tracker / ViT-B (median) | (mean) |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['label']} | {r['track']:.1f} | {r['ref']:.1f} | {r['ratio']:.2f} | {r['ratio_mean']:.2f} |")


if __name__ == "__main__":
    main()
