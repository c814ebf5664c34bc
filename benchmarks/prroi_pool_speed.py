"""Time PrRoIPool for ATOM's shapes against one ResNet-18 forward (to layer3, 1x3x288x288) measured in the same run.

Run: ``python benchmarks/prroi_pool_speed.py [--device cpu|cuda] [--repeats N]``. Prints the median time of each case
and its ratio to the backbone forward, so figures from different machines compare as ratios. On a CUDA device with
the compiled kernel built, each case is timed for the kernel and for the pure-PyTorch path.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ltr.models.backbone.resnet import resnet18
from prroi_pooling import kernel_available, prroi_pool2d


@dataclass(frozen=True)
class Case:
    name: str
    images: int
    channels: int
    size: int
    rois_per_image: int
    pooled: int
    scale: float  # feature stride relative to the 288x288 crop
    grad_features: bool  # training: gradient to features; tracking: gradient to the boxes only


CASES = (
    Case("track 10 boxes 1x256x18x18 3x3", 1, 256, 18, 10, 3, 1 / 16, False),
    Case("track 10 boxes 1x256x18x18 5x5", 1, 256, 18, 10, 5, 1 / 16, False),
    Case("track 10 boxes 1x256x36x36 3x3", 1, 256, 36, 10, 3, 1 / 8, False),
    Case("track 10 boxes 1x256x36x36 5x5", 1, 256, 36, 10, 5, 1 / 8, False),
    Case("train 64x16 boxes 64x256x18x18 3x3", 64, 256, 18, 16, 3, 1 / 16, True),
    Case("train 64x16 boxes 64x256x36x36 5x5", 64, 256, 36, 16, 5, 1 / 8, True),
)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn: Callable[[], object], device: torch.device, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_inputs(case: Case, device: torch.device, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and proposals ``[b, x1, y1, x2, y2]`` in crop pixels, like ATOM's jittered boxes on a 288 crop."""
    feats = torch.randn(case.images, case.channels, case.size, case.size, generator=gen)
    count = case.images * case.rois_per_image
    centre = 144 + 40 * torch.randn(count, 2, generator=gen)
    half = (20 + 60 * torch.rand(count, 2, generator=gen)) / 2
    batch = torch.arange(case.images).repeat_interleave(case.rois_per_image).float()[:, None]
    rois = torch.cat([batch, centre - half, centre + half], dim=1)
    return feats.to(device), rois.to(device)


def time_case(case: Case, device: torch.device, repeats: int, use_kernel: bool | None) -> float:
    gen = torch.Generator().manual_seed(0)
    feats, rois = make_inputs(case, device, gen)
    feats.requires_grad_(case.grad_features)
    rois.requires_grad_(not case.grad_features)
    wrt = feats if case.grad_features else rois

    def step() -> None:
        out = prroi_pool2d(feats, rois, case.pooled, case.pooled, case.scale, use_kernel=use_kernel)
        torch.autograd.grad(out.sum(), wrt)

    return median_seconds(step, device, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_device = "cuda" if torch.cuda.is_available() else "cpu"
    parser.add_argument("--device", default=default_device, help=f"torch device (default: {default_device})")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions per case (median is reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)

    backbone = resnet18(output_layers=["layer2", "layer3"]).to(device).eval()
    image = torch.randn(1, 3, 288, 288, generator=torch.Generator().manual_seed(1)).to(device)
    with torch.no_grad():
        ref = median_seconds(lambda: backbone(image), device, max(args.repeats, 5))

    variants: list[tuple[str, bool | None]] = [("reference", False)]
    if device.type == "cuda" and kernel_available():
        variants.insert(0, ("kernel", True))
    print(f"device: {device} ({torch.get_num_threads()} CPU threads), torch {torch.__version__}")
    print(f"reference: ResNet-18 forward to layer3 on 1x3x288x288 = {ref * 1e3:.2f} ms (ratio 1.00)")
    print(f"{'case (forward + backward)':40s} {'path':10s} {'ms':>10s} {'x resnet18':>11s}")
    for case in CASES:
        for label, use_kernel in variants:
            seconds = time_case(case, device, args.repeats, use_kernel)
            print(f"{case.name:40s} {label:10s} {seconds * 1e3:10.2f} {seconds / ref:11.2f}")


if __name__ == "__main__":
    main()
