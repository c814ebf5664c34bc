"""The debug client without a server: level gating, Block List toggling, pause/step, mid-run fallback."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from pytracking.utils.visdom import BLOCK_LIST, CONTROLS, TRACKING, PauseControl, Visdom, VisdomUnavailable
from pytracking.utils.visdom.render import Rendered


class RecordingSink:
    """Stands in for visdom: remembers every call."""

    name = "recording"

    def __init__(self, fail_after: int | None = None) -> None:
        self.shown: list[tuple[str, str, Rendered, int]] = []
        self.properties: list[list[dict[str, Any]]] = []
        self.closed: list[str] = []
        self.handlers: dict[str, Any] = {}
        self.fail_after = fail_after
        self.connected: bool | None = None

    def show(self, win: str, title: str, rendered: Rendered, frame: int) -> None:
        if self.fail_after is not None and len(self.shown) >= self.fail_after:
            raise VisdomUnavailable("server gone (test)")
        self.shown.append((win, title, rendered, frame))

    def show_properties(self, win: str, title: str, properties: list[dict[str, Any]]) -> None:
        self.properties.append(properties)

    def close(self, win: str) -> None:
        self.closed.append(win)

    def on_event(self, win: str, handler: Any) -> None:
        self.handlers[win] = handler

    def block_windows(self) -> list[str]:
        return [w for w, *_ in self.shown if w != CONTROLS]


IMG = np.zeros((20, 30, 3), np.uint8)


def test_blocks_above_the_debug_level_are_not_rendered() -> None:
    sink = RecordingSink()
    viz = Visdom(debug=2, sink=sink)
    viz.register({"a": 1}, "info_dict", 1, "Status")
    viz.register(np.zeros((4, 4)), "heatmap", 2, "Score Map")
    viz.register(object(), "lineplot", 3, "Training Loss")  # would fail to render: proves it is never rendered
    assert sink.block_windows() == ["status", "score_map"]
    assert [p["name"] for p in sink.properties[-1]] == ["Status (level 1)", "Score Map (level 2)"]
    assert set(sink.handlers) == {TRACKING, CONTROLS, BLOCK_LIST}


def test_tracking_block_counts_frames_and_captions_them() -> None:
    sink = RecordingSink()
    viz = Visdom(debug=1, sink=sink)
    for k in range(3):
        viz.register({"frame": k}, "info_dict", 1, "Status")
        viz.register((IMG, [1, 1, 5, 5], None), "Tracking", 1, "Tracking")
    tracking = [(t, f) for w, t, _, f in sink.shown if w == TRACKING]
    # shown 1-based: the first frame is "frame 1", as in ATOM's Status pane and the benchmarks' image names
    assert tracking == [("Tracking (frame 1)", 1), ("Tracking (frame 2)", 2), ("Tracking (frame 3)", 3)]
    status_frames = [f for w, _, _, f in sink.shown if w == "status"]
    assert status_frames == [1, 2, 3] and viz.frame == 3


def test_block_list_event_switches_a_block_off_and_on() -> None:
    sink = RecordingSink()
    viz = Visdom(debug=2, sink=sink)
    viz.register(np.ones((2, 2)), "heatmap", 2, "Score Map")
    viz.register({"x": 1}, "info_dict", 1, "Status")
    # order in the pane: by level then title -> Status (0), Score Map (1)
    sink.handlers[BLOCK_LIST]({"event_type": "PropertyUpdate", "target": BLOCK_LIST, "propertyId": 1, "value": False})
    assert sink.closed == ["score_map"]
    n = len(sink.shown)
    viz.register(np.ones((2, 2)), "heatmap", 2, "Score Map")
    assert len(sink.shown) == n  # switched off: not shown
    assert sink.properties[-1][1] == {"type": "checkbox", "name": "Score Map (level 2)", "value": False}
    sink.handlers[BLOCK_LIST]({"event_type": "PropertyUpdate", "target": BLOCK_LIST, "propertyId": 1, "value": True})
    assert sink.shown[-1][0] == "score_map"  # redrawn with its last data


def test_unknown_mode_is_an_error_naming_the_block() -> None:
    with pytest.raises(ValueError, match="'Oops'.*unknown mode"):
        Visdom(debug=1, sink=RecordingSink()).register(1, "movie", 1, "Oops")


def test_sink_failure_switches_to_the_fallback_once() -> None:
    sink, replacement = RecordingSink(fail_after=2), RecordingSink()
    reasons: list[str] = []

    def fallback(reason: str) -> RecordingSink:
        reasons.append(reason)
        return replacement

    viz = Visdom(debug=1, sink=sink, fallback=fallback)
    for k in range(4):
        viz.register({"k": k}, "info_dict", 1, "Status")
    assert reasons == ["server gone (test)"]
    assert viz.sink is replacement and replacement.handlers.get(TRACKING) is not None
    assert len(sink.shown) + len(replacement.shown) >= 4


class _Runner(threading.Thread):
    """Simulates the tracking loop: wait_while_paused() before each of ``n`` frames."""

    def __init__(self, viz: Visdom, n: int) -> None:
        super().__init__(daemon=True)
        self.viz, self.n, self.done = viz, n, []

    def run(self) -> None:
        for k in range(self.n):
            self.viz.wait_while_paused()
            self.viz.register((IMG, [1, 1, 4, 4], None), "Tracking", 1, "Tracking")
            self.done.append(k)


def _until(pred, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def test_space_pauses_arrow_steps_one_frame_and_space_resumes() -> None:
    sink = RecordingSink()
    viz = Visdom(debug=1, sink=sink)
    key = sink.handlers[TRACKING]
    key({"event_type": "KeyPress", "key": " ", "key_code": 32})  # pause before the run starts
    runner = _Runner(viz, 5)
    runner.start()
    assert _until(lambda: viz.pause_control.waiting_before == 0)
    time.sleep(0.3)
    assert runner.done == []
    assert "PAUSED before frame 1" in sink.shown[-1][2].value  # index 0 is shown as frame 1
    key({"event_type": "KeyPress", "key": "ArrowRight", "key_code": 39})
    assert _until(lambda: viz.pause_control.waiting_before == 1)
    time.sleep(0.3)
    assert runner.done == [0]  # exactly one frame
    key({"event_type": "KeyPress", "key": "Unidentified", "key_code": 39})  # keyCode alone also steps
    assert _until(lambda: viz.pause_control.waiting_before == 2)
    assert runner.done == [0, 1]
    key({"event_type": "KeyPress", "key": " ", "key_code": 32})
    runner.join(5)
    assert runner.done == [0, 1, 2, 3, 4] and not viz.pause_control.paused


def test_waiting_while_paused_does_not_spin_the_cpu() -> None:
    pc = PauseControl(poll_s=0.25)
    pc.pause()
    cpu: list[float] = []

    def wait() -> None:
        start = time.thread_time()
        pc.wait(0)
        cpu.append(time.thread_time() - start)

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(1.0)
    pc.handle_key(" ")
    t.join(5)
    assert not t.is_alive()
    assert cpu[0] < 0.05  # a busy loop would use ~1 s of CPU here


def test_paused_run_resumes_when_the_event_socket_stays_down(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytracking.utils.visdom.client as client

    monkeypatch.setattr(client, "SOCKET_GRACE_S", 0.3)
    sink = RecordingSink()
    viz = Visdom(debug=1, sink=sink)
    viz.pause_control.poll_s = 0.05
    viz.pause_control.pause()
    sink.connected = False  # the browser/server is gone: nobody can press Space any more
    start = time.monotonic()
    viz.wait_while_paused()
    assert 0.25 <= time.monotonic() - start < 3.0 and not viz.pause_control.paused


def test_step_while_running_is_not_queued() -> None:
    pc = PauseControl(poll_s=0.05)
    assert pc.handle_key("ArrowRight") is True  # ours, but running: nothing to step
    assert pc.handle_key("x") is False
    pc.pause()
    passed = threading.Event()
    t = threading.Thread(target=lambda: (pc.wait(0), passed.set()), daemon=True)
    t.start()
    assert not passed.wait(0.3)  # the early ArrowRight did not let a frame through later
    pc.resume()
    assert passed.wait(2)


class _SlowSink(RecordingSink):
    """A frame takes a while to show, and a Controls update sent from the key thread reaches the "server" late: it
    is recorded only after the tracking loop's own Controls update (or after 1 s if that never comes first)."""

    def __init__(self, key_thread: str) -> None:
        super().__init__()
        self.key_thread = key_thread
        self.loop_posted = threading.Event()

    def show(self, win: str, title: str, rendered: Rendered, frame: int) -> None:
        if win == TRACKING:
            time.sleep(0.2)
        if win == CONTROLS:
            if threading.current_thread().name == self.key_thread:
                self.loop_posted.wait(1.0)
            elif "PAUSED before frame 2" in rendered.value:
                self.loop_posted.set()
        super().show(win, title, rendered, frame)


def test_controls_pane_ends_on_the_latest_state_when_a_key_update_is_delayed() -> None:
    # The key thread takes its snapshot while the stepped frame runs ("PAUSING") and its update is delivered late;
    # the pane must still end on "PAUSED before frame 2" (index 1), which is what the loop is waiting for.
    sink = _SlowSink(key_thread="key-events")
    viz = Visdom(debug=1, sink=sink)
    pc = viz.pause_control
    pc.pause()
    show_controls = pc.on_change

    def on_change_after_the_step_started(state: str) -> None:
        if state == "step":
            _until(lambda: pc.waiting_before is None, 2.0)  # the loop has taken the step and runs the frame
        show_controls(state)

    runner = _Runner(viz, 3)
    runner.start()
    assert _until(lambda: pc.waiting_before == 0)
    pc.on_change = on_change_after_the_step_started
    key = threading.Thread(target=pc.handle_key, args=("ArrowRight",), name="key-events")
    key.start()
    key.join(5)
    assert _until(lambda: pc.waiting_before == 1)
    time.sleep(0.2)
    controls = [r.value for w, _, r, _ in sink.shown if w == CONTROLS]
    assert "PAUSED before frame 2" in controls[-1], controls
    pc.resume()
    runner.join(5)


def _controls_text(sink: RecordingSink) -> str:
    return [r for w, _, r, _ in sink.shown if w == CONTROLS][-1].value


def test_controls_pane_says_finished_or_stopped_when_the_run_ends() -> None:
    from pytracking.evaluation.tracker import Tracker

    class Still:
        def __init__(self, fail_at=None):
            self.fail_at, self.n = fail_at, 0

        def initialize(self, image, info):
            return {}

        def track(self, image, info):
            self.n += 1
            if self.n == self.fail_at:
                raise RuntimeError("boom")
            return {"target_bbox": [1, 1, 5, 5]}

    sink = RecordingSink()
    viz = Visdom(debug=1, sink=sink)
    assert "RUNNING" in _controls_text(sink)
    Tracker("t", "p")._track(Still(), iter([IMG] * 3), {"init_bbox": [1, 1, 5, 5]}, viz, None, "test")
    text = _controls_text(sink)
    assert "FINISHED: 3 frames tracked" in text and "RUNNING" not in text
    sink.handlers[TRACKING]({"event_type": "KeyPress", "key": " ", "key_code": 32})
    assert not viz.pause_control.paused and "FINISHED" in _controls_text(sink)  # keys do nothing after the end

    sink = RecordingSink()
    viz = Visdom(debug=1, sink=sink)
    with pytest.raises(RuntimeError, match="boom"):
        Tracker("t", "p")._track(Still(fail_at=2), iter([IMG] * 3), {"init_bbox": [1, 1, 5, 5]}, viz, None, "test")
    assert "STOPPED after frame 2: RuntimeError: boom" in _controls_text(sink)
