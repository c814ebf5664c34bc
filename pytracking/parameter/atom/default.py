"""ATOM with the published settings (OTB/NFS/UAV/LaSOT configuration)."""

from __future__ import annotations

import torch

from pytracking.features.extractors import ATOMResNet18
from pytracking.utils.params import FeatureParams, TrackerParams

__all__ = ["base_parameters", "parameters"]


def base_parameters(net_path: str = "atom_default.pth") -> TrackerParams:
    """The published ATOM settings with the classifier on ResNet-18 layer3 of the network ``net_path``."""
    params = TrackerParams()

    # Run-time
    params.debug = 0
    params.visualization = False
    params.use_gpu = True
    params.seed = 0  # seeds the generator for random init, augmentation shifts, dropout and box jitter

    # Classifier feature (ResNet-18 layer3)
    fp = deep_fparams = FeatureParams()
    fp.learning_rate = 0.01
    fp.init_samples_minimum_weight = 0.25
    fp.output_sigma_factor = 1 / 4
    fp.filter_reg = 1e-1
    fp.compressed_dim = 64
    fp.filter_size = 4
    fp.projection_reg = 1e-4
    fp.use_augmentation = True
    params.net_path = net_path
    params.features = ATOMResNet18(net_path=net_path, output_layer="layer3", fparams=deep_fparams, normalize_power=2,
                                   channels_last=True)  # faster backbone on CPUs, same values

    # Optimisation
    params.train_skipping = 10  # run the online CG every 10th frame
    params.sample_memory_size = 250
    params.CG_iter = 5
    params.init_CG_iter = 10 * 6  # total first-frame CG iterations ...
    params.init_GN_iter = 6  # ... split over 6 Gauss-Newton steps
    params.post_init_CG_iter = 0
    params.fletcher_reeves = False  # online CG: Polak-Ribiere (the first-frame Gauss-Newton uses Fletcher-Reeves)
    params.standard_alpha = True
    params.CG_forgetting_rate = None  # None: no conjugate direction kept between CG runs

    # Search area: a 288x288 sample (18x18 features at stride 16) covering 5x the target size
    params.max_image_sample_size = (18 * 16) ** 2
    params.min_image_sample_size = (18 * 16) ** 2
    params.search_area_scale = 5
    params.search_area_shape = "square"
    params.feature_size_odd = False

    # Classifier initialisation and activations
    params.proj_init_method = "randn"
    params.filter_init_method = "randn"
    params.projection_activation = "none"
    params.response_activation = ("mlu", 0.05)

    # Detection
    params.window_output = False
    params.scale_factors = torch.ones(1)
    params.score_upsample_factor = 1

    # First-frame augmentation (30 samples)
    params.augmentation = {
        "fliplr": True,
        "rotate": [5, -5, 10, -10, 20, -20, 30, -30, 45, -45, -60, 60],
        "blur": [(2, 0.2), (0.2, 2), (3, 1), (1, 3), (2, 2)],
        "relativeshift": [(0.6, 0.6), (-0.6, 0.6), (0.6, -0.6), (-0.6, -0.6)],
        "dropout": (7, 0.2),
    }
    params.augmentation_expansion_factor = 2
    params.random_shift_factor = 1 / 3

    # Advanced localisation
    params.advanced_localization = True
    params.target_not_found_threshold = 0.25
    params.distractor_threshold = 0.8
    params.hard_negative_threshold = 0.5
    params.target_neighborhood_scale = 2.2
    params.displacement_scale = 0.8
    params.hard_negative_learning_rate = 0.02
    params.hard_negative_CG_iter = 5
    params.update_scale_when_uncertain = True
    params.perform_hn_without_windowing = False

    # IoU-Net box refinement
    params.use_iou_net = True
    params.iounet_augmentation = False
    params.iounet_k = 3
    params.num_init_random_boxes = 9
    params.box_jitter_pos = 0.1
    params.box_jitter_sz = 0.5
    params.maximal_aspect_ratio = 6
    params.box_refinement_iter = 5
    params.box_refinement_step_length = 1
    params.box_refinement_step_decay = 1
    params.iounet_restrict_region = True  # compute IoU-Net test features only where boxes pool (same results)
    params.iounet_closed_form_grad = True  # box gradients in closed form instead of autograd (same results)

    # VOT: how a rotated ground-truth polygon becomes the initial box
    params.vot_anno_conversion_type = "preserve_area"
    return params


def parameters() -> TrackerParams:
    """``atom default``."""
    return base_parameters()
