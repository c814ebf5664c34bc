"""ATOM online tracker (``pytracking.tracker.atom``)."""

from __future__ import annotations


def get_tracker_class() -> type:
    """The tracker class, imported on demand so that importing the package stays light."""
    from pytracking.tracker.atom.atom import ATOM

    return ATOM
