"""Live training curves in visdom: points land in the right windows/traces; an absent server never stops training."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltr.admin.settings import Settings
from ltr.admin.visdom_logger import VisdomLogger, visdom_logger_from_settings
from pytracking.utils.start_visdom import free_port
from pytracking.utils.visdom.connection import VisdomUnavailable


class FakeSink:
    def __init__(self, fail: bool = False) -> None:
        self.points: list[tuple] = []
        self.fail = fail

    def append_point(self, win: str, title: str, x: float, y: float, trace: str, xlabel: str = "") -> None:
        if self.fail:
            raise VisdomUnavailable("gone (test)")
        self.points.append((win, x, y, trace))


def test_points_go_to_one_window_per_statistic_and_lr_by_group() -> None:
    sink = FakeSink()
    log = VisdomLogger(sink)
    log.log_iteration("train", 7, 0.5)
    log.log_epoch("train", 2, {"Loss/total": 0.25, "Loss/iou": 0.2, "LearningRate/group0": 1e-3,
                               "LearningRate/group1": 1e-4})
    log.log_epoch("val", 2, {"Loss/total": 0.3})
    assert sink.points == [
        ("loss_total_iteration", 7, 0.5, "train"),
        ("epoch_loss_total", 2, 0.25, "train"),
        ("epoch_loss_iou", 2, 0.2, "train"),
        ("learning_rate", 2, 1e-3, "group0"),
        ("learning_rate", 2, 1e-4, "group1"),
        ("epoch_loss_total", 2, 0.3, "val"),
    ]


def test_a_failing_server_is_reported_once_and_then_left_alone(capsys: pytest.CaptureFixture) -> None:
    log = VisdomLogger(FakeSink(fail=True))
    for i in range(3):
        log.log_iteration("train", i, 1.0)
    assert log.failed == "gone (test)"
    assert capsys.readouterr().err.count("no more live curves") == 1


def test_settings_without_visdom_give_no_logger_and_absent_server_gives_none(capsys: pytest.CaptureFixture) -> None:
    assert visdom_logger_from_settings(Settings()) is None
    assert visdom_logger_from_settings(Settings(visdom=None)) is None
    settings = Settings(visdom={"server": "127.0.0.1", "port": free_port()}, module_name="bbreg", script_name="atom")
    assert visdom_logger_from_settings(settings) is None
    assert "TensorBoard logging is unaffected" in capsys.readouterr().err


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    pytest.importorskip("visdom")
    from pytracking.utils.start_visdom import spawn_server, wait_until_up

    tmp = tmp_path_factory.mktemp("visdom_ltr")
    port = free_port()
    proc = spawn_server(port, tmp / "env", tmp / "server.log", check_assets=False)
    try:
        assert wait_until_up(port, 30, proc), (tmp / "server.log").read_text()[-2000:]
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def test_curves_in_a_real_server(server: int, tmp_path: Path) -> None:
    settings = Settings(visdom={"port": server}, module_name="bbreg", script_name="atom_synthetic")
    log = visdom_logger_from_settings(settings)
    assert log is not None and log.sink.env == "ltr_bbreg_atom_synthetic"
    for epoch, (loss, lr) in enumerate([(1.0, 0.01), (0.5, 0.01), (0.25, 0.002)], 1):
        log.log_epoch("train", epoch, {"Loss/total": loss, "LearningRate/group0": lr})
    log.log_epoch("val", 3, {"Loss/total": 0.4})
    viz = log.sink.viz
    data = json.loads(viz.get_window_data(win="epoch_loss_total", env=log.sink.env))["content"]["data"]
    traces = {d["name"]: (d["x"], d["y"]) for d in data}
    assert traces["train"] == ([1, 2, 3], [1.0, 0.5, 0.25]) and traces["val"] == ([3], [0.4])
    lr = json.loads(viz.get_window_data(win="learning_rate", env=log.sink.env))["content"]["data"]
    assert [(d["name"], d["y"]) for d in lr] == [("group0", [0.01, 0.01, 0.002])]


def test_training_with_visdom_shows_the_trainers_own_numbers(server: int, tmp_path: Path) -> None:
    """A tiny LTRTrainer run with ``settings.visdom``: visdom's curves equal the trainer's recorded history."""
    import numpy as np
    import torch
    from torch import nn

    from ltr.actors.base_actor import BaseActor
    from ltr.admin.settings import Settings
    from ltr.data.loader import LTRLoader
    from ltr.trainers import LTRTrainer

    class Data(torch.utils.data.Dataset):
        def __init__(self, n: int) -> None:
            self.n = n

        def __len__(self) -> int:
            return self.n

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            x = torch.from_numpy(np.random.default_rng(i).standard_normal(4).astype(np.float32))
            return {"x": x, "y": x.sum(0, keepdim=True)}

    class Actor(BaseActor):
        def __call__(self, data):
            loss = self.objective(self.net(data["x"]), data["y"])
            return loss, {"Loss/total": loss.item()}

    torch.manual_seed(0)
    net = nn.Linear(4, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    env = types.SimpleNamespace(workspace_dir=str(tmp_path / "ws"), tensorboard_dir=str(tmp_path / "ws" / "tb"))
    settings = Settings(module_name="test", script_name="visdom", env=env, device="cpu", progress_bar=False,
                        visdom={"server": "127.0.0.1", "port": server})
    loaders = [LTRLoader("train", Data(8), training=True, batch_size=4, seed=1),
               LTRLoader("val", Data(4), training=False, batch_size=4, seed=2)]
    trainer = LTRTrainer(Actor(net, nn.MSELoss()), loaders, opt, settings, sched)
    trainer.train(2)
    viz, envname = trainer.visdom.sink.viz, "ltr_test_visdom"

    def traces(win: str) -> dict[str, tuple[list, list]]:
        content = json.loads(viz.get_window_data(win=win, env=envname))["content"]["data"]
        return {d["name"]: (d["x"], d["y"]) for d in content}

    hist = trainer.stats_history
    loss = traces("epoch_loss_total")
    assert loss["train"] == ([1, 2], [hist["train"]["Loss/total"][e] for e in (1, 2)])
    assert loss["val"] == ([1, 2], [hist["val"]["Loss/total"][e] for e in (1, 2)])
    assert traces("learning_rate")["group0"][1] == [hist["train"]["LearningRate/group0"][e] for e in (1, 2)]
    assert traces("loss_total_iteration")["train"][0] == [1, 2, 3, 4]  # 2 iterations per epoch, 2 epochs


def test_run_training_cli_flag_sets_the_visdom_setting() -> None:
    from ltr.run_training import build_parser, make_settings

    args = build_parser().parse_args(["bbreg", "atom", "--visdom", "--visdom-port", "9001"])
    assert make_settings(args).visdom == {"server": "127.0.0.1", "port": 9001}
    assert make_settings(build_parser().parse_args(["bbreg", "atom"])).visdom is None
