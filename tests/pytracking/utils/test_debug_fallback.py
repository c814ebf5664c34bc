"""No visdom server: say so once, never hang, and write the debug blocks to a folder (or a window with a display)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

import pytracking.utils.visdom as pv
from pytracking.utils import debug_fallback as fb
from pytracking.utils.start_visdom import free_port
from pytracking.utils.visdom.render import Rendered, colorize


@pytest.fixture()
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """create_visdom remembers servers per process; start each test without that memory."""
    monkeypatch.setattr(pv, "_sinks", {})
    monkeypatch.setattr(pv, "_unreachable", {})
    monkeypatch.setattr(pv, "_fallback_sinks", {})
    monkeypatch.setattr(pv, "_run_counter", {})
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


def _read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_folder_sink_writes_exact_images_and_text(tmp_path: Path) -> None:
    sink = fb.FolderSink(tmp_path)
    img = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    sink.show("tracking", "Tracking", Rendered("image", img), 3)
    np.testing.assert_array_equal(_read_rgb(tmp_path / "tracking" / "00003.png"), img)  # PNG is lossless
    heat = np.arange(12.0).reshape(3, 4)
    sink.show("score_map", "Score Map", Rendered("heatmap", heat), 3)
    pic = _read_rgb(tmp_path / "score_map" / "00003.png")
    assert pic.shape == (180, 240, 3)  # 3x4 enlarged x60 so the longer side reaches 240
    np.testing.assert_array_equal(pic[::60, ::60], colorize(heat))
    sink.show("status", "Status", Rendered("html", "<b>x</b>"), 4)
    assert (tmp_path / "status" / "00004.txt").read_text() == "<b>x</b>\n"
    sink.show("loss", "Loss", Rendered("line", (np.arange(3.0), np.array([3.0, 2.0, 1.0]))), 4)
    assert cv2.imread(str(tmp_path / "loss" / "00004.png")) is not None
    assert len(sink.written) == 4


def test_with_display_an_interactive_backend_gives_a_window(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import matplotlib

    class FakeWindow:
        name = "matplotlib"

    monkeypatch.setattr(fb, "MatplotlibSink", FakeWindow)
    monkeypatch.setattr(fb.sys, "platform", "linux")
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "TkAgg")
    assert isinstance(fb.make_fallback_sink(tmp_path, environ={"DISPLAY": ":0"}), FakeWindow)
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "agg")  # display but no GUI toolkit -> folder
    assert isinstance(fb.make_fallback_sink(tmp_path, environ={"DISPLAY": ":0"}), fb.FolderSink)
    assert isinstance(fb.make_fallback_sink(tmp_path, environ={}), fb.FolderSink)


def test_unreachable_server_says_so_once_and_saves_images(fresh_state: None, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    port = free_port()  # nothing listens there: connection refused
    info = {"use_visdom": True, "server": "127.0.0.1", "port": port, "debug_dir": str(tmp_path)}
    start = time.monotonic()
    first = pv.create_visdom(2, info)
    second = pv.create_visdom(2, info)
    assert time.monotonic() - start < 5
    err = capsys.readouterr().err
    assert err.count("not usable") == 1 and f"127.0.0.1:{port}" in err and str(tmp_path) in err
    assert first.sink_name == second.sink_name == "folder"
    img = np.full((10, 10, 3), 200, np.uint8)
    first.register((img, [2, 2, 4, 4], None), "Tracking", 1, "Tracking")
    second.register({"frame_num": 1}, "info_dict", 1, "Status")
    assert (tmp_path / "run_001" / "tracking" / "00001.png").is_file()  # each run its own folder; frame 1
    assert (tmp_path / "run_002" / "status" / "00001.txt").read_text().startswith("<table>")


def test_unroutable_host_gives_up_quickly(fresh_state: None, tmp_path: Path) -> None:
    start = time.monotonic()
    viz = pv.create_visdom(1, {"server": "10.255.255.1", "port": 8097, "debug_dir": str(tmp_path)})
    assert time.monotonic() - start < 6  # short connect timeout, never the OS default of minutes
    assert viz is not None and viz.sink_name == "folder"


def test_visdom_off_means_no_client_and_no_connection(fresh_state: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("must not probe a server")

    monkeypatch.setattr(pv, "probe_server", boom)
    assert pv.create_visdom(2, {"use_visdom": False, "port": 1}) is None
    assert pv.create_visdom(0, {"use_visdom": True}) is None


def test_matplotlib_sink_draws_each_kind_and_forwards_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs on the Agg backend here (no display); the same calls drive a real window."""
    import types

    import matplotlib

    matplotlib.use("Agg")
    sink = fb.MatplotlibSink()
    monkeypatch.setattr(sink, "idle", lambda seconds: None)
    try:
        img = np.random.default_rng(1).integers(0, 256, (6, 8, 3), dtype=np.uint8)
        sink.show("tracking", "Tracking (frame 3)", Rendered("image", img), 3)
        np.testing.assert_array_equal(sink.figures["tracking"].axes[0].images[0].get_array(), img)
        assert sink.figures["tracking"].axes[0].get_title() == "Tracking (frame 3)"  # named once, not twice
        sink.show("score_map", "Score Map", Rendered("heatmap", np.eye(3)), 0)
        np.testing.assert_array_equal(sink.figures["score_map"].axes[0].images[0].get_array(), np.eye(3))
        sink.show("loss", "Loss", Rendered("line", (np.arange(3.0), np.array([3.0, 1.0, 2.0]))), 1)
        assert sink.figures["loss"].axes[0].lines[0].get_ydata().tolist() == [3.0, 1.0, 2.0]
        table = "<table><tr><td><b>flag</b></td><td>normal</td></tr></table>"
        sink.show("status", "Status", Rendered("html", table), 1)
        assert sink.figures["status"].axes[0].texts[0].get_text().strip() == "flag normal"
        events: list[dict] = []
        sink.on_event("tracking", events.append)
        sink._on_key(types.SimpleNamespace(key=" "))
        assert events == [{"event_type": "KeyPress", "key": " ", "key_code": None}]
        sink.close("loss")
        assert "loss" not in sink.figures
    finally:
        for win in list(sink.figures):
            sink.close(win)
