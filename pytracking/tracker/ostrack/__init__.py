"""OSTrack one-stream tracker (``pytracking.tracker.ostrack``)."""

from __future__ import annotations


def get_tracker_class() -> type:
    """The tracker class, imported on demand so that importing the package stays light."""
    from pytracking.tracker.ostrack.ostrack import OSTrack

    return OSTrack
