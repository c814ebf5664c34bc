"""A desktop window for run_video / run_webcam: show the tracking and draw the initial box with the mouse.

Why matplotlib: ``install.sh`` installs ``opencv-python-headless`` (no GUI backend, so ``cv2.imshow`` and
``cv2.selectROI`` fail even on a desktop). matplotlib's interactive backends (TkAgg with ``python3-tk``, QtAgg with
PyQt) work next to the headless OpenCV, so a desktop user gets a window without changing the OpenCV build:

* :func:`select_box` shows the first frame with a :class:`matplotlib.widgets.RectangleSelector`; drag a box, then
  **Enter** / **Space** accepts it, **Escape** or closing the window cancels, dragging again replaces it;
* :class:`TrackingWindow` shows each frame with the predicted box; **q** or closing the window stops the run.

The box arithmetic (:class:`BoxSelection`) is separate from the window so that it is tested without a display; the
selector wiring is tested on an off-screen canvas (``matplotlib.testing.widgets.click_and_drag``).
Who opens which window: :func:`choose_viewer` (OpenCV when its GUI works, else matplotlib, else none).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["BoxSelection", "TrackingWindow", "select_box", "matplotlib_gui_available", "choose_viewer",
           "attach_selector", "GUI_BACKENDS"]

GUI_BACKENDS = ("TkAgg", "QtAgg", "GTK4Agg", "GTK3Agg", "WXAgg", "MacOSX")


@dataclass
class BoxSelection:
    """State of the initial-box selection on an image of ``width`` x ``height`` pixels.

    :meth:`drag` takes the two corners of a mouse drag in image (data) coordinates, in any order and possibly outside
    the image; the box is clipped to the image and must be at least ``min_size`` pixels wide and high.
    """

    width: int
    height: int
    min_size: float = 2.0
    box: list[float] | None = None
    done: bool = False
    cancelled: bool = False
    history: list[list[float]] = field(default_factory=list)

    def drag(self, x0: float, y0: float, x1: float, y1: float) -> list[float] | None:
        """Corners -> ``[x, y, w, h]`` (clipped; None and no change when too small). Replaces an earlier box."""
        if None in (x0, y0, x1, y1):
            return None
        left, right = sorted((float(x0), float(x1)))
        top, bottom = sorted((float(y0), float(y1)))
        left, right = max(left, 0.0), min(right, float(self.width))
        top, bottom = max(top, 0.0), min(bottom, float(self.height))
        w, h = right - left, bottom - top
        if w < self.min_size or h < self.min_size:
            return None
        self.box = [left, top, w, h]
        self.history.append(list(self.box))
        return self.box

    def key(self, key: str | None) -> None:
        """Enter/Space accept the current box (if any), Escape cancels."""
        if key in ("enter", "return", " "):
            self.done = self.box is not None
        elif key == "escape":
            self.cancelled = True
            self.done = True

    @property
    def result(self) -> list[float] | None:
        return None if self.cancelled else self.box


def matplotlib_gui_available() -> bool:
    """True when a display exists and matplotlib can open a window (switches pyplot to a GUI backend if needed)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    import matplotlib
    from matplotlib import pyplot as plt

    current = matplotlib.get_backend()
    if current.lower() not in ("agg", "pdf", "svg", "ps", "cairo", "template") and "inline" not in current.lower():
        return True
    for backend in GUI_BACKENDS:
        try:
            plt.switch_backend(backend)
        except (ImportError, RuntimeError, ValueError):
            continue
        return True
    return False


def attach_selector(ax: Any, selection: BoxSelection) -> Any:
    """A RectangleSelector on ``ax`` feeding ``selection`` (kept alive by the returned object)."""
    from matplotlib.widgets import RectangleSelector

    def on_select(press: Any, release: Any) -> None:
        selection.drag(press.xdata, press.ydata, release.xdata, release.ydata)

    selector = RectangleSelector(ax, on_select, useblit=False, button=[1], minspanx=1, minspany=1,
                                 spancoords="data", interactive=True,
                                 props={"edgecolor": "lime", "fill": False, "linewidth": 2})
    ax.figure.canvas.mpl_connect("key_press_event", lambda event: selection.key(event.key))
    return selector


def select_box(image: np.ndarray, title: str = "Draw the initial box") -> list[float] | None:
    """Let the user drag the initial box on ``image`` (HxWx3 RGB) in a matplotlib window; None if cancelled."""
    from matplotlib import pyplot as plt

    selection = BoxSelection(width=image.shape[1], height=image.shape[0])
    fig, ax = plt.subplots(num=title)
    ax.imshow(image)
    ax.set_title("drag a box around the target, then Enter (Esc: cancel)")
    ax.set_axis_off()
    selector = attach_selector(ax, selection)
    fig.canvas.mpl_connect("close_event", lambda event: selection.key("escape") if not selection.done else None)
    plt.show(block=False)
    while not selection.done:
        plt.pause(0.05)
    del selector
    plt.close(fig)
    return selection.result


class TrackingWindow:
    """A matplotlib window showing frames with the tracker's box; :meth:`show` returns False once the user pressed
    ``q`` or closed the window."""

    def __init__(self, title: str) -> None:
        from matplotlib import pyplot as plt

        self._plt = plt
        self.fig, self.ax = plt.subplots(num=title)
        self.ax.set_axis_off()
        self._image = None
        self._rect = None
        self.open = True
        self.fig.canvas.mpl_connect("close_event", self._closed)
        self.fig.canvas.mpl_connect("key_press_event", lambda e: self._closed(e) if e.key == "q" else None)
        plt.show(block=False)

    def _closed(self, _event: Any) -> None:
        self.open = False

    def show(self, image: np.ndarray, box: list[float]) -> bool:
        from matplotlib.patches import Rectangle

        if not self.open:
            return False
        if self._image is None:
            self._image = self.ax.imshow(image)
            self._rect = Rectangle((box[0], box[1]), box[2], box[3], fill=False, edgecolor="lime", linewidth=2)
            self.ax.add_patch(self._rect)
        else:
            self._image.set_data(image)
            self._rect.set_bounds(*box)
        self._plt.pause(0.001)
        return self.open

    def close(self) -> None:
        self._plt.close(self.fig)


def choose_viewer(opencv_gui: bool | None = None) -> str:
    """``'opencv'`` when OpenCV can open windows, else ``'matplotlib'`` when a matplotlib window can be opened, else
    ``'none'`` (no display: the box must be given on the command line)."""
    if opencv_gui is None:
        from pytracking.evaluation.tracker import display_available

        opencv_gui = display_available()
    if opencv_gui:
        return "opencv"
    return "matplotlib" if matplotlib_gui_available() else "none"
