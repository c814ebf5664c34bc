"""OSTrack ViT-B, 256-px search, candidate elimination, as published: ``python ltr/run_training.py ostrack
vitb_256_mae_ce_32x4_ep300`` (published run: ``torchrun --nproc_per_node 4``, i.e. 4 processes x batch 32).

Setup (OSTrack, ECCV 2022; the numbers are the defaults of
:class:`~ltr.trainers.pipelines.ostrack.OSTrackTrainingParams`, the pipeline :mod:`ltr.trainers.pipelines.ostrack`):
MAE-pretrained ViT-B/16 backbone (``mae_pretrain_vit_base.pth`` in the ``pretrained_networks`` folder), template 2x
the target at 128 px, search 4x at 256 px with jitter (centre 3, scale 0.25), grayscale 0.05 and flips; LaSOT (train
split), GOT-10k (vot-train split), COCO 2017 and TrackingNet with equal weights, search frame at most 199 frames after
the template frame; 60,000 pairs per epoch over the 4 processes (15,000 each), validation on GOT-10k vot-val (10,000
pairs, 2,500 per process) every 20 epochs; AdamW lr 4e-4 (backbone 4e-5), weight decay 1e-4, StepLR at epoch 240
(x0.1), 300 epochs, gradient norm clipped at 0.1; loss 2 GIoU + 5 L1 + 1 focal; CE keep rate 1 until epoch 20, then a
half cosine down to 0.7 at epoch 100. AMP off (``settings.amp = True`` enables it on CUDA).

``--batch-size`` and ``--samples-per-epoch`` are per process. A missing dataset path, split list or the MAE file is
reported together in one message before anything is loaded (exit status 2).
"""

from __future__ import annotations

from ltr.admin.settings import Settings
from ltr.trainers import LTRTrainer
from ltr.trainers.pipelines.ostrack import OSTrackTrainingParams, run_published

__all__ = ["run", "OSTrackTrainingParams"]


def run(settings: Settings) -> LTRTrainer:
    """Train OSTrack-256 with the published setup (the defaults of OSTrackTrainingParams) plus overrides."""
    return run_published(settings, OSTrackTrainingParams, __file__, "ostrack/vitb_256_mae_ce_32x4_ep300")
