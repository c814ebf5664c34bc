"""Accuracy of ATOM variants on the six real dev sequences of ``../shared/data`` (OTB-style AUC and precision@20).

Why this benchmark: it is how the real-video parameter set (``atom mobilenetv2``) was chosen, and how any change to it
should be judged. Every variant is tracked over the same sequences (OTB Couple, Crossing, Football1; VOT bag with the
polygon's enclosing box; LaSOT motorcycle-9, 50 frames; UAV123@10fps wakeboard7) and scored with success AUC (21 IoU
thresholds 0..1) and precision at 20 px, mean over sequences. Time per frame is printed as a ratio to one ResNet-18
forward to layer3 on 1x3x288x288 measured in the same run (the machine is shared; milliseconds are not comparable).

    python benchmarks/real_video.py                          # the default variant list
    python benchmarks/real_video.py --variants mbv2_3scales,random_resnet18 --threads 2
    python benchmarks/real_video.py --list

Variants that cannot run here (``atom synthetic`` without its trained checkpoint) are reported as skipped with why.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ltr.models.bbreg.atom import atom_resnet18  # noqa: E402
from pytracking.evaluation.real_sequences import load_dev_sequences, score_sequence  # noqa: E402
from pytracking.evaluation.tracker import Tracker  # noqa: E402
from pytracking.features.extractors import ATOMResNet18  # noqa: E402
from pytracking.parameter.atom.default import base_parameters  # noqa: E402
from pytracking.parameter.atom.mobilenetv2 import backbone_parameters  # noqa: E402


def _scales(step: float, n: int) -> torch.Tensor:
    half = n // 2
    return step ** torch.arange(-half, half + 1).float()


def _module_params(name: str) -> Callable:
    def make():
        import importlib

        return importlib.import_module(f"pytracking.parameter.atom.{name}").parameters()

    return make


def _mbv2(step: float, n: int, **overrides) -> Callable:
    def make():
        p = backbone_parameters("mobilenetv2", "features.13", _scales(step, n), sample_size=288)
        for k, v in overrides.items():
            setattr(p, k, v)
        return p

    return make


def _random_resnet18():
    p = base_parameters()
    torch.manual_seed(0)
    p.features = ATOMResNet18(net=atom_resnet18(backbone_pretrained=False), fparams=p.features.fparams,
                              channels_last=True)
    p.use_iou_net = False
    p.scale_factors = _scales(1.02, 5)
    return p


VARIANTS: dict[str, tuple[str, Callable]] = {
    "mobilenetv2": ("atom mobilenetv2 (shipped)", _module_params("mobilenetv2")),
    "efficientnet_lite0": ("atom efficientnet_lite0 (shipped)", _module_params("efficientnet_lite0")),
    "mbv2_5scales": ("MobileNetV2, 5 scales 1.02^k", _mbv2(1.02, 5)),
    "mbv2_3scales": ("MobileNetV2, 3 scales 1.02^k", _mbv2(1.02, 3)),
    "mbv2_3scales_104": ("MobileNetV2, 3 scales 1.04^k", _mbv2(1.04, 3)),
    "mbv2_1scale": ("MobileNetV2, no scale search", _mbv2(1.02, 1)),
    "mbv2_224_3scales": ("MobileNetV2, 224 px sample, 3 scales 1.02^k",
                         _mbv2(1.02, 3, max_image_sample_size=224 ** 2, min_image_sample_size=224 ** 2)),
    "mbv2_224_3scales_103": ("MobileNetV2, 224 px sample, 3 scales 1.03^k",
                             _mbv2(1.03, 3, max_image_sample_size=224 ** 2, min_image_sample_size=224 ** 2)),
    "mbv2_224_sa4_3scales": ("MobileNetV2, 224 px sample, search area 4, 3 scales 1.02^k",
                             _mbv2(1.02, 3, max_image_sample_size=224 ** 2, min_image_sample_size=224 ** 2,
                                   search_area_scale=4)),
    "random_resnet18": ("random ResNet-18, 5 scales", _random_resnet18),
    "synthetic": ("atom synthetic", _module_params("synthetic")),
}
DEFAULT = "mobilenetv2,efficientnet_lite0,mbv2_5scales,mbv2_224_3scales,random_resnet18,synthetic"


def reference_ms(repeats: int = 10) -> float:
    """Median time of one random-weight ResNet-18 forward to layer3 on 1x3x288x288 (ms)."""
    torch.manual_seed(0)
    net = atom_resnet18(backbone_pretrained=False).eval()
    x = torch.randn(1, 3, 288, 288)
    times = []
    with torch.no_grad():
        net.extract_backbone_features(x, ["layer3"])
        for _ in range(repeats):
            t = time.perf_counter()
            net.extract_backbone_features(x, ["layer3"])
            times.append(1000 * (time.perf_counter() - t))
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", default=DEFAULT, help=f"comma-separated (default {DEFAULT})")
    ap.add_argument("--sequences", default=None, help="comma-separated subset of the dev sequences")
    ap.add_argument("--data", type=Path, default=None, help="shared data root (default <repo>/../shared/data)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--list", action="store_true", help="list the variants and exit")
    args = ap.parse_args(argv)
    if args.list:
        for key, (label, _) in VARIANTS.items():
            print(f"{key:20s} {label}")
        return 0
    keys = [k.strip() for k in args.variants.split(",") if k.strip()]
    unknown = [k for k in keys if k not in VARIANTS]
    if unknown:
        print(f"real_video: unknown variant(s) {unknown}; known: {list(VARIANTS)}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    try:
        seqs = load_dev_sequences(args.data, args.sequences.split(",") if args.sequences else None)
    except (FileNotFoundError, ValueError) as exc:
        print(f"real_video: {exc}", file=sys.stderr)
        return 2
    names = [s.name for s in seqs]
    ref_before = reference_ms()
    rows, skipped = [], []
    for key in keys:
        label, factory = VARIANTS[key]
        tracker = Tracker("atom", key, parameters=factory, display_name=label)
        try:
            tracker.get_parameters()
        except (OSError, ImportError, ValueError) as exc:
            skipped.append(f"{label}: skipped ({str(exc).splitlines()[0][:160]})")
            continue
        aucs, precs, frame_times, init_times = [], [], [], []
        for seq in seqs:
            out = tracker.run_sequence(seq)
            score = score_sequence(out["target_bbox"], seq.ground_truth_rect)
            aucs.append(score.auc)
            precs.append(score.precision20)
            init_times.append(out["time"][0])
            frame_times += out["time"][1:]
        rows.append((label, aucs, precs, 1000 * statistics.fmean(frame_times), max(init_times)))
        print(f"  done: {label}: " + ", ".join(f"{n} {a:.3f}" for n, a in zip(names, aucs, strict=True))
              + f" | mean AUC {np.mean(aucs):.3f}, prec@20 {np.mean(precs):.3f}", flush=True)
    ref = (ref_before + reference_ms()) / 2
    print(f"\nreal dev sequences ({len(seqs)}), torch threads {torch.get_num_threads()}, reference = ResNet-18 "
          f"forward to layer3 on 1x3x288x288: {ref:.1f} ms (median, mean of before/after)")
    short = [n[:10] for n in names]
    print("| variant | " + " | ".join(short) + " | mean AUC | prec@20 | time/frame ÷ ref | max init s |")
    print("|---|" + "---|" * (len(names) + 4))
    for label, aucs, precs, ms, init in rows:
        print(f"| {label} | " + " | ".join(f"{a:.3f}" for a in aucs)
              + f" | **{np.mean(aucs):.3f}** | {np.mean(precs):.3f} | {ms / ref:.2f} | {init:.2f} |")
    for line in skipped:
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
