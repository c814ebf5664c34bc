"""Closed-form IoU-Net head value and box gradient vs the network's predict_iou through autograd."""

from __future__ import annotations

import torch

from ltr.models.bbreg.atom_iou_net import AtomIoUNet
from pytracking.tracker.atom import iounet as bbreg
from pytracking.tracker.atom.iou_grad import ClosedFormIoU


def make_net(seed: int) -> AtomIoUNet:
    torch.manual_seed(seed)
    net = AtomIoUNet(input_dim=(16, 32), pred_input_dim=(24, 40), pred_inter_dim=(20, 28)).eval()
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return net.requires_grad_(False)


def test_value_and_gradient_match_autograd():
    net = make_net(0)
    g = torch.Generator().manual_seed(0)
    f2 = torch.randn(1, 24, 20, 15, generator=g, dtype=torch.float64)
    f3 = torch.randn(1, 40, 10, 8, generator=g, dtype=torch.float64)
    mod = [torch.rand(1, 24, 1, 1, generator=g, dtype=torch.float64),
           torch.rand(1, 40, 1, 1, generator=g, dtype=torch.float64)]
    net = net.double()
    boxes = torch.tensor([[10.0, 20.0, 60.0, 90.0],
                          [30.0, 5.0, 40.0, 100.0],
                          [-5.0, -3.0, 30.0, 30.0],  # partly outside the map
                          [100.0, 140.0, 30.0, 40.0],  # reaching past the far border
                          [50.0, 60.0, 0.5, 0.3],  # smaller than a cell
                          [40.0, 40.0, -3.0, 10.0]], dtype=torch.float64)  # degenerate: zero area
    closed = ClosedFormIoU(net)
    iou, grad = closed([f2 * mod[0], f3 * mod[1]], boxes)
    ref_iou, ref_grad = bbreg.autograd_iou_and_grad(lambda bb: net.predict_iou(mod, [f2, f3], bb))(boxes)
    torch.testing.assert_close(iou, ref_iou)
    torch.testing.assert_close(grad, ref_grad)
    assert ref_grad[:4].abs().min() > 0  # a real test: the gradients are not trivially zero


def test_supports_checks_layout_and_mode():
    net = make_net(1)
    assert ClosedFormIoU.supports(net)
    net.train()
    assert not ClosedFormIoU.supports(net)  # batch statistics in training mode: not an affine map
    assert not ClosedFormIoU.supports(torch.nn.Linear(2, 1))


def test_refinement_with_closed_form_matches_autograd_refinement():
    net = make_net(2)
    g = torch.Generator().manual_seed(5)
    feats = [torch.randn(1, 16, 36, 36, generator=g), torch.randn(1, 32, 18, 18, generator=g)]
    modulation = net.get_modulation(feats, torch.tensor([[100.0, 90.0, 60.0, 80.0]]))
    boxes = bbreg.jitter_boxes(torch.tensor([100.0, 90.0, 60.0, 80.0]), 9, 0.1, 0.5, g)
    iou_feat = net.get_iou_feat(feats)
    modulated = [f * m.reshape(1, -1, 1, 1) for f, m in zip(iou_feat, modulation, strict=True)]
    closed = ClosedFormIoU(net)
    b1, i1 = bbreg.optimize_boxes(lambda bb: closed(modulated, bb), boxes, 5, 1.0)
    b2, i2 = bbreg.optimize_boxes(
        bbreg.autograd_iou_and_grad(lambda bb: net.predict_iou(modulation, iou_feat, bb)), boxes, 5, 1.0)
    torch.testing.assert_close(i1, i2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(b1, b2, atol=1e-3, rtol=1e-5)
