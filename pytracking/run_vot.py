"""Let the VOT toolkit drive a tracker over the TraX protocol.

The VOT toolkit (``pip install vot-toolkit``) starts this script once per sequence and exchanges frames and boxes with
it through TraX. The tracker side uses the toolkit's Python integration helper: a module ``vot`` providing
``vot.VOT(region_format)`` with ``region()``, ``frame()`` and ``report(region, confidence)``, which in turn needs the
TraX bindings from the ``vot-trax`` package (module name ``trax``). **Not** the unrelated PyPI package ``trax``
(Google's deep-learning library), which installs a module of the same name; it is detected and refused.

Tracker description for the toolkit's ``trackers.ini``::

    [ATOM]
    label = ATOM
    protocol = traxpython
    command = from pytracking.run_vot import run_vot; run_vot('atom', 'default_vot')
    paths = <path to this repository>

or as a script: ``python pytracking/run_vot.py atom default_vot``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
from collections.abc import Sequence as SequenceABC
from types import ModuleType
from typing import Any

import numpy as np

from ltr.admin.cli import cli_main
from pytracking.evaluation.data import polygon_to_box
from pytracking.evaluation.environment import tracking_settings_check
from pytracking.evaluation.tracker import Tracker, as_box
from pytracking.tracker.base.boxes import BoxGuard

__all__ = ["run_vot", "load_vot_module", "main"]

_HELP = (
    "VOT integration needs the VOT toolkit's Python tracker helper (a module 'vot' with a VOT class, from the "
    "toolkit's integration examples) and the TraX bindings: pip install vot-toolkit vot-trax"
)


def _check_trax() -> None:
    """Refuse Google's unrelated ``trax`` package (same module name as the vot-trax bindings)."""
    providers = importlib.metadata.packages_distributions().get("trax", [])
    if providers and "vot-trax" not in {p.lower() for p in providers}:
        raise ImportError(
            f"the module 'trax' on this Python path comes from {providers}, not from 'vot-trax'. That 'trax' is an "
            f"unrelated deep-learning library; run: pip uninstall trax && pip install vot-trax"
        )


def load_vot_module() -> ModuleType:
    """Import the toolkit's ``vot`` tracker helper lazily, with an actionable error when it is missing or wrong."""
    _check_trax()
    try:
        vot = importlib.import_module("vot")
    except ModuleNotFoundError as exc:
        raise ImportError(f"{_HELP} ({exc})") from exc
    if not hasattr(vot, "VOT"):
        raise ImportError(
            f"the installed module 'vot' ({getattr(vot, '__file__', '?')}) has no VOT class: it is the toolkit "
            f"itself, not the tracker-side helper. {_HELP}"
        )
    return vot


def _region_to_box(region: Any) -> list[float]:
    """TraX rectangle (x, y, width, height) or polygon (points) -> axis-aligned ``[x, y, w, h]``."""
    if hasattr(region, "points"):
        flat = np.array([[c for p in region.points for c in (p.x, p.y)]], dtype=np.float64)
        return polygon_to_box(flat)[0].tolist()
    return as_box([region.x, region.y, region.width, region.height], "VOT initial region")


def run_vot(tracker_name: str, tracker_param: str, run_id: int | None = None, debug: int = 0,
            visdom_info: dict | None = None, vot_module: ModuleType | None = None) -> int:
    """Serve one sequence to the VOT toolkit; returns the number of frames tracked."""
    vot = vot_module or load_vot_module()
    from ltr.data.image_loader import default_image_loader

    wrapper = Tracker(tracker_name, tracker_param, run_id)
    tracker, _visdom, _ = wrapper.build(debug, visdom_info)
    handle = vot.VOT("rectangle")
    init_box = _region_to_box(handle.region())
    image_file = handle.frame()
    if not image_file:
        return 0
    guard = BoxGuard(tracker, "VOT sequence")  # the same box contract as every other run (init box, frame sizes)
    image = default_image_loader(image_file)
    guard.check_frame(0, image, str(image_file))
    tracker.initialize(image, {"init_bbox": guard.init_box(init_box)})
    frames = 1
    while True:
        image_file = handle.frame()
        if not image_file:
            break
        image = default_image_loader(image_file)
        guard.check_frame(frames, image, str(image_file))
        out = tracker.track(image, {})
        box = guard.report(frames, as_box(out["target_bbox"], f"VOT frame {frames}"))
        handle.report(vot.Rectangle(*box), float(out.get("confidence", 1.0)))
        frames += 1
    guard.finish()
    return frames


@cli_main("run_vot", check=tracking_settings_check)
def main(argv: SequenceABC[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_vot.py", description="Run a tracker under the VOT toolkit (TraX).")
    parser.add_argument("tracker_name")
    parser.add_argument("tracker_param")
    parser.add_argument("--runid", type=int, default=None)
    parser.add_argument("--debug", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        vot = load_vot_module()
    except ImportError as exc:
        print(f"run_vot: {exc}", file=sys.stderr)
        return 2
    run_vot(args.tracker_name, args.tracker_param, args.runid, args.debug, vot_module=vot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
