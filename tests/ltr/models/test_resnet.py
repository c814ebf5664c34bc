"""ResNet backbone: torchvision-compatible names, layer outputs, early stop, freezing, pretrained loading."""

from __future__ import annotations

import pytest
import torch

from ltr.models.backbone.resnet import PretrainedWeightsError, resnet18, resnet50

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _torchvision_resnet18_keys() -> list[str]:
    """torchvision resnet18 state_dict keys, written out from the architecture (not from our model)."""
    keys = ["conv1.weight"] + [f"bn1.{s}" for s in BN]
    for layer in (1, 2, 3, 4):
        for block in (0, 1):
            p = f"layer{layer}.{block}"
            keys += [f"{p}.conv1.weight"] + [f"{p}.bn1.{s}" for s in BN]
            keys += [f"{p}.conv2.weight"] + [f"{p}.bn2.{s}" for s in BN]
            if block == 0 and layer > 1:  # stride-2 blocks change channels -> 1x1 conv + BN shortcut
                keys += [f"{p}.downsample.0.weight"] + [f"{p}.downsample.1.{s}" for s in BN]
    return keys + ["fc.weight", "fc.bias"]


def test_resnet18_state_dict_keys_match_torchvision() -> None:
    expected = _torchvision_resnet18_keys()
    assert len(expected) == 122
    net = resnet18()
    assert list(net.state_dict().keys()) == expected  # same set and same order


def test_resnet18_shapes_of_key_tensors() -> None:
    sd = resnet18().state_dict()
    assert sd["conv1.weight"].shape == (64, 3, 7, 7)
    assert sd["layer2.0.downsample.0.weight"].shape == (128, 64, 1, 1)
    assert sd["layer3.1.conv2.weight"].shape == (256, 256, 3, 3)
    assert sd["fc.weight"].shape == (1000, 512)


def test_strict_load_of_torchvision_shaped_state_dict() -> None:
    # Build a state_dict with exactly torchvision's keys and shapes, filled with recognisable values.
    src = resnet18().state_dict()
    gen = torch.Generator().manual_seed(0)
    tv = {k: (torch.randn(v.shape, generator=gen) if v.is_floating_point() else v.clone())
          for k, v in src.items()}
    assert set(tv) == set(_torchvision_resnet18_keys())
    net = resnet18()
    net.load_state_dict(tv, strict=True)
    assert torch.equal(net.layer3[0].conv1.weight, tv["layer3.0.conv1.weight"])


def test_forward_layers_strides_channels_and_order() -> None:
    net = resnet18().eval()
    x = torch.randn(2, 3, 64, 96)
    out = net(x, ["layer3", "conv1", "layer2"])
    assert list(out.keys()) == ["conv1", "layer2", "layer3"]  # network order, not request order
    assert out["conv1"].shape == (2, 64, 32, 48)
    assert out["layer2"].shape == (2, 128, 8, 12)
    assert out["layer3"].shape == (2, 256, 4, 6)
    full = net(x, ["layer4", "fc"])
    assert full["layer4"].shape == (2, 512, 2, 3)
    # fc output equals the linear layer on the globally averaged layer4 (independent recomputation)
    ref = full["layer4"].mean(dim=(2, 3)) @ net.fc.weight.T + net.fc.bias
    torch.testing.assert_close(full["fc"], ref, rtol=1e-5, atol=1e-5)


def test_forward_matches_manual_composition() -> None:
    net = resnet18().eval()
    x = torch.randn(1, 3, 48, 48)
    with torch.no_grad():
        y = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        y = net.layer2(net.layer1(y))
        out = net(x, ["layer2"])
    torch.testing.assert_close(out["layer2"], y)


def test_forward_stops_after_last_requested_layer() -> None:
    net = resnet18()
    called: list[str] = []
    for name in ("layer1", "layer2", "layer3", "layer4", "fc"):
        getattr(net, name).register_forward_hook(lambda *_a, n=name: called.append(n))
    net(torch.randn(1, 3, 64, 64), ["layer2"])
    assert called == ["layer1", "layer2"]


def test_unknown_layer_rejected() -> None:
    with pytest.raises(ValueError, match="layer9"):
        resnet18()(torch.randn(1, 3, 32, 32), ["layer9"])


def test_freeze_and_bn_eval() -> None:
    net = resnet18(frozen_layers=["conv1", "layer1"], bn_eval=True)
    assert not net.conv1.weight.requires_grad and not net.bn1.weight.requires_grad
    assert not any(p.requires_grad for p in net.layer1.parameters())
    assert all(p.requires_grad for p in net.layer2.parameters())
    net.train()
    assert not net.bn1.training and not net.layer1[0].bn1.training
    assert net.layer2[0].bn1.training
    # frozen BN running stats do not move in train mode when bn_eval=True
    before = net.layer1[0].bn1.running_mean.clone()
    net(torch.randn(2, 3, 32, 32), ["layer2"])
    assert torch.equal(before, net.layer1[0].bn1.running_mean)


def test_freeze_default_keeps_bn_in_train_mode() -> None:
    net = resnet18(frozen_layers=["all"]).train()
    assert not any(p.requires_grad for p in net.parameters())
    assert net.layer1[0].bn1.training  # original ATOM behaviour: frozen weights, BN batch statistics
    before = net.layer1[0].bn1.running_mean.clone()
    net(torch.randn(2, 3, 32, 32), ["layer1"])
    assert not torch.equal(before, net.layer1[0].bn1.running_mean)


def test_pretrained_from_local_path(tmp_path) -> None:
    src = resnet18()
    path = tmp_path / "resnet18-f37072fd.pth"
    torch.save(src.state_dict(), path)
    net = resnet18(pretrained=str(path))
    for k, v in src.state_dict().items():
        assert torch.equal(v, net.state_dict()[k]), k


def test_pretrained_missing_file_says_where(tmp_path) -> None:
    missing = tmp_path / "nope" / "resnet18.pth"
    with pytest.raises(PretrainedWeightsError, match="not found at") as exc:
        resnet18(pretrained=str(missing))
    assert str(missing) in str(exc.value)
    assert "resnet18-f37072fd.pth" in str(exc.value)


def test_resnet50_same_code_path_channels() -> None:
    net = resnet50().eval()
    out = net(torch.randn(1, 3, 64, 64), ["layer2", "layer3"])
    assert out["layer2"].shape == (1, 512, 8, 8)
    assert out["layer3"].shape == (1, 1024, 4, 4)
    keys = net.state_dict().keys()
    assert "layer1.0.conv3.weight" in keys and "layer1.0.downsample.1.running_var" in keys
    assert len([k for k in keys if k.endswith(".weight") and "conv" in k]) == 1 + 16 * 3
