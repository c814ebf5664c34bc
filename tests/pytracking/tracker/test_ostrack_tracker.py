"""OSTrack tracker: crop/window/map-back on hand-computed cases, a moving target followed end to end, the tracker's
per-frame pipeline against a step-by-step re-implementation, typed parameters, network files."""

from __future__ import annotations

import math
import re

import cv2
import numpy as np
import pytest
import torch
from ostrack_helpers import SquareFinder, moving_square_sequence, save_released_format, tiny_net

from ltr.admin.checkpoint import make_checkpoint, save_checkpoint
from pytracking.evaluation.tracker import Tracker
from pytracking.tracker.ostrack import get_tracker_class
from pytracking.tracker.ostrack.geometry import clip_box, hann2d_window, map_box_back, sample_target
from pytracking.tracker.ostrack.ostrack import OSTrack, eliminated_tokens_image, load_ostrack_network
from pytracking.tracker.ostrack.params import OSTrackParams, UnknownParameterError

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


# ---------------------------------------------------------------------------------------------------- geometry
def test_crop_side_origin_and_right_border_quirk() -> None:
    img = np.arange(10 * 12 * 3, dtype=np.int64).reshape(10, 12, 3).astype(np.uint8)
    # box centre (9.5, 4.0), sqrt(4*4) * 1.5 = 6 -> side 6; x1 = round(9.5 - 3) = round(6.5) = 6 (half to even)
    crop, factor = sample_target(img, [7.5, 2.0, 4.0, 4.0], 1.5, 6)
    assert factor == 1.0 and crop.shape == (6, 6, 3)
    # x range 6..11 crosses the right border (W = 12): pad_right = 6 + 6 - 12 + 1 = 1 -> columns 6..10 then one zero
    # y: y1 = round(4 - 3) = 1, rows 1..6, inside
    assert np.array_equal(crop[:, :5], img[1:7, 6:11])
    assert not crop[:, 5].any()
    # a crop over the top-left corner: zeros on top/left, image below/right
    crop2, _ = sample_target(img, [0.0, 0.0, 2.0, 2.0], 2.0, 4)  # side 4, x1 = y1 = round(1 - 2) = -1
    assert not crop2[0].any() and not crop2[:, 0].any()
    assert np.array_equal(crop2[1:, 1:], img[0:3, 0:3])


def test_crop_resize_factor_and_degenerate_box() -> None:
    img = np.zeros((50, 50, 3), np.uint8)
    crop, factor = sample_target(img, [10, 10, 9, 4], 4.0, 16)  # sqrt(36) * 4 = 24
    assert crop.shape == (16, 16, 3) and factor == pytest.approx(16 / 24)
    with pytest.raises(ValueError, match="non-positive width or height"):
        sample_target(img, [10, 10, 0, 4], 4.0, 16)


def test_hann_window_values() -> None:
    w = hann2d_window(2)
    assert torch.allclose(w, torch.full((1, 1, 2, 2), 0.5625))  # 0.5 (1 - cos(2 pi/3)) = 0.75 both ways
    w16 = hann2d_window(16)
    k = np.arange(1, 17)
    w1 = 0.5 * (1 - np.cos(2 * np.pi * k / 17))
    assert np.allclose(w16[0, 0].numpy(), np.outer(w1, w1), atol=1e-6)
    assert float(w16.max()) == pytest.approx(0.983, abs=1e-3)


def test_map_back_uses_the_unrounded_previous_centre_and_clip_keeps_ten_pixels() -> None:
    prev = [100.3, 50.0, 20.0, 10.0]  # centre (110.3, 55)
    # search 256 px, resize factor 2 -> crop side 128, half side 64
    box = map_box_back([70.0, 60.0, 30.0, 12.0], prev, 256, 2.0)
    assert box == pytest.approx([70 + 110.3 - 64 - 15, 60 + 55 - 64 - 6, 30, 12])
    assert clip_box([-5.0, 3.0, 12.0, 4.0], 100, 200) == pytest.approx([0, 3, 10, 10])
    assert clip_box([195.0, 96.0, 20.0, 20.0], 100, 200) == pytest.approx([190, 90, 10, 10])


# ---------------------------------------------------------------------------------------------------- parameters
def test_params_reject_unknown_names_naming_the_file_and_bad_backends() -> None:
    p = OSTrackParams()
    with pytest.raises(UnknownParameterError, match=r"test_ostrack_tracker\.py:\d+: .*'serach_size'"):
        p.serach_size = 300
    p.backend = "tensorrt"
    with pytest.raises(ValueError, match="backend must be one of"):
        p.validate()
    with pytest.raises(ValueError, match="backend must be one of"):
        OSTrack(p).initialize(np.zeros((20, 20, 3), np.uint8), {"init_bbox": [5, 5, 10, 10]})
    p.search_size = 384
    assert p.search_size == 384 and "search_size" in p.field_names()


def test_parameter_sets_hold_the_published_test_settings() -> None:
    t256 = Tracker("ostrack", "vitb_256_mae_ce_32x4_ep300").get_parameters()
    t384 = Tracker("ostrack", "vitb_384_mae_ce_32x4_ep300").get_parameters()
    assert (t256.template_factor, t256.template_size, t256.search_factor, t256.search_size) == (2.0, 128, 4.0, 256)
    assert (t384.template_factor, t384.template_size, t384.search_factor, t384.search_size) == (2.0, 192, 5.0, 384)
    assert t256.net_path == "OSTrack_ep0300.pth.tar" and t256.constructor == "ostrack_vitb_256_ce"
    assert t384.constructor == "ostrack_vitb_384_ce"
    assert get_tracker_class() is OSTrack


# ---------------------------------------------------------------------------------------------------- tracking
def _params(net, **kw) -> OSTrackParams:
    return OSTrackParams(net=net, template_size=net.template_size, search_size=net.search_size, use_gpu=False, **kw)


def test_follows_a_moving_square_end_to_end() -> None:
    frames, gt = moving_square_sequence()
    tracker = OSTrack(_params(SquareFinder()))
    out = tracker.initialize(frames[0], {"init_bbox": gt[0].tolist()})
    assert out["target_bbox"] == gt[0].tolist()
    for i in range(1, len(frames)):
        box = tracker.track(frames[i])["target_bbox"]
        assert np.allclose(box, gt[i], atol=1.5), (i, box, gt[i])


def _reference_track(net, frames, init_box):
    """Step-by-step re-implementation of the published per-frame procedure (numpy crop, python loops)."""
    def crop(im, box, factor, size):
        x, y, w, h = box
        side = math.ceil(math.sqrt(w * h) * factor)
        x1, y1 = round(x + 0.5 * w - side * 0.5), round(y + 0.5 * h - side * 0.5)
        canvas = np.zeros((side, side, 3), np.uint8)
        H, W = im.shape[:2]
        for r in range(side):
            for c in range(side):
                yy, xx = y1 + r, x1 + c
                if 0 <= yy < H - (1 if y1 + side > H - 1 else 0) and 0 <= xx < W - (1 if x1 + side > W - 1 else 0):
                    canvas[r, c] = im[yy, xx]
        return cv2.resize(canvas, (size, size)), size / side

    def norm(c):
        return torch.from_numpy(((c / 255.0 - MEAN) / STD).astype(np.float32)).permute(2, 0, 1)[None]

    zc, _ = crop(frames[0], init_box, 2.0, net.template_size)
    z = norm(zc)
    mask = torch.zeros(1, (net.template_size // net.patch_size) ** 2, dtype=torch.bool)
    g = net.template_size // net.patch_size
    mask[0, ((g - 1) // 2) * g + (g - 1) // 2] = True
    state = list(init_box)
    boxes = [list(init_box)]
    for im in frames[1:]:
        xc, rf = crop(im, state, 4.0, net.search_size)
        with torch.no_grad():
            o = net(z, norm(xc), ce_template_mask=mask)
        f = o["score_map"].shape[-1]
        hann = [0.5 * (1 - math.cos(2 * math.pi * k / (f + 1))) for k in range(1, f + 1)]
        best, by, bx = -1.0, 0, 0
        for r in range(f):
            for c in range(f):
                v = float(o["score_map"][0, 0, r, c]) * hann[r] * hann[c]
                if v > best:
                    best, by, bx = v, r, c
        cx = (bx + float(o["offset_map"][0, 0, by, bx])) / f
        cy = (by + float(o["offset_map"][0, 1, by, bx])) / f
        w, h = float(o["size_map"][0, 0, by, bx]), float(o["size_map"][0, 1, by, bx])
        side = net.search_size / rf
        cx, cy, w, h = cx * side, cy * side, w * side, h * side
        px, py = state[0] + state[2] / 2, state[1] + state[3] / 2
        x1, y1 = cx + px - side / 2 - w / 2, cy + py - side / 2 - h / 2
        H, W = im.shape[:2]
        x2, y2 = x1 + w, y1 + h
        x1, x2 = min(max(0, x1), W - 10), min(max(10, x2), W)
        y1, y2 = min(max(0, y1), H - 10), min(max(10, y2), H)
        state = [x1, y1, max(10, x2 - x1), max(10, y2 - y1)]
        boxes.append(state)
    return np.asarray(boxes)


@pytest.fixture(scope="module")
def crossing(shared_data):
    seq = shared_data / "otb" / "Crossing"
    lines = (seq / "groundtruth_rect.txt").read_text().strip().splitlines()
    gt = [[float(v) for v in re.split(r"[,\s]+", ln.strip())] for ln in lines]
    frames = [cv2.cvtColor(cv2.imread(str(seq / "img" / f"{i:04d}.jpg")), cv2.COLOR_BGR2RGB) for i in range(1, 21)]
    return frames, np.asarray(gt[:20])


def test_tracker_matches_a_step_by_step_reimplementation_on_real_frames(crossing) -> None:
    frames, gt = crossing
    net = tiny_net(1)
    tracker = OSTrack(_params(net))
    tracker.initialize(frames[0], {"init_bbox": gt[0].tolist()})
    boxes = [gt[0].tolist()] + [tracker.track(f)["target_bbox"] for f in frames[1:6]]
    ref = _reference_track(net, frames[:6], gt[0].tolist())
    assert np.allclose(np.asarray(boxes), ref, atol=1e-3)


def test_network_files_project_checkpoint_and_mismatch_errors(tmp_path, monkeypatch) -> None:
    net = tiny_net(2)
    monkeypatch.setenv("PYTRACKING_NETWORK_PATH", str(tmp_path))
    save_released_format(net.state_dict(), tmp_path / "tiny_released.pth.tar")
    save_checkpoint(make_checkpoint(net, 5), tmp_path / "tiny_ours.pth.tar")
    # a project checkpoint records its constructor ('ostrack' + tiny sizes): params.constructor is not needed
    loaded = load_ostrack_network("tiny_ours.pth.tar", "ostrack_vitb_256_ce")
    for k, v in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)
    # a released-format file records none: the named constructor is used, and strict loading catches a mismatch
    with pytest.raises(RuntimeError, match="do not fit network 'ostrack_vitb_256_ce'"):
        load_ostrack_network("tiny_released.pth.tar", "ostrack_vitb_256_ce")
    with pytest.raises(FileNotFoundError, match="setting network_path"):
        load_ostrack_network("missing.pth.tar", "ostrack_vitb_256_ce")


def test_debug_blocks_are_registered_at_their_levels() -> None:
    class Recorder:
        def __init__(self):
            self.blocks = []

        def register(self, data, mode, level, title):
            self.blocks.append((title, mode, level, data))

    frames, gt = moving_square_sequence(3)
    tracker = OSTrack(_params(tiny_net(3), debug=3))
    tracker.visdom = Recorder()
    tracker.initialize(frames[0], {"init_bbox": gt[0].tolist()})
    tracker.track(frames[1])
    titles = {t: (m, lv) for t, m, lv, _ in tracker.visdom.blocks}
    assert titles == {"Template": ("image", 2), "Status": ("info_dict", 1), "Search Region": ("image", 2),
                      "Score Map": ("heatmap", 2), "Score Map x Window": ("heatmap", 2),
                      "Eliminated Tokens": ("image", 3)}
    tracker2 = OSTrack(_params(tiny_net(3), debug=1))
    tracker2.visdom = Recorder()
    tracker2.initialize(frames[0], {"init_bbox": gt[0].tolist()})
    tracker2.track(frames[1])
    assert [t for t, *_ in tracker2.visdom.blocks] == ["Status"]


def test_eliminated_tokens_image_darkens_exactly_the_removed_cells() -> None:
    crop = np.full((16, 24, 3), 200, np.uint8)  # 2 x 3 cells of 8 px
    img = eliminated_tokens_image(crop, torch.tensor([1, 5]), 8)
    expected = crop.copy()
    expected[0:8, 8:16] = 50  # token 1 = row 0, col 1
    expected[8:16, 16:24] = 50  # token 5 = row 1, col 2
    assert np.array_equal(img, expected)
    assert (crop == 200).all()  # input untouched


def test_checkpoint_sweep_points_ostrack_parameters_at_a_checkpoint(tmp_path) -> None:
    from pytracking.analysis.sweep import apply_checkpoint

    params = apply_checkpoint(OSTrackParams(), tmp_path / "OSTrack_ep0010.pth.tar")
    assert params.net_path == str((tmp_path / "OSTrack_ep0010.pth.tar").resolve())
