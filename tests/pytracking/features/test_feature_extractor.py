"""ATOM ResNet-18 feature extractor: normalisation, stored IoU-Net features, network path resolution."""

from __future__ import annotations

import copy

import pytest
import torch

from ltr.models.bbreg.atom import atom_resnet18
from pytracking.features.extractors import ATOMResNet18, NetworkPathError, normalize_unit_rms, resolve_network_path


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return atom_resnet18(backbone_pretrained=False).eval()


def test_unit_rms_normalisation_by_hand():
    f = torch.tensor([[[[3.0, 4.0]]], [[[0.0, 2.0]]]])  # two samples of 1x1x2
    out = normalize_unit_rms(f)
    # sample 0: mean square (9 + 16) / 2 = 12.5; sample 1: 4 / 2 = 2
    torch.testing.assert_close(out[0, 0, 0], torch.tensor([3.0, 4.0]) / 12.5 ** 0.5)
    torch.testing.assert_close(out[1, 0, 0], torch.tensor([0.0, 2.0]) / 2 ** 0.5)


def test_extract_normalises_input_and_keeps_iou_features(net):
    ext = ATOMResNet18(net=copy.deepcopy(net))
    ext.initialize("cpu")
    assert ext.stride == 16 and ext.dim == 256 and ext.size(torch.tensor([288.0, 288.0])).tolist() == [18, 18]
    im = torch.rand(2, 3, 64, 64) * 255
    x = ext.preprocess(im)
    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    torch.testing.assert_close(x, (im / 255 - mean) / std, atol=1e-5, rtol=1e-5)
    feat = ext.extract(im)
    assert feat.shape == (2, 256, 4, 4)
    torch.testing.assert_close(feat.pow(2).mean(dim=(1, 2, 3)), torch.ones(2), atol=1e-4, rtol=1e-4)
    l2, l3 = ext.iounet_backbone_features
    assert l2.shape == (2, 128, 8, 8) and l3.shape == (2, 256, 4, 4)
    with torch.no_grad():
        raw = net.extract_backbone_features((im / 255 - mean) / std, ["layer2", "layer3"])
    torch.testing.assert_close(l3, raw["layer3"], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(feat, normalize_unit_rms(raw["layer3"]), atol=1e-4, rtol=1e-4)
    assert ext.iou_predictor is ext.net.bb_regressor


def test_channels_last_gives_same_features(net):
    plain = ATOMResNet18(net=copy.deepcopy(net))
    fast = ATOMResNet18(net=copy.deepcopy(net), channels_last=True)
    plain.initialize("cpu")
    fast.initialize("cpu")
    im = torch.rand(1, 3, 96, 96) * 255
    torch.testing.assert_close(fast.extract(im), plain.extract(im), atol=1e-4, rtol=1e-4)
    assert fast.iounet_backbone_features[0].is_contiguous()
    # the IoU-Net runs channels-last too (its convolutions read the channels-last maps) and gives the same features
    assert fast.iou_predictor.conv3_1t[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert plain.iou_predictor.conv3_1t[0].weight.is_contiguous()
    with torch.no_grad():
        for a, b in zip(fast.iou_predictor.get_iou_feat(fast.iounet_backbone_features),
                        plain.iou_predictor.get_iou_feat(plain.iounet_backbone_features), strict=True):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_network_path_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTRACKING_NETWORK_PATH", str(tmp_path))
    (tmp_path / "atom_default.pth").write_bytes(b"x")
    assert resolve_network_path("atom_default.pth") == tmp_path / "atom_default.pth"
    assert resolve_network_path(tmp_path / "atom_default.pth") == tmp_path / "atom_default.pth"
    with pytest.raises(NetworkPathError, match="missing.pth") as err:
        resolve_network_path("missing.pth")
    assert "PYTRACKING_NETWORK_PATH" in str(err.value)
    with pytest.raises(NetworkPathError, match="does not exist"):
        resolve_network_path(tmp_path / "nope.pth")
    with pytest.raises(ValueError, match="net_path"):
        ATOMResNet18()
