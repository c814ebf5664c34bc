"""Closed-form IoU-Net head value and box gradient vs the network's predict_iou through autograd."""

from __future__ import annotations

import torch

from ltr.models.bbreg.atom_iou_net import AtomIoUNet
from pytracking.tracker.atom import iou_grad
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


def test_masked_product_adds_only_changed_rows_and_matches_brute_force():
    """The backward product ``where(mask, scale, 0) @ weight`` taken from a reference mask plus the rows of the units
    that differ must equal the product computed from scratch (in float64) for every call, over many calls with
    drifting masks: a wrong sign, a wrong row or a reference updated by additions (drift) would show here."""
    g = torch.Generator().manual_seed(3)
    o, k, n = 128, 300, 10  # max_changed = 16
    scale = torch.randn(o, generator=g)
    weight = torch.randn(o, k, generator=g)
    product = iou_grad._MaskedProduct(scale, weight)
    full_calls = 0
    real_full = product.full

    def counting_full(mask: torch.Tensor) -> torch.Tensor:
        nonlocal full_calls
        full_calls += 1
        return real_full(mask)

    product.full = counting_full
    mask = (torch.rand(o, generator=g) > 0.5).repeat(n, 1)  # the boxes' masks start alike
    near_threshold = torch.randperm(o, generator=g)[:12]  # as in tracking, a few units flip back and forth
    for step in range(300):
        if step == 150:  # a jump: most units change, so the full product must run and become the new reference
            mask = (torch.rand(o, generator=g) > 0.5).repeat(n, 1)
        else:  # drift: some rows flip one of those units
            rows = torch.nonzero(torch.rand(n, generator=g) < 0.3).squeeze(1)
            units = near_threshold[torch.randint(0, 12, (rows.numel(),), generator=g)]
            mask = mask.clone()
            mask[rows, units] ^= True
        got = product(mask)
        terms = torch.where(mask, scale, 0.0).double()[:, :, None] * weight.double()  # [n, o, k]
        expected = terms.sum(1)
        bound = 1e-5 * terms.abs().sum(1) + 1e-6  # float32 rounding of a sum, relative to its terms
        assert ((got.double() - expected).abs() <= bound).all(), f"step {step}"
    assert full_calls == 2  # the first call and the jump; every other call took the sparse path


def test_masked_product_handles_no_rows_and_all_units_on():
    weight = torch.arange(12.0).reshape(3, 4)
    product = iou_grad._MaskedProduct(torch.tensor([1.0, 2.0, -1.0]), weight)
    assert product(torch.zeros(0, 3, dtype=torch.bool)).shape == (0, 4)
    on = torch.ones(2, 3, dtype=torch.bool)
    # by hand: 1*[0,1,2,3] + 2*[4,5,6,7] - 1*[8,9,10,11] = [0, 2, 4, 6]
    torch.testing.assert_close(product(on), torch.tensor([[0.0, 2.0, 4.0, 6.0]] * 2))
    one_off = on.clone()
    one_off[1, 1] = False  # the second unit off in the second row: [0,2,4,6] - 2*[4,5,6,7]
    torch.testing.assert_close(product(one_off), torch.tensor([[0.0, 2.0, 4.0, 6.0], [-8.0, -8.0, -8.0, -8.0]]))
