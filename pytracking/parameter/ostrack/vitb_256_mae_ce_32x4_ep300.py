"""OSTrack ViT-B, 128 px template / 256 px search, candidate elimination: the released 256 model."""

from __future__ import annotations

from pytracking.tracker.ostrack.params import OSTrackParams

__all__ = ["parameters"]


def parameters() -> OSTrackParams:
    """The published test setting (template 2x at 128 px, search 4x at 256 px); network ``OSTrack_ep0300.pth.tar``."""
    return OSTrackParams(net_path="OSTrack_ep0300.pth.tar", constructor="ostrack_vitb_256_ce",
                         template_factor=2.0, template_size=128, search_factor=4.0, search_size=256)
