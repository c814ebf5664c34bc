"""ATOM: Accurate Tracking by Overlap Maximization (Danelljan et al., CVPR 2019) -- the online tracker.

Per frame: crop the search region at the current scale, run the backbone once, score positions with the online
classifier, decide (advanced localisation) whether the peak is trustworthy, refine the box with the IoU-Net, then
store the sample and update the classifier. The pieces live next to this file: ``classifier`` (projection + filter,
memory, optimisers), ``localization`` (decision rules), ``iounet`` (box refinement), ``init_samples``
(first-frame augmentation), ``scores`` (upsampling and labels).

Coordinates inside the tracker are ``[row, col]`` (``pos`` = target centre, ``target_sz`` = ``[h, w]``); the public
boxes are ``[x, y, w, h]``.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import torch

from pytracking.features.preprocessing import numpy_to_torch, sample_patch_multiscale
from pytracking.libs import dcf
from pytracking.tracker.atom import iounet as bbreg
from pytracking.tracker.atom.classifier import OnlineClassifier
from pytracking.tracker.atom.init_samples import InitSamples, generate_init_samples, iounet_reference_shifts
from pytracking.tracker.atom.iou_grad import ClosedFormIoU
from pytracking.tracker.atom.localization import (
    NOT_FOUND,
    AdvancedLocalizationParams,
    Localization,
    center_scores,
    localize_advanced,
    localize_simple,
)
from pytracking.tracker.atom.optim import make_activation
from pytracking.tracker.atom.options import check_options
from pytracking.tracker.atom.params import AtomFeatureParams, AtomParams
from pytracking.tracker.atom.scores import ScoreUpsampler, clipped_output_window, label_center, label_map
from pytracking.tracker.base.basetracker import BaseTracker
from pytracking.utils.params import TrackerParams

__all__ = ["ATOM", "as_atom_params", "constant_reference", "select_device"]


def select_device(use_gpu: bool) -> torch.device:
    """CUDA when asked for and present, else the CPU."""
    return torch.device("cuda") if use_gpu and torch.cuda.is_available() else torch.device("cpu")


def as_atom_params(params: AtomParams | TrackerParams) -> AtomParams:
    """``params`` itself, or a deprecated ``TrackerParams`` bag converted (with a warning; unknown names are errors)."""
    if isinstance(params, AtomParams):
        return params
    if isinstance(params, TrackerParams):
        where = f"ATOM parameters {getattr(params, 'param_name', '') or '(old-style TrackerParams)'}"
        warnings.warn(f"{where}: TrackerParams is deprecated, build pytracking.tracker.atom.params.AtomParams "
                      f"instead (the old form stops working in the next release)", DeprecationWarning, stacklevel=3)
        converted = AtomParams.from_legacy(params, where)
        if converted.features is not None and isinstance(converted.features.fparams, TrackerParams):
            converted.features.fparams = AtomFeatureParams.from_legacy(converted.features.fparams,
                                                                       f"{where} (features.fparams)")
        return converted
    raise TypeError(f"ATOM needs AtomParams (pytracking.tracker.atom.params), got {type(params).__name__}")


def constant_reference(vector: torch.Tensor) -> torch.Tensor:
    """``iounet_not_use_reference``: a vector of ``vector``'s shape, every entry ``||vector||_2 / numel``."""
    return (vector.norm() / vector.numel()).expand_as(vector).clone()


class ATOM(BaseTracker):
    """The ATOM tracker; settings come from ``pytracking/parameter/atom/<name>.py`` (an :class:`AtomParams`)."""

    def __init__(self, params: AtomParams) -> None:
        super().__init__(as_atom_params(params))
        self.params: AtomParams

    # ------------------------------------------------------------------ setup
    def _sample_size(self) -> torch.Tensor:
        p = self.params
        stride = self.features.stride
        shape = p.search_area_shape
        area = self.base_target_sz * p.search_area_scale
        if shape == "square":
            sz = torch.round(torch.sqrt(area.prod())) * torch.ones(2)
        elif shape == "initrect":
            sz = torch.round(area)
        elif shape == "fixed":
            if p.image_sample_size is None:
                raise ValueError("search_area_shape 'fixed' needs image_sample_size (set it in the parameter file)")
            sz = torch.ones(2) * p.image_sample_size
        else:
            raise ValueError(f"unknown search_area_shape {shape!r} (expected 'square', 'initrect' or 'fixed')")
        # Make the feature size even (even filter) or odd, so the target can sit at the sample centre.
        if p.feature_size_odd:
            sz += stride - sz % (2 * stride)
        else:
            sz += stride - (sz + stride) % (2 * stride)
        return sz

    def initialize(self, image: np.ndarray, info: dict) -> dict:
        """Start on ``info['init_bbox'] = [x, y, w, h]``; returns ``{'time': seconds}`` (network loading excluded)."""
        p = self.params
        if p.features is None:
            raise ValueError("ATOM parameters have no feature extractor: the parameter file must set params.features "
                             "(see pytracking/parameter/atom/default.py)")
        check_options(p)
        self.device = select_device(bool(p.use_gpu))
        self.features = p.features
        self.fparams = self.features.fparams if self.features.fparams is not None else AtomFeatureParams()
        self.features.initialize(self.device)
        tic = time.perf_counter()

        self.frame_num = 1
        self.generator = torch.Generator().manual_seed(int(p.seed))
        fparams = self.fparams
        x, y, w, h = (float(v) for v in info["init_bbox"])
        self.pos = torch.tensor([y + (h - 1) / 2, x + (w - 1) / 2])
        self.target_sz = torch.tensor([h, w])

        # Scale so that the search area equals the sample area
        self.target_scale = 1.0
        search_area = float((self.target_sz * p.search_area_scale).prod())
        if search_area > p.max_image_sample_size:
            self.target_scale = math.sqrt(search_area / p.max_image_sample_size)
        elif search_area < p.min_image_sample_size:
            self.target_scale = math.sqrt(search_area / p.min_image_sample_size)
        self.base_target_sz = self.target_sz / self.target_scale

        self.img_sample_sz = self._sample_size()
        self.img_support_sz = self.img_sample_sz
        self.feature_sz = self.features.size(self.img_sample_sz)
        self.output_sz = p.score_upsample_factor * self.img_support_sz
        k = int(fparams.filter_size)
        self.kernel_size = (k, k)
        self.iou_img_sample_sz = self.img_sample_sz
        self.use_iou_net = bool(p.use_iou_net)
        self.scale_factors = torch.as_tensor(p.scale_factors, dtype=torch.float32).reshape(-1)

        out_hw = (int(self.output_sz[0]), int(self.output_sz[1]))
        self.upsampler = ScoreUpsampler(self.feature_sz.tolist(), out_hw, self.kernel_size, device=self.device)
        self.output_window = None
        if p.window_output:
            if p.use_clipped_window:
                window = clipped_output_window(out_hw, p.effective_search_area / p.search_area_scale)
            else:
                window = dcf.hann2d(out_hw, centered=False)[0, 0]
            self.output_window = window.to(self.device)
        self.feature_window = (dcf.hann2d(self.feature_sz.long().tolist(), centered=True).to(self.device)
                               if p._feature_window else None)
        self.sigma = (torch.sqrt((self.feature_sz / self.img_support_sz * self.base_target_sz).prod())
                      * fparams.output_sigma_factor * torch.ones(2))
        self.loc_params = AdvancedLocalizationParams(
            p.target_not_found_threshold, p.distractor_threshold, p.hard_negative_threshold, p.displacement_scale)
        self.box_params = bbreg.BoxRefinementParams(**{k: getattr(p, k) for k in
                                                       vars(bbreg.BoxRefinementParams())})

        im = numpy_to_torch(image).to(self.device)
        self.image_sz = torch.tensor([float(im.shape[2]), float(im.shape[3])])
        self.min_scale_factor = float(torch.max(10 / self.base_target_sz))
        self.max_scale_factor = float(torch.min(self.image_sz / self.base_target_sz))

        sample_sz = (int(self.img_sample_sz[0]), int(self.img_sample_sz[1]))
        init = generate_init_samples(self.features, im, self.pos, self.target_scale, sample_sz,
                                     p.augmentation, p.augmentation_expansion_factor, p.random_shift_factor,
                                     self.generator, preprocess=self._preprocess)
        if self.use_iou_net:
            self._init_iou_net(init)

        # Labels: Gaussian at the target, moved with each augmentation's shift
        offset = (self.pos - self.pos.round()) / (self.target_scale * self.img_support_sz)
        labels = [label_map(self.feature_sz.tolist(), self.sigma.tolist(),
                            label_center(self.feature_sz.tolist(), self.kernel_size, offset.tolist(), shift,
                                         self.img_support_sz.tolist()), self.device)
                  for shift in init.shifts]

        self.classifier = OnlineClassifier(p, fparams, make_activation(p.projection_activation),
                                           make_activation(p.response_activation),
                                           self.generator, debug=self.debug_level >= 3)
        self.classifier.initialize(init.features, torch.cat(labels))
        self._register_optimizer_plots()
        self.pos_iounet = self.pos.clone()
        return {"time": time.perf_counter() - tic}

    def _preprocess(self, features: torch.Tensor) -> torch.Tensor:
        """Classifier features as extracted -> as learnt from and scored (``_feature_window``: Hann-windowed)."""
        return features if self.feature_window is None else features * self.feature_window

    def _init_iou_net(self, init: InitSamples) -> None:
        """Modulation (reference) vectors of the target: from the unaugmented first-frame sample, or (with
        ``iounet_augmentation``) the mean over the leading identity/translation/flip/blur samples, each with the
        target box moved by the sample's shift."""
        self.iou_predictor = self.features.iou_predictor
        box = bbreg.iounet_box(self.pos, self.target_sz, self.pos.round(), self.target_scale, self.iou_img_sample_sz)
        with torch.no_grad():
            if self.params.iounet_augmentation:
                shifts = iounet_reference_shifts(init.transforms)
                boxes = torch.stack([box + torch.tensor([float(dc), float(dr), 0.0, 0.0]) for dr, dc in shifts])
                feats = [f[:len(shifts)] for f in init.iou_backbone_views]
                modulation = [m.mean(0, keepdim=True) for m in
                              self.iou_predictor.get_modulation(feats, boxes.to(self.device))]
            else:
                modulation = self.iou_predictor.get_modulation(init.iou_backbone_features,
                                                               box.reshape(1, 4).to(self.device))
        self.target_feat = [m.detach() for m in modulation]
        if self.params.iounet_not_use_reference:
            self.target_feat = [constant_reference(m) for m in self.target_feat]
        use_closed_form = bool(self.params.iounet_closed_form_grad)
        self.closed_form_iou = (ClosedFormIoU(self.iou_predictor)
                                if use_closed_form and ClosedFormIoU.supports(self.iou_predictor) else None)

    # ------------------------------------------------------------------ tracking
    def track(self, image: np.ndarray, info: dict | None = None) -> dict:
        """Locate the target in the next frame; returns ``{'target_bbox': [x, y, w, h]}``."""
        p = self.params
        self.frame_num += 1
        im = numpy_to_torch(image).to(self.device)

        sample_pos = self.pos.round()
        sample_scales = self.target_scale * self.scale_factors
        patches, _ = sample_patch_multiscale(im, self.pos, sample_scales, self.img_sample_sz)
        with torch.no_grad():
            test_x = self.classifier.project(self._preprocess(self.features.extract(patches)))
            scores = self.upsampler(self.classifier.scores(test_x))
        loc, centred = self._localize(scores)
        flag = loc.flag
        scale_ind = loc.scale_ind
        translation = loc.disp * (self.img_support_sz / self.output_sz) * self.target_scale
        if not p.advanced_localization:
            translation = translation * self.scale_factors[scale_ind]

        if flag != NOT_FOUND:
            if self.use_iou_net:
                update_scale = bool(p.update_scale_when_uncertain) or flag != "uncertain"
                if p.use_classifier:
                    self._update_state(sample_pos + translation)
                self._refine_target_box(sample_pos, float(sample_scales[scale_ind]), scale_ind, update_scale,
                                        patches[scale_ind])
            elif p.use_classifier:
                self._update_state(sample_pos + translation, float(sample_scales[scale_ind]))

        self.debug_register(2, "heatmap", "Score Map", lambda: centred[scale_ind].detach().cpu())
        self.debug_register(1, "info_dict", "Status", lambda: {"frame_num": self.frame_num,
                                                               "max_score": loc.max_score, "flag": flag})

        # Model update
        hard_negative = flag == "hard_negative"
        if flag not in (NOT_FOUND, "uncertain"):
            label = self._label(sample_pos, float(sample_scales[scale_ind]))
            lr = p.hard_negative_learning_rate if hard_negative else None
            self.classifier.add_sample(test_x[scale_ind:scale_ind + 1], label, lr)
        if hard_negative:
            self.classifier.run(int(p.hard_negative_CG_iter))
            self._register_optimizer_plots()
        elif (self.frame_num - 1) % int(p.train_skipping) == 0:
            self.classifier.run(int(p.CG_iter))
            self._register_optimizer_plots()

        if self.use_iou_net and flag != NOT_FOUND:
            self.pos = self.pos_iounet.clone()
        box = torch.cat((self.pos.flip(0) - (self.target_sz.flip(0) - 1) / 2, self.target_sz.flip(0)))
        return {"target_bbox": box.tolist()}

    def _localize(self, scores: torch.Tensor) -> tuple[Localization, torch.Tensor]:
        """Window (optionally), centre and localise; returns the localisation and the centred maps."""
        p = self.params
        hn_unwindowed = self.output_window is not None and p.perform_hn_without_windowing
        unwindowed = center_scores(scores) if hn_unwindowed else None
        if self.output_window is not None:
            scores = scores * self.output_window
        centred = center_scores(scores)
        if not p.advanced_localization:
            return localize_simple(centred), centred
        neigh = (p.target_neighborhood_scale * self.target_sz / self.target_scale
                 * (self.output_sz / self.img_support_sz))
        loc = localize_advanced(centred, (float(neigh[0]), float(neigh[1])), self.loc_params,
                                second_peak_scores=unwindowed)
        return loc, centred

    def _label(self, sample_pos: torch.Tensor, sample_scale: float) -> torch.Tensor:
        offset = (self.pos - sample_pos) / (sample_scale * self.img_support_sz)
        centre = label_center(self.feature_sz.tolist(), self.kernel_size, offset.tolist())
        return label_map(self.feature_sz.tolist(), self.sigma.tolist(), centre, self.device)

    def _update_state(self, new_pos: torch.Tensor, new_scale: float | None = None) -> None:
        """Move the target (kept at least 20% inside the image); optionally set the scale (clamped)."""
        if new_scale is not None:
            self.target_scale = min(max(new_scale, self.min_scale_factor), self.max_scale_factor)
            self.target_sz = self.base_target_sz * self.target_scale
        inside_offset = (0.2 - 0.5) * self.target_sz
        self.pos = torch.max(torch.min(new_pos, self.image_sz - inside_offset), inside_offset)

    def _refine_target_box(self, sample_pos: torch.Tensor, sample_scale: float, scale_ind: int,
                           update_scale: bool, patch: torch.Tensor) -> None:
        """IoU-Net refinement of the current box; sets ``pos_iounet`` (and ``pos``), ``target_sz``, scale.

        ``patch`` is the image sample the boxes live in (only read by the level-3 "IoU-Net Boxes" debug block)."""
        bp = self.box_params
        init_box = bbreg.iounet_box(self.pos, self.target_sz, sample_pos, sample_scale, self.iou_img_sample_sz)
        backbone = [f[scale_ind:scale_ind + 1] for f in self.features.iounet_backbone_features]
        region = bbreg.RegionIoUFeatures(self.iou_predictor, backbone,
                                         restrict=bool(self.params.iounet_restrict_region),
                                         slack=int(self.params.iounet_region_slack))
        self.iou_region = region  # kept for inspection (region size, recomputations)
        boxes = bbreg.jitter_boxes(init_box, bp.num_init_random_boxes, bp.box_jitter_pos, bp.box_jitter_sz,
                                   self.generator).to(self.device)

        if self.closed_form_iou is not None:
            modulated: dict[int, list] = {}

            def iou_and_grad(bb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                feats, offset = region.get(bb)
                key = region.num_computations  # modulate each (re)computed crop once
                if key not in modulated:
                    modulated.clear()
                    modulated[key] = self.closed_form_iou.prepare(
                        [f * m.reshape(1, -1, 1, 1) for f, m in zip(feats, self.target_feat, strict=True)])
                return self.closed_form_iou(modulated[key], bb - offset)
        else:
            def predict(bb: torch.Tensor) -> torch.Tensor:
                feats, offset = region.get(bb)
                return self.iou_predictor.predict_iou(self.target_feat, feats, bb - offset)

            iou_and_grad = bbreg.autograd_iou_and_grad(predict)

        # The closed form needs no autograd: inference mode skips its per-operation bookkeeping (version counters,
        # autograd dispatch), a measurable share of steps made of many small operations. Only this frame's temporary
        # tensors are created inside; what leaves (the refined boxes) is copied out before any in-place use.
        with torch.inference_mode(self.closed_form_iou is not None):
            out_boxes, out_iou = bbreg.optimize_boxes(iou_and_grad, boxes, bp.box_refinement_iter,
                                                      bp.box_refinement_step_length, bp.box_refinement_step_decay,
                                                      bp.box_refinement_space)
        out_boxes, out_iou = out_boxes.clone(), out_iou.clone()
        self.debug_register(3, "bbreg", "IoU-Net Boxes",
                            lambda: (patch.detach().cpu(), boxes.detach().cpu(), out_boxes.detach().cpu()))
        selected = bbreg.select_box(out_boxes.cpu(), out_iou.cpu(), bp.maximal_aspect_ratio, bp.iounet_k)
        if selected is None:
            return
        box = selected[0]
        new_pos = box[:2] + box[2:] / 2 - (self.iou_img_sample_sz - 1) / 2
        new_pos = new_pos.flip(0) * sample_scale + sample_pos
        new_target_sz = box[2:].flip(0) * sample_scale
        self.pos_iounet = new_pos.clone()
        if self.params.use_iounet_pos_for_learning:
            self.pos = new_pos.clone()
        self.target_sz = new_target_sz
        if update_scale:
            self.target_scale = float(torch.sqrt(new_target_sz.prod() / self.base_target_sz.prod()))

    def _register_optimizer_plots(self) -> None:
        self.debug_register(3, "lineplot", "Training Loss", lambda: torch.tensor(self.classifier.losses))
        self.debug_register(3, "lineplot", "CG Residuals", lambda: torch.tensor(self.classifier.residuals))
        self.debug_register(4, "lineplot", "Gradient Magnitude", lambda: torch.tensor(self.classifier.gradient_mags))
