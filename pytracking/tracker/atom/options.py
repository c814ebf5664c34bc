"""ATOM options taken over from the original framework's parameter files, each off by default.

Why one place: every option below is read from the parameter object exactly once (:meth:`AtomOptions.from_params`),
validated there with an error naming the parameter, and the tracker only sees typed fields. (When the typed tracker
parameters land, these fields move there unchanged.)

Options (name = default: meaning):

* ``iounet_augmentation = False``: the IoU-Net reference (modulation) vectors are the mean over the first-frame
  samples whose augmentation is identity, translation, flip or blur, in generation order up to the first augmentation
  of another kind; each with the target box shifted by that augmentation's translation. False: the unaugmented
  sample only.
* ``iounet_not_use_reference = False``: replace each reference vector by a constant vector of its shape whose entries
  are the vector's L2 norm divided by its number of elements.
* ``optimizer = 'GaussNewtonCG'``: first-frame and online optimiser of the classifier; ``'GradientDescentL2'`` uses
  ``optimizer_step_length`` (required then) and ``optimizer_momentum = 0``.
* ``use_projection_matrix = True``: False classifies the raw features (no 1x1 projection; implies a fixed projection).
* ``update_projection_matrix = True``: False keeps the projection matrix at its initialisation and optimises only
  the filter on the first frame (the filter-only problem, ``init_CG_iter`` iterations).
* ``use_clipped_window = False`` with ``effective_search_area``: with ``window_output``, the output window is a Hann
  window of the effective size ``output_sz * effective_search_area / search_area_scale`` (its difference to the output
  size made even), padded by edge replication to the output size; uncentred (FFT layout) like the plain window.
* ``_feature_window = False``: multiply the classifier features by a centred 2-D Hann window of the feature-map size
  before the projection (first-frame samples and every test sample).

Speed (same results up to float32 rounding, on by default):

* ``iounet_split_fc = True``: on the CPU with two or more intra-op threads, box refinement runs its steps with one
  intra-op thread and the IoU-Net head's fully connected products as two half products on two threads (ten-row
  products that the BLAS library barely parallelises; the test-branch convolutions still use every thread).

Box refinement options (``box_refinement_space``, ``box_refinement_step_decay``, ``box_refinement_step_length`` as a
``(pos, size)`` pair) live in :class:`pytracking.tracker.atom.iounet.BoxRefinementParams`; ``CG_forgetting_rate`` is
read by the classifier (forget factor ``(1 - learning_rate) ** CG_forgetting_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["OPTIMIZERS", "AtomOptions"]

OPTIMIZERS = ("GaussNewtonCG", "GradientDescentL2")


@dataclass(frozen=True)
class AtomOptions:
    """The options above with their defaults (see the module docstring)."""

    iounet_augmentation: bool = False
    iounet_not_use_reference: bool = False
    optimizer: str = "GaussNewtonCG"
    optimizer_step_length: float | None = None
    optimizer_momentum: float = 0.0
    use_projection_matrix: bool = True
    update_projection_matrix: bool = True
    use_clipped_window: bool = False
    effective_search_area: float | None = None
    _feature_window: bool = False
    iounet_split_fc: bool = True

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"parameter optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.optimizer == "GradientDescentL2" and self.optimizer_step_length is None:
            raise ValueError("parameter optimizer='GradientDescentL2' needs optimizer_step_length to be set")
        if self.use_clipped_window and self.effective_search_area is None:
            raise ValueError("parameter use_clipped_window=True needs effective_search_area to be set")

    @property
    def feature_window(self) -> bool:
        return self._feature_window

    @property
    def fixed_projection(self) -> bool:
        """Whether the first frame optimises the filter only (projection fixed or absent)."""
        return not (self.use_projection_matrix and self.update_projection_matrix)

    @classmethod
    def from_params(cls, params) -> AtomOptions:
        """The options a parameter object sets (the only place they are read), defaults for the rest."""
        defaults = cls()
        return cls(**{f.name: params.get(f.name, getattr(defaults, f.name)) for f in fields(cls)})
