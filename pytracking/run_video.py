"""Track an object in a video file.

    python pytracking/run_video.py atom default path/to/video.mp4 --optional_box 120 80 40 60
    python pytracking/run_video.py atom default path/to/video.mp4            # draw the box with the mouse

An OpenCV window shows the tracking when a display exists (press ``q`` to stop); without a display the box must be
given and the per-frame boxes are printed (and saved with ``--save_results``).
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


@cli_main("run_video", check=tracking_settings_check)
def main(argv: SequenceABC[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_video.py", description="Run a tracker on a video file.")
    parser.add_argument("tracker_name")
    parser.add_argument("tracker_param")
    parser.add_argument("videofile", help="path to a video file OpenCV can read")
    parser.add_argument("--optional_box", "--optional-box", type=float, nargs=4, default=None,
                        metavar=("X", "Y", "W", "H"), help="initial box; drawn with the mouse when omitted")
    parser.add_argument("--debug", type=int, default=0)
    parser.add_argument("--save_results", "--save-results", action="store_true",
                        help="write <results_dir>/video_<name>.txt and _time.txt")
    add_visdom_arguments(parser)
    args = parser.parse_args(argv)
    try:
        check_tracker(args.tracker_name, args.tracker_param)
    except UnknownTrackerError as exc:
        print(f"run_video: {exc}", file=sys.stderr)
        return 2
    tracker = Tracker(args.tracker_name, args.tracker_param)
    try:
        output = tracker.run_video(args.videofile, args.optional_box, debug=args.debug,
                                   visdom_info=visdom_info_from(args), save_results=args.save_results)
    except (FileNotFoundError, OSError, RuntimeError) as exc:
        print(f"run_video: {exc}", file=sys.stderr)
        return 2
    for index, box in enumerate(output["target_bbox"]):
        print(index, "\t".join(f"{v:.2f}" for v in box))
    print(f"{len(output['time'])} frames, FPS: {fps(output['time']):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
