"""Where debug blocks go when no visdom server answers: a matplotlib window, or PNG/text files in a folder.

Why both: on a desktop a window is what a person wants; on a headless machine (a cluster node, CI) a window cannot
open, so the blocks are written to ``<folder>/<block>/<frame>.png`` instead and can be looked at afterwards. Both take
the same rendered blocks as the visdom output (``pytracking.utils.visdom.render``), so nothing differs but the screen.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ltr.admin.atomic_io import atomic_write_bytes, atomic_write_text
from pytracking.utils.visdom.render import Rendered, colorize

__all__ = ["FolderSink", "MatplotlibSink", "default_debug_dir", "display_available", "make_fallback_sink"]

_NON_GUI_BACKENDS = {"agg", "pdf", "ps", "svg", "cairo", "template", "pgf"}


def display_available(environ: dict[str, str] | None = None) -> bool:
    """Whether a window could open: on Linux a DISPLAY or WAYLAND_DISPLAY must be set (macOS/Windows: assume yes)."""
    env = os.environ if environ is None else environ
    if sys.platform.startswith("linux"):
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True


def default_debug_dir() -> Path:
    """``<results_path>/../debug/<YYYYmmdd-HHMMSS>_<pid>`` (next to the tracking results), or the temp dir when the
    settings cannot be read."""
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}_{os.getpid()}"
    try:
        from pytracking.evaluation.environment import env_settings

        return Path(env_settings().results_path).parent / "debug" / stamp
    except Exception as exc:  # noqa: BLE001 - a broken settings file must not stop debugging; reported below
        import tempfile

        print(f"debug images: cannot read the results_path setting ({exc}); using the temp folder", file=sys.stderr)
        return Path(tempfile.gettempdir()) / "pytracking_debug" / stamp


def _png_bytes(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError("OpenCV could not encode a debug image as PNG")
    return buf.tobytes()


def _line_png(title: str, x: np.ndarray, y: np.ndarray) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(x, y)
    ax.set_title(title)
    ax.set_xlabel("iteration")
    fig.tight_layout()
    import io

    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


class FolderSink:
    """Writes each shown block to ``<root>/<win>/<frame:05d>.png`` (images, heat maps, plots) or ``.txt`` (status).

    Heat maps are coloured with the jet map (min..max of that map) and enlarged to at least 240 px.
    """

    name = "folder"

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.written: list[Path] = []

    def show(self, win: str, title: str, rendered: Rendered, frame: int) -> None:
        folder = self.root / win
        if rendered.kind == "image":
            path, data = folder / f"{frame:05d}.png", _png_bytes(rendered.value)
        elif rendered.kind == "heatmap":
            path, data = folder / f"{frame:05d}.png", _png_bytes(colorize(rendered.value, min_side=240))
        elif rendered.kind == "line":
            x, y = rendered.value
            if y.size == 0:
                return
            path, data = folder / f"{frame:05d}.png", _line_png(title, x, y)
        elif rendered.kind == "html":
            path = folder / f"{frame:05d}.txt"
            atomic_write_text(path, rendered.value + "\n")
            self.written.append(path)
            return
        else:
            raise ValueError(f"unknown rendered kind {rendered.kind!r}")
        atomic_write_bytes(path, data)
        self.written.append(path)

    def show_properties(self, win: str, title: str, properties: list[dict[str, Any]]) -> None:
        """The Block List has no use without a page to click in."""

    def close(self, win: str) -> None:
        """Files already written stay."""

    def on_event(self, win: str, handler: Callable[[dict], None]) -> None:
        """No events from a folder."""


class MatplotlibSink:
    """One matplotlib figure per block, updated in place; Space / Right arrow in any figure pause and step.

    Needs an interactive backend (checked by :func:`make_fallback_sink`). ``idle`` pumps the GUI while paused.
    """

    name = "matplotlib"

    def __init__(self) -> None:
        import matplotlib.pyplot as plt

        self.plt = plt
        self.figures: dict[str, Any] = {}
        self._key_handler: Callable[[dict], None] | None = None
        plt.ion()

    def _figure(self, win: str, title: str) -> Any:
        fig = self.figures.get(win)
        if fig is None or not self.plt.fignum_exists(fig.number):
            fig = self.plt.figure(title)
            fig.canvas.mpl_connect("key_press_event", self._on_key)
            self.figures[win] = fig
        return fig

    def _on_key(self, event: Any) -> None:
        if self._key_handler is not None:
            self._key_handler({"event_type": "KeyPress", "key": event.key, "key_code": None})

    def show(self, win: str, title: str, rendered: Rendered, frame: int) -> None:
        fig = self._figure(win, title)
        fig.clf()
        ax = fig.add_subplot(1, 1, 1)
        if rendered.kind == "image":
            ax.imshow(rendered.value)
            ax.axis("off")
        elif rendered.kind == "heatmap":
            im = ax.imshow(rendered.value, cmap="jet")
            fig.colorbar(im, ax=ax)
        elif rendered.kind == "line":
            x, y = rendered.value
            ax.plot(x, y)
            ax.set_xlabel("iteration")
        elif rendered.kind == "html":
            import re

            text = re.sub(r"</t[dr]>", " ", rendered.value.replace("</tr>", "\n"))
            ax.text(0.02, 0.98, re.sub(r"<[^>]+>", "", text), va="top", family="monospace", transform=ax.transAxes)
            ax.axis("off")
        ax.set_title(title)  # as in visdom: the client already names the frame in the Tracking block's title
        fig.canvas.draw_idle()
        self.idle(0.001)

    @property
    def connected(self) -> bool:
        """Whether a window is still open to receive keys (a paused run resumes once all are closed)."""
        return any(self.plt.fignum_exists(fig.number) for fig in self.figures.values())

    def idle(self, seconds: float) -> None:
        """Let the GUI process events (and sleep about ``seconds``)."""
        self.plt.pause(seconds)

    def show_properties(self, win: str, title: str, properties: list[dict[str, Any]]) -> None:
        """Blocks are toggled by closing their figure instead."""

    def close(self, win: str) -> None:
        fig = self.figures.pop(win, None)
        if fig is not None:
            self.plt.close(fig)

    def on_event(self, win: str, handler: Callable[[dict], None]) -> None:
        self._key_handler = handler


def make_fallback_sink(debug_dir: str | os.PathLike | None = None,
                       environ: dict[str, str] | None = None) -> FolderSink | MatplotlibSink:
    """A matplotlib window when a display and an interactive backend exist, else a :class:`FolderSink`."""
    if display_available(environ):
        import matplotlib

        backend = matplotlib.get_backend().lower()
        if backend not in _NON_GUI_BACKENDS:
            try:
                return MatplotlibSink()
            except ImportError as exc:  # the GUI toolkit of the configured backend is missing
                print(f"debug window: matplotlib backend {backend!r} unusable ({exc}); saving images instead",
                      file=sys.stderr)
    return FolderSink(debug_dir if debug_dir is not None else default_debug_dir())
