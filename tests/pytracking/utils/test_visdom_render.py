"""Conversions of registered debug data into displayable arrays, checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytracking.utils.visdom import render as R


def test_to_image_accepts_chw_float_tensors_and_gray() -> None:
    chw = torch.zeros(3, 2, 4)
    chw[0] = 1.0  # 0..1 floats are scaled to 0..255
    img = R.to_image(chw)
    assert img.shape == (2, 4, 3) and img.dtype == np.uint8
    assert (img[..., 0] == 255).all() and (img[..., 1:] == 0).all()
    gray = R.to_image(np.array([[0.0, 300.0]]))  # > 1: taken as 0..255 and clipped
    assert gray.tolist() == [[[0, 0, 0], [255, 255, 255]]]
    batched = R.to_image(torch.full((1, 3, 5, 6), 7.0))
    assert batched.shape == (5, 6, 3) and (batched == 7).all()
    with pytest.raises(R.RenderError, match="shape"):
        R.to_image(np.zeros((4, 5, 6, 7)))


def test_tracking_image_draws_pred_red_and_gt_green_at_the_box_edges() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    out = R.tracking_image(img, [10, 20, 30, 40], [50, 50, 10, 10])
    assert out.shape == (100, 200, 3)  # longer side 200 <= 480: not resized
    # predicted box x 10..39, y 20..59 (inclusive pixels), 2 px line in red
    assert tuple(out[20, 25]) == R.PRED_COLOR and tuple(out[59, 25]) == R.PRED_COLOR
    assert tuple(out[40, 10]) == R.PRED_COLOR and tuple(out[40, 39]) == R.PRED_COLOR
    assert tuple(out[40, 25]) == (0, 0, 0)  # inside untouched
    assert tuple(out[50, 55]) == R.GT_COLOR
    assert img.sum() == 0  # input not modified


def test_tracking_image_resizes_longer_side_to_480_and_scales_boxes() -> None:
    img = np.full((720, 1280, 3), 90, np.uint8)
    out = R.tracking_image(img, [640, 360, 128, 72])
    assert out.shape == (270, 480, 3)  # 1280 -> 480 is a factor 0.375; 720 * 0.375 = 270
    # box scaled by 0.375: x 240..(240+48-1)=287, y 135..(135+27-1)=161
    assert tuple(out[135, 260]) == R.PRED_COLOR and tuple(out[161, 260]) == R.PRED_COLOR
    assert tuple(out[150, 240]) == R.PRED_COLOR and tuple(out[150, 287]) == R.PRED_COLOR
    assert tuple(out[150, 260]) == (90, 90, 90)


def test_boxes_with_nan_or_empty_size_are_skipped() -> None:
    img = np.zeros((50, 50, 3), np.uint8)
    out = R.tracking_image(img, [[5, 5, 0, 10], [float("nan"), 1, 2, 3]], None)
    assert out.sum() == 0


def test_heatmap_area_average_matches_block_means() -> None:
    m = torch.arange(16.0).reshape(4, 4)
    out = R.heatmap_array(m, max_side=2)
    expected = np.array([[np.mean([0, 1, 4, 5]), np.mean([2, 3, 6, 7])],
                         [np.mean([8, 9, 12, 13]), np.mean([10, 11, 14, 15])]])
    np.testing.assert_allclose(out, expected)
    assert R.heatmap_array(m.reshape(1, 1, 4, 4)).shape == (4, 4)  # singleton dims dropped, small maps kept
    with pytest.raises(R.RenderError, match="2-D"):
        R.heatmap_array(torch.zeros(2, 3, 4))


def test_info_html_formats_floats_and_escapes() -> None:
    html = R.info_html({"max_score": torch.tensor(0.123456), "flag": "<b>", "frame_num": 7})
    assert "<td>0.1235</td>" in html and "&lt;b&gt;" in html and "<td>7</td>" in html
    with pytest.raises(R.RenderError, match="dict"):
        R.info_html([1, 2])


def test_lineplot_forms() -> None:
    x, y = R.lineplot_arrays(torch.tensor([3.0, 2.0, 1.0]))
    assert x.tolist() == [0, 1, 2] and y.tolist() == [3, 2, 1]
    x, y = R.lineplot_arrays(([10, 20], [1.5, 2.5]))
    assert x.tolist() == [10, 20] and y.tolist() == [1.5, 2.5]
    x, y = R.lineplot_arrays(torch.zeros(4, 2))
    assert x.shape == (4,) and y.shape == (4, 2)
    with pytest.raises(R.RenderError, match="lineplot"):
        R.lineplot_arrays(([1, 2, 3], [1, 2]))


def test_featmap_grid_tiles_each_channel_normalised() -> None:
    f = torch.zeros(5, 2, 2)
    f[0, 0, 0] = 10.0  # channel 0: one hot corner -> max colour there, min colour elsewhere
    f[1] = 3.0  # constant channel -> all min colour
    grid = R.featmap_grid(f, cell=4)
    assert grid.shape == (2 * 4, 3 * 4, 3)  # 5 channels -> 3 columns x 2 rows; cells of 4 px
    jet_min = tuple(R.colorize(np.array([[0.0, 1.0]]))[0, 0])
    jet_max = tuple(R.colorize(np.array([[0.0, 1.0]]))[0, 1])
    assert tuple(grid[0, 0]) == jet_max and tuple(grid[3, 3]) == jet_min
    assert tuple(grid[0, 4]) == jet_min  # channel 1 tile
    assert (grid[4:, 8:] == 0).all()  # sixth cell is empty
    assert R.featmap_grid(torch.zeros(1, 40, 3, 3)).shape == (4 * 64, 4 * 64, 3)  # at most 16 channels


def test_render_dispatch_and_errors() -> None:
    img = np.zeros((10, 10, 3), np.uint8)
    assert R.render("Tracking", (img, [1, 1, 3, 3])).kind == "image"
    assert R.render("bbreg", (img, np.ones((9, 4)), np.ones((3, 4)))).kind == "image"
    assert R.render("text", "a<b").value == "<pre>a&lt;b</pre>"
    assert R.render("info_dict", {"a": 1}).kind == "html"
    assert R.render("lineplot", [1.0, 2.0]).kind == "line"
    assert R.render("heatmap", np.zeros((3, 3))).kind == "heatmap"
    with pytest.raises(R.RenderError, match="unknown mode"):
        R.render("video", img, "X")
    with pytest.raises(R.RenderError, match="'Tracking'"):
        R.render("Tracking", img, "Tracking")
