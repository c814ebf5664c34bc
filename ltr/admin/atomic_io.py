"""Crash-safe file writes.

Week-long training runs get killed at arbitrary moments; a checkpoint or result file that is half written is worse
than none, because the next resume trusts it. Every writer here puts the data in a temporary file in the target's own
directory (so the final rename never crosses a file system), flushes and fsyncs it, and then atomically replaces the
target with ``os.replace``. Readers therefore see either the old complete file or the new complete file, never a
partial one. The temporary file is removed if anything fails before the rename.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "atomic_torch_save", "temp_prefix",
           "stale_temp_files", "remove_stale_temp_files", "pid_alive"]

PathLike = str | os.PathLike


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself (the directory entry); best effort where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the data file itself is already synced
    finally:
        os.close(fd)


# Temporary files are ``.<target name>.<writer pid>-<8 random chars>.tmp``: the pid lets a later run tell a file left by
# a killed writer (stale: removed by remove_stale_temp_files) from one a live process is writing right now. Files
# ``.<target name>.<8 random chars>.tmp`` come from versions before the pid was recorded; no live writer makes them.
_TEMP_RE = re.compile(r"^\.(?P<target>.+?)\.(?:(?P<pid>\d+)-)?(?P<rand>[a-z0-9_]{8})\.tmp$")


def temp_prefix(target_name: str) -> str:
    """``.<target_name>.<pid>-``: the prefix of this process's temporary files for ``target_name``."""
    return f".{target_name}.{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b")")[-1].split()[0] != b"Z"
    except OSError:
        return True  # no /proc: trust kill(0)


def stale_temp_files(directory: PathLike) -> list[Path]:
    """This project's temporary files in ``directory`` whose writer is gone (see the naming note above)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    stale = []
    for entry in sorted(directory.iterdir()):
        m = _TEMP_RE.match(entry.name)
        if m is None or not entry.is_file():
            continue
        pid = m.group("pid")
        if pid is None or (int(pid) != os.getpid() and not pid_alive(int(pid))):
            stale.append(entry)
    return stale


def remove_stale_temp_files(directory: PathLike, log: Callable[[str], None] | None = print) -> list[Path]:
    """Delete :func:`stale_temp_files` of ``directory`` (left by a writer killed mid-write) and say so."""
    removed = []
    for path in stale_temp_files(directory):
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue  # another run removed it first
        removed.append(path)
        if log is not None:
            log(f"Removed stale temporary file {path} ({size / 2**20:.1f} MiB) left by an interrupted write")
    return removed


def atomic_write(path: PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(fileobj)`` on a temporary binary file and atomically move it to ``path``.

    Parent directories are created. If ``write`` raises, the temporary file is deleted, the exception propagates
    and any existing file at ``path`` is left untouched. Returns the final path.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(target.name), suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates files 0600; give the result the usual permissions a plain open() would give.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return target


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Atomically write ``data`` to ``path`` (see :func:`atomic_write`)."""
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Atomically write ``text`` to ``path`` with the given encoding (see :func:`atomic_write`)."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_torch_save(obj: Any, path: PathLike) -> Path:
    """``torch.save(obj, path)`` that never leaves a truncated file behind (see :func:`atomic_write`)."""
    import torch  # local import: settings/atomic helpers must stay importable without loading torch

    return atomic_write(path, lambda fh: torch.save(obj, fh))
