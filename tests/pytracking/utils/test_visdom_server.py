"""Against a real visdom server (started here, stopped by pid): windows hold the data, browser events reach the run."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("visdom")

import pytracking.utils.visdom as pv  # noqa: E402
from pytracking.utils.start_visdom import free_port, spawn_server, wait_until_up  # noqa: E402
from pytracking.utils.visdom.pause import wait_with_deadline  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("visdom")
    port = free_port()
    proc = spawn_server(port, tmp / "env", tmp / "server.log", check_assets=False)
    try:
        if not wait_until_up(port, 30, proc):
            pytest.fail(f"visdom server did not start: {(tmp / 'server.log').read_text()[-2000:]}")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except Exception:  # noqa: BLE001 - escalate to kill, then re-raise nothing: the server must not outlive us
            proc.kill()
            proc.wait(10)


@pytest.fixture()
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pv, "_sinks", {})
    monkeypatch.setattr(pv, "_unreachable", {})
    monkeypatch.setattr(pv, "_fallback_sinks", {})


def send_browser_event(port: int, event: dict) -> None:
    """Send an event the way visdom's page does: ``forward_to_vis`` on its websocket ``/socket``."""
    import websocket  # websocket-client, a dependency of visdom

    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket", timeout=5)
    try:
        ws.send(json.dumps({"cmd": "forward_to_vis", "data": {"eid": "main", "pane_data": False, **event}}))
        ws.recv()
    finally:
        ws.close()


def test_blocks_arrive_in_visdom_windows_with_their_data(server: int, fresh_state: None) -> None:
    viz = pv.create_visdom(2, {"use_visdom": True, "server": "127.0.0.1", "port": server, "env": "t_blocks"})
    assert viz.sink_name == "visdom"
    heat = torch.arange(6.0).reshape(2, 3)
    img = np.zeros((30, 40, 3), np.uint8)
    viz.register(heat, "heatmap", 2, "Score Map")
    viz.register({"frame_num": 5, "flag": "normal"}, "info_dict", 1, "Status")
    viz.register((img, [5, 5, 10, 10], None), "Tracking", 1, "Tracking")
    viz.register([1.0, 0.5], "lineplot", 3, "Training Loss")  # above level 2: never sent
    sink = viz.sink
    score_map = sink.window_data("score_map")["content"]
    assert np.allclose(np.asarray(score_map["data"][0]["z"]), heat.numpy())  # rows in image order
    assert score_map["layout"]["yaxis"]["autorange"] == "reversed"  # ...and row 0 drawn at the top
    assert "<td>5</td>" in sink.window_data("status")["content"]
    tracking = sink.window_data("tracking")
    assert tracking["type"] == "image" and tracking["content"]["src"].startswith("data:image/png;base64,")
    assert sink.window_data("training_loss") is None
    names = [p["name"] for p in sink.window_data("block_list")["content"]]
    assert names == ["Status (level 1)", "Tracking (level 1)", "Score Map (level 2)"]


def test_key_and_checkbox_events_from_the_page_reach_the_client(server: int, fresh_state: None) -> None:
    viz = pv.create_visdom(1, {"server": "127.0.0.1", "port": server})  # env main: the page's default
    viz.register((np.zeros((8, 8, 3), np.uint8), [1, 1, 3, 3], None), "Tracking", 1, "Tracking")
    viz.register({"a": 1}, "info_dict", 1, "Status")
    send_browser_event(server, {"event_type": "KeyPress", "key": " ", "key_code": 32, "target": pv.TRACKING})
    assert wait_with_deadline(lambda: viz.pause_control.paused, 5)
    send_browser_event(server, {"event_type": "KeyPress", "key": " ", "key_code": 32, "target": pv.TRACKING})
    assert wait_with_deadline(lambda: not viz.pause_control.paused, 5)
    send_browser_event(server, {"event_type": "PropertyUpdate", "propertyId": 0, "value": False,
                                "target": pv.BLOCK_LIST})
    assert wait_with_deadline(lambda: not viz.blocks["Status"].enabled, 5)
    assert wait_with_deadline(lambda: viz.sink.window_data("status") is None, 5)  # its window was closed


def test_server_that_dies_mid_run_falls_back_without_raising(tmp_path: Path, fresh_state: None) -> None:
    port = free_port()
    proc = spawn_server(port, tmp_path / "env", tmp_path / "server.log", check_assets=False)
    try:
        assert wait_until_up(port, 30, proc)
        viz = pv.create_visdom(1, {"port": port, "debug_dir": str(tmp_path / "debug")})
        assert viz.sink_name == "visdom"
    finally:
        proc.terminate()
        proc.wait(10)
    start = time.monotonic()
    viz.register({"after": "death"}, "info_dict", 1, "Status")
    assert time.monotonic() - start < 10
    assert viz.sink_name == "folder"
    assert (tmp_path / "debug" / "run_001" / "status" / "00001.txt").is_file()  # frame 1
