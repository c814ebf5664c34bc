"""Track an object in a video file.

    python pytracking/run_video.py atom default path/to/video.mp4 --optional-box 120 80 40 60
    python pytracking/run_video.py atom default path/to/video.mp4            # draw the box with the mouse
    python pytracking/run_video.py atom mobilenetv2 video.mp4 --optional-box 120 80 40 60 --save-video out.mp4

A window shows the tracking when a display exists (press ``q`` to stop): OpenCV's with its GUI build, else a
matplotlib window (:mod:`pytracking.utils.video_window`); without a display the box must be given and the per-frame
boxes are printed (and saved with ``--save-results``). ``--save-video OUT.mp4`` writes
the video with the tracked box drawn in red and frame numbers, and the boxes beside it (``OUT.txt``); existing files
are never overwritten.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence as SequenceABC
from pathlib import Path

if not __package__:  # started as a script: a Python without the project's packages gets one line saying which to use
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ltr.admin.env_check import require_project_env

    require_project_env(__file__)

from ltr.admin.cli import cli_main
from ltr.admin.cli_flags import add_flag_aliases
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
    parser.add_argument("--optional-box", type=float, nargs=4, default=None,
                        metavar=("X", "Y", "W", "H"), help="initial box; drawn with the mouse when omitted")
    parser.add_argument("--debug", type=int, default=0)
    parser.add_argument("--save-results", action="store_true",
                        help="write <results_dir>/video_<name>.txt and _time.txt")
    parser.add_argument("--save-video", "--save_video", type=Path, default=None, metavar="OUT.mp4",
                        help="write the annotated video here and the boxes to OUT.txt")
    add_visdom_arguments(parser)
    args = add_flag_aliases(parser).parse_args(argv)
    try:
        check_tracker(args.tracker_name, args.tracker_param)
    except UnknownTrackerError as exc:
        print(f"run_video: {exc}", file=sys.stderr)
        return 2
    if args.save_video is not None:
        problem = _check_video_output(args.save_video)
        if problem:
            print(f"run_video: {problem}", file=sys.stderr)
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
    if args.save_video is not None:
        try:
            video, boxes = save_annotated_video(args.videofile, output["target_bbox"], args.save_video)
        except (OSError, ValueError) as exc:
            print(f"run_video: {exc}", file=sys.stderr)
            return 2
        print(f"annotated video: {video}\nboxes: {boxes}")
    print(f"{len(output['time'])} frames, FPS: {fps(output['time']):.1f}")
    return 0


def _check_video_output(path: Path) -> str | None:
    """Why ``--save-video path`` cannot be used (None when it can)."""
    if path.suffix.lower() != ".mp4":
        return f"--save-video {path}: the file name must end in .mp4"
    for p in (path, path.with_suffix(".txt")):
        if p.exists():
            return f"--save-video {path}: {p} already exists (choose another name or remove it)"
    return None


def save_annotated_video(videofile: str | Path, boxes, out: Path) -> tuple[Path, Path]:
    """Decode ``videofile`` again and write it with ``boxes`` drawn to ``out`` (MP4) and the boxes to ``out.txt``."""
    import cv2

    from ltr.admin.atomic_io import atomic_write_text
    from pytracking.utils.annotated_video import AnnotatedVideoWriter

    cap = cv2.VideoCapture(str(videofile))
    if not cap.isOpened():
        raise OSError(f"OpenCV cannot open video {videofile}")
    try:
        with AnnotatedVideoWriter(out, fps=cap.get(cv2.CAP_PROP_FPS)) as writer:
            for index, box in enumerate(boxes):
                ok, bgr = cap.read()
                if not ok:
                    raise OSError(f"{videofile}: frame {index + 1} could not be read a second time")
                writer.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), box, None, index + 1)
    finally:
        cap.release()
    box_file = atomic_write_text(out.with_suffix(".txt"),
                                 "".join("\t".join(f"{v:.2f}" for v in box) + "\n" for box in boxes))
    return out, box_file


if __name__ == "__main__":
    sys.exit(main())
