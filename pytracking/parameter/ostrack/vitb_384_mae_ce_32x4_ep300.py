"""OSTrack ViT-B, 192 px template / 384 px search, candidate elimination: the released 384 model."""

from __future__ import annotations

from pytracking.tracker.ostrack.params import OSTrackParams

__all__ = ["parameters"]


def parameters() -> OSTrackParams:
    """The published test setting (template 2x at 192 px, search 5x at 384 px).

    The released 384 file is also called ``OSTrack_ep0300.pth.tar``; keep it in its own folder under the
    ``network_path`` setting (``vitb_384_mae_ce_32x4_ep300/OSTrack_ep0300.pth.tar``) so it does not replace the 256 one.
    """
    return OSTrackParams(net_path="vitb_384_mae_ce_32x4_ep300/OSTrack_ep0300.pth.tar",
                         constructor="ostrack_vitb_384_ce", template_factor=2.0, template_size=192,
                         search_factor=5.0, search_size=384)
