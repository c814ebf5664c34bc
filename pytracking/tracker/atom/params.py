"""ATOM's declared parameters: every setting the tracker reads, with its published default (the only place defaults
are stated).

Parameter files (``pytracking/parameter/atom/<name>.py``) build :class:`AtomParams` and change fields by attribute
assignment; the tracker reads attributes. Setting an undeclared name is an error naming the file, the name and the
closest valid names (see :mod:`pytracking.utils.params`).

Where a new option goes: add ONE field with its published default to the group below that matches what the option
controls (search area, classifier optimisation, initialisation/activations, detection, first-frame augmentation,
advanced localisation, IoU-Net refinement), with a one-line comment saying what it does; options of the classifier
feature (learning rate, filter size, ...) go into :class:`AtomFeatureParams`. Then read it as ``self.params.<name>``
in the tracker. Nothing else needs registering. Alternative spellings users copy from the original framework go into
``ALIASES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch

from pytracking.utils.params import Params, TrackerParamsBase

__all__ = ["AtomFeatureParams", "AtomParams"]


def _default_augmentation() -> dict[str, Any]:
    """The published first-frame augmentation: 30 samples (identity included)."""
    return {
        "fliplr": True,
        "rotate": [5, -5, 10, -10, 20, -20, 30, -30, 45, -45, -60, 60],
        "blur": [(2, 0.2), (0.2, 2), (3, 1), (1, 3), (2, 2)],
        "relativeshift": [(0.6, 0.6), (-0.6, 0.6), (0.6, -0.6), (-0.6, -0.6)],
        "dropout": (7, 0.2),
    }


@dataclass(eq=False)
class AtomFeatureParams(Params):
    """Settings of the classifier feature (ResNet-18 layer3 in the published tracker); held by the extractor as
    ``params.features.fparams``."""

    learning_rate: float = 0.01  # memory weight of each new sample
    init_samples_minimum_weight: float | None = 0.25  # first-frame samples keep at least this total weight
    output_sigma_factor: float = 1 / 4  # label Gaussian width relative to the target size (feature cells)
    filter_reg: float = 1e-1
    compressed_dim: int = 64  # output channels of the projection matrix
    filter_size: int = 4
    projection_reg: float = 1e-4
    use_augmentation: bool = True


@dataclass(eq=False)
class AtomParams(TrackerParamsBase):
    """All settings of the ATOM tracker (published values = ``atom default``)."""

    ALIASES: ClassVar[dict[str, str]] = {"dispalcement_scale": "displacement_scale"}  # the original's spelling

    # --- run bookkeeping (set by the evaluation Tracker wrapper)
    tracker_name: str = ""
    param_name: str = ""

    # --- network and feature: the feature extractor (holds the network and ``fparams``: AtomFeatureParams)
    net_path: str = "atom_default.pth"
    features: Any = None

    # --- search area: a 288x288 sample (18x18 features at stride 16) covering search_area_scale x the target
    max_image_sample_size: float = (18 * 16) ** 2
    min_image_sample_size: float = (18 * 16) ** 2
    image_sample_size: float | None = None  # only for search_area_shape 'fixed'
    search_area_scale: float = 5
    search_area_shape: str = "square"  # 'square', 'initrect' or 'fixed'
    feature_size_odd: bool = False

    # --- classifier optimisation
    train_skipping: int = 10  # run the online CG every train_skipping-th frame
    sample_memory_size: int = 250
    CG_iter: int = 5
    init_CG_iter: int = 10 * 6  # total first-frame CG iterations ...
    init_GN_iter: int = 6  # ... split over init_GN_iter Gauss-Newton steps
    post_init_CG_iter: int = 0
    fletcher_reeves: bool = False  # online CG: Polak-Ribiere (the first-frame Gauss-Newton uses Fletcher-Reeves)
    standard_alpha: bool = True
    CG_forgetting_rate: float | None = None  # CG direction kept with factor (1 - lr) ** rate; None: not kept
    optimizer: str = "GaussNewtonCG"  # or 'GradientDescentL2' (first frame and online)
    optimizer_step_length: float | None = None  # gradient descent only (then required)
    optimizer_momentum: float = 0.0  # gradient descent only
    use_projection_matrix: bool = True  # False: classify the raw features
    update_projection_matrix: bool = True  # False: projection fixed at its initialisation, filter-only first frame
    closed_form_gauss_newton: bool = True  # Gauss-Newton products in closed form (same results as autograd)

    # --- classifier initialisation and activations
    proj_init_method: str = "randn"  # 'randn' or 'pca'
    filter_init_method: str = "randn"  # 'randn' or 'zeros'
    projection_activation: Any = "none"
    response_activation: Any = ("mlu", 0.05)

    # --- detection
    use_classifier: bool = True  # move the target with the classifier's peak
    window_output: bool = False  # Hann window on the score map
    use_clipped_window: bool = False  # window of output_sz * effective_search_area / search_area_scale, edge-padded
    effective_search_area: float | None = None  # required with use_clipped_window
    _feature_window: bool = False  # Hann window on the classifier features before the projection
    feature_window: bool = False  # set by the original's files, never read by its tracker (True is an error)
    scale_factors: torch.Tensor = field(default_factory=lambda: torch.ones(1))
    score_upsample_factor: int = 1

    # --- first-frame augmentation
    augmentation: dict[str, Any] = field(default_factory=_default_augmentation)
    augmentation_expansion_factor: float | None = 2
    random_shift_factor: float = 1 / 3

    # --- advanced localisation (see pytracking.tracker.atom.localization)
    advanced_localization: bool = True
    target_not_found_threshold: float = 0.25
    distractor_threshold: float = 0.8
    hard_negative_threshold: float = 0.5
    target_neighborhood_scale: float = 2.2
    displacement_scale: float = 0.8
    hard_negative_learning_rate: float = 0.02
    hard_negative_CG_iter: int = 5
    update_scale_when_uncertain: bool = True
    perform_hn_without_windowing: bool = False

    # --- IoU-Net box refinement (see pytracking.tracker.atom.iounet)
    use_iou_net: bool = True
    iounet_k: int = 3
    num_init_random_boxes: int = 9
    box_jitter_pos: float = 0.1
    box_jitter_sz: float = 0.5
    maximal_aspect_ratio: float = 6
    box_refinement_iter: int = 5
    box_refinement_step_length: float | tuple[float, float] = 1  # or (pos, size): per coordinate pair
    box_refinement_step_decay: float = 1  # < 1: a box whose IoU did not rise undoes its step, its length decays
    box_refinement_space: str = "default"  # 'relative': steps in [cx/sw, cy/sh, log w, log h], no size factor
    use_iounet_pos_for_learning: bool = True
    iounet_restrict_region: bool = True  # compute IoU-Net test features only where boxes pool (same results)
    iounet_region_slack: int = 0  # extra cells around the boxes' area (0: recomputed in ~8% of frames, least work)
    iounet_closed_form_grad: bool = True  # box gradients in closed form instead of autograd (same results)
    iounet_split_fc: bool = False  # no effect (an earlier release's speed switch); True warns
    iounet_augmentation: bool = False  # reference vectors: mean over identity/shift/flip/blur first-frame samples
    iounet_not_use_reference: bool = False  # reference vectors replaced by constants (norm / length)
    iounet_use_log_scale: bool = True  # set by the original's files, never read by its tracker: no effect

    # --- VOT: how a rotated ground-truth polygon becomes the initial box
    vot_anno_conversion_type: str = "preserve_area"
