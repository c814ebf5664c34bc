"""ATOM training throughput: samples/s and where the time goes (data wait, backbone, IoU-Net, optimizer).

Runs the ATOM training step (the same pipeline as ``ltr/train_settings/bbreg/atom_synthetic.py``: SyntheticVideo ->
ATOMSampler/ATOMProcessing -> LTRLoader(stack_dim=1) -> ATOMnet with a random ResNet-18 -> MSE on IoU -> Adam) for
batch sizes 8 and 64 and 0 / 2 loader workers, timing each phase separately (CUDA is synchronised around each phase
when used). Then measures the frozen backbone's forward pass in four variants: ``no_grad`` (what ATOMnet does),
``inference_mode`` (outputs must be cloned before the IoU-Net may save them for backward), ``channels_last`` memory
format, and both. Figures are printed as absolute times and as ratios against the reference measured in this run
(batch 8, 0 workers; backbone: no_grad, contiguous). No assertions on timings.

    python benchmarks/train_speed.py                    # published crop size 288, 3 timed iterations per config
    python benchmarks/train_speed.py --output-sz 144 --iters 2 --device cpu
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

import cv2
import torch
from torch import nn

from ltr.data.loader import LTRLoader
from ltr.data.sampler import ATOMSampler
from ltr.dataset import SyntheticVideo
from ltr.models.bbreg.atom import atom_resnet18
from ltr.train_settings.bbreg.atom_synthetic import AtomSyntheticTrainingParams
from ltr.trainers.pipelines.atom import build_processing


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(device: torch.device, fn: Callable[[], Any]) -> tuple[Any, float]:
    _sync(device)
    t0 = time.perf_counter()
    out = fn()
    _sync(device)
    return out, time.perf_counter() - t0


def make_loader(batch: int, workers: int, output_sz: int, iters: int) -> LTRLoader:
    cfg = AtomSyntheticTrainingParams()
    cfg.feature_sz = output_sz // 16
    proc_train, _ = build_processing(cfg)
    ds = SyntheticVideo(num_sequences=32, seq_len=40, image_size=(240, 320), seed=5)
    sampler = ATOMSampler([ds], [1], samples_per_epoch=batch * (iters + 1), max_gap=20, processing=proc_train, seed=1)
    return LTRLoader("train", sampler, training=True, batch_size=batch, num_workers=workers, shuffle=False,
                     drop_last=True, stack_dim=1, seed=1)


def run_config(net: nn.Module, batch: int, workers: int, output_sz: int, iters: int,
               device: torch.device) -> dict[str, float]:
    """Median seconds per iteration of each phase over ``iters`` iterations (after one warm-up iteration); the median
    keeps one disturbed iteration on a shared machine from dominating."""
    loader = make_loader(batch, workers, output_sz, iters)
    opt = torch.optim.Adam(net.bb_regressor.parameters(), lr=1e-3)
    mse = nn.MSELoss()
    net.train()
    samples: dict[str, list[float]] = {"data": [], "backbone": [], "iou_fwd_bwd": [], "optim": []}
    batches = iter(loader)
    for i in range(iters + 1):
        data, t_data = _timed(device, lambda b=batches: next(b))
        data = {k: v.to(device) for k, v in data.items() if isinstance(v, torch.Tensor)}

        def backbone(d: dict = data) -> tuple[list, list]:
            tr = net.extract_backbone_features(d["train_images"].reshape(-1, 3, output_sz, output_sz))
            te = net.extract_backbone_features(d["test_images"].reshape(-1, 3, output_sz, output_sz))
            return list(tr.values()), list(te.values())

        (f_tr, f_te), t_bb = _timed(device, backbone)

        def iou_step(d: dict = data, f_tr: list = f_tr, f_te: list = f_te) -> float:
            pred = net.bb_regressor(f_tr, f_te, d["train_anno"], d["test_proposals"])
            loss = mse(pred, d["proposal_iou"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            return loss.item()

        _, t_iou = _timed(device, iou_step)
        _, t_opt = _timed(device, opt.step)
        if i > 0:  # first iteration: warm-up (worker start, allocator, oneDNN primitive creation)
            for k, t in zip(samples, (t_data, t_bb, t_iou, t_opt), strict=True):
                samples[k].append(t)
    del batches
    return {k: statistics.median(v) for k, v in samples.items()}


def backbone_variants(net: nn.Module, batch: int, output_sz: int, iters: int, device: torch.device) -> dict[str, float]:
    """Best seconds per frozen-backbone forward of ``2*batch`` images (train + test) for the four variants.

    Variants are timed round-robin (one run of each per round) so that load changes on a shared machine hit all of
    them alike.
    """
    backbone = net.feature_extractor
    backbone_cl = copy.deepcopy(backbone).to(memory_format=torch.channels_last)  # no layout switch inside timing
    x = torch.randn(2 * batch, 3, output_sz, output_sz, device=device)
    layers = ["layer2", "layer3"]
    variants = (("no_grad", False, False), ("inference_mode", False, True), ("channels_last", True, False),
                ("channels_last+inference_mode", True, True))

    def make(cl: bool, inf: bool) -> Callable[[], list]:
        inp = x.contiguous(memory_format=torch.channels_last) if cl else x.contiguous()
        ctx = torch.inference_mode if inf else torch.no_grad

        model = backbone_cl if cl else backbone

        def fwd() -> list:
            with ctx():
                out = list(model(inp, layers).values())
            if inf:  # inference tensors cannot be saved for backward by the IoU-Net: clone outside the mode
                out = [o.clone() for o in out]
            if cl:  # the IoU-Net runs in the default layout
                out = [o.contiguous() for o in out]
            return out

        return fwd

    fns = {name: make(cl, inf) for name, cl, inf in variants}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()  # warm-up (layout conversion, oneDNN primitive creation)
    for _ in range(iters):
        for name, fn in fns.items():
            times[name].append(_timed(device, fn)[1])
    return {name: min(v) for name, v in times.items()}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output-sz", type=int, default=288, help="crop size (multiple of 16; ATOM: 288)")
    p.add_argument("--iters", type=int, default=3, help="timed iterations per configuration (median reported)")
    p.add_argument("--batches", default="8,64")
    p.add_argument("--workers", default="0,2")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: leave default)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    # Keep OpenCV's thread pool from starting in this process: the loader's worker_init calls cv2.setNumThreads in
    # forked workers, which deadlocks when the parent's pool is already running (workers=0 runs cv2 here first).
    cv2.setNumThreads(1)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    torch.manual_seed(0)
    net = atom_resnet18(backbone_pretrained=None).to(device)
    print(f"device={device} threads={torch.get_num_threads()} output_sz={args.output_sz} iters={args.iters}")

    rows = []
    for batch in (int(b) for b in args.batches.split(",")):
        for workers in (int(w) for w in args.workers.split(",")):
            t = run_config(net, batch, workers, args.output_sz, args.iters, device)
            total = sum(t.values())
            rows.append((batch, workers, batch / total, t, total))
    ref_sps = rows[0][2]
    print(f"\n{'batch':>5} {'workers':>7} {'samples/s':>10} {'vs ref':>7} | {'data wait':>13} {'backbone fwd':>13} "
          f"{'IoU fwd+bwd':>13} {'optim step':>13}  (ms per iteration, share)")
    for batch, workers, sps, t, total in rows:
        cells = " ".join(f"{1000 * v:8.1f} ({v / total:4.0%})" for v in t.values())
        print(f"{batch:5d} {workers:7d} {sps:10.2f} {sps / ref_sps:6.2f}x | {cells}")

    bsz = int(args.batches.split(",")[0])
    var = backbone_variants(net, bsz, args.output_sz, max(args.iters, 3), device)
    ref = var["no_grad"]
    print(f"\nfrozen backbone forward, {2 * bsz} images of {args.output_sz}x{args.output_sz} (best of "
          f"{max(args.iters, 3)}):")
    for name, v in var.items():
        print(f"  {name:30s} {1000 * v:8.1f} ms   {ref / v:5.2f}x speed vs no_grad")


if __name__ == "__main__":
    main()
