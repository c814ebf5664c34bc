"""Talking to a visdom server without ever hanging the tracker.

Why not ``visdom.Visdom(...)`` directly: its requests have no timeout (a firewalled host stalls a run for minutes) and
it prints a traceback for every failed call. Here the server is probed first with a short TCP + HTTP check, every
request carries a timeout, and failures raise :class:`VisdomUnavailable` so the caller can fall back once.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import warnings
from typing import Any

import numpy as np

from pytracking.utils.visdom.render import Rendered

__all__ = ["VisdomSink", "VisdomUnavailable", "probe_server", "window_id"]

CONNECT_TIMEOUT_S = 1.5
REQUEST_TIMEOUT_S = 5.0


class VisdomUnavailable(ConnectionError):
    """The visdom server cannot be reached (or the visdom package is missing); the message says why."""


def window_id(title: str) -> str:
    """The visdom window id of a block: its title in lower case with every other character replaced by '_'."""
    return "".join(c if c.isalnum() else "_" for c in title.strip().lower()) or "block"


def probe_server(host: str, port: int, timeout_s: float = CONNECT_TIMEOUT_S) -> str | None:
    """None when a visdom server answers at ``host:port``; otherwise the reason, in words.

    A TCP connect with ``timeout_s`` first (an unroutable host costs at most that), then ``GET /`` must answer.
    """
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        return f"cannot connect to {host}:{port} ({exc.strerror or exc})"
    try:
        import requests
    except ModuleNotFoundError:
        return "the 'requests' package is missing (install visdom: bash install.sh)"
    try:
        r = requests.get(f"http://{host}:{port}/", timeout=timeout_s * 2)
    except requests.RequestException as exc:
        return f"{host}:{port} accepted the connection but did not answer HTTP ({exc.__class__.__name__})"
    if r.status_code != 200:
        return f"{host}:{port} answered HTTP {r.status_code}, not a visdom page"
    return None


def _client_class() -> type:
    try:
        import visdom
    except ModuleNotFoundError as exc:
        raise VisdomUnavailable("the visdom package is not installed (bash install.sh installs visdom 0.2.4)") \
            from exc

    class _TimeoutVisdom(visdom.Visdom):
        """visdom's client with a timeout on every request."""

        request_timeout_s = REQUEST_TIMEOUT_S

        def _handle_post(self, url: str, data: Any = None) -> str:
            r = self.session.post(url, data={} if data is None else data, timeout=self.request_timeout_s)
            r.raise_for_status()
            return r.text

    return _TimeoutVisdom


class VisdomSink:
    """Shows rendered blocks in visdom windows of environment ``env`` and delivers key/property events.

    Args:
        host, port: the server (already probed by :func:`probe_server`).
        env: visdom environment (the page's drop-down); ``main`` is what the page shows first.
        listen: open the event socket (needed for keyboard controls and the Block List).
    """

    name = "visdom"

    def __init__(self, host: str, port: int, env: str = "main", listen: bool = True) -> None:
        import requests

        cls = _client_class()
        # visdom logs "Setting up a new session..." at every start and, once the server is gone, an error for every
        # reconnection attempt of its socket thread; this module reports connection problems itself, once.
        for name in ("visdom", "websocket"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self._last_probe = (0.0, True)
        self.host, self.port, self.env = host, int(port), env
        self._lines: dict[str, set[str]] = {}
        self._sized: set[str] = set()
        self._request_errors = (requests.RequestException, ConnectionError, OSError)
        try:
            with warnings.catch_warnings():  # visdom calls the deprecated logger.warn when not listening
                warnings.simplefilter("ignore", DeprecationWarning)
                self.viz = cls(server=f"http://{host}", port=self.port, env=env, raise_exceptions=True,
                               use_incoming_socket=listen)
        except self._request_errors as exc:
            raise VisdomUnavailable(f"visdom at {host}:{port} refused the client ({exc})") from exc
        if listen and not self.viz.socket_alive:
            self.viz.use_socket = False  # stop its retrying thread
            raise VisdomUnavailable(f"visdom at {host}:{port}: the event socket did not open (keyboard controls need "
                                    f"it); is it a visdom server?")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/env/{self.env}"

    @property
    def connected(self) -> bool:
        """Whether the server still accepts connections (a TCP connect, at most once a second).

        visdom's own ``socket_alive`` flag is not reliable for this: with current websocket-client versions its
        close callback fails and the flag stays True after the server has gone.
        """
        now = time.monotonic()
        last_time, last_ok = self._last_probe
        if now - last_time >= 1.0:
            try:
                with socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S):
                    last_ok = True
            except OSError:
                last_ok = False
            self._last_probe = (now, last_ok)
        return last_ok

    def shutdown(self) -> None:
        """Stop visdom's event-socket thread (it would otherwise retry a dead server every few seconds)."""
        self.viz.use_socket = False

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._request_errors as exc:
            raise VisdomUnavailable(f"visdom at {self.host}:{self.port} stopped answering ({exc})") from exc

    def show(self, win: str, title: str, rendered: Rendered, frame: int) -> None:
        """Draw ``rendered`` in window ``win`` (created on first use, replaced afterwards)."""
        opts: dict[str, Any] = {"title": title}
        if rendered.caption:
            opts["caption"] = rendered.caption
        viz = self.viz
        if rendered.kind == "image":
            chw = np.ascontiguousarray(np.transpose(rendered.value, (2, 0, 1)))
            opts["store_history"] = False
            if win not in self._sized:  # pane fits the image once; later updates keep the user's resizing
                self._sized.add(win)
                opts["width"], opts["height"] = int(chw.shape[2]) + 20, int(chw.shape[1]) + 60
            self._call(viz.image, chw, win=win, env=self.env, opts=opts)
        elif rendered.kind == "heatmap":
            # plotly draws row 0 at the bottom; a reversed y axis puts it at the top, like the image, with the
            # row labels counting down the way image rows do (flipping the data would leave the labels upside down)
            self._call(viz.heatmap, rendered.value, win=win, env=self.env,
                       opts={**opts, "colormap": "Jet", "layoutopts": {"plotly": {"yaxis": {"autorange": "reversed"}}}})
        elif rendered.kind == "line":
            x, y = rendered.value
            if y.size == 0:
                return
            self._call(viz.line, Y=y, X=x, win=win, env=self.env, opts={**opts, "xlabel": "iteration"})
        elif rendered.kind == "html":
            self._call(viz.text, rendered.value, win=win, env=self.env, opts=opts)
        else:
            raise ValueError(f"unknown rendered kind {rendered.kind!r}")

    def append_point(self, win: str, title: str, x: float, y: float, trace: str, xlabel: str = "") -> None:
        """Add one point to trace ``trace`` of line plot ``win`` (created on first use); cost independent of the
        length of the curve."""
        created = self._lines.setdefault(win, set())
        X, Y = np.array([float(x)]), np.array([float(y)])
        if not created:
            self._call(self.viz.line, Y=Y, X=X, win=win, env=self.env, name=trace,
                       opts={"title": title, "xlabel": xlabel, "showlegend": True})
        else:
            self._call(self.viz.line, Y=Y, X=X, win=win, env=self.env, name=trace, update="append",
                       opts={"showlegend": True})
        created.add(trace)

    def show_properties(self, win: str, title: str, properties: list[dict[str, Any]]) -> None:
        self._call(self.viz.properties, properties, win=win, env=self.env, opts={"title": title})

    def close(self, win: str) -> None:
        self._call(self.viz.close, win=win, env=self.env)

    def on_event(self, win: str, handler: Any) -> None:
        """Route events of window ``win`` to ``handler(event_dict)`` (replacing earlier handlers of that window)."""
        self.viz.clear_event_handlers(win)
        self.viz.register_event_handler(handler, win)

    def window_data(self, win: str) -> dict[str, Any] | None:
        """The server's stored content of ``win`` (for tests and tools), or None if it does not exist."""
        if not self._call(self.viz.win_exists, win, env=self.env):
            return None
        try:
            text = self._call(self.viz.get_window_data, win=win, env=self.env)
        except VisdomUnavailable:
            # The server answers 500 for a window closed between the two requests: that is "no window", not an outage.
            if not self._call(self.viz.win_exists, win, env=self.env):
                return None
            raise
        return json.loads(text) if text else None
