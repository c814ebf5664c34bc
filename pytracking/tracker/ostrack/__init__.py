"""OSTrack one-stream tracker (``pytracking.tracker.ostrack``)."""

from __future__ import annotations


def get_tracker_class() -> type:
    """The tracker class, imported on demand so that importing the package stays light."""
    from pytracking.tracker.ostrack.ostrack import OSTrack

    return OSTrack


def export_onnx(params, path=None, overwrite=False):  # noqa: ANN001, ANN201 - typed in .export
    """Export the network of parameter set ``params`` to ONNX (see :func:`pytracking.tracker.ostrack.export.export`)."""
    from pytracking.tracker.ostrack.export import export

    return export(params, path, overwrite=overwrite)
