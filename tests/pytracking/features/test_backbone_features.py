"""The generic backbone feature extractor: sizes, strides, normalisation, kept layers, ATOM's alias."""

from __future__ import annotations

import pytest
import torch

from ltr.models.backbone.mobilenetv2 import mobilenetv2
from pytracking.features.backbone_features import BackboneFeatures, normalize_unit_rms
from pytracking.features.extractors import ATOMNetworkFeatures, ATOMResNet18


@pytest.fixture(scope="module")
def backbone():
    torch.manual_seed(0)
    return mobilenetv2(pretrained=False).eval()


def test_sizes_strides_and_kept_layers(backbone):
    ext = BackboneFeatures(backbone, "features.13", keep_layers=["features.6"])
    ext.initialize("cpu")
    assert ext.stride == 16 and ext.dim == 96
    assert ext.size(torch.tensor([288.0, 224.0])).tolist() == [18, 14]
    im = torch.rand(3, 3, 288, 224) * 255  # e.g. three scales in one batch
    out = ext.extract(im)
    assert out.shape == (3, 96, 18, 14)
    assert ext.layer_features["features.6"].shape == (3, 32, 36, 28)
    # each sample unit RMS over (C, H, W)
    torch.testing.assert_close(out.pow(2).mean(dim=(1, 2, 3)), torch.ones(3), atol=1e-4, rtol=1e-4)


def test_values_match_the_backbone_on_imagenet_normalised_input(backbone):
    ext = BackboneFeatures(backbone, "features.13", keep_layers=["features.6"], channels_last=False)
    ext.initialize("cpu")
    im = torch.rand(2, 3, 64, 96) * 255
    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    x = (im / 255 - mean) / std
    with torch.no_grad():
        raw = backbone(x, ["features.6", "features.13"])
    out = ext.extract(im)
    torch.testing.assert_close(out, normalize_unit_rms(raw["features.13"]), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(ext.layer_features["features.6"], raw["features.6"], atol=1e-4, rtol=1e-4)


def test_channels_last_same_values_and_built_by_name():
    plain = BackboneFeatures("mobilenetv2", "features.13", backbone_kwargs={"pretrained": False})
    plain.initialize("cpu")
    fast = BackboneFeatures(plain.net, "features.13", channels_last=True)
    fast.initialize("cpu")
    assert not any(p.requires_grad for p in plain.net.parameters()) and not plain.net.training
    im = torch.rand(1, 3, 96, 96) * 255
    torch.testing.assert_close(fast.extract(im), plain.extract(im), atol=1e-4, rtol=1e-4)


def test_unnormalised_output_and_errors(backbone):
    ext = BackboneFeatures(backbone, "features.6", normalize_power=None)
    with pytest.raises(RuntimeError, match="initialize"):
        ext.extract(torch.zeros(1, 3, 32, 32))
    ext.initialize("cpu")
    im = torch.full((1, 3, 32, 32), 128.0)
    with torch.no_grad():
        raw = backbone(ext.preprocess(im), ["features.6"])["features.6"]
    torch.testing.assert_close(ext.extract(im), raw)
    with pytest.raises(ValueError, match="normalize_power"):
        BackboneFeatures(backbone, "features.6", normalize_power=1)


def test_atom_resnet18_is_the_generic_atom_extractor():
    assert ATOMResNet18 is ATOMNetworkFeatures
    assert issubclass(ATOMNetworkFeatures, BackboneFeatures)
