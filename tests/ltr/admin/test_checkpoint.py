"""New checkpoint format: plain data + weights_only, RNG state, file naming, pruning, load_network."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from ltr.admin.checkpoint import (
    CheckpointError,
    capture_rng_state,
    checkpoint_path,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    make_checkpoint,
    prune_checkpoints,
    restore_rng_state,
    save_checkpoint,
)
from ltr.admin.loading import load_network
from ltr.models.bbreg.atom import atom_resnet18
from ltr.models.registry import UnknownConstructorError


class _Settings:
    def __init__(self) -> None:
        self.batch_size = 4
        self.normalize_mean = [0.485, 0.456, 0.406]
        self.module_name = "bbreg"
        self.fn = print  # not plain data: stored as repr


@pytest.fixture(scope="module")
def net() -> torch.nn.Module:
    torch.manual_seed(0)
    return atom_resnet18(iou_inter_dim=(64, 32), backbone_pretrained=None)


def test_roundtrip_weights_only(tmp_path, net) -> None:
    opt = torch.optim.Adam(net.bb_regressor.parameters(), lr=1e-3)
    loss = sum(p.sum() for p in net.bb_regressor.parameters())
    loss.backward()
    opt.step()
    sched = torch.optim.lr_scheduler.StepLR(opt, 15, 0.2)
    ckpt = make_checkpoint(net, 3, optimizer=opt, lr_scheduler=sched, stats={"train": {"Loss/total": [1.0, 0.5]}},
                           settings=_Settings())
    path = save_checkpoint(ckpt, checkpoint_path(tmp_path / "ck", "ATOMnet", 3))
    assert path.name == "ATOMnet_ep0003.pth.tar"
    raw = torch.load(path, weights_only=True)  # must not need any pickled class
    assert raw["constructor"] == {"name": "atom_resnet18", "module": "ltr.models.bbreg.atom",
                                  "kwargs": {"iou_input_dim": (256, 256), "iou_inter_dim": (64, 32),
                                             "backbone_pretrained": None}}
    assert raw["settings"]["batch_size"] == 4 and raw["settings"]["fn"].startswith("<built-in function print")
    state = load_checkpoint(path)
    assert state["epoch"] == 3 and state["net_type"] == "ATOMnet"
    assert state["optimizer"]["state"][0]["step"] == opt.state_dict()["state"][0]["step"]
    assert state["lr_scheduler"]["step_size"] == 15
    new_net, ckpt2 = load_network(path)
    assert ckpt2["epoch"] == 3
    for k, v in net.state_dict().items():
        assert torch.equal(v, new_net.state_dict()[k]), k
    assert not new_net.training
    # directory form picks the latest epoch
    save_checkpoint(make_checkpoint(net, 10), checkpoint_path(tmp_path / "ck", "ATOMnet", 10))
    assert load_network(tmp_path / "ck")[1]["epoch"] == 10


def test_rng_state_restores_all_generators() -> None:
    state = capture_rng_state()
    a = (random.random(), np.random.rand(), torch.rand(3))
    restore_rng_state(state)
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


def test_rng_state_survives_weights_only_file(tmp_path) -> None:
    state = capture_rng_state()
    save_checkpoint({"rng": state}, tmp_path / "r.pt")
    loaded = torch.load(tmp_path / "r.pt", weights_only=True)["rng"]
    a = (random.random(), np.random.randn(), torch.randn(2))
    restore_rng_state(loaded)
    assert (random.random(), np.random.randn()) == a[:2] and torch.equal(torch.randn(2), a[2])


def test_list_latest_and_prune(tmp_path) -> None:
    for e in (1, 2, 3, 4, 5, 12):
        checkpoint_path(tmp_path, "ATOMnet", e).write_bytes(b"x")
    (tmp_path / "Other_ep0099.pth.tar").write_bytes(b"x")
    (tmp_path / ".ATOMnet_ep0013.pth.tar.tmp").write_bytes(b"partial")  # atomic-write leftovers are ignored
    assert [e for e, _ in list_checkpoints(tmp_path, "ATOMnet")] == [1, 2, 3, 4, 5, 12]
    assert latest_checkpoint(tmp_path, "ATOMnet").name == "ATOMnet_ep0012.pth.tar"
    assert latest_checkpoint(tmp_path).name == "Other_ep0099.pth.tar"
    removed = prune_checkpoints(tmp_path, "ATOMnet", keep_last=2, keep_epochs=[2])
    assert sorted(p.name for p in removed) == ["ATOMnet_ep0001.pth.tar", "ATOMnet_ep0003.pth.tar",
                                               "ATOMnet_ep0004.pth.tar"]
    assert [e for e, _ in list_checkpoints(tmp_path, "ATOMnet")] == [2, 5, 12]
    assert prune_checkpoints(tmp_path, "ATOMnet", keep_last=None) == []


def test_errors_name_the_file(tmp_path, net) -> None:
    bad = tmp_path / "ATOMnet_ep0001.pth.tar"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="ATOMnet_ep0001"):
        load_checkpoint(bad)
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        load_network(tmp_path / "missing.pth")
    ckpt = make_checkpoint(net, 1)
    ckpt["constructor"] = {"name": "no_such_net", "module": "x", "kwargs": {}}
    save_checkpoint(ckpt, tmp_path / "u.pth.tar")
    with pytest.raises(UnknownConstructorError, match="no_such_net"):
        load_network(tmp_path / "u.pth.tar")
    ckpt["constructor"] = None
    save_checkpoint(ckpt, tmp_path / "n.pth.tar")
    with pytest.raises(CheckpointError, match="constructor"):
        load_network(tmp_path / "n.pth.tar")
    rebuilt, _ = load_network(tmp_path / "n.pth.tar", constructor="atom_resnet18", iou_inter_dim=(64, 32))
    assert rebuilt.bb_regressor.fc4_rt.linear.out_features == 32
