"""The ``Tracker`` wrapper: one tracker + one parameter set, run over sequences, videos or a webcam.

``Tracker('atom', 'default')`` imports ``pytracking.tracker.atom`` (its ``get_tracker_class()``) and
``pytracking.parameter.atom.default`` (its ``parameters()``). Tests and experiments can inject either piece instead:
``tracker_class=`` a class or a dotted module path exposing ``get_tracker_class()``, ``parameters=`` a params object,
a zero-argument factory or a dotted module path exposing ``parameters()``.

Timing (``<seq>_time.txt``): frame 0 is the duration of ``initialize``, frame k the duration of ``track``; reading the
image is not timed. Network loading is excluded from frame 0 by one convention: if the parameters carry a network
wrapper ``params.net`` with an ``initialize()`` method, the wrapper calls it *before* starting the clock (it must be
idempotent: a tracker may call it again inside its own ``initialize``, which then costs nothing). Trackers that load
their network any other way should do it in their constructor (not timed either), or return their own frame-0 time
as ``initialize(...)['time']`` (seconds), which then replaces the measured one (ATOM does this).
"""

from __future__ import annotations

import copy
import importlib
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ltr.admin.errors import UserError
from pytracking.evaluation.data import Sequence
from pytracking.evaluation.results_io import results_dir_for, save_sequence_result
from pytracking.tracker.base.boxes import BoxGuard, InitBoxError

__all__ = ["Tracker", "TrackerModuleNotFoundError", "trackerlist", "make_visdom", "display_available", "as_box",
           "fps"]

PathLike = str | Path


def as_box(value: Any, where: str) -> list[float]:
    """``[x, y, w, h]`` floats from a list/array/tensor; ValueError naming ``where`` unless 4 finite numbers."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.size != 4 or not np.isfinite(arr).all():
        raise ValueError(f"{where}: tracker returned {value!r}, expected 4 finite numbers [x, y, w, h]")
    return [float(v) for v in arr]


def display_available() -> bool:
    """Whether an OpenCV window can be opened (a display exists and OpenCV was built with a GUI backend)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    import cv2

    try:
        cv2.namedWindow("__pytracking_probe__", cv2.WINDOW_NORMAL)
        cv2.destroyWindow("__pytracking_probe__")
    except cv2.error:
        return False  # opencv-python-headless: no GUI backend
    return True


_VISDOM_WARNED = False


def make_visdom(debug: int, visdom_info: dict[str, Any] | None) -> Any | None:
    """The visdom debug client for a run, or None (debug 0, visdom off, or the client package not installed).

    Adapter to ``pytracking.utils.visdom`` (built separately): uses its ``create_visdom(debug=..., visdom_info=...)``
    if defined, else ``Visdom(debug=..., visdom_info=...)``. ``visdom_info`` keys: ``use_visdom`` (bool),
    ``server`` (host), ``port`` (int).
    """
    global _VISDOM_WARNED
    if not debug or not visdom_info or not visdom_info.get("use_visdom", False):
        return None
    try:
        module = importlib.import_module("pytracking.utils.visdom")
    except ModuleNotFoundError as exc:
        if exc.name != "pytracking.utils.visdom":
            raise
        if not _VISDOM_WARNED:
            print("visdom debug client (pytracking.utils.visdom) is not available; running without visdom")
            _VISDOM_WARNED = True
        return None
    factory = getattr(module, "create_visdom", None)
    if factory is not None:
        return factory(debug=debug, visdom_info=visdom_info)
    return module.Visdom(debug=debug, visdom_info=visdom_info)


class TrackerModuleNotFoundError(UserError, ModuleNotFoundError):
    """A tracker or parameter-set module that does not exist; the message lists the ones that do (from the tracker
    registry, :mod:`pytracking.evaluation.registry`)."""


def _available_text(name: str | None = None) -> str:
    from pytracking.evaluation.registry import available_trackers, format_available

    if name is None:
        return "available trackers and parameter sets:\n" + format_available()
    return f"available parameter sets of '{name}': " + (", ".join(available_trackers().get(name, [])) or "none")


def _resolve_tracker_class(name: str, tracker_class: type | str | None) -> type:
    if isinstance(tracker_class, type):
        return tracker_class
    if isinstance(tracker_class, str):
        module_name = tracker_class
    else:
        module_name = name if "." in name else f"pytracking.tracker.{name}"
    module = _import_module(
        module_name,
        f"unknown tracker '{name}': module {module_name} not found (expected pytracking/tracker/{name}/__init__.py "
        f"exposing get_tracker_class()); {_available_text()}",
    )
    if not hasattr(module, "get_tracker_class"):
        raise AttributeError(f"tracker module {module_name} does not define get_tracker_class()")
    return module.get_tracker_class()


def _import_module(module_name: str, missing_message: str) -> Any:
    """Import ``module_name``; if the module itself (not one of its imports) is missing, say what was expected."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise TrackerModuleNotFoundError(missing_message, name=exc.name) from exc
        raise


def _resolve_parameters(name: str, parameter_name: str, parameters: Any) -> Any:
    if parameters is None and "." in name:
        # A tracker given as a module path supplies its own parameter sets: module.get_parameters(parameter_name).
        module = importlib.import_module(name)
        if not hasattr(module, "get_parameters"):
            raise AttributeError(f"tracker module {name} does not define get_parameters(parameter_name)")
        return module.get_parameters(parameter_name)
    if parameters is None or isinstance(parameters, str):
        module_name = parameters or f"pytracking.parameter.{name}.{parameter_name}"
        if parameters is None:
            _resolve_tracker_class(name, None)  # an unknown tracker is named as such, not as a missing parameter set
        module = _import_module(
            module_name,
            f"unknown parameter set '{parameter_name}' of tracker '{name}': module {module_name} not found (expected "
            f"pytracking/parameter/{name}/{parameter_name}.py exposing parameters()); {_available_text(name)}",
        )
        return module.parameters()
    if callable(parameters):
        return parameters()
    return copy.deepcopy(parameters)


class Tracker:
    """A tracker name + parameter set (+ optional run id) and where its results go.

    Args:
        name: tracker name (``pytracking/tracker/<name>``); also the first results sub-folder. A dotted module path
            (``mypkg.mytracker``) names a module that provides ``get_tracker_class()`` and
            ``get_parameters(parameter_name)`` itself (results then go under its last component).
        parameter_name: parameter set (``pytracking/parameter/<name>/<parameter_name>.py``).
        run_id: optional run number; results go to ``<param>_<runid:03d>``.
        display_name: label for tables and plots (defaults to ``name`` / ``name_param[_runid]``).
        tracker_class: override: a tracker class, or a dotted module path with ``get_tracker_class()``.
        parameters: override: a params object (deep-copied per run), a factory, or a dotted module path.
        results_path: override of the ``results_path`` setting (root of all results).
        results_dir: explicit results folder for this tracker (overrides the whole layout above).
    """

    def __init__(
        self,
        name: str,
        parameter_name: str,
        run_id: int | None = None,
        display_name: str | None = None,
        *,
        tracker_class: type | str | None = None,
        parameters: Any = None,
        results_path: PathLike | None = None,
        results_dir: PathLike | None = None,
    ):
        self.name = name
        self.parameter_name = parameter_name
        self.run_id = run_id
        self.display_name = display_name
        self._tracker_class = tracker_class
        self._parameters = parameters
        self._results_path = None if results_path is None else Path(results_path)
        self._results_dir = None if results_dir is None else Path(results_dir)

    def __repr__(self) -> str:
        return f"Tracker({self.name!r}, {self.parameter_name!r}, run_id={self.run_id!r})"

    @property
    def label(self) -> str:
        if self.display_name:
            return self.display_name
        run = "" if self.run_id is None else f"_{self.run_id:03d}"
        return f"{self.name} {self.parameter_name}{run}"

    @property
    def results_path(self) -> Path:
        if self._results_path is None:
            from pytracking.evaluation.environment import env_settings

            self._results_path = Path(env_settings().results_path)
        return self._results_path

    @property
    def results_dir(self) -> Path:
        """``<results_path>/<name>/<param>[_<runid:03d>]``, or the explicit ``results_dir`` given (e.g. one folder
        per evaluated checkpoint)."""
        if self._results_dir is not None:
            return self._results_dir
        return results_dir_for(self.results_path, self.name.rsplit(".", 1)[-1], self.parameter_name, self.run_id)

    def get_parameters(self) -> Any:
        """A fresh parameter object for one run."""
        return _resolve_parameters(self.name, self.parameter_name, self._parameters)

    def tracker_class(self) -> type:
        return _resolve_tracker_class(self.name, self._tracker_class)

    def create_tracker(self, params: Any, visdom: Any = None) -> Any:
        tracker = self.tracker_class()(params)
        tracker.visdom = visdom
        return tracker

    def build(self, debug: int | None = None, visdom_info: dict[str, Any] | None = None) -> tuple[Any, Any, int]:
        """A ready tracker object for a run: ``(tracker, visdom client or None, debug level)``.

        Fresh parameters, debug level applied, visdom attached, network loaded (``params.net.initialize()``).
        """
        params = self.get_parameters()
        debug_level = int(debug if debug is not None else getattr(params, "debug", 0) or 0)
        params.debug = debug_level
        params.tracker_name = self.name
        params.param_name = self.parameter_name
        visdom = make_visdom(debug_level, visdom_info)
        tracker = self.create_tracker(params, visdom)
        net = getattr(params, "net", None)
        if net is not None and callable(getattr(net, "initialize", None)):
            net.initialize()  # load weights before the clock starts (see module docstring)
        return tracker, visdom, debug_level

    def run_sequence(
        self, seq: Sequence, debug: int | None = None, visdom_info: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Track ``seq``; returns ``{'target_bbox': ndarray [N, 4], 'time': list[float]}`` (seconds per frame)."""
        tracker, visdom, debug_level = self.build(debug, visdom_info)
        gt = seq.ground_truth_rect if debug_level > 0 else None

        def frames():
            for i in range(len(seq)):
                yield seq.read_frame(i)

        return self._track(tracker, frames(), seq.init_info(), visdom, gt, where=f"{seq.dataset}/{seq.name}",
                           frame_names=seq.frames)

    def _track(
        self,
        tracker: Any,
        frames,
        init_info: dict[str, Any],
        visdom: Any,
        gt: np.ndarray | None,
        where: str,
        on_frame: Callable[[int, np.ndarray, list[float]], bool] | None = None,
        frame_names: list[str] | None = None,
    ) -> dict[str, Any]:
        """Run initialise + track over an iterator of RGB frames. ``on_frame`` returning False stops early.

        The box contract (:class:`~pytracking.tracker.base.boxes.BoxGuard`) is enforced here for every tracker: the
        initial box is validated (clipped with a warning, or :class:`InitBoxError`), a frame of another size than the
        first raises :class:`FrameSizeError`, and reported boxes are kept inside the image and the size limits.
        """
        boxes: list[list[float]] = []
        times: list[float] = []
        wait = getattr(visdom, "wait_while_paused", None) if visdom is not None else None
        out: dict[str, Any] = {}
        guard = BoxGuard(tracker, where)
        for index, image in enumerate(frames):
            if wait is not None:
                wait()
            guard.check_frame(index, image, frame_names[index] if frame_names and index < len(frame_names) else None)
            if index == 0:
                init_info = dict(init_info)
                if "init_bbox" not in init_info:
                    raise InitBoxError(f"{where}: no initial box ('init_bbox') given")
                init_info["init_bbox"] = guard.init_box(init_info["init_bbox"])
                start = time.perf_counter()
                out = tracker.initialize(image, dict(init_info)) or {}
                elapsed = time.perf_counter() - start
                if isinstance(out.get("time"), int | float):
                    elapsed = float(out["time"])  # the tracker's own figure (e.g. excluding network loading)
                box = as_box(out.get("target_bbox", init_info["init_bbox"]), f"{where} frame 0")
            else:
                info: dict[str, Any] = {"previous_output": out}
                if gt is not None and index < len(gt):
                    info["gt_bbox"] = [float(v) for v in gt[index, :4]]
                start = time.perf_counter()
                out = tracker.track(image, info)
                elapsed = time.perf_counter() - start
                if not isinstance(out, dict) or "target_bbox" not in out:
                    raise ValueError(f"{where} frame {index}: track() must return a dict with 'target_bbox'")
                box = as_box(out["target_bbox"], f"{where} frame {index}")
            box = guard.report(index, box)
            boxes.append(box)
            times.append(elapsed)
            if visdom is not None:
                gt_box = None if gt is None or index >= len(gt) else gt[index, :4].tolist()
                visdom.register((image, box, gt_box), "Tracking", 1, "Tracking")
            if on_frame is not None and on_frame(index, image, box) is False:
                break
        guard.finish()
        if not boxes:
            raise ValueError(f"{where}: no frames to track")
        return {"target_bbox": np.asarray(boxes, dtype=np.float64), "time": times}

    def run_and_save(
        self,
        seq: Sequence,
        debug: int | None = None,
        visdom_info: dict[str, Any] | None = None,
        save_float: bool = False,
    ) -> dict[str, Any]:
        """``run_sequence`` then write the result files atomically (time file first, box file last)."""
        output = self.run_sequence(seq, debug=debug, visdom_info=visdom_info)
        save_sequence_result(self.results_dir, seq.name, output["target_bbox"], output["time"], save_float)
        return output

    # ---- live use ---------------------------------------------------------------------------------------------

    def run_video(
        self,
        videofile: PathLike,
        optional_box: list[float] | None = None,
        debug: int | None = None,
        visdom_info: dict[str, Any] | None = None,
        save_results: bool = False,
        show: bool | None = None,
    ) -> dict[str, Any]:
        """Track a video file. Without ``optional_box`` the box is drawn with the mouse (needs a display).

        An OpenCV window shows the tracking only when a display exists (``show=None``: auto); press ``q`` to stop.
        With ``save_results`` the boxes/times go to ``<results_dir>/video_<stem>.txt``.
        """
        import cv2

        path = Path(videofile)
        if not path.is_file():
            raise FileNotFoundError(f"video file not found: {path}")
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise OSError(f"OpenCV cannot open video {path}")
        try:
            output = self._run_capture(capture, optional_box, debug, visdom_info, show, title=path.name)
        finally:
            capture.release()
        if save_results:
            save_sequence_result(self.results_dir, f"video_{path.stem}", output["target_bbox"], output["time"])
        return output

    def run_webcam(
        self,
        camera: int = 0,
        optional_box: list[float] | None = None,
        debug: int | None = None,
        visdom_info: dict[str, Any] | None = None,
        max_frames: int | None = None,
    ) -> dict[str, Any]:
        """Track from a camera until ``q`` is pressed (or ``max_frames``). The box is drawn with the mouse unless
        given; needs a display for that and for the window."""
        import cv2

        capture = cv2.VideoCapture(camera)
        if not capture.isOpened():
            raise OSError(f"OpenCV cannot open camera {camera}")
        try:
            return self._run_capture(capture, optional_box, debug, visdom_info, None, f"camera {camera}", max_frames)
        finally:
            capture.release()

    def _run_capture(self, capture, optional_box, debug, visdom_info, show, title, max_frames=None):
        import cv2

        show = display_available() if show is None else show
        if optional_box is None and not show:
            raise RuntimeError(
                f"{title}: no initial box given and no display to draw one (pass --optional_box x y w h)"
            )
        window = f"{self.label} - {title}"

        def frames():
            count = 0
            while max_frames is None or count < max_frames:
                ok, bgr = capture.read()
                if not ok:
                    return
                count += 1
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

        frame_iter = frames()
        try:
            first = next(frame_iter)
        except StopIteration:
            raise OSError(f"{title}: no frames could be read") from None
        if optional_box is None:
            cv2.namedWindow(window, cv2.WINDOW_NORMAL)
            x, y, w, h = cv2.selectROI(window, cv2.cvtColor(first, cv2.COLOR_RGB2BGR), fromCenter=False)
            if w <= 0 or h <= 0:
                raise RuntimeError(f"{title}: no box selected")
            optional_box = [x, y, w, h]
        init_info = {"init_bbox": as_box(optional_box, f"{title} initial box")}

        def on_frame(index: int, image: np.ndarray, box: list[float]) -> bool:
            if not show:
                return True
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            x0, y0, w0, h0 = (int(round(v)) for v in box)
            cv2.rectangle(bgr, (x0, y0), (x0 + w0, y0 + h0), (0, 255, 0), 2)
            cv2.imshow(window, bgr)
            return (cv2.waitKey(1) & 0xFF) != ord("q")

        def all_frames():
            yield first
            yield from frame_iter

        tracker, visdom, _ = self.build(debug, visdom_info)
        try:
            return self._track(tracker, all_frames(), init_info, visdom, None, where=title, on_frame=on_frame)
        finally:
            if show:
                cv2.destroyAllWindows()


def trackerlist(name: str, parameter_name: str, run_ids: int | list[int] | range | None = None,
                display_name: str | None = None) -> list[Tracker]:
    """Trackers for several run ids of one parameter set (``None``: one tracker without run id)."""
    if run_ids is None or isinstance(run_ids, int):
        return [Tracker(name, parameter_name, run_ids, display_name)]
    return [Tracker(name, parameter_name, r, display_name) for r in run_ids]


def fps(times: list[float]) -> float:
    """Frames per second over a run (all frames, initialisation included)."""
    total = float(sum(times))
    return len(times) / total if total > 0 else math.inf

