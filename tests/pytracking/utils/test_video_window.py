"""Initial-box selection and the tracking window, without a display (off-screen canvas, fake windows)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backend_bases import KeyEvent  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.testing.widgets import click_and_drag  # noqa: E402

from pytracking.utils import video_window  # noqa: E402
from pytracking.utils.video_window import BoxSelection, attach_selector  # noqa: E402


def test_drag_corners_any_order_clipped_and_min_size() -> None:
    s = BoxSelection(width=100, height=50)
    assert s.drag(30, 40, 10, 5) == [10.0, 5.0, 20.0, 35.0]  # dragged up-left: same box
    assert s.drag(-5, 45, 20, 60) == [0.0, 45.0, 20.0, 5.0]  # clipped to the 100x50 image
    assert s.drag(10, 10, 11, 30) is None and s.box == [0.0, 45.0, 20.0, 5.0]  # 1 px wide: ignored, box kept
    s.key("enter")
    assert s.done and s.result == [0.0, 45.0, 20.0, 5.0]
    c = BoxSelection(width=10, height=10)
    c.key("enter")
    assert not c.done  # nothing drawn yet: Enter does not finish
    c.drag(1, 1, 5, 5)
    c.key("escape")
    assert c.done and c.result is None


def test_rectangle_selector_feeds_the_selection_on_an_offscreen_canvas() -> None:
    fig = Figure()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(np.zeros((60, 80, 3), np.uint8))
    selection = BoxSelection(width=80, height=60)
    selector = attach_selector(ax, selection)
    click_and_drag(selector, start=(50, 40), end=(20, 10))  # data coordinates, dragged up-left
    assert selection.box == pytest.approx([20.0, 10.0, 30.0, 30.0], abs=0.6)  # pixel rounding of the canvas
    fig.canvas.callbacks.process("key_press_event", KeyEvent("key_press_event", fig.canvas, "enter"))
    assert selection.done and selection.result == selection.box


def test_run_video_uses_the_matplotlib_window_with_headless_opencv(tmp_path, monkeypatch) -> None:
    import cv2

    from pytracking.evaluation.tracker import Tracker

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (48, 32))
    for i in range(6):
        writer.write(np.full((32, 48, 3), 20 * i, dtype=np.uint8))
    writer.release()

    class Window:
        shown: list[list[float]] = []

        def __init__(self, title):
            self.closed = False

        def show(self, image, box):
            Window.shown.append(box)
            return len(Window.shown) < 4  # the user presses q after the 4th frame

        def close(self):
            self.closed = True

    class Still:
        def __init__(self, params):
            pass

        def initialize(self, image, info):
            self.box = info["init_bbox"]
            return {}

        def track(self, image, info):
            return {"target_bbox": self.box}

    monkeypatch.setattr(video_window, "choose_viewer", lambda: "matplotlib")
    monkeypatch.setattr(video_window, "select_box", lambda image, title: [4.0, 5.0, 10.0, 8.0])
    monkeypatch.setattr(video_window, "TrackingWindow", Window)
    out = Tracker("still", "p", tracker_class=Still, parameters=lambda: SimpleNamespace()).run_video(video)
    assert out["target_bbox"].tolist() == [[4.0, 5.0, 10.0, 8.0]] * 4 and len(Window.shown) == 4
    monkeypatch.setattr(video_window, "choose_viewer", lambda: "none")
    with pytest.raises(RuntimeError, match="python3-tk"):
        Tracker("still", "p", tracker_class=Still, parameters=lambda: SimpleNamespace()).run_video(video)
