"""Issue 13 items 7 and 9: checkpoints carry an integrity record verified on load; NaN/Inf weights are refused (legacy
files too); a file referencing code is refused with a plain message that says how to convert a trusted legacy file."""

from __future__ import annotations

import hashlib
import os
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
from test_loading_legacy import _fake_original_modules

from ltr.admin import convert_checkpoint
from ltr.admin.checkpoint import CheckpointError, load_checkpoint, make_checkpoint, save_checkpoint
from ltr.admin.loading import load_network, read_checkpoint
from ltr.models.bbreg.atom import atom_resnet18


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return atom_resnet18(backbone_pretrained=None)


def test_integrity_record_is_a_sha256_per_tensor(net, tmp_path):
    path = save_checkpoint(make_checkpoint(net, 3), tmp_path / "ATOMnet_ep0003.pth.tar")
    state = torch.load(path, weights_only=True)
    w = net.state_dict()["bb_regressor.iou_predictor.weight"].contiguous()
    expected = hashlib.sha256(f"{w.dtype}{tuple(w.shape)}".encode() + w.numpy().tobytes()).hexdigest()
    assert state["integrity"]["algorithm"] == "sha256"
    assert state["integrity"]["tensors"]["net/bb_regressor.iou_predictor.weight"] == expected


def test_random_bytes_inside_a_checkpoint_are_detected(net, tmp_path):
    path = save_checkpoint(make_checkpoint(net, 3), tmp_path / "ATOMnet_ep0003.pth.tar")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"ATOMnet_ep0003.pth.tar is damaged: tensor 'net/.+' does not match "
                                              r"the SHA-256 recorded"):
        load_network(path)
    with pytest.raises(CheckpointError, match="is damaged"):
        load_checkpoint(path)


def test_nan_weights_are_refused_in_every_format(net, tmp_path):
    state = OrderedDict((k, v.clone()) for k, v in net.state_dict().items())
    state["bb_regressor.fc3_rt.linear.weight"][0, 0] = float("nan")
    state["bb_regressor.fc3_rt.linear.bias"][1] = float("inf")
    ours = tmp_path / "ours.pth.tar"
    ckpt = make_checkpoint(net, 1)
    ckpt["net"] = state
    save_checkpoint(ckpt, ours)
    bare = tmp_path / "bare_legacy.pth"
    torch.save(state, bare)
    for path, kwargs in ((ours, {}), (bare, {"constructor": "atom_resnet18"})):
        with pytest.raises(CheckpointError, match=rf"{path.name}: weight 'bb_regressor.fc3_rt.linear.weight' holds "
                                                  r"1 NaN/Inf value"):
            load_network(path, **kwargs)


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_file_referencing_code_is_refused_with_a_plain_message(net, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "ATOMnet_ep0001.pth.tar"
    state = make_checkpoint(net, 1)
    state["extra"] = {"evil": _Evil(str(marker))}
    torch.save(state, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    text = str(info.value)
    name = f"{os.system.__module__}.system"  # posix.system on Linux
    assert f"references code ({name})" in text and "was not loaded" in text
    assert f"python -m ltr.admin.convert_checkpoint {path}" in text
    assert "weights_only=False" not in text and "weights_only" not in text
    assert not marker.exists()


def test_convert_a_trusted_legacy_checkpoint(net, tmp_path, monkeypatch, capsys):
    marker = tmp_path / "pwned"
    legacy = tmp_path / "atom_default.pth"
    with monkeypatch.context() as m:
        classes = _fake_original_modules(m)
        torch.save({"epoch": 50, "net_type": "ATOMnet", "net": net.state_dict(), "evil": _Evil(str(marker)),
                    "constructor": classes["NetConstructor"]("atom_resnet18", "ltr.models.bbreg.atom", (),
                                                             {"backbone_pretrained": True})}, legacy)
    with pytest.raises(CheckpointError, match="references code"):
        load_checkpoint(legacy)
    out = tmp_path / "atom_default_converted.pth.tar"
    assert convert_checkpoint.main([str(legacy), str(out)]) == 0
    assert convert_checkpoint.main([str(legacy), str(out)]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err
    state = load_checkpoint(out)  # weights_only load of the converted file, integrity verified
    assert state["epoch"] == 50 and state["constructor"]["name"] == "atom_resnet18"
    for k, v in net.state_dict().items():
        assert torch.equal(state["net"][k], v), k
    assert read_checkpoint(out)["format"] == "ltr-checkpoint" and not marker.exists()
    assert "ltr.admin.model_constructor" not in sys.modules
