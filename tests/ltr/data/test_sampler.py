"""TrackingSampler / ATOMSampler: argument validation, frame-selection rules, determinism and degenerate redraws."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ltr.data.processing import ATOMProcessing
from ltr.data.processing_utils import DegenerateBoxError
from ltr.data.sampler import ATOMSampler, SamplerConfigError, TrackingSampler
from ltr.dataset.synthetic import SyntheticVideo
from pytracking.libs.tensordict import TensorDict


class FakeVideos:
    """Minimal dataset: frame ``f`` of a sequence is a 4x4 image filled with ``f``; visibility per sequence."""

    def __init__(self, visible: list[list[bool]], name: str = "fake", boxes: list[np.ndarray] | None = None) -> None:
        self.visible = [torch.tensor(v) for v in visible]
        self.name = name
        self.boxes = boxes
        self.info_calls = 0

    def get_name(self) -> str:
        return self.name

    def is_video_sequence(self) -> bool:
        return True

    def get_num_sequences(self) -> int:
        return len(self.visible)

    def get_sequence_info(self, seq_id: int) -> dict:
        self.info_calls += 1
        n = len(self.visible[seq_id])
        bbox = torch.tensor(self.boxes[seq_id]) if self.boxes else torch.tensor([[1.0, 1.0, 2.0, 2.0]] * n)
        return {"bbox": bbox, "valid": torch.ones(n, dtype=torch.bool), "visible": self.visible[seq_id].clone()}

    def get_frames(self, seq_id: int, frame_ids: list[int], anno: dict | None = None):
        anno = anno if anno is not None else self.get_sequence_info(seq_id)
        frames = [np.full((4, 4, 3), f, np.uint8) for f in frame_ids]
        return frames, {k: [v[f] for f in frame_ids] for k, v in anno.items()}, {"object_class_name": f"seq{seq_id}"}


class FakeImages(FakeVideos):
    def is_video_sequence(self) -> bool:
        return False


def _frame_ids(sample: TensorDict, split: str) -> list[int]:
    return [int(im[0, 0, 0]) for im in sample[f"{split}_images"]]


def test_validation_messages() -> None:
    good = FakeVideos([[True] * 30])
    with pytest.raises(SamplerConfigError, match=r"p_datasets has 1 weight\(s\) but 2 dataset\(s\)"):
        TrackingSampler([good, good], [1.0], 10, 5, 1)
    with pytest.raises(SamplerConfigError, match="non-negative"):
        TrackingSampler([good, good], [1.0, -0.5], 10, 5, 1)
    with pytest.raises(SamplerConfigError, match="sums to 0"):
        TrackingSampler([good], [0.0], 10, 5, 1)
    with pytest.raises(SamplerConfigError, match="datasets is empty"):
        TrackingSampler([], None, 10, 5, 1)
    with pytest.raises(SamplerConfigError, match=r"\['empty'\] contain no sequences"):
        TrackingSampler([good, FakeVideos([], name="empty")], None, 10, 5, 1)
    short = FakeVideos([[True] * 19, [True] * 3 + [False] * 40], name="short")
    with pytest.raises(SamplerConfigError, match="'short' has no usable sequence.*more than 4 visible"):
        TrackingSampler([short], None, 10, 5, 1)
    with pytest.raises(SamplerConfigError, match="frame_sample_mode"):
        TrackingSampler([good], None, 10, 5, 1, frame_sample_mode="random")
    with pytest.raises(SamplerConfigError, match="samples_per_epoch"):
        TrackingSampler([good], None, 0, 5, 1)
    # image datasets need no visible frames
    TrackingSampler([FakeImages([[True]])], None, 10, 5, 1)


def test_p_datasets_none_is_proportional_to_size() -> None:
    a = FakeVideos([[True] * 30] * 3, name="a")
    b = FakeVideos([[True] * 30] * 1, name="b")
    s = TrackingSampler([a, b], None, 400, 5, 1, frame_sample_mode="interval", seed=0)
    np.testing.assert_allclose(s.p_datasets, [0.75, 0.25])
    names = [s[i]["dataset"] for i in range(400)]
    assert abs(names.count("a") / 400 - 0.75) < 0.07
    s2 = TrackingSampler([a, b], [1, 3], 10, 5, 1)
    np.testing.assert_allclose(s2.p_datasets, [0.25, 0.75])


def test_interval_mode_frames_are_visible_and_within_gap() -> None:
    rng = np.random.default_rng(0)
    vis = [list(rng.random(60) < 0.6) for _ in range(5)]
    ds = FakeVideos(vis)
    s = TrackingSampler([ds], None, 200, max_gap=4, num_test_frames=3, num_train_frames=2,
                        frame_sample_mode="interval", seed=1)
    for i in range(200):
        smp = s[i]
        seq = int(smp["test_class"][3:])
        tr, te = _frame_ids(smp, "train"), _frame_ids(smp, "test")
        assert len(tr) == 2 and len(te) == 3
        assert all(vis[seq][f] for f in tr + te)
        base = tr[0]  # with mostly visible frames the first window always works: gap 4
        assert all(abs(f - base) <= 4 for f in tr + te)


def test_causal_mode_order_and_gap_increase() -> None:
    # only every 10th frame is visible: with max_gap 2 the window has to grow (by 5) before a test frame is found
    vis = [[f % 10 == 0 for f in range(100)]]
    s = TrackingSampler([FakeVideos(vis)], None, 50, max_gap=2, num_test_frames=1, num_train_frames=2,
                        frame_sample_mode="causal", seed=3)
    for i in range(50):
        smp = s[i]
        tr, te = _frame_ids(smp, "train"), _frame_ids(smp, "test")
        base = tr[0]
        assert all(f % 10 == 0 for f in tr + te)
        assert all(f <= base for f in tr[1:]) and te[0] > base
        assert te[0] - base <= 2 + 5 * 2 and base - min(tr) <= 2 + 5 * 2  # found by the 3rd window (gap 12)


def test_determinism_epochs_and_indices() -> None:
    ds = SyntheticVideo(num_sequences=6, seq_len=24, image_size=(64, 80), seed=2)
    s1 = ATOMSampler([ds], None, 20, 10, seed=5)
    s2 = ATOMSampler([ds], None, 20, 10, seed=5)
    for i in (0, 7):
        a, b = s1[i], s2[i]
        assert a["test_class"] == b["test_class"]
        torch.testing.assert_close(torch.stack(list(a["test_anno"])), torch.stack(list(b["test_anno"])))
        assert all(np.array_equal(x, y) for x, y in zip(a["train_images"], b["train_images"], strict=True))
    seen = {tuple(torch.stack(list(s1[i]["test_anno"])).flatten().tolist()) for i in range(20)}
    assert len(seen) > 12  # indices draw from different streams
    e0 = s1[3]["test_anno"][0]
    s1.set_epoch(1)
    assert not torch.equal(s1[3]["test_anno"][0], e0)
    s1.set_epoch(0)
    torch.testing.assert_close(s1[3]["test_anno"][0], e0)


def test_degenerate_samples_are_redrawn_and_counted() -> None:
    n = 30
    bad = np.tile([5.0, 5.0, 0.0, 3.0], (n, 1))  # zero width, yet flagged visible by a careless reader
    good = np.tile([5.0, 5.0, 4.0, 3.0], (n, 1))
    ds = FakeVideos([[True] * n, [True] * n], boxes=[bad, good])
    proc = ATOMProcessing(2.0, 16, 0.0, 0.0, {"boxes_per_frame": 4, "min_iou": 0.1, "sigma_factor": [0.1]},
                          mode="sequence")
    s = ATOMSampler([ds], None, 40, 5, processing=proc, seed=0)
    outs = [s[i] for i in range(40)]
    assert all(o["test_class"] == "seq1" for o in outs)
    assert s.degenerate_redraws["fake"] > 5
    only_bad = ATOMSampler([FakeVideos([[True] * n], boxes=[bad])], None, 1, 5, processing=proc, max_redraws=3)
    with pytest.raises(RuntimeError, match="3 consecutive degenerate samples"):
        only_bad[0]
    assert issubclass(DegenerateBoxError, ValueError)


def test_image_dataset_and_legacy_one_argument_processing() -> None:
    calls = []

    def legacy(data: TensorDict) -> TensorDict:
        calls.append(1)
        return data

    s = TrackingSampler([FakeImages([[True]] * 3, name="imgs")], None, 5, 5, num_test_frames=2, num_train_frames=1,
                        processing=legacy)
    smp = s[0]
    assert _frame_ids(smp, "train") == [0] and _frame_ids(smp, "test") == [0, 0]
    assert calls == [1]
