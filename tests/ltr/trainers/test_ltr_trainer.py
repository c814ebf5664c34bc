"""LTRTrainer/BaseTrainer: exact resume, loader intervals, fail-safe, checkpoint policy, console and TensorBoard."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from ltr.actors.base_actor import BaseActor
from ltr.admin.checkpoint import list_checkpoints, load_checkpoint
from ltr.admin.settings import Settings
from ltr.data.loader import LTRLoader
from ltr.trainers import LTRTrainer


class _EpochData(torch.utils.data.Dataset):
    """Sample ``index`` of epoch ``e`` is a pure function of (e, index), like TrackingSampler."""

    def __init__(self, n: int = 12) -> None:
        self.n, self.epoch = n, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.epoch, index])
        x = torch.from_numpy(rng.standard_normal(6).astype(np.float32))
        return {"x": x, "y": (x[:3] * 2 - x[3:]).sum(0, keepdim=True)}


class _TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.bn = nn.BatchNorm1d(8)
        self.drop = nn.Dropout(0.3)  # consumes the global torch RNG: resume must restore it
        self.fc2 = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))


class _Actor(BaseActor):
    def __init__(self, net: nn.Module, fail_on: set[int] | None = None, exc: type[BaseException] = RuntimeError):
        super().__init__(net, nn.MSELoss())
        self.fail_on, self.exc, self.calls, self.trainer = set(fail_on or ()), exc, 0, None

    def __call__(self, data):
        self.calls += 1
        if self.trainer is not None and self.trainer.epoch in self.fail_on:
            self.fail_on.discard(self.trainer.epoch)
            raise self.exc("injected failure")
        loss = self.objective(self.net(data["x"]), data["y"])
        return loss, {"Loss/total": loss.item()}


def _setup(tmp_path, fail_on=None, exc=RuntimeError, keep_last=None, keep_epochs=(), print_interval=1):
    torch.manual_seed(0)
    net = _TinyNet()
    actor = _Actor(net, fail_on, exc)
    train = LTRLoader("train", _EpochData(12), training=True, batch_size=4, shuffle=True, seed=5)
    val = LTRLoader("val", _EpochData(4), training=False, batch_size=4, epoch_interval=2, seed=6)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    env = SimpleNamespace(workspace_dir=str(tmp_path / "ws"), tensorboard_dir=str(tmp_path / "ws" / "tb"))
    settings = Settings(module_name="test", script_name="tiny", env=env, device="cpu", progress_bar=False,
                        checkpoint_keep_last=keep_last, checkpoint_keep_epochs=keep_epochs,
                        fail_safe_max_retries=2, print_interval=print_interval)
    trainer = LTRTrainer(actor, [train, val], opt, settings, sched)
    actor.trainer = trainer
    return trainer


def _weights(trainer) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in trainer.net.state_dict().items()}


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_resume_is_bit_exact(tmp_path) -> None:
    straight = _setup(tmp_path / "a")
    straight.train(3)
    resumed1 = _setup(tmp_path / "b")
    resumed1.train(1)
    torch.manual_seed(1234)  # a fresh process would have different global RNG state
    np.random.seed(99)
    resumed = _setup(tmp_path / "b")
    resumed.train(3)  # load_latest=True
    assert resumed.epoch == 3
    _assert_same(_weights(straight), _weights(resumed))
    assert straight.stats_history == resumed.stats_history
    torch.testing.assert_close(straight.optimizer.state_dict(), resumed.optimizer.state_dict(), rtol=0, atol=0)
    assert resumed.lr_scheduler.get_last_lr() == pytest.approx([0.05 * 0.5**3])

    # sensitivity check: restoring only the weights (fresh optimizer/scheduler/RNG) does not reproduce the run
    partial = _setup(tmp_path / "c")
    partial.train(1)
    weights_only = _setup(tmp_path / "d")
    weights_only.net.load_state_dict(partial.net.state_dict())
    weights_only.epoch = 1
    weights_only.train(3, load_latest=False)
    assert not all(torch.equal(v, _weights(straight)[k]) for k, v in _weights(weights_only).items())


def test_epoch_interval_history_and_checkpoint_content(tmp_path) -> None:
    tr = _setup(tmp_path, keep_last=2, keep_epochs=(1,))
    tr.train(4)
    hist = tr.stats_history
    assert sorted(hist["train"]["Loss/total"]) == [1, 2, 3, 4]
    assert sorted(hist["val"]["Loss/total"]) == [2, 4]
    assert hist["train"]["LearningRate/group0"] == pytest.approx({1: 0.05, 2: 0.025, 3: 0.0125, 4: 0.00625})
    ckdir = tmp_path / "ws" / "checkpoints" / "ltr" / "test" / "tiny"
    assert [e for e, _ in list_checkpoints(ckdir)] == [1, 3, 4]
    ck = load_checkpoint(ckdir / "_TinyNet_ep0004.pth.tar")
    assert ck["epoch"] == 4 and ck["net_type"] == "_TinyNet" and ck["actor_type"] == "_Actor"
    assert set(ck["rng_state"]) >= {"python", "numpy", "torch"}
    assert ck["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.05 * 0.5**4)
    assert ck["lr_scheduler"]["last_epoch"] == 4
    assert ck["stats"]["val"]["Loss/total"][4] == pytest.approx(hist["val"]["Loss/total"][4])
    assert ck["settings"]["module_name"] == "test" and ck["settings"]["checkpoint_keep_last"] == 2
    assert ck["extra"]["loaders"]["train"] == {"base_seed": 5}


def test_epoch_average_is_batch_weighted_mean(tmp_path) -> None:
    tr = _setup(tmp_path)
    tr.loaders = tr.loaders[1:]  # val only: no training, so the loss can be recomputed afterwards
    tr.loaders[0].epoch_interval = 1
    tr.lr_scheduler = None  # no optimizer step in a val-only epoch: stepping a schedule would be meaningless
    tr.train(1)
    ds = _EpochData(4)
    ds.set_epoch(1)
    tr.net.eval()
    with torch.no_grad():
        xs = torch.stack([ds[i]["x"] for i in range(4)])
        ys = torch.stack([ds[i]["y"] for i in range(4)])
        expected = nn.functional.mse_loss(tr.net(xs), ys).item()
    assert tr.stats_history["val"]["Loss/total"][1] == pytest.approx(expected, rel=1e-6)


def test_fail_safe_retries_from_checkpoint_and_snapshot(tmp_path, caplog) -> None:
    clean = _setup(tmp_path / "clean")
    clean.train(3)
    caplog.set_level(logging.ERROR, logger="ltr.trainers")
    flaky = _setup(tmp_path / "flaky", fail_on={1, 2})  # epoch 1: no checkpoint yet -> in-memory snapshot
    flaky.train(3)
    _assert_same(_weights(clean), _weights(flaky))
    assert clean.stats_history == flaky.stats_history
    assert "Traceback" in caplog.text and "injected failure" in caplog.text
    assert caplog.text.count("failed (retry") == 2


def test_fail_safe_gives_up_and_never_swallows_keyboard_interrupt(tmp_path) -> None:
    always = _setup(tmp_path / "a")
    always.actor.__class__ = type("_Always", (_Actor,), {"__call__": lambda self, d: (_ for _ in ()).throw(
        RuntimeError("always"))})
    with pytest.raises(RuntimeError, match="always"):
        always.train(2)
    intr = _setup(tmp_path / "k", fail_on={1}, exc=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        intr.train(2)
    assert intr.actor.calls == 1
    no_fs = _setup(tmp_path / "n", fail_on={1})
    with pytest.raises(RuntimeError, match="injected"):
        no_fs.train(2, fail_safe=False)


def test_console_line_format(tmp_path, capsys) -> None:
    tr = _setup(tmp_path, print_interval=2)
    tr.train(1)
    out = capsys.readouterr().out.strip().splitlines()
    pattern = re.compile(r"^\[train: 1, (\d+) / 3\] FPS: \d+\.\d \(\d+\.\d\) , Loss/total: \d+\.\d{5}$")
    iters = [int(pattern.match(line).group(1)) for line in out]
    assert iters == [2, 3]  # every print_interval and the last iteration


def test_tensorboard_scalars(tmp_path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tr = _setup(tmp_path)
    tr.train(2)
    base = tmp_path / "ws" / "tb" / "ltr" / "test" / "tiny"
    for name in ("train", "val"):
        acc = EventAccumulator(str(base / name))
        acc.Reload()
        events = acc.Scalars("Loss/total")
        expected = tr.stats_history[name]["Loss/total"]
        assert {e.step: pytest.approx(e.value, rel=1e-6) for e in events} == expected
    acc = EventAccumulator(str(base / "train"))
    acc.Reload()
    assert [e.value for e in acc.Scalars("LearningRate/group0")] == pytest.approx([0.05, 0.025])


def test_retention_in_training_spares_checkpoints_of_a_keep_all_run(tmp_path) -> None:
    first = _setup(tmp_path, keep_last=None)  # --keep-all: nothing recorded, nothing ever pruned later
    first.train(2)
    tr = _setup(tmp_path, keep_last=2)
    tr.settings.checkpoint_keep_every = 3
    tr.train(7)  # resumes at epoch 2, writes 3..7 under the policy
    ckdir = tmp_path / "ws" / "checkpoints" / "ltr" / "test" / "tiny"
    # kept: 1, 2 (not written under the policy), 3, 6 (every 3rd), 6, 7 (last 2); 4 and 5 were deleted
    assert [e for e, _ in list_checkpoints(ckdir)] == [1, 2, 3, 6, 7]


def test_bar_and_lines_are_not_both_per_iteration(tmp_path, capsys) -> None:
    """On a terminal the bar moves every iteration while lines come only every print_interval (and at the end)."""
    tr = _setup(tmp_path, print_interval=2)
    tr.settings.progress_bar = True
    tr.loaders[0].dataset.n = 40  # 10 iterations of 4
    tr.train(1)
    captured = capsys.readouterr()
    lines = [ln for ln in (captured.out + captured.err).replace("\r", "\n").splitlines() if ln.startswith("[train")]
    assert [int(re.match(r"\[train: 1, (\d+) / 10\]", ln).group(1)) for ln in lines] == [2, 4, 6, 8, 10]


def test_default_print_interval() -> None:
    from ltr.train_settings.bbreg.atom_synthetic import AtomSyntheticTrainingParams
    from ltr.trainers.pipelines.atom import AtomTrainingParams

    interval = Settings().print_interval
    assert interval == 10
    # lines per epoch (every 10th iteration and the last): published setup 1000 iterations -> 100 (was 1000 at the
    # original interval 1); the synthetic demo 32 iterations -> 4 (was 32)
    for params, lines in ((AtomTrainingParams(), 100), (AtomSyntheticTrainingParams(), 4)):
        n = params.samples_per_epoch // params.batch_size
        assert n // interval + (n % interval > 0) == lines
