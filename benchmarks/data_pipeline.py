"""Can the ATOM data pipeline keep a CPU training step fed?

Measures, in one run on this machine:

* samples/s of the training pipeline (ATOMSampler + ATOMProcessing with the ATOM train settings + collate, batch 64,
  ``stack_dim=1``) with 0, 1 and 2 DataLoader workers, on SyntheticVideo and on the real LaSOT sequence
  (``../shared/data/lasot``);
* the time of one ATOM training step on the same batch: ``atom_resnet18(backbone_pretrained=False)`` with its frozen
  backbone forward, IoU-Net forward/backward, Adam step (the actor + optimizer calls LTRTrainer makes);

and prints each pipeline's throughput as a ratio to the step's consumption rate (64 / step time). The target is a
ratio of at least 3. No timing is asserted; figures from other machines compare as ratios.

Run: ``python benchmarks/data_pipeline.py [--batches N] [--steps N] [--lasot PATH] [--workers 0 1 2] [--device D]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from ltr.actors.bbreg import AtomActor
from ltr.data import transforms as tfm
from ltr.data.loader import LTRLoader
from ltr.data.processing import IMAGENET_MEAN, IMAGENET_STD, ATOMProcessing
from ltr.data.sampler import ATOMSampler
from ltr.dataset.lasot import Lasot
from ltr.dataset.synthetic import SyntheticVideo
from ltr.models.bbreg.atom import atom_resnet18

BATCH = 64
DEFAULT_LASOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lasot"


def atom_processing() -> ATOMProcessing:
    """The ATOM training processing (search area 5, 288 px, test jitter 4.5 / 0.5, 16 proposals, grayscale 0.05)."""
    return ATOMProcessing(
        search_area_factor=5.0,
        output_sz=288,
        center_jitter_factor={"train": 0.0, "test": 4.5},
        scale_jitter_factor={"train": 0.0, "test": 0.5},
        proposal_params={"boxes_per_frame": 16, "min_iou": 0.1, "sigma_factor": [0.01, 0.05, 0.1, 0.2, 0.3]},
        mode="sequence",
        transform=tfm.Transform(tfm.ToTensorAndJitter(0.2), tfm.Normalize(IMAGENET_MEAN, IMAGENET_STD)),
        joint_transform=tfm.ToGrayscale(0.05),
    )


def pipeline_rate(dataset: Any, workers: int, batches: int) -> float:
    """Samples/s over ``batches`` batches of 64, after one warm-up batch (worker start-up excluded)."""
    sampler = ATOMSampler([dataset], None, BATCH * (batches + 1), 50, processing=atom_processing(), seed=0)
    loader = LTRLoader("bench", sampler, batch_size=BATCH, num_workers=workers, stack_dim=1, shuffle=True, seed=0,
                       timeout=300 if workers else 0)  # a stuck worker fails loudly instead of hanging the run
    it = iter(loader)
    next(it)
    start = time.perf_counter()
    n = 0
    for batch in it:
        n += batch["train_images"].shape[1]
    return n / (time.perf_counter() - start)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_step_seconds(batch: Any, steps: int, device: torch.device) -> float:
    """Median seconds of one ATOM training step (forward with frozen backbone, IoU-Net backward, Adam step)."""
    torch.manual_seed(0)
    net = atom_resnet18(backbone_pretrained=False).to(device)
    batch = batch.apply(lambda v: v.to(device) if isinstance(v, torch.Tensor) else v)
    actor = AtomActor(net)
    optimizer = torch.optim.Adam(net.bb_regressor.parameters(), lr=1e-3)
    actor.train(True)

    def step() -> None:
        loss, _ = actor(batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # warm-up (allocations, lazy init)
    _sync(device)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=3, help="timed batches of 64 per pipeline configuration")
    parser.add_argument("--steps", type=int, default=2, help="timed training steps")
    parser.add_argument("--lasot", type=Path, default=DEFAULT_LASOT, help="LaSOT root (class/sequence folders)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--device", default="cpu", help="device of the training step (the issue's target: cpu)")
    args = parser.parse_args()

    datasets: list[tuple[str, Any]] = [("synthetic", SyntheticVideo(num_sequences=200, seq_len=60, seed=0))]
    if args.lasot.is_dir():
        datasets.append(("lasot (real)", Lasot(args.lasot)))
    else:
        print(f"LaSOT root {args.lasot} not found: skipping the real-data rows")

    print(f"torch threads: {torch.get_num_threads()}")
    sample_loader = LTRLoader("bench", ATOMSampler([datasets[0][1]], None, BATCH, 50, processing=atom_processing()),
                              batch_size=BATCH, stack_dim=1)
    batch = next(iter(sample_loader))
    device = torch.device(args.device)
    step_s = train_step_seconds(batch, args.steps, device)
    consume = BATCH / step_s
    print(f"ATOM training step (atom_resnet18, batch {BATCH}, {device}): {step_s:.3f} s -> consumes "
          f"{consume:.1f} samples/s")
    print(f"{'dataset':<16} {'workers':>7} {'samples/s':>10} {'ratio to step':>14}")
    for name, ds in datasets:
        for w in args.workers:
            rate = pipeline_rate(ds, w, args.batches)
            flag = "" if rate / consume >= 3 else "  (< 3x target)"
            print(f"{name:<16} {w:>7d} {rate:>10.1f} {rate / consume:>13.2f}x{flag}")


if __name__ == "__main__":
    main()
