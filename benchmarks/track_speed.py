"""ATOM tracking speed on one real sequence, as a ratio to the backbone forward measured in the same run.

Why a ratio: the machines these numbers come from are shared and their load varies, so absolute milliseconds are
not comparable between runs. The backbone (ResNet-18 up to layer3 on one 288x288 patch) is the irreducible per-frame
work of ATOM; everything else the tracker does should be small next to it. Each tracked frame is followed by one
timed backbone forward, so both see the same load.

Usage::

    python benchmarks/track_speed.py [--sequence DIR] [--network FILE] [--frames N] [--reference]
    python benchmarks/track_speed.py --param mobilenetv2 --threads 2     # a parameter set as shipped
    python benchmarks/track_speed.py --device cuda --frames 60          # tracker and floor on the GPU

``--sequence``: an OTB-layout folder (``img/%04d.jpg`` + ``groundtruth_rect.txt``), default
``<repo>/../shared/data/otb/Crossing``. Without ``--network`` a random-weight ``atom_resnet18`` is used (speed does not
depend on the weights). ``--repeats N`` runs the sequence N times (configurations interleaved) and prints the
median ratios; ``--lockstep`` runs the configurations (with ``--reference``) side by side, frame by frame, for
paired figures.
``--reference`` also runs the straightforward paths (autograd double-backward Gauss–Newton products, IoU-Net test
features over the whole sample, autograd box gradients, plain memory layout) to show what the fast paths save.
The floor is the network as loaded (standard NCHW layout) running the backbone up to layer3.
``--param NAME`` times the parameter set ``atom NAME`` exactly as shipped (its own backbone and settings; the floor is
still the random-weight ResNet-18 to layer3, so the ratio says how it compares with one ResNet-18 forward).
``--device cuda`` runs the tracker with ``use_gpu`` and the floor's backbone forward on the GPU; every clock is read
after ``torch.cuda.synchronize()`` so queued GPU work is counted where it was issued (default ``cpu``).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ltr.models.bbreg.atom import atom_resnet18
from pytracking.features.extractors import ATOMResNet18
from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom.atom import ATOM

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SEQUENCE = REPO.parent / "shared" / "data" / "otb" / "Crossing"


def load_sequence(seq: Path, max_frames: int | None) -> tuple[list[np.ndarray], list[float]]:
    """RGB frames and the first ground-truth box of an OTB-layout sequence."""
    gt_file = seq / "groundtruth_rect.txt"
    if not gt_file.is_file():
        raise FileNotFoundError(f"{gt_file} not found (expected an OTB-layout sequence folder)")
    first = [float(v) for v in re.split(r"[,\s]+", gt_file.read_text().strip().splitlines()[0].strip())]
    files = sorted((seq / "img").glob("*.jpg"))
    if not files:
        raise FileNotFoundError(f"no frames in {seq / 'img'}")
    files = files[: max_frames] if max_frames else files
    frames = []
    for f in files:
        im = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if im is None:
            raise OSError(f"could not read {f}")
        frames.append(cv2.cvtColor(im, cv2.COLOR_BGR2RGB))
    return frames, first[:4]


def load_network(network: str | None) -> torch.nn.Module:
    if network is None:
        torch.manual_seed(0)
        return atom_resnet18(backbone_pretrained=False).eval()
    from ltr.admin.loading import load_network as load
    from pytracking.features.extractors import resolve_network_path

    return load(resolve_network_path(network))[0].eval()


def make_params(net: torch.nn.Module, reference: bool, use_gpu: bool = False):
    params = base_parameters()
    params.use_gpu = use_gpu
    # the tracker gets its own copy: it may convert it (channels-last) while the floor uses the network as loaded
    params.features = ATOMResNet18(net=copy.deepcopy(net), fparams=params.features.fparams,
                                   channels_last=not reference)
    if reference:
        params.iounet_restrict_region = False
        params.iounet_closed_form_grad = False
        params.closed_form_gauss_newton = False
    return params


def module_params(name: str, use_gpu: bool = False):
    """``atom <name>`` as shipped, on the CPU (or the GPU with ``use_gpu``)."""
    import importlib

    params = importlib.import_module(f"pytracking.parameter.atom.{name}").parameters()
    params.use_gpu = use_gpu
    return params


def clock(device: torch.device) -> float:
    """``time.perf_counter()`` after the device's queued work is done (CUDA runs asynchronously to the host)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def run(frames: list[np.ndarray], box: list[float], configs: list[tuple[str, object]], floor_net: torch.nn.Module,
        device: torch.device | None = None) -> list[dict]:
    """Track the frames with one tracker per ``(label, params)``; after each tracked frame, time one floor backbone
    forward on ``device`` (the floor net's device). With several configurations the trackers run in lockstep (frame
    by frame, their order alternating), so that each pair of figures is taken under the same machine load."""
    device = device or torch.device("cpu")
    trackers, init_s = [], []
    for _, params in configs:
        tracker = ATOM(params)
        t0 = clock(device)
        tracker.initialize(frames[0], {"init_bbox": box})
        init_s.append(clock(device) - t0)
        trackers.append(tracker)
    backbone_in = torch.randn(1, 3, 288, 288).to(device)
    track_ms: list[list[float]] = [[] for _ in configs]
    backbone_ms: list[list[float]] = [[] for _ in configs]
    order = list(range(len(configs)))
    for im in frames[1:]:
        for k in order:
            t = clock(device)
            trackers[k].track(im)
            track_ms[k].append(1000 * (clock(device) - t))
            t = clock(device)
            with torch.no_grad():
                floor_net.extract_backbone_features(backbone_in, ["layer3"])
            backbone_ms[k].append(1000 * (clock(device) - t))
        order.reverse()
    results = []
    for (label, _), init, tr, bb in zip(configs, init_s, track_ms, backbone_ms, strict=True):
        res = {"label": label, "init_s": init,
               "track_mean": statistics.fmean(tr), "track_median": statistics.median(tr),
               "backbone_mean": statistics.fmean(bb), "backbone_median": statistics.median(bb)}
        res["ratio_mean"] = res["track_mean"] / res["backbone_mean"]
        res["ratio_median"] = res["track_median"] / res["backbone_median"]
        results.append(res)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sequence", type=Path, default=DEFAULT_SEQUENCE)
    ap.add_argument("--network", default=None, help="checkpoint (default: random-weight atom_resnet18)")
    ap.add_argument("--frames", type=int, default=None, help="use only the first N frames")
    ap.add_argument("--reference", action="store_true", help="also time the straightforward (slow) paths")
    ap.add_argument("--param", default=None, help="time the parameter set 'atom PARAM' as shipped instead")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    ap.add_argument("--repeats", type=int, default=1, help="run the sequence N times; report each and the median")
    ap.add_argument("--lockstep", action="store_true",
                    help="run the configurations frame by frame side by side (paired figures under the same load)")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="where the tracker (use_gpu) and the floor's backbone forward run (default cpu)")
    args = ap.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: CUDA is not available on this machine")
    device = torch.device(args.device)
    use_gpu = device.type == "cuda"
    if args.threads:
        torch.set_num_threads(args.threads)
    frames, box = load_sequence(args.sequence, args.frames)
    print(f"sequence {args.sequence.name}: {len(frames)} frames, {frames[0].shape[1]}x{frames[0].shape[0]}, "
          f"torch threads {torch.get_num_threads()}, device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if use_gpu else ""))
    net = load_network(args.network).to(device)
    configs = [(f"atom {args.param}" if args.param else "fast paths", False)]
    if args.reference and not args.param:
        configs.append(("reference paths", True))
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results: dict[str, list[dict]] = {label: [] for label, _ in configs}
    def params_of(reference: bool):
        return module_params(args.param, use_gpu) if args.param else make_params(net, reference, use_gpu)

    for _ in range(args.repeats):
        if args.lockstep:
            runs = run(frames, box, [(label, params_of(ref)) for label, ref in configs], net, device)
        else:  # one after the other, interleaved over the repeats
            runs = [run(frames, box, [(label, params_of(ref))], net, device)[0] for label, ref in configs]
        for r in runs:
            results[r["label"]].append(r)
            print(f"[{r['label']}] init {r['init_s']:.2f} s | tracker {r['track_mean']:.1f} ms/frame "
                  f"(median {r['track_median']:.1f}) | backbone {r['backbone_mean']:.1f} ms (median "
                  f"{r['backbone_median']:.1f}) | tracker/backbone = {r['ratio_mean']:.2f} "
                  f"(median {r['ratio_median']:.2f}; target <= {1.5 if args.param else 1.6}) | init = "
                  f"{1000 * r['init_s'] / r['backbone_median']:.0f} backbone forwards | "
                  f"{1000 / r['track_mean']:.1f} FPS", flush=True)
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.repeats > 1:
        for label, rs in results.items():
            print(f"[{label}] median over {len(rs)} runs: tracker/backbone = "
                  f"{statistics.median(r['ratio_mean'] for r in rs):.2f} (of means), "
                  f"{statistics.median(r['ratio_median'] for r in rs):.2f} (of medians)")


if __name__ == "__main__":
    main()
