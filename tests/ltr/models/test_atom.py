"""ATOMnet: 201-key state_dict, frozen backbone, forward layout, registered constructors."""

from __future__ import annotations

import torch

from ltr.models.bbreg.atom import ATOMnet, atom_resnet18, atom_resnet50
from ltr.models.registry import build_network, get_constructor, registered_names

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _resnet18_keys() -> list[str]:
    keys = ["conv1.weight"] + [f"bn1.{s}" for s in BN]
    for layer in range(1, 5):
        for block in range(2):
            p = f"layer{layer}.{block}"
            keys += [f"{p}.conv1.weight", *[f"{p}.bn1.{s}" for s in BN], f"{p}.conv2.weight",
                     *[f"{p}.bn2.{s}" for s in BN]]
            if block == 0 and layer > 1:
                keys += [f"{p}.downsample.0.weight", *[f"{p}.downsample.1.{s}" for s in BN]]
    return keys + ["fc.weight", "fc.bias"]


def test_state_dict_has_201_keys_with_prefixes() -> None:
    net = atom_resnet18(backbone_pretrained=None)
    keys = list(net.state_dict().keys())
    assert len(keys) == 201
    fe = [k for k in keys if k.startswith("feature_extractor.")]
    bb = [k for k in keys if k.startswith("bb_regressor.")]
    assert len(fe) == 122 and len(bb) == 79
    assert fe == ["feature_extractor." + k for k in _resnet18_keys()]
    assert bb[0] == "bb_regressor.conv3_1r.0.weight" and bb[-1] == "bb_regressor.iou_predictor.bias"


def test_backbone_frozen_only_iou_net_gets_gradients() -> None:
    torch.manual_seed(0)
    net = atom_resnet18(backbone_pretrained=None).train()
    assert not any(p.requires_grad for p in net.feature_extractor.parameters())
    assert all(p.requires_grad for p in net.bb_regressor.parameters())
    imgs = torch.randn(1, 2, 3, 64, 64)
    bb = torch.tensor([[[16.0, 16.0, 24.0, 20.0], [10.0, 20.0, 30.0, 30.0]]])
    props = torch.rand(2, 2, 4, 4) * 20 + 8
    out = net(imgs, torch.randn(2, 2, 3, 64, 64), bb, props)
    assert out.shape == (2, 2, 4)  # num_test (2) differs from num_train (1)
    out.sum().backward()
    assert all(p.grad is None for p in net.feature_extractor.parameters())
    assert all(p.grad is not None for p in net.bb_regressor.parameters())


def test_forward_equals_explicit_pipeline() -> None:
    torch.manual_seed(1)
    net = atom_resnet18(backbone_pretrained=None).eval()
    train = torch.randn(1, 2, 3, 64, 64)
    test = torch.randn(1, 2, 3, 64, 64)
    bb = torch.tensor([[[16.0, 16.0, 24.0, 20.0], [10.0, 20.0, 30.0, 30.0]]])
    props = torch.rand(1, 2, 3, 4) * 20 + 8
    with torch.no_grad():
        out = net(train, test, bb, props)
        ref = list(net.feature_extractor(train[0], ["layer2", "layer3"]).values())
        tst = list(net.feature_extractor(test[0], ["layer2", "layer3"]).values())
        mod = net.bb_regressor.get_modulation(ref, bb[0])
        expected = net.bb_regressor.predict_iou(mod, net.bb_regressor.get_iou_feat(tst), props[0])
    torch.testing.assert_close(out[0], expected)
    feats = net.extract_features(test[0], ["layer3", "conv1"])
    assert list(feats) == ["conv1", "layer3"] and feats["layer3"].shape == (2, 256, 4, 4)


def test_constructor_recorded_and_rebuilt_from_data() -> None:
    net = atom_resnet18(iou_inter_dim=(128, 64), backbone_pretrained=None)
    spec = net.constructor
    assert spec.name == "atom_resnet18" and spec.module == "ltr.models.bbreg.atom"
    assert spec.kwargs == {"iou_input_dim": (256, 256), "iou_inter_dim": (128, 64), "backbone_pretrained": None}
    rebuilt = build_network(spec.name, spec.kwargs)
    assert isinstance(rebuilt, ATOMnet)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in net.state_dict().items()}
    assert rebuilt.bb_regressor.fc4_rt.linear.out_features == 64
    assert {"atom_resnet18", "atom_resnet50"} <= set(registered_names())
    assert get_constructor("atom_resnet50") is atom_resnet50


def test_atom_resnet50_dims() -> None:
    net = atom_resnet50(backbone_pretrained=None)
    sd = net.state_dict()
    assert sd["bb_regressor.conv3_1r.0.weight"].shape == (128, 512, 3, 3)
    assert sd["bb_regressor.conv4_1t.0.weight"].shape == (256, 1024, 3, 3)
