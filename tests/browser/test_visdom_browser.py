"""End to end, the way a person debugs: visdom server + ATOM with --debug 2 on a real sequence + a real browser.

Starts the server on a free port, runs ``run_tracker.py atom default --dataset otb --sequence Crossing --debug 2``
(a random-weight network written here; a few frames), pauses it and steps it with key events sent the way the page
sends them, loads the page in headless Chromium, and checks the windows through visdom's API and the screenshot's
pixels. Every process started here is stopped by its pid. Selected with ``-m browser``; CI installs Chromium with
``install.sh --with-browser``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NUM_FRAMES = 6
SCREENSHOT_SIZE = (1400, 1000)


def _require_tools() -> None:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (bash install.sh --with-browser installs Debian's chromium)")
    try:
        import visdom  # noqa: F401
    except ModuleNotFoundError:
        pytest.skip("visdom is not installed (bash install.sh installs visdom 0.2.4)")


def _stop(proc: subprocess.Popen | None, group: bool = False) -> None:
    """Stop one process we started (and, for Chromium, its helper processes: its own process group)."""
    if proc is None or proc.poll() is not None:
        return
    if group:
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait(10)


def _write_random_network(path: Path) -> None:
    import torch

    from ltr.admin.checkpoint import make_checkpoint, save_checkpoint
    from ltr.models.bbreg.atom import atom_resnet18

    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = atom_resnet18(backbone_pretrained=None)
    save_checkpoint(make_checkpoint(net, 0), path)


def _send_key(port: int, target: str, key: str, key_code: int) -> None:
    """Send a key event exactly as visdom's page does for a focused pane: a ``forward_to_vis`` message on the page's
    websocket (``/socket``), which the server forwards to the tracker's client."""
    import websocket  # websocket-client, a dependency of visdom

    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket", timeout=5)
    try:
        ws.send(json.dumps({"cmd": "forward_to_vis",
                            "data": {"event_type": "KeyPress", "key": key, "key_code": key_code, "eid": "main",
                                     "target": target, "pane_data": False}}))
        ws.recv()  # the server's 'register' greeting: the message above has been read by then or is queued
    finally:
        ws.close()


def _window(viz, win: str) -> dict | None:
    if not viz.win_exists(win, env="main"):
        return None
    return json.loads(viz.get_window_data(win=win, env="main"))


def _wait_for(pred, timeout: float, what: str, proc: subprocess.Popen, log: Path, viz=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"tracker exited (rc {proc.returncode}) while waiting for {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    controls = _window(viz, "controls") if viz is not None else None
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (Controls pane: "
                f"{controls.get('content') if controls else None!r}):\n{log.read_text()[-3000:]}")


def _paused_before(viz) -> int | None:
    data = _window(viz, "controls")
    m = re.search(r"PAUSED before frame (\d+)", str(data.get("content"))) if data else None
    return int(m.group(1)) if m else None


def _status_frame(viz) -> int | None:
    data = _window(viz, "status")
    m = re.search(r"frame_num</b></td><td>(\d+)<", str(data.get("content"))) if data else None
    return int(m.group(1)) if m else None


def _best_match(screen: np.ndarray, template: np.ndarray) -> tuple[float, float, tuple[int, int]]:
    """Highest normalised correlation of ``template`` in ``screen`` over display scales 0.4..1.2."""
    best = (-1.0, 0.0, (0, 0))
    for scale in np.arange(0.4, 1.21, 0.02):
        t = cv2.resize(template, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if t.shape[0] >= screen.shape[0] or t.shape[1] >= screen.shape[1]:
            continue
        res = cv2.matchTemplate(screen, t, cv2.TM_CCOEFF_NORMED)
        _, score, _, loc = cv2.minMaxLoc(res)
        if score > best[0]:
            best = (float(score), float(scale), loc)
    return best


def test_live_debugging_in_a_real_browser(tmp_path: Path, shared_data: Path) -> None:
    _require_tools()
    import visdom

    from pytracking.utils.start_visdom import free_port, spawn_server, wait_until_up

    (tmp_path / "networks").mkdir()
    _write_random_network(tmp_path / "networks" / "atom_default.pth")
    port = free_port()
    server = tracker = browser = None
    server_log, tracker_log = tmp_path / "server.log", tmp_path / "tracker.log"
    t0 = time.monotonic()
    try:
        server = spawn_server(port, tmp_path / "visdom_env", server_log)
        assert wait_until_up(port, 30, server), f"visdom server did not start:\n{server_log.read_text()[-3000:]}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "PYTRACKING_NETWORK_PATH": str(tmp_path / "networks"),
               "PYTRACKING_OTB_PATH": str(shared_data / "otb"),
               "PYTRACKING_RESULTS_PATH": str(tmp_path / "results")}
        cmd = [sys.executable, str(REPO / "pytracking" / "run_tracker.py"), "atom", "default", "--dataset", "otb",
               "--sequence", "Crossing", "--debug", "2", "--use_visdom", "true", "--visdom_server", "127.0.0.1",
               "--visdom_port", str(port), "--max-frames", str(NUM_FRAMES)]
        with open(tracker_log, "wb") as log:
            tracker = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        viz = visdom.Visdom(server="http://127.0.0.1", port=port, use_incoming_socket=False, raise_exceptions=True)

        # --- pause as soon as the run's client is up (Controls pane shown; the network may still be loading)
        _wait_for(lambda: _window(viz, "controls") is not None, 60, "the Controls window", tracker, tracker_log)
        _send_key(port, "tracking", " ", 32)
        # (the number itself, not "is not None": _wait_for returns the predicate's value; numbers start at 1)
        paused_at = _wait_for(lambda: _paused_before(viz), 60, "the run to pause", tracker, tracker_log, viz)
        assert isinstance(paused_at, int) and paused_at >= 1
        # panes number frames from 1 (Controls says which frame runs next). Step frame by frame until a tracked
        # frame (number >= 2) has been shown; each step is exactly one frame
        while paused_at < 3:
            _send_key(port, "tracking", "ArrowRight", 39)
            _wait_for(lambda k=paused_at: _paused_before(viz) == k + 1, 60, "one step", tracker, tracker_log, viz)
            paused_at += 1
        assert paused_at < NUM_FRAMES, "the run nearly finished before the pause; nothing left to step"
        # the last frame shown is the one before the frame that runs next; Status's frame_num names it the same way
        assert _status_frame(viz) == paused_at - 1
        time.sleep(2.0)
        assert tracker.poll() is None and _paused_before(viz) == paused_at and _status_frame(viz) == paused_at - 1
        _send_key(port, "tracking", "ArrowRight", 39)
        _wait_for(lambda: _paused_before(viz) == paused_at + 1, 60, "one step", tracker, tracker_log, viz)
        time.sleep(1.0)  # a second frame would have started by now if the step let more than one through
        assert _paused_before(viz) == paused_at + 1 and _status_frame(viz) == paused_at
        tracking = _window(viz, "tracking")
        assert tracking is not None and tracking["title"] == f"Tracking (frame {paused_at})"

        # --- the windows of --debug 2 exist and hold data
        status, score = _window(viz, "status"), _window(viz, "score_map")
        assert status is not None and "max_score" in status["content"] and "flag" in status["content"]
        z = np.asarray(score["content"]["data"][0]["z"], dtype=float)
        assert z.ndim == 2 and min(z.shape) >= 10 and np.isfinite(z).all() and z.std() > 0
        assert _window(viz, "training_loss") is None  # a level-3 block: not shown at --debug 2
        png = base64.b64decode(tracking["content"]["src"].split(",", 1)[1])
        shown = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)  # BGR, what the page displays
        frame = cv2.imread(str(shared_data / "otb" / "Crossing" / "img" / f"{paused_at:04d}.jpg"))  # frame N: N.jpg
        assert shown.shape == frame.shape  # 360x240: within the 480 limit, not resized
        assert np.abs(shown.astype(int) - frame.astype(int)).mean() < 3  # the video frame (plus two thin boxes)

        # --- the page in a real browser, while paused (stable content)
        shot = tmp_path / "shot.png"
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'ud'}",
             "--virtual-time-budget=6000", f"--window-size={SCREENSHOT_SIZE[0]},{SCREENSHOT_SIZE[1]}",
             f"--screenshot={shot}", f"http://127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        browser.wait(60)
        screen = cv2.imread(str(shot))
        assert screen is not None, "Chromium wrote no screenshot"
        artifacts = os.environ.get("PYTRACKING_TEST_ARTIFACTS")
        if artifacts:
            Path(artifacts).mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, Path(artifacts) / "visdom_browser.png")
        # not blank: many distinct colours, and the Tracking pane shows the video frame's pixels
        colours = np.unique(screen.reshape(-1, 3) // 16, axis=0)
        assert len(colours) > 50, f"page looks blank ({len(colours)} colour bins)"
        score_m, scale, loc = _best_match(screen, shown)
        assert score_m > 0.8, f"the Tracking image was not found in the screenshot (best correlation {score_m:.2f})"
        h, w = int(shown.shape[0] * scale), int(shown.shape[1] * scale)
        region = screen[loc[1]:loc[1] + h, loc[0]:loc[0] + w].reshape(-1, 3).mean(0)
        expected = cv2.resize(shown, (w, h), interpolation=cv2.INTER_AREA).reshape(-1, 3).mean(0)
        assert np.abs(region - expected).max() < 12, (region, expected)

        # --- resume: the run finishes and writes its boxes
        _send_key(port, "tracking", " ", 32)
        assert tracker.wait(120) == 0, tracker_log.read_text()[-3000:]
        result = tmp_path / "results" / f"first_{NUM_FRAMES}_frames" / "atom" / "default" / "otb" / "Crossing.txt"
        boxes = np.loadtxt(result, delimiter="\t")
        assert boxes.shape == (NUM_FRAMES, 4)
        print(f"browser test: {time.monotonic() - t0:.1f} s, paused before frame {paused_at}, template match "
              f"{score_m:.3f} at scale {scale:.2f}")
    finally:
        _stop(browser, group=True)
        _stop(tracker)
        _stop(server)
