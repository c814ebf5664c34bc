"""The debug client that trackers register blocks into (``tracker.visdom.register(data, mode, level, title)``).

Why blocks with levels: a person debugging a tracker wants to choose how much to see (1 = tracking image and status,
2 = score map, 3 = optimiser losses and CG residuals, 4 = gradients) without editing code, and a benchmark run must pay
nothing. A block is shown only when the run's debug level reaches the block's level and it is switched on in the
"Block List" pane. Blocks are rendered once (``render``) and handed to a sink: visdom, a matplotlib window or a folder.
Keyboard controls (Space pause/resume, ArrowRight step) arrive as visdom key events on the Tracking window.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from pytracking.utils.visdom.connection import VisdomUnavailable, window_id
from pytracking.utils.visdom.pause import PauseControl
from pytracking.utils.visdom.render import MODES, Rendered, render

__all__ = ["BLOCK_LIST", "CONTROLS", "DebugSink", "Visdom"]

BLOCK_LIST = "block_list"  # window id of the Block List pane
CONTROLS = "controls"  # window id of the pause/step state pane
TRACKING = "tracking"  # window id of the Tracking block (key events are read here)
SOCKET_GRACE_S = 10.0  # paused with the event socket down this long -> resume (nobody could press Space)


class DebugSink(Protocol):
    """Where rendered blocks go (visdom, a matplotlib window, a folder). ``frame`` in :meth:`show` is the 1-based
    number of the frame the block belongs to (the number the Status pane and the image file names use)."""

    name: str

    def show(self, win: str, title: str, rendered: Rendered, frame: int) -> None: ...

    def show_properties(self, win: str, title: str, properties: list[dict[str, Any]]) -> None: ...

    def close(self, win: str) -> None: ...

    def on_event(self, win: str, handler: Any) -> None: ...


@dataclass
class Block:
    title: str
    mode: str
    level: int
    win: str
    enabled: bool = True
    last: Rendered | None = None
    last_frame: int = 0


class Visdom:
    """Debug blocks of one tracking run.

    Args:
        debug: the run's debug level; blocks above it are ignored without rendering.
        sink: where blocks are shown; None = nowhere (level gating and pause still work, e.g. for tests).
        fallback: called with the reason when the sink fails mid-run; returns the sink to continue with (once).
    """

    def __init__(self, debug: int = 1, sink: DebugSink | None = None, fallback: Any = None) -> None:
        self.debug = int(debug)
        self.sink = sink
        self._fallback = fallback
        self.blocks: dict[str, Block] = {}
        self.frame = 0  # index of the frame being processed (Tracking registrations completed so far)
        self.pause_control = PauseControl(on_change=self._pause_changed)
        self._lock = threading.RLock()
        self._socket_down_since: float | None = None
        self._controls_text = ""
        self._ended: str | None = None  # set by finish(): the Controls pane then says the run is over
        if sink is not None:
            self._listen()
            self._show_controls()

    # ------------------------------------------------------------------ public API
    def register(self, data: Any, mode: str, debug_level: int = 1, title: str = "Data") -> None:
        """Show ``data`` as block ``title`` in ``mode`` if ``debug_level <= debug`` and the block is switched on.

        Modes: ``image``, ``heatmap``, ``info_dict``, ``text``, ``lineplot``, ``Tracking``, ``bbreg``, ``featmap``
        (data forms: :func:`pytracking.utils.visdom.render.render`). A ``Tracking`` block also ends the frame.
        """
        if debug_level > self.debug:
            return
        if mode not in MODES:
            raise ValueError(f"debug block {title!r}: unknown mode {mode!r} (expected one of {', '.join(MODES)})")
        with self._lock:
            block = self.blocks.get(title)
            if block is None:
                block = Block(title, mode, int(debug_level), TRACKING if mode == "Tracking" else window_id(title))
                self.blocks[title] = block
                self._show_block_list()
            frame = self.frame + 1  # shown 1-based, like ATOM's frame_num and the benchmarks' image names
            if block.enabled and self.sink is not None:
                rendered = render(mode, data, title)
                shown_title = f"{title} (frame {frame})" if mode == "Tracking" else title
                block.last, block.last_frame = rendered, frame
                self._send(lambda s: s.show(block.win, shown_title, rendered, frame))
            if mode == "Tracking":
                self.frame += 1

    def finish(self, error: str | None = None) -> None:
        """The run is over (called by the runner after the last frame, also when it failed): the Controls pane says
        so instead of RUNNING, and key presses no longer pause anything."""
        with self._lock:
            self._ended = (f"STOPPED after frame {self.frame}: {error}" if error
                           else f"FINISHED: {self.frame} frames tracked")
        self._show_controls()

    def wait_while_paused(self) -> None:
        """Called by the runner before each frame: blocks (sleeping) while the run is paused."""
        idle = getattr(self.sink, "idle", None)
        self.pause_control.wait(self.frame, should_resume=self._controller_gone, idle=idle)

    def set_block_enabled(self, title: str, enabled: bool) -> None:
        """Switch a block on (redrawn with its last data) or off (its window closed)."""
        with self._lock:
            block = self.blocks[title]
            if block.enabled == enabled:
                return
            block.enabled = enabled
            if enabled and block.last is not None:
                last, frame = block.last, block.last_frame
                self._send(lambda s: s.show(block.win, title, last, frame))
            elif not enabled:
                self._send(lambda s: s.close(block.win))
            self._show_block_list()

    def handle_event(self, event: dict[str, Any]) -> None:
        """A visdom event (key press on the Tracking/Controls pane, or a Block List checkbox change)."""
        kind = event.get("event_type")
        if kind == "KeyPress" and self._ended is None:
            self.pause_control.handle_key(event.get("key"), event.get("key_code"))
        elif kind == "PropertyUpdate" and event.get("target") == BLOCK_LIST:
            titles = self._block_order()
            index = int(event.get("propertyId", -1))
            if 0 <= index < len(titles):
                self.set_block_enabled(titles[index], bool(event.get("value")))

    @property
    def sink_name(self) -> str:
        return "none" if self.sink is None else self.sink.name

    # ------------------------------------------------------------------ internals
    def _block_order(self) -> list[str]:
        return sorted(self.blocks, key=lambda t: (self.blocks[t].level, t))

    def _show_block_list(self) -> None:
        props = [{"type": "checkbox", "name": f"{t} (level {self.blocks[t].level})", "value": self.blocks[t].enabled}
                 for t in self._block_order()]
        self._send(lambda s: s.show_properties(BLOCK_LIST, "Block List", props))

    def _pause_changed(self, state: str) -> None:
        self._show_controls()

    def _show_controls(self) -> None:
        # Called from the tracking loop and from the key-event thread. Reading the state and sending it happen under
        # one lock, so the pane always ends on the latest state: otherwise a key thread holding a stale snapshot
        # ("PAUSING") could send it after the loop has sent "PAUSED before frame k" and the pane would stay wrong.
        # Frame numbers in the panes are 1-based (the first frame is frame 1), the loop's index is 0-based.
        with self._lock:
            pc = self.pause_control
            if self._ended is not None:
                text = f"<b>{self._ended}</b><br>The run has ended; start another to track again."
                if text != self._controls_text:
                    self._controls_text = text
                    self._send(lambda s: s.show(CONTROLS, "Controls", Rendered("html", text), self.frame))
                return
            if pc.paused and pc.waiting_before is not None:
                state = f"PAUSED before frame {pc.waiting_before + 1}"
            elif pc.paused:
                state = "PAUSING (after the current frame)"
            else:
                state = "RUNNING"
            text = (f"<b>{state}</b><br>Click the Tracking window, then: <b>Space</b> pause / resume, "
                    f"<b>&rarr;</b> one frame while paused.")
            if text == self._controls_text:
                return
            self._controls_text = text
            self._send(lambda s: s.show(CONTROLS, "Controls", Rendered("html", text), self.frame + 1))

    def _listen(self) -> None:
        for win in (TRACKING, CONTROLS, BLOCK_LIST):
            self._send(lambda s, w=win: s.on_event(w, self.handle_event))

    def _controller_gone(self) -> bool:
        """True once the visdom event socket has been down for ``SOCKET_GRACE_S`` (then the run resumes)."""
        connected = getattr(self.sink, "connected", None)
        if connected is None or connected:
            self._socket_down_since = None
            return self.sink is None
        now = time.monotonic()
        if self._socket_down_since is None:
            self._socket_down_since = now
        if now - self._socket_down_since >= SOCKET_GRACE_S:
            print("visdom: connection lost while paused; resuming the run", file=sys.stderr)
            return True
        return False

    def _send(self, action: Any) -> None:
        """Run ``action(sink)``; if the visdom server stops answering, say so once and switch to the fallback."""
        if self.sink is None:
            return
        try:
            action(self.sink)
        except VisdomUnavailable as exc:
            replacement = self._fallback(str(exc)) if self._fallback is not None else None
            self._fallback = None
            self.sink = replacement
            if replacement is not None:
                replacement.on_event(TRACKING, self.handle_event)
                action(replacement)
