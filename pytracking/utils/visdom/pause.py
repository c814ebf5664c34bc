"""Pause / step control shared by the tracking loop and a key-event thread.

Why a condition variable: key events arrive on visdom's socket thread (or a GUI callback) while the tracking loop
runs on the main thread. The loop calls :meth:`PauseControl.wait` before every frame; while paused it sleeps on a
``threading.Condition`` with a timeout (no spinning, and it can give up if the controller disappears), and wakes as
soon as a key event changes the state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["PauseControl", "is_pause_key", "is_step_key"]

_PAUSE_KEYS = {" ", "space", "Space", "Spacebar"}
_STEP_KEYS = {"ArrowRight", "right", "Right"}


def is_pause_key(key: str | None, key_code: int | None = None) -> bool:
    """Space (browser ``key`` ' ' / keyCode 32, matplotlib 'space' or ' ')."""
    return key in _PAUSE_KEYS or key_code == 32


def is_step_key(key: str | None, key_code: int | None = None) -> bool:
    """Arrow right (browser ``key`` 'ArrowRight' / keyCode 39, matplotlib 'right')."""
    return key in _STEP_KEYS or key_code == 39


class PauseControl:
    """Space toggles pause; ArrowRight while paused lets exactly one more frame through.

    Args:
        on_change: called (outside the lock) with a short state text whenever the state changes or the loop starts
            waiting, e.g. to update a "Controls" pane.
        poll_s: how long one wait on the condition lasts before ``should_resume`` / ``idle`` are checked again.
    """

    def __init__(self, on_change: Callable[[str], None] | None = None, poll_s: float = 0.25) -> None:
        self._cond = threading.Condition()
        self._paused = False
        self._steps = 0
        self._waiting_before: int | None = None
        self.on_change = on_change
        self.poll_s = poll_s

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def waiting_before(self) -> int | None:
        """Index of the frame the loop is waiting to start, while it waits; else None."""
        return self._waiting_before

    def _notify(self, text: str) -> None:
        if self.on_change is not None:
            self.on_change(text)

    def handle_key(self, key: str | None, key_code: int | None = None) -> bool:
        """Apply a key press; returns whether it was one of ours."""
        if is_pause_key(key, key_code):
            with self._cond:
                self._paused = not self._paused
                self._steps = 0
                paused = self._paused
                self._cond.notify_all()
            self._notify("paused" if paused else "running")
            return True
        if is_step_key(key, key_code):
            with self._cond:
                if not self._paused:
                    return True  # stepping only means something while paused
                self._steps += 1
                self._cond.notify_all()
            self._notify("step")
            return True
        return False

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._cond.notify_all()
        self._notify("paused")

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._steps = 0
            self._cond.notify_all()
        self._notify("running")

    def wait(self, frame_index: int | None = None, should_resume: Callable[[], bool] | None = None,
             idle: Callable[[float], None] | None = None) -> None:
        """Return at once when running; while paused, block until resumed or one step is granted.

        ``should_resume()`` is checked every ``poll_s`` seconds: True resumes (e.g. the browser connection is gone,
        so nobody could ever press Space again). ``idle(seconds)`` replaces the condition wait when the key events
        come from a GUI loop that must be pumped on this thread (matplotlib); it must sleep about ``seconds``.
        """
        with self._cond:
            if not self._paused:
                return
            if self._steps > 0:
                self._steps -= 1
                return
            self._waiting_before = frame_index
        self._notify("waiting")
        try:
            while True:
                with self._cond:
                    if not self._paused:
                        return
                    if self._steps > 0:
                        self._steps -= 1
                        return
                    if idle is None:
                        self._cond.wait(timeout=self.poll_s)
                        if not self._paused or self._steps > 0:
                            continue
                if idle is not None:
                    idle(self.poll_s)
                if should_resume is not None and should_resume():
                    self.resume()
                    return
        finally:
            self._waiting_before = None


def wait_with_deadline(predicate: Callable[[], bool], timeout_s: float, poll_s: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout_s`` passes; returns the last value (for tests and tools)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll_s)
