"""Claim a sequence before tracking it, so that concurrent runs on one results folder split the work.

Why: two ``run_tracker.py`` processes (or hosts) pointed at the same results folder used to track every sequence
twice and write the same files twice. A run now takes an exclusive lock file ``<results_dir>/.<sequence>.lock`` before
tracking; a sequence whose lock is held is left to the other run ("claimed by another run"), and after taking the
lock the run checks again whether the result appeared meanwhile.

Stale locks: the lock is an ``flock`` on the file, which the kernel releases when the holder dies (kill -9, crash,
power loss on a local disk), so a lock file left behind by a crashed run is simply taken over (and reported). Where
``flock`` is unavailable (no ``fcntl``, or a file system that refuses it) the file is created exclusively and holds
``<host> <pid>``; it counts as stale when the host is this one and that process no longer exists.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from pathlib import Path

from ltr.admin.atomic_io import pid_alive

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["SequenceClaim", "claim_sequence", "lock_file"]


def lock_file(results_dir: Path, sequence: str) -> Path:
    return Path(results_dir) / f".{sequence}.lock"


def _owner_text() -> str:
    return f"{socket.gethostname()} {os.getpid()} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n"


def _read_owner(path: Path) -> tuple[str, int] | None:
    try:
        host, pid, *_ = path.read_text().split()
        return host, int(pid)
    except (OSError, ValueError):
        return None


class SequenceClaim:
    """A held claim; :meth:`release` removes the lock file. ``stale_owner`` names a crashed previous holder."""

    def __init__(self, path: Path, fd: int | None, stale_owner: str | None = None) -> None:
        self.path = path
        self.fd = fd
        self.stale_owner = stale_owner

    def release(self) -> None:
        try:
            self.path.unlink(missing_ok=True)  # while still holding the lock: nobody can take a half-removed claim
        finally:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None

    def __enter__(self) -> SequenceClaim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _claim_flock(path: Path) -> SequenceClaim | str | None:
    """Returns a claim, the holder's description (held), or None when flock is not supported here."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            owner = _read_owner(path)
            return f"pid {owner[1]} on {owner[0]}" if owner else "another run"
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return None
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the previous holder removed the file between our open and lock: start over
            os.close(fd)
            continue
        previous = _read_owner(path)
        os.ftruncate(fd, 0)
        os.write(fd, _owner_text().encode())
        stale = f"pid {previous[1]} on {previous[0]}" if previous else None
        return SequenceClaim(path, fd, stale)


def _claim_exclusive(path: Path) -> SequenceClaim | str:
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            owner = _read_owner(path)
            if owner and owner[0] == socket.gethostname() and not pid_alive(owner[1]):
                path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            return f"pid {owner[1]} on {owner[0]}" if owner else "another run"
        os.write(fd, _owner_text().encode())
        os.close(fd)
        return SequenceClaim(path, None)
    return "another run"


def claim_sequence(results_dir: Path, sequence: str) -> SequenceClaim | str:
    """Claim ``sequence`` in ``results_dir``: a :class:`SequenceClaim` to release after saving, or a string naming
    the run that holds it."""
    path = lock_file(results_dir, sequence)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is not None:
        result = _claim_flock(path)
        if result is not None:
            return result
    return _claim_exclusive(path)
