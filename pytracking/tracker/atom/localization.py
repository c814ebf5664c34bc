"""Target localisation on the classifier's score map, with ATOM's distractor / not-found reasoning.

Why separate: the decision rules (which peak to trust, when to skip the model update, when to learn faster) are the
part of the tracker most worth testing on hand-made score maps, independently of networks and optimisation.

Score maps here are *centred*: ``[S, H, W]`` (one map per scale) with zero displacement at index ``(H//2, W//2)``.
Displacements are returned in score-map cells ``[row, col]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["AdvancedLocalizationParams", "Localization", "center_scores", "localize_advanced", "localize_simple"]

NOT_FOUND = "not_found"
HARD_NEGATIVE = "hard_negative"
UNCERTAIN = "uncertain"
NORMAL = "normal"


@dataclass(frozen=True)
class AdvancedLocalizationParams:
    """Thresholds of the advanced localisation (names as in the parameter files)."""

    target_not_found_threshold: float = 0.25
    distractor_threshold: float = 0.8
    hard_negative_threshold: float = 0.5
    displacement_scale: float = 0.8


@dataclass
class Localization:
    """Result of a localisation: displacement (cells, ``[row, col]``), chosen scale, flag and peak score."""

    disp: torch.Tensor
    scale_ind: int
    flag: str
    max_score: float


def center_scores(scores: torch.Tensor) -> torch.Tensor:
    """Move zero displacement from index 0 (the FFT layout) to ``(H//2, W//2)``: a circular shift by half the size."""
    h, w = scores.shape[-2:]
    return torch.roll(scores, shifts=(h // 2, w // 2), dims=(-2, -1))


def _argmax2d(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per map maximum ``[S]`` and its ``[row, col]`` ``[S, 2]`` (first occurrence in row-major order)."""
    s, _, w = scores.shape
    vals, idx = scores.reshape(s, -1).max(dim=1)
    return vals, torch.stack((idx // w, idx % w), dim=1)


def localize_simple(scores: torch.Tensor) -> Localization:
    """Highest peak over all scales; displacement relative to the map centre (cells). Flag is always normal."""
    vals, pos = _argmax2d(scores)
    scale_ind = int(torch.argmax(vals).item())
    h, w = scores.shape[-2:]
    disp = pos[scale_ind].to(torch.float32).cpu() - torch.tensor([h // 2, w // 2], dtype=torch.float32)
    return Localization(disp, scale_ind, NORMAL, float(vals[scale_ind].item()))


def localize_advanced(scores: torch.Tensor, neighbourhood_sz: tuple[float, float],
                      p: AdvancedLocalizationParams, second_peak_scores: torch.Tensor | None = None) -> Localization:
    """ATOM's advanced localisation.

    Args:
        scores: centred score maps ``[S, H, W]``.
        neighbourhood_sz: ``[rows, cols]`` (cells) of the region around the main peak that is masked out before the
            second peak is searched (``target_neighborhood_scale * target size`` in sample coordinates).
        p: thresholds.
        second_peak_scores: maps to search the second peak in (default ``scores``); the VOT setting passes the
            unwindowed maps so that the output window cannot hide a distractor.

    Rules, with ``m1`` the highest score and ``m2`` the highest one outside the neighbourhood of ``m1``:

    * ``m1 < target_not_found_threshold`` -> ``not_found`` (displacement of ``m1``);
    * ``m2 > distractor_threshold * m1``: compare both peaks' distances to the centre against
      ``displacement_scale * sqrt(H * W) / 2``: only ``m1`` near -> ``hard_negative`` at ``m1``; only ``m2`` near ->
      ``hard_negative`` at ``m2``; otherwise ``uncertain`` at ``m1``;
    * ``m2 > hard_negative_threshold * m1`` and ``m2 > target_not_found_threshold`` -> ``hard_negative`` at ``m1``;
    * otherwise ``normal`` at ``m1``.
    """
    vals, pos = _argmax2d(scores)
    scale_ind = int(torch.argmax(vals).item())
    h, w = scores.shape[-2:]
    centre = torch.tensor([h // 2, w // 2], dtype=torch.float32)
    max_score1 = float(vals[scale_ind].item())
    pos1 = pos[scale_ind].to(torch.float32).cpu()
    disp1 = pos1 - centre
    if max_score1 < p.target_not_found_threshold:
        return Localization(disp1, scale_ind, NOT_FOUND, max_score1)

    # Python's round() (half to even) on float bounds, as the published tracker.
    top = max(round(pos1[0].item() - neighbourhood_sz[0] / 2), 0)
    bottom = min(round(pos1[0].item() + neighbourhood_sz[0] / 2 + 1), h)
    left = max(round(pos1[1].item() - neighbourhood_sz[1] / 2), 0)
    right = min(round(pos1[1].item() + neighbourhood_sz[1] / 2 + 1), w)
    source = scores if second_peak_scores is None else second_peak_scores
    masked = source[scale_ind:scale_ind + 1].clone()
    masked[..., top:bottom, left:right] = 0
    vals2, pos2 = _argmax2d(masked)
    max_score2 = float(vals2[0].item())
    disp2 = pos2[0].to(torch.float32).cpu() - centre

    if max_score2 > p.distractor_threshold * max_score1:
        threshold = p.displacement_scale * math.sqrt(h * w) / 2
        near1 = float(disp1.norm()) < threshold
        near2 = float(disp2.norm()) < threshold
        far1 = float(disp1.norm()) > threshold
        far2 = float(disp2.norm()) > threshold
        if far2 and near1:
            return Localization(disp1, scale_ind, HARD_NEGATIVE, max_score1)
        if near2 and far1:
            return Localization(disp2, scale_ind, HARD_NEGATIVE, max_score1)
        return Localization(disp1, scale_ind, UNCERTAIN, max_score1)

    if max_score2 > p.hard_negative_threshold * max_score1 and max_score2 > p.target_not_found_threshold:
        return Localization(disp1, scale_ind, HARD_NEGATIVE, max_score1)
    return Localization(disp1, scale_ind, NORMAL, max_score1)
