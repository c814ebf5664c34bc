"""Track an object live from a webcam: draw the box with the mouse, press ``q`` to stop.

    python pytracking/run_webcam.py atom default [--camera 0]

Needs a display (an OpenCV build with a GUI backend, i.e. ``opencv-python`` rather than the headless wheel) unless
``--optional_box`` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence as SequenceABC

from ltr.admin.cli import cli_main
from pytracking.evaluation.environment import tracking_settings_check
from pytracking.evaluation.registry import UnknownTrackerError, check_tracker
from pytracking.evaluation.tracker import Tracker, fps
from pytracking.run_tracker import add_visdom_arguments, visdom_info_from

__all__ = ["main"]


@cli_main("run_webcam", check=tracking_settings_check)
def main(argv: SequenceABC[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_webcam.py", description="Run a tracker on a webcam stream.")
    parser.add_argument("tracker_name")
    parser.add_argument("tracker_param")
    parser.add_argument("--camera", type=int, default=0, help="OpenCV camera index")
    parser.add_argument("--optional_box", "--optional-box", type=float, nargs=4, default=None,
                        metavar=("X", "Y", "W", "H"))
    parser.add_argument("--max_frames", "--max-frames", type=int, default=None)
    parser.add_argument("--debug", type=int, default=0)
    add_visdom_arguments(parser)
    args = parser.parse_args(argv)
    try:
        check_tracker(args.tracker_name, args.tracker_param)
    except UnknownTrackerError as exc:
        print(f"run_webcam: {exc}", file=sys.stderr)
        return 2
    tracker = Tracker(args.tracker_name, args.tracker_param)
    try:
        output = tracker.run_webcam(args.camera, args.optional_box, debug=args.debug,
                                    visdom_info=visdom_info_from(args), max_frames=args.max_frames)
    except (OSError, RuntimeError) as exc:
        print(f"run_webcam: {exc}", file=sys.stderr)
        return 2
    print(f"{len(output['time'])} frames, FPS: {fps(output['time']):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
