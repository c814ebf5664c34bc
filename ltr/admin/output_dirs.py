"""Check, before any work starts, that the folders a run writes to can be created and written.

Why: a results or workspace path that points at an existing file (or a read-only place) otherwise surfaces only when
the first result or checkpoint is written, after minutes of tracking or a whole training epoch, and a fail-safe retry
cannot fix it. :func:`ensure_output_dir` creates the folder (parents included) and writes and removes a probe file,
raising :class:`~ltr.admin.errors.OutputLocationError` that names the setting and the path otherwise.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ltr.admin.errors import OutputLocationError

__all__ = ["ensure_output_dir"]


def _first_existing_non_dir(path: Path) -> Path | None:
    """The path itself or the nearest ancestor that exists but is not a folder (the usual cause of failure)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def ensure_output_dir(path: str | os.PathLike, setting: str, create: bool = True) -> Path:
    """Create ``path`` if needed and prove it writable; ``setting`` names what the user changes (e.g.
    ``"results_path (PYTRACKING_RESULTS_PATH)"``). Returns the path.

    ``create=False`` checks without creating anything: no file blocks the path and the nearest existing folder on it
    is writable (for checks that must leave no trace when a later check fails).
    """
    target = Path(path).expanduser()
    blocker = _first_existing_non_dir(target)
    if blocker is not None:
        where = "is" if blocker == target else f"is below {blocker}, which is"
        raise OutputLocationError(f"{setting}: {target} {where} an existing file, not a folder; point the setting at "
                                  f"a folder (it is created if missing)")
    if not create:
        existing = next(p for p in (target, *target.parents) if p.exists())
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputLocationError(f"{setting}: cannot create or write the folder {target} ({existing} is not "
                                      f"writable); choose a writable folder")
        return target
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=target)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputLocationError(f"{setting}: cannot create or write the folder {target} "
                                  f"({exc.strerror or exc}); choose a writable folder") from None
    return target
