"""IoU-Net box refinement: box conversion, jitter, gradient steps, selection, region-restricted features."""

from __future__ import annotations

import pytest
import torch

from ltr.models.bbreg.atom_iou_net import AtomIoUNet
from pytracking.tracker.atom import iounet as bbreg


def test_iounet_box_hand_values():
    # target centre (row 50, col 80), size (h 20, w 10); sample centred at (48, 84), scale 2, sample 288x288
    box = bbreg.iounet_box(torch.tensor([50.0, 80.0]), torch.tensor([20.0, 10.0]), torch.tensor([48.0, 84.0]), 2.0,
                           torch.tensor([288.0, 288.0]))
    # centre = ((50-48)/2 + 143.5, (80-84)/2 + 143.5) = (144.5, 141.5); size (10, 5); top-left = centre - (size-1)/2
    assert box.tolist() == [141.5 - 2.0, 144.5 - 4.5, 5.0, 10.0]


def test_jitter_boxes_ranges_and_reproducibility():
    init = torch.tensor([100.0, 50.0, 40.0, 10.0])
    a = bbreg.jitter_boxes(init, 200, 0.1, 0.5, torch.Generator().manual_seed(3))
    b = bbreg.jitter_boxes(init, 200, 0.1, 0.5, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert a.shape == (201, 4) and a[0].tolist() == init.tolist()
    sq = (40 * 10) ** 0.5  # 20
    centres = a[1:, :2] + a[1:, 2:] / 2
    assert (centres - torch.tensor([120.0, 55.0])).abs().max() <= 0.05 * sq + 1e-4
    assert a[1:, 2:].min() >= 10 / 3 - 1e-5  # sizes clamped to a third of the smaller side
    assert (a[1:, 2] - 40).abs().max() <= 0.25 * sq + 1e-4
    assert bbreg.jitter_boxes(init, 0, 0.1, 0.5).tolist() == [init.tolist()]


def test_optimize_boxes_one_step_by_hand():
    target = torch.tensor([10.0, 20.0, 30.0, 40.0])

    def predict(bb: torch.Tensor) -> torch.Tensor:
        return -((bb - target) ** 2).sum(-1)  # [1, N]

    boxes = torch.tensor([[12.0, 19.0, 30.0, 44.0]])
    predict = bbreg.autograd_iou_and_grad(predict)
    out, iou = bbreg.optimize_boxes(predict, boxes, 1, 0.01)
    grad = -2 * (boxes - target)
    expected = boxes + 0.01 * grad * torch.tensor([30.0, 44.0, 30.0, 44.0])
    torch.testing.assert_close(out, expected)
    assert iou.tolist() == [-(4 + 1 + 0 + 16)]  # IoU of the boxes before the step
    # decay < 1 but the IoU rose (-21 -> -0.8848): the second step keeps the full step length
    out2, iou2 = bbreg.optimize_boxes(predict, boxes, 2, 0.01, step_decay=0.5)
    step1 = expected
    grad2 = -2 * (step1 - target)
    torch.testing.assert_close(out2, step1 + 0.01 * grad2 * step1[:, 2:].repeat(1, 2))
    torch.testing.assert_close(iou2, torch.tensor([-(0.8 ** 2 + 0.12 ** 2 + 0 + 0.48 ** 2)]))


def test_select_box_aspect_filter_and_top_k():
    boxes = torch.tensor([[0, 0, 70.0, 10.0],  # aspect 7: dropped
                          [0, 0, 10.0, 70.0],  # aspect 1/7: dropped
                          [0, 0, 20.0, 10.0],
                          [4, 0, 30.0, 10.0],
                          [8, 0, 40.0, 10.0],
                          [0, 0, 0.5, 0.5]])  # clamped to 1x1 (aspect 1): kept
    ious = torch.tensor([0.99, 0.98, 0.5, 0.7, 0.9, 0.1])
    box, iou = bbreg.select_box(boxes, ious, 6.0, 3)
    torch.testing.assert_close(box, torch.tensor([4.0, 0.0, 30.0, 10.0]))
    assert iou == pytest.approx(0.7)
    box1, _ = bbreg.select_box(boxes, ious, 6.0, 10)  # k larger than the kept boxes: mean of all 4 kept
    torch.testing.assert_close(box1, torch.tensor([3.0, 0.0, 22.75, 7.75]))
    assert bbreg.select_box(boxes[:2], ious[:2], 6.0, 3) is None
    # boxes exactly at the limit are dropped too (strict inequality)
    assert bbreg.select_box(torch.tensor([[0, 0, 60.0, 10.0]]), torch.tensor([1.0]), 6.0, 3) is None


@pytest.fixture(scope="module")
def iou_net():
    torch.manual_seed(0)
    net = AtomIoUNet(input_dim=(16, 32), pred_input_dim=(32, 32), pred_inter_dim=(32, 32)).eval()
    for m in net.modules():  # non-trivial BatchNorm statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return net.requires_grad_(False)


def test_region_features_give_same_iou_and_gradients_as_full(iou_net):
    g = torch.Generator().manual_seed(1)
    feats = [torch.randn(1, 16, 36, 36, generator=g), torch.randn(1, 32, 18, 18, generator=g)]
    modulation = iou_net.get_modulation(feats, torch.tensor([[100.0, 90.0, 60.0, 80.0]]))
    boxes = bbreg.jitter_boxes(torch.tensor([100.0, 90.0, 60.0, 80.0]), 9, 0.1, 0.5, g)
    # boxes touching the sample border too (zero padding of the convolutions must be reproduced)
    boxes = torch.cat((boxes, torch.tensor([[-10.0, 250.0, 40.0, 45.0], [260.0, -5.0, 30.0, 30.0]])))
    results = []
    for restrict in (True, False):
        region = bbreg.RegionIoUFeatures(iou_net, feats, restrict=restrict)

        def predict(bb, region=region):
            f, off = region.get(bb)
            return iou_net.predict_iou(modulation, f, bb - off)

        results.append(bbreg.optimize_boxes(bbreg.autograd_iou_and_grad(predict), boxes, 5, 1.0) + (region,))
    (b1, i1, r1), (b2, i2, r2) = results
    torch.testing.assert_close(i1, i2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(b1, b2, atol=1e-3, rtol=1e-5)
    assert r2.features[0].shape[-2:] == (36, 36)
    assert r1.num_computations >= 1


def test_region_crop_at_map_border_equals_full_maps(iou_net):
    g = torch.Generator().manual_seed(4)
    feats = [torch.randn(1, 16, 36, 36, generator=g), torch.randn(1, 32, 18, 18, generator=g)]
    full = iou_net.get_iou_feat(feats)
    for box in ([[0.0, 0.0, 40.0, 30.0]], [[250.0, 260.0, 38.0, 28.0]], [[-20.0, 100.0, 400.0, 20.0]]):
        region = bbreg.RegionIoUFeatures(iou_net, feats, restrict=True, slack=1)
        crops, off = region.get(torch.tensor([box]))
        for lvl, stride in enumerate((8, 16)):
            r0, c0 = int(off[1]) // stride, int(off[0]) // stride
            h, w = crops[lvl].shape[-2:]
            torch.testing.assert_close(crops[lvl], full[lvl][..., r0:r0 + h, c0:c0 + w], atol=1e-5, rtol=1e-5)


def test_region_grows_when_boxes_leave_it(iou_net):
    g = torch.Generator().manual_seed(2)
    feats = [torch.randn(1, 16, 36, 36, generator=g), torch.randn(1, 32, 18, 18, generator=g)]
    region = bbreg.RegionIoUFeatures(iou_net, feats, restrict=True, slack=0)
    small = torch.tensor([[[120.0, 120.0, 30.0, 30.0]]])
    f1, off1 = region.get(small)
    assert region.num_computations == 1
    # cells read: level 2 floor(120/8) .. ceil(150/8) = 15..19, level 3 floor(7.5) .. ceil(9.375) = 7..10;
    # common start = min(15*8, 7*16) = 112 px (a multiple of 16) -> level 2 from cell 14, level 3 from cell 7
    assert off1.tolist() == [112.0, 112.0, 0.0, 0.0]
    assert f1[0].shape[-2:] == (20 - 14, 20 - 14)
    assert f1[1].shape[-2:] == (11 - 7, 11 - 7)
    region.get(small + torch.tensor([1.0, 0.0, 0.0, 0.0]))  # still covered
    assert region.num_computations == 1
    moved = torch.tensor([[[40.0, 40.0, 30.0, 30.0]]])
    f2, off2 = region.get(moved)
    assert region.num_computations == 2
    full = iou_net.get_iou_feat(feats)
    for lvl, stride in enumerate((8, 16)):
        r0, c0 = int(off2[1]) // stride, int(off2[0]) // stride
        h, w = f2[lvl].shape[-2:]
        # the whole crop (every cell the union of both boxes reads) equals the full computation
        torch.testing.assert_close(f2[lvl], full[lvl][..., r0:r0 + h, c0:c0 + w], atol=1e-5, rtol=1e-5)
