"""The original framework's optional ATOM settings: their checks and derived switches.

The settings themselves are fields of :class:`pytracking.tracker.atom.params.AtomParams` (defaults there, all off);
this module validates the combinations once (errors name the parameter) so the tracker code can read plain
attributes. What each one does:

* ``iounet_augmentation``: the IoU-Net reference (modulation) vectors are the mean over the first-frame samples whose
  augmentation is identity, translation, flip or blur, in generation order up to the first augmentation of another
  kind; each with the target box shifted by that augmentation's translation. Off: the unaugmented sample only.
* ``iounet_not_use_reference``: replace each reference vector by a constant vector of its shape whose entries are the
  vector's L2 norm divided by its number of elements.
* ``box_refinement_space`` (``'default'`` | ``'relative'``), ``box_refinement_step_length`` (a number or a
  ``(pos, size)`` pair) and ``box_refinement_step_decay``: see :func:`pytracking.tracker.atom.iounet.optimize_boxes`.
* ``optimizer`` (``'GaussNewtonCG'`` | ``'GradientDescentL2'``): first-frame and online optimiser of the classifier;
  gradient descent uses ``optimizer_step_length`` (required then) and ``optimizer_momentum``.
* ``use_projection_matrix = False``: classify the raw features (no 1x1 projection; implies a fixed projection).
* ``update_projection_matrix = False``: keep the projection matrix at its initialisation and optimise only the filter
  on the first frame (the filter-only problem, ``init_CG_iter`` iterations).
* ``use_clipped_window`` with ``effective_search_area``: with ``window_output``, the output window is a Hann window
  of the effective size ``output_sz * effective_search_area / search_area_scale`` (its difference to the output size
  made even), padded by edge replication to the output size; uncentred (FFT layout) like the plain window.
* ``_feature_window``: multiply the classifier features by a centred 2-D Hann window of the feature-map size before
  the projection (first-frame samples and every test sample).
* ``CG_forgetting_rate``: forget factor ``(1 - learning_rate) ** CG_forgetting_rate`` of the online CG direction.
* ``feature_window``, ``iounet_use_log_scale``: names the original's parameter files set but its tracker never read;
  accepted with the values those files use (``False`` / any), ``feature_window = True`` is an error pointing to
  ``_feature_window``.

``iounet_split_fc`` (an earlier release's speed switch: box refinement's products on two threads) is accepted but
has no effect; setting it True warns. Measured side by side with the one-thread-chain refinement on 2 cores, it did
not make tracking faster (and slowed the work after it), so it was removed.
"""

from __future__ import annotations

import warnings
from typing import Any

from pytracking.tracker.atom.iounet import BOX_REFINEMENT_SPACES

__all__ = ["OPTIMIZERS", "check_options", "fixed_projection"]

OPTIMIZERS = ("GaussNewtonCG", "GradientDescentL2")


def check_options(params: Any) -> None:
    """Raise ``ValueError`` naming the parameter for a value or combination the tracker cannot honour."""
    if params.optimizer not in OPTIMIZERS:
        raise ValueError(f"parameter optimizer must be one of {OPTIMIZERS}, got {params.optimizer!r}")
    if params.optimizer == "GradientDescentL2" and params.optimizer_step_length is None:
        raise ValueError("parameter optimizer='GradientDescentL2' needs optimizer_step_length to be set")
    if params.use_clipped_window and params.effective_search_area is None:
        raise ValueError("parameter use_clipped_window=True needs effective_search_area to be set")
    if params.box_refinement_space not in BOX_REFINEMENT_SPACES:
        raise ValueError(f"parameter box_refinement_space must be one of {BOX_REFINEMENT_SPACES}, "
                         f"got {params.box_refinement_space!r}")
    if params.feature_window:
        raise ValueError("parameter feature_window=True: the original tracker never read this name; feature "
                         "windowing is switched on with _feature_window=True")
    if params.iounet_split_fc:
        warnings.warn("parameter iounet_split_fc=True has no effect any more (the two-thread box refinement it "
                      "switched on gave no measurable speed-up and was removed); remove it from the parameter file",
                      DeprecationWarning, stacklevel=3)


def fixed_projection(params: Any) -> bool:
    """Whether the first frame optimises the filter only (projection fixed or absent)."""
    return not (params.use_projection_matrix and params.update_projection_matrix)
