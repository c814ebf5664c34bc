"""First-frame sample generation: augmentation list, seeded shifts, feature dropout."""

from __future__ import annotations

import pytest
import torch

from pytracking.features import augmentation as aug
from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom.init_samples import build_transforms, expanded_sample_size, feature_dropout


def test_expanded_size_keeps_parity():
    assert expanded_sample_size((288, 288), 2) == (576, 576)
    assert expanded_sample_size((287, 288), 1.5) == (431, 432)  # 430 -> 431 to stay odd like 287
    assert expanded_sample_size((288, 288), None) == (288, 288)


def test_published_augmentation_list_and_shifts():
    p = base_parameters()
    g = torch.Generator().manual_seed(0)
    ts = build_transforms(p.augmentation, (288, 288), (288, 288), p.random_shift_factor, g)
    kinds = [type(t) for t in ts]
    assert kinds == ([aug.Identity] + [aug.Translation] * 4 + [aug.FlipHorizontal] + [aug.Blur] * 5
                     + [aug.Rotate] * 12)
    # relative shifts (+-0.6, +-0.6) * 288 / 2 = +-86.4 -> truncated to +-86
    assert [t.shift for t in ts[1:5]] == [(86, 86), (-86, 86), (86, -86), (-86, -86)]
    assert [t.angle for t in ts[11:]] == [5, -5, 10, -10, 20, -20, 30, -30, 45, -45, -60, 60]
    assert ts[6].sigma == (2.0, 0.2)
    # random shifts: up to +-288/6 = 48 pixels, 18 of them drawn in order from the generator
    random_shifts = [t.shift for t in ts[5:]]
    assert all(abs(v) < 48 for s in random_shifts for v in s)
    g2 = torch.Generator().manual_seed(0)
    expected = [tuple(int(v) for v in ((torch.rand(2, generator=g2) - 0.5) * 288 * (1 / 3)).tolist())
                for _ in range(18)]
    assert random_shifts == expected
    other = build_transforms(p.augmentation, (288, 288), (288, 288), p.random_shift_factor,
                             torch.Generator().manual_seed(1))
    assert [t.shift for t in other[5:]] != random_shifts


def test_feature_dropout_zeroes_channels_and_rescales():
    feat = torch.ones(1, 200, 2, 2)
    out = feature_dropout(feat, 7, 0.2, torch.Generator().manual_seed(0))
    assert out.shape == (7, 200, 2, 2)
    values = set(out.unique().tolist())
    assert values <= {0.0, 1 / 0.8}
    per_channel = out[:, :, 0, 0]
    assert (out == per_channel[:, :, None, None]).all()  # whole channels dropped
    assert (per_channel == 0).float().mean().item() == pytest.approx(0.2, abs=0.05)
