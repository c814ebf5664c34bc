"""ATOM settings for VOT: smaller sample (224x224), search area 4, slower learning, output window, and no
target-not-found / distractor reasoning (VOT restarts the tracker after failures)."""

from __future__ import annotations

from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom.params import AtomParams

__all__ = ["parameters"]


def parameters() -> AtomParams:
    """``atom default_vot``."""
    params = base_parameters()
    params.features.fparams.learning_rate = 0.0075
    params.max_image_sample_size = (14 * 16) ** 2
    params.min_image_sample_size = (14 * 16) ** 2
    params.search_area_scale = 4
    params.window_output = True  # Hann window on the score map (FFT layout)

    params.target_not_found_threshold = -1  # never 'not found'
    params.distractor_threshold = 100  # never a distractor
    params.hard_negative_threshold = 0.3
    params.displacement_scale = 0.7
    params.perform_hn_without_windowing = True  # second peak searched in the unwindowed scores
    return params
