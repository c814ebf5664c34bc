"""OSTrack ViT-B, 384-px search, candidate elimination, as published: ``python ltr/run_training.py ostrack
vitb_384_mae_ce_32x4_ep300``.

Same as :mod:`ltr.train_settings.ostrack.vitb_256_mae_ce_32x4_ep300` except: template 192 px, search 5x the target at
384 px, search jitter centre 4.5 / scale 0.5, network ``ostrack_vitb_384_ce`` (24x24 score map).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ltr.admin.settings import Settings
from ltr.trainers import LTRTrainer
from ltr.trainers.pipelines.ostrack import OSTrackTrainingParams, run_published

__all__ = ["run", "OSTrack384TrainingParams"]


@dataclass(eq=False)
class OSTrack384TrainingParams(OSTrackTrainingParams):
    """The published 384 setup: only the crop geometry and the network differ from the 256 one."""

    description: str = "OSTrack ViT-B/16 384 with candidate elimination (MAE start, published setup)."
    network: str = "ostrack_vitb_384_ce"
    template_sz: int = 192
    search_factor: float = 5.0
    search_sz: int = 384
    center_jitter: dict[str, float] = field(default_factory=lambda: {"template": 0.0, "search": 4.5})
    scale_jitter: dict[str, float] = field(default_factory=lambda: {"template": 0.0, "search": 0.5})


def run(settings: Settings) -> LTRTrainer:
    """Train OSTrack-384 with the published setup (plus command-line overrides)."""
    return run_published(settings, OSTrack384TrainingParams, __file__, "ostrack/vitb_384_mae_ce_32x4_ep300")
