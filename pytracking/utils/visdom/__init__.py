"""Live debugging of trackers in visdom (with a matplotlib-window / image-folder fallback).

Entry point for the evaluation code: :func:`create_visdom` (``debug``, ``visdom_info``) returns the run's
:class:`Visdom` client or None. The third-party ``visdom`` package is imported only when a server is used, so this
package imports (and falls back) without it.

    python -m pytracking.utils.start_visdom            # server on http://127.0.0.1:8097 (offline assets)
    python pytracking/run_tracker.py atom default --dataset otb --sequence Crossing --debug 2
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from pytracking.utils.visdom.client import BLOCK_LIST, CONTROLS, TRACKING, Visdom
from pytracking.utils.visdom.connection import VisdomSink, VisdomUnavailable, probe_server, window_id
from pytracking.utils.visdom.pause import PauseControl
from pytracking.utils.visdom.render import MODES

__all__ = [
    "BLOCK_LIST",
    "CONTROLS",
    "MODES",
    "TRACKING",
    "PauseControl",
    "Visdom",
    "VisdomSink",
    "VisdomUnavailable",
    "create_visdom",
    "probe_server",
    "window_id",
]

_lock = threading.Lock()
_sinks: dict[tuple[str, int, str], VisdomSink] = {}  # one connection per server/env and process
_unreachable: dict[tuple[str, int], str] = {}  # servers found unreachable in this process (said once, not retried)
_fallback_sinks: dict[str, Any] = {}
_run_counter: dict[str, int] = {}


def _fallback_sink(reason: str, host: str, port: int, debug_dir: Any) -> Any:
    """The process's fallback output (said once); with a folder, each run gets its own ``run_NNN`` sub-folder."""
    from pytracking.utils.debug_fallback import FolderSink, make_fallback_sink

    key = str(debug_dir)
    with _lock:
        sink = _fallback_sinks.get(key)
        if sink is None:
            sink = make_fallback_sink(debug_dir)
            _fallback_sinks[key] = sink
            where = f"saving debug images to {sink.root}" if sink.name == "folder" else "showing a matplotlib window"
            print(f"visdom: server at {host}:{port} not usable: {reason}. Falling back to {where}. "
                  f"(Start one with `python -m pytracking.utils.start_visdom --port {port}`, or pass "
                  f"--use-visdom false.)", file=sys.stderr, flush=True)
        if isinstance(sink, FolderSink):
            _run_counter[key] = _run_counter.get(key, 0) + 1
            return FolderSink(sink.root / f"run_{_run_counter[key]:03d}")
    return sink


def create_visdom(debug: int, visdom_info: dict[str, Any] | None = None) -> Visdom | None:
    """The debug client for a run, or None when ``debug`` is 0 or ``visdom_info['use_visdom']`` is false.

    ``visdom_info`` keys: ``use_visdom`` (default True), ``server`` (default 127.0.0.1), ``port`` (8097),
    ``env`` (visdom environment, default ``main``), ``debug_dir`` (folder for the fallback images). When the server
    does not answer within about a second, this says so once per process and returns a client whose blocks go to a
    matplotlib window (a display exists) or to ``debug_dir`` (none does); it never waits longer and never raises for
    an absent server.
    """
    info = dict(visdom_info or {})
    if not debug or not info.get("use_visdom", True):
        return None
    host = str(info.get("server") or "127.0.0.1")
    port = int(info.get("port") or 8097)
    env = str(info.get("env") or "main")
    debug_dir = info.get("debug_dir")

    def fallback(reason: str) -> Any:
        with _lock:
            _unreachable[(host, port)] = reason
            dead = _sinks.pop((host, port, env), None)
        if dead is not None:
            dead.shutdown()
        return _fallback_sink(reason, host, port, debug_dir)

    with _lock:
        sink: Any = _sinks.get((host, port, env))
        reason = _unreachable.get((host, port))
    if sink is None and reason is None:
        reason = probe_server(host, port)
        if reason is None:
            try:
                sink = VisdomSink(host, port, env)
            except VisdomUnavailable as exc:
                reason = str(exc)
            else:
                with _lock:
                    _sinks[(host, port, env)] = sink
                print(f"visdom: showing debug blocks (level <= {debug}) at {sink.url}", file=sys.stderr, flush=True)
    if sink is None:
        return Visdom(debug, sink=fallback(reason or "unknown error"))
    return Visdom(debug, sink=sink, fallback=fallback)
