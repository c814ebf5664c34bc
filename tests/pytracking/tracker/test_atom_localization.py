"""Advanced localisation flags on hand-made score maps."""

from __future__ import annotations

import torch

from pytracking.tracker.atom.localization import (
    AdvancedLocalizationParams,
    center_scores,
    localize_advanced,
    localize_simple,
)

P = AdvancedLocalizationParams(target_not_found_threshold=0.25, distractor_threshold=0.8,
                               hard_negative_threshold=0.5, displacement_scale=0.8)
N = 21  # map size; centre index 10; displacement threshold 0.8 * sqrt(21 * 21) / 2 = 8.4
NEIGH = (3.0, 3.0)


def peaks(*spec: tuple[int, int, float]) -> torch.Tensor:
    s = torch.zeros(1, N, N)
    for r, c, v in spec:
        s[0, r, c] = v
    return s


def test_not_found_below_threshold():
    loc = localize_advanced(torch.full((1, N, N), 0.2), NEIGH, P)
    assert loc.flag == "not_found"
    assert loc.max_score == torch.tensor(0.2).item()


def test_normal_single_peak_gives_its_displacement():
    loc = localize_advanced(peaks((12, 7, 1.0)), NEIGH, P)
    assert loc.flag == "normal"
    assert loc.disp.tolist() == [2.0, -3.0]


def test_hard_negative_from_second_peak_ratio():
    loc = localize_advanced(peaks((10, 10, 1.0), (18, 18, 0.6)), NEIGH, P)  # 0.6 > 0.5 * 1 and > 0.25
    assert (loc.flag, loc.disp.tolist()) == ("hard_negative", [0.0, 0.0])
    loc = localize_advanced(peaks((10, 10, 1.0), (18, 18, 0.45)), NEIGH, P)
    assert loc.flag == "normal"


def test_distractor_cases():
    # main peak near (disp 0), distractor far (disp (10, 0): 10 > 8.4) -> hard negative at the main peak
    loc = localize_advanced(peaks((10, 10, 1.0), (20, 10, 0.9)), NEIGH, P)
    assert (loc.flag, loc.disp.tolist()) == ("hard_negative", [0.0, 0.0])
    # main peak far, distractor near -> hard negative at the distractor
    loc = localize_advanced(peaks((20, 10, 1.0), (10, 14, 0.9)), NEIGH, P)
    assert (loc.flag, loc.disp.tolist()) == ("hard_negative", [0.0, 4.0])
    # both far -> uncertain at the main peak
    loc = localize_advanced(peaks((20, 10, 1.0), (0, 10, 0.9)), NEIGH, P)
    assert (loc.flag, loc.disp.tolist()) == ("uncertain", [10.0, 0.0])
    # both near -> uncertain
    loc = localize_advanced(peaks((10, 10, 1.0), (10, 15, 0.9)), NEIGH, P)
    assert (loc.flag, loc.disp.tolist()) == ("uncertain", [0.0, 0.0])


def test_neighbourhood_mask_extent():
    # peak (10, 10), neighbourhood 4x4: rows round(10 - 2) = 8 .. round(10 + 2 + 1) = 13 (exclusive) are masked
    assert localize_advanced(peaks((10, 10, 1.0), (12, 10, 0.9)), (4.0, 4.0), P).flag == "normal"
    assert localize_advanced(peaks((10, 10, 1.0), (13, 10, 0.9)), (4.0, 4.0), P).flag == "uncertain"
    assert localize_advanced(peaks((10, 10, 1.0), (7, 10, 0.9)), (4.0, 4.0), P).flag == "uncertain"


def test_second_peak_can_come_from_unwindowed_scores():
    windowed = peaks((10, 10, 1.0))
    raw = peaks((10, 10, 1.0), (20, 20, 0.95))
    assert localize_advanced(windowed, NEIGH, P).flag == "normal"
    assert localize_advanced(windowed, NEIGH, P, second_peak_scores=raw).flag == "hard_negative"


def test_scale_selection_and_centering():
    s = torch.zeros(3, N, N)
    s[0, 5, 5] = 0.5
    s[2, 11, 9] = 0.9
    loc = localize_advanced(s, NEIGH, P)
    assert (loc.scale_ind, loc.disp.tolist()) == (2, [1.0, -1.0])
    assert localize_simple(s).scale_ind == 2
    fft_layout = torch.zeros(1, 6, 6)
    fft_layout[0, 0, 0] = 1.0  # zero displacement at index 0
    assert center_scores(fft_layout)[0, 3, 3].item() == 1.0
    fft_layout = torch.zeros(1, 5, 5)
    fft_layout[0, 4, 1] = 1.0  # displacement (-1, +1)
    assert center_scores(fft_layout)[0, 1, 3].item() == 1.0
