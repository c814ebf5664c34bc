"""AtomIoUNet: state_dict layout, initialisation, data flow (layouts, first-reference use, rois)."""

from __future__ import annotations

import math

import torch

from ltr.models.bbreg.atom_iou_net import AtomIoUNet, xywh_to_rois
from prroi_pooling import prroi_pool2d

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def expected_iou_net_keys() -> list[str]:
    """Keys in registration order, derived from the spec: conv blocks are Sequential(Conv2d(bias), BN, ReLU)."""
    keys: list[str] = []

    def conv(name: str) -> None:
        keys.extend([f"{name}.0.weight", f"{name}.0.bias"] + [f"{name}.1.{s}" for s in BN])

    for name in ("conv3_1r", "conv3_1t", "conv3_2t", "fc3_1r", "conv4_1r", "conv4_1t", "conv4_2t", "fc34_3r",
                 "fc34_4r"):
        conv(name)
    for name in ("fc3_rt", "fc4_rt"):
        keys.extend([f"{name}.linear.weight", f"{name}.linear.bias"] + [f"{name}.bn.{s}" for s in BN])
    return keys + ["iou_predictor.weight", "iou_predictor.bias"]


def test_state_dict_keys_order_and_shapes() -> None:
    net = AtomIoUNet()
    sd = net.state_dict()
    assert list(sd.keys()) == expected_iou_net_keys()
    assert len(sd) == 79
    assert sd["conv3_1r.0.weight"].shape == (128, 128, 3, 3)
    assert sd["fc3_1r.0.weight"].shape == (256, 128, 3, 3)
    assert sd["fc34_3r.0.weight"].shape == (256, 512, 1, 1)
    assert sd["fc3_rt.linear.weight"].shape == (256, 256 * 5 * 5)
    assert sd["fc4_rt.linear.weight"].shape == (256, 256 * 3 * 3)
    assert sd["iou_predictor.weight"].shape == (1, 512)
    names = [n for n, _ in net.named_children()]
    assert names == ["conv3_1r", "conv3_1t", "conv3_2t", "prroi_pool3r", "prroi_pool3t", "fc3_1r", "conv4_1r",
                     "conv4_1t", "conv4_2t", "prroi_pool4r", "prroi_pool4t", "fc34_3r", "fc34_4r", "fc3_rt",
                     "fc4_rt", "iou_predictor"]


def test_initialisation() -> None:
    torch.manual_seed(0)
    net = AtomIoUNet()
    sd = net.state_dict()
    for k, v in sd.items():
        if k.endswith(".1.weight") or k.endswith("bn.weight"):
            assert v.min() >= 0 and v.max() <= 1, k
        if k.endswith("bias"):
            assert torch.count_nonzero(v) == 0, k
    # kaiming normal, fan_in: std = sqrt(2 / fan_in)
    w = sd["conv3_2t.0.weight"]
    assert abs(w.std().item() / math.sqrt(2 / (256 * 9)) - 1) < 0.02
    w = sd["fc3_rt.linear.weight"]
    assert abs(w.std().item() / math.sqrt(2 / (256 * 25)) - 1) < 0.02
    assert abs(w.mean().item()) < 0.002


def test_xywh_to_rois() -> None:
    boxes = torch.tensor([[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], [[0.5, 0.5, 1.0, 2.0], [0, 0, 0, 0]]])
    rois = xywh_to_rois(boxes)
    expected = torch.tensor([[0, 1, 2, 4, 6], [0, 5, 6, 12, 14], [1, 0.5, 0.5, 1.5, 2.5], [1, 0, 0, 0, 0]])
    assert torch.equal(rois, expected)


def _feats(batch: int, gen: torch.Generator) -> list[torch.Tensor]:
    return [torch.randn(batch, 128, 18, 18, generator=gen), torch.randn(batch, 256, 9, 9, generator=gen)]


def test_modulation_and_prediction_match_hand_composition() -> None:
    gen = torch.Generator().manual_seed(1)
    net = AtomIoUNet().eval()
    ref, test = _feats(2, gen), _feats(2, gen)
    bb = torch.tensor([[30.0, 40.0, 50.0, 36.0], [60.0, 20.0, 40.0, 70.0]])
    props = torch.tensor([[[30.0, 40.0, 50.0, 36.0], [20.0, 30.0, 60.0, 50.0]],
                          [[60.0, 20.0, 40.0, 70.0], [70.0, 30.0, 30.0, 50.0]]])
    with torch.no_grad():
        mod = net.get_modulation(ref, bb)
        iou = net.predict_iou(mod, net.get_iou_feat(test), props)

        # Hand composition with the functional pooling and hand-written rois [b, x1, y1, x2, y2].
        rois_bb = torch.tensor([[0, 30, 40, 80, 76], [1, 60, 20, 100, 90]], dtype=torch.float32)
        p2 = prroi_pool2d(net.conv3_1r(ref[0]), rois_bb, 3, 3, 1 / 8)
        p3 = prroi_pool2d(net.conv4_1r(ref[1]), rois_bb, 1, 1, 1 / 16)
        joint = torch.cat((net.fc3_1r(p2), p3), 1)
        m2, m3 = net.fc34_3r(joint), net.fc34_4r(joint)
        torch.testing.assert_close(mod[0], m2)
        torch.testing.assert_close(mod[1], m3)
        t2 = net.conv3_2t(net.conv3_1t(test[0])) * m2
        t3 = net.conv4_2t(net.conv4_1t(test[1])) * m3
        expected = torch.empty(2, 2)
        for b in range(2):
            for n in range(2):
                x, y, w, h = props[b, n].tolist()
                roi = torch.tensor([[0, x, y, x + w, y + h]])
                f2 = prroi_pool2d(t2[b:b + 1], roi, 5, 5, 1 / 8).flatten(1)
                f3 = prroi_pool2d(t3[b:b + 1], roi, 3, 3, 1 / 16).flatten(1)
                f2 = torch.relu(net.fc3_rt.bn(net.fc3_rt.linear(f2)[..., None, None]).flatten(1))
                f3 = torch.relu(net.fc4_rt.bn(net.fc4_rt.linear(f3)[..., None, None]).flatten(1))
                expected[b, n] = net.iou_predictor(torch.cat((f2, f3), 1)).item()
    assert iou.shape == (2, 2)
    torch.testing.assert_close(iou, expected, rtol=1e-4, atol=1e-5)


def test_forward_layout_uses_first_reference_only() -> None:
    gen = torch.Generator().manual_seed(2)
    net = AtomIoUNet().eval()
    num_ref, num_test, batch, n = 2, 3, 2, 4
    ref = _feats(num_ref * batch, gen)
    test = _feats(num_test * batch, gen)
    bb = torch.tensor([[20.0, 20.0, 60.0, 50.0], [40.0, 30.0, 50.0, 60.0]]).expand(num_ref, batch, 4).clone()
    props = torch.rand(num_test, batch, n, 4, generator=gen) * 50 + 10
    with torch.no_grad():
        out = net(ref, test, bb, props)
        assert out.shape == (num_test, batch, n)
        # image-major layout: test image t of sequence s is row t*batch + s
        for t in range(num_test):
            for s in range(batch):
                mod = net.get_modulation([f[s:s + 1] for f in ref], bb[0, s:s + 1])
                feat = net.get_iou_feat([f[t * batch + s:t * batch + s + 1] for f in test])
                torch.testing.assert_close(out[t, s], net.predict_iou(mod, feat, props[t, s:s + 1])[0],
                                           rtol=1e-4, atol=1e-5)
        # changing the second reference image (rows batch..2*batch-1) changes nothing
        ref2 = [f.clone() for f in ref]
        for f in ref2:
            f[batch:] = torch.randn(f[batch:].shape, generator=gen)
        torch.testing.assert_close(net(ref2, test, bb, props), out)
