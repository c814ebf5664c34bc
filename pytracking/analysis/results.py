"""Scores of several trackers on one dataset: per-sequence curves and the benchmark numbers derived from them.

:func:`compute_results` ties the pieces together (ground truth + result files -> :class:`EvalResult`);
:class:`EvalResult` holds the per-sequence curves ``[trackers, sequences, thresholds]`` and derives the table values
(AUC, OP50, OP75, Precision@20px, Norm. Precision@0.2, FPS) and per-sequence AUCs. Sequences are weighted equally;
several runs of one tracker are averaged per sequence curve before any score is taken.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from pytracking.analysis import metrics
from pytracking.analysis.conventions import check_convention, frame_errors, success_thresholds
from pytracking.analysis.extract import (
    GroundTruth,
    LoadedResults,
    MissingResultsError,
    ResultCache,
    TrackerSpec,
    load_predictions,
)
from pytracking.analysis.metrics import got10k_scores

__all__ = ["EvalResult", "GroundTruthBatch", "compute_results", "curves_for_run", "got10k_results", "SCORE_COLUMNS"]

SCORE_COLUMNS = ("AUC", "OP50", "OP75", "Precision", "Norm. Precision", "FPS")
_EPS = float(np.finfo(np.float64).eps)


@dataclass
class EvalResult:
    """Per-sequence curves of ``T`` trackers on ``S`` sequences (runs already averaged)."""

    dataset: str
    convention: str
    trackers: list[str]
    sequences: list[str]
    success: np.ndarray  # [T, S, 21]
    precision: np.ndarray  # [T, S, 51]
    norm_precision: np.ndarray  # [T, S, 51]
    fps: np.ndarray  # [T] (NaN where no time files)
    skipped_sequences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def success_thresholds(self) -> np.ndarray:
        return success_thresholds(self.convention)

    def _mean(self, curves: np.ndarray, toolkit_filter: bool) -> np.ndarray:
        if curves.shape[1] == 0:
            return np.full((curves.shape[0], curves.shape[2]), np.nan)  # nothing evaluated (e.g. all runs failed)
        if not (toolkit_filter and self.convention == "otb-toolkit"):
            return curves.mean(axis=1)
        # The OTB toolkit averages only the sequences whose curve is not all zero (``aa(sum(aa,2)>eps,:)``).
        keep = curves.sum(axis=2) > _EPS  # [T, S]
        total = (curves * keep[:, :, None]).sum(axis=1)
        count = keep.sum(axis=1)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), 0.0)

    def mean_curves(self) -> dict[str, np.ndarray]:
        """Dataset curves ``{'success': [T,21], 'precision': [T,51], 'norm_precision': [T,51]}``."""
        return {
            "success": self._mean(self.success, True),
            "precision": self._mean(self.precision, True),
            "norm_precision": self._mean(self.norm_precision, False),
        }

    def scores(self) -> dict[str, dict[str, float]]:
        """``{tracker: {'AUC', 'OP50', 'OP75', 'Precision', 'Norm. Precision', 'FPS'}}`` (fractions, not %)."""
        c = self.mean_curves()
        out = {}
        for t, name in enumerate(self.trackers):
            out[name] = {
                "AUC": float(c["success"][t].mean()),
                "OP50": float(c["success"][t, metrics.OP50_INDEX]),
                "OP75": float(c["success"][t, metrics.OP75_INDEX]),
                "Precision": float(c["precision"][t, metrics.PRECISION_INDEX]),
                "Norm. Precision": float(c["norm_precision"][t, metrics.NORM_PRECISION_INDEX]),
                "FPS": float(self.fps[t]),
            }
        return out

    def per_sequence_auc(self) -> np.ndarray:
        """``[T, S]`` AUC of every tracker on every sequence."""
        return metrics.auc(self.success)

    def most_different(self, k: int = 10) -> list[str]:
        """The ``k`` sequences where the trackers' AUCs spread the most (max - min), largest first."""
        auc = self.per_sequence_auc()
        spread = auc.max(axis=0) - auc.min(axis=0) if len(auc) else np.zeros(len(self.sequences))
        order = np.argsort(-spread, kind="stable")[:k]
        return [self.sequences[i] for i in order]

    def subset(self, sequences: Iterable[str]) -> EvalResult:
        """The same result restricted to some sequences (e.g. one attribute's)."""
        idx = [self.sequences.index(s) for s in sequences]
        return EvalResult(self.dataset, self.convention, list(self.trackers), [self.sequences[i] for i in idx],
                          self.success[:, idx], self.precision[:, idx], self.norm_precision[:, idx], self.fps,
                          list(self.skipped_sequences), list(self.notes))


@dataclass
class GroundTruthBatch:
    """The ground truth of many sequences concatenated once (``[4, F]`` columns), reused for every tracker/run."""

    gts: list[GroundTruth]
    lengths: np.ndarray
    columns: np.ndarray
    visible: np.ndarray | None

    @classmethod
    def build(cls, gts: Sequence[GroundTruth]) -> GroundTruthBatch:
        gts = list(gts)
        lengths = np.array([len(g) for g in gts], dtype=np.int64)
        columns = (np.concatenate([g.boxes[:, :4].T for g in gts], axis=1) if gts else np.zeros((4, 0)))
        visible = None
        if any(g.visible is not None for g in gts):
            visible = np.concatenate([g.visible if g.visible is not None else np.ones(len(g), bool) for g in gts])
        return cls(gts, lengths, np.ascontiguousarray(columns, dtype=np.float64), visible)


def curves_for_run(
    preds: Sequence[np.ndarray],
    gts: Sequence[GroundTruth] | GroundTruthBatch,
    dataset: str,
    convention: str = "pytracking",
    exclude_invalid_frames: bool = False,
    padded: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-sequence curves of one run: ``preds[s]`` aligned with ``gts[s]`` -> (success, precision, norm. prec.)."""
    batch = gts if isinstance(gts, GroundTruthBatch) else GroundTruthBatch.build(gts)
    if not len(batch.gts):
        return np.zeros((0, 21)), np.zeros((0, 51)), np.zeros((0, 51))
    pred = np.concatenate([np.asarray(p, np.float64)[:, :4].T for p in preds], axis=1)
    pad_mask = None
    if padded is not None and any(padded):
        pad_mask = np.zeros(pred.shape[1], dtype=bool)
        ends = np.cumsum(batch.lengths)
        for s, n in enumerate(padded):
            if n:
                pad_mask[ends[s] - n: ends[s]] = True
    errors = frame_errors(pred, batch.columns, batch.lengths, dataset=dataset, convention=convention,
                          visible=batch.visible, exclude_invalid_frames=exclude_invalid_frames, padded=pad_mask,
                          columns=True)
    return errors.curves()


def _fps(times: list[list[np.ndarray | None]], keep: list[int]) -> float:
    frames, seconds = 0, 0.0
    for run in times:
        for s in keep:
            t = run[s]
            if t is not None:
                frames += len(t)
                seconds += float(np.sum(t))
    return frames / seconds if seconds > 0 else math.nan


def compute_results(
    specs: Sequence[TrackerSpec],
    gts: Sequence[GroundTruth],
    dataset: str,
    convention: str = "pytracking",
    exclude_invalid_frames: bool = False,
    skip_missing_seq: bool = False,
    workers: int = 0,
    cache: ResultCache | None = None,
    report=print,
) -> EvalResult:
    """Load the result files of ``specs`` and score them against ``gts``.

    A sequence missing for any tracker (any run) raises :class:`MissingResultsError` naming them, or, with
    ``skip_missing_seq``, is excluded for every tracker and listed in ``skipped_sequences`` (and reported).
    """
    check_convention(convention)
    loaded: LoadedResults = load_predictions(specs, gts, convention, workers=workers, cache=cache)
    skipped: list[str] = []
    if loaded.missing:
        if not skip_missing_seq:
            raise MissingResultsError(loaded.missing)
        skipped = sorted({n for names in loaded.missing.values() for n in names},
                         key=[g.name for g in gts].index)
        if report is not None:
            report(f"skipping {len(skipped)} sequence(s) missing for some tracker: {', '.join(skipped)}")
    keep = [s for s, g in enumerate(gts) if g.name not in skipped]
    kept_gts = [gts[s] for s in keep]
    batch = GroundTruthBatch.build(kept_gts)
    T, S = len(specs), len(keep)
    success = np.zeros((T, S, 21))
    precision = np.zeros((T, S, 51))
    norm_precision = np.zeros((T, S, 51))
    fps = np.full(T, math.nan)
    notes = []
    for t, spec in enumerate(specs):
        runs = []
        for r in range(len(spec.run_dirs)):
            preds = [loaded.pred[t][r][s] for s in keep]
            pads = [loaded.padded[t][r][s] for s in keep]
            for s, n in zip(keep, pads, strict=True):
                if n:
                    notes.append(f"{spec.label}: {gts[s].name} result is {n} rows short; padded with zero boxes")
                extra = loaded.surplus.get((t, r, s), 0)
                if extra:
                    notes.append(f"{spec.label}: {gts[s].name} result is {extra} rows longer than the sequence; "
                                 f"extra rows ignored")
            runs.append(curves_for_run(preds, batch, dataset, convention, exclude_invalid_frames, pads))
        success[t] = np.mean([r[0] for r in runs], axis=0)
        precision[t] = np.mean([r[1] for r in runs], axis=0)
        norm_precision[t] = np.mean([r[2] for r in runs], axis=0)
        fps[t] = _fps(loaded.times[t], keep)
    return EvalResult(dataset, convention, [s.label for s in specs], [g.name for g in kept_gts], success,
                      precision, norm_precision, fps, skipped, notes)


def got10k_results(
    specs: Sequence[TrackerSpec],
    gts: Sequence[GroundTruth],
    cache: ResultCache | None = None,
    workers: int = 0,
) -> dict[str, dict[str, float]]:
    """GOT-10k's AO / SR@0.5 / SR@0.75 per tracker (:func:`metrics.got10k_scores`): continuous IoU, frame 0 left
    out, frames whose target is absent (``GroundTruth.visible`` False, from ``absence.label``) left out, all frames of
    all runs and sequences pooled. No image clipping (image sizes are not read here). Missing results are an error."""
    loaded = load_predictions(specs, gts, "pytracking", workers=workers, cache=cache)
    if loaded.missing:
        raise MissingResultsError(loaded.missing)
    out = {}
    for t, spec in enumerate(specs):
        preds, boxes, covers = [], [], []
        for r in range(len(spec.run_dirs)):
            for s, g in enumerate(gts):
                preds.append(loaded.pred[t][r][s])
                boxes.append(g.boxes)
                covers.append(np.ones(len(g), bool) if g.visible is None else g.visible)
        out[spec.label] = got10k_scores(preds, boxes, covers)
    return out
