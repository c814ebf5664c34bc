"""LTRTrainer's optional step behaviour: gradient-norm clipping, AMP request on CPU, the actor's per-epoch hook."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from ltr.actors.base_actor import BaseActor
from ltr.admin.settings import Settings
from ltr.data.loader import LTRLoader
from ltr.trainers import LTRTrainer


class _Data(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        x = torch.full((3,), float(index + 1))
        return {"x": x, "y": torch.tensor([100.0])}


class _Actor(BaseActor):
    def __init__(self, net: nn.Module) -> None:
        super().__init__(net, nn.MSELoss())
        self.epochs_seen: list[int] = []

    def set_epoch(self, epoch: int) -> None:
        self.epochs_seen.append(epoch)

    def __call__(self, data):
        loss = self.objective(self.net(data["x"]), data["y"])
        return loss, {"Loss/total": loss.item()}


def _trainer(tmp_path, **step_options) -> tuple[LTRTrainer, nn.Module, _Actor]:
    torch.manual_seed(0)
    net = nn.Linear(3, 1)
    actor = _Actor(net)
    loader = LTRLoader("train", _Data(), training=True, batch_size=4, shuffle=False, seed=1)
    env = SimpleNamespace(workspace_dir=str(tmp_path / "ws"), tensorboard_dir=str(tmp_path / "tb"))
    settings = Settings(module_name="test", script_name="steps", env=env, device="cpu", progress_bar=False,
                        use_tensorboard=False, print_interval=100)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    return LTRTrainer(actor, [loader], opt, settings, **step_options), net, actor


def _update(net: nn.Module, before: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([(p.detach() - b).reshape(-1) for p, b in zip(net.parameters(), before, strict=True)])


def test_gradient_clipping_limits_the_global_norm(tmp_path) -> None:
    # The MSE gradient of a target 100 away is huge; SGD with lr 1 moves the parameters by exactly the clipped
    # gradient, whose global L2 norm must be 0.1.
    trainer, net, actor = _trainer(tmp_path, grad_clip_norm=0.1)
    before = [p.detach().clone() for p in net.parameters()]
    trainer.train(1, load_latest=False, fail_safe=False)
    assert float(_update(net, before).norm()) == pytest.approx(0.1, rel=1e-5)
    assert actor.epochs_seen == [1]

    trainer2, net2, _ = _trainer(tmp_path / "b")  # no clipping: the step is the full gradient (norm >> 0.1)
    before = [p.detach().clone() for p in net2.parameters()]
    trainer2.train(1, load_latest=False, fail_safe=False)
    assert float(_update(net2, before).norm()) > 100


def test_amp_on_cpu_is_ignored_with_a_warning(tmp_path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="ltr.trainers"):
        trainer, _, actor = _trainer(tmp_path, amp=True)
    assert trainer.amp is False and trainer.grad_scaler is None
    assert "CUDA only" in caplog.text
    trainer.train(2, load_latest=False, fail_safe=False)
    assert actor.epochs_seen == [1, 2]
