"""The one base class of errors a user can fix (settings, arguments, data, devices, checkpoints, output folders).

Why a shared base: every command-line entry point of both packages turns these into one message and exit code 2
(:mod:`ltr.admin.cli`), while anything else is a bug and keeps its traceback. The specific errors of each module
(``SettingsError``, ``CheckpointError``, ``MissingSequencesError``, ...) derive from :class:`UserError` as well as from
the built-in class they always had, so existing ``except FileNotFoundError`` / ``except ValueError`` code still works.
This module has no dependencies so anything can import it.
"""

from __future__ import annotations

__all__ = ["UserError", "DeviceError", "OutputLocationError", "error_text"]


class UserError(Exception):
    """An error caused by input the user controls; its message names the file, setting or argument to fix."""


class DeviceError(UserError, RuntimeError):
    """A requested compute device does not exist on this machine (e.g. ``--device cuda:7``)."""


class OutputLocationError(UserError, OSError):
    """A folder the program must write to cannot be created or written (e.g. the path is an existing file)."""


def error_text(exc: BaseException) -> str:
    """The message of ``exc`` as a user should read it (KeyError's ``str`` adds quotes; an empty message names the
    exception class instead)."""
    if isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(exc.args[0], str):
        text = exc.args[0]
    else:
        text = str(exc)
    return text.strip() or type(exc).__name__
