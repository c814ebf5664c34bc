"""One way for every command-line entry point to report the errors a user can fix.

Why: a Python traceback wrapped around a good message hides the message, and each CLI catching its own list of
exceptions drifted apart. :func:`cli_main` wraps a ``main(argv) -> int``: expected errors (see :data:`EXPECTED_ERRORS`)
become ``<prog>: error: <message>`` on stderr and exit code 2; Ctrl-C becomes exit code 130; anything else is a bug
and propagates with its traceback. ``--traceback`` anywhere on the command line (it is removed before the CLI parses
its arguments) or ``PYTRACKING_DEBUG=1`` / ``LTR_DEBUG=1`` in the environment also prints the traceback of expected
errors.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from ltr.admin.errors import UserError, error_text

__all__ = ["EXPECTED_ERRORS", "TRACEBACK_FLAG", "DEBUG_ENV_VARS", "cli_main", "debug_enabled", "report_error"]

TRACEBACK_FLAG = "--traceback"
DEBUG_ENV_VARS = ("PYTRACKING_DEBUG", "LTR_DEBUG")

#: Errors a command reports as one message (exit 2). ``ValueError`` is included because argument and file-format
#: validation across the code base raises it with a message naming the bad input; file-system errors name their path.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    UserError,
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    FileExistsError,
    PermissionError,
    ValueError,
)


def debug_enabled(environ: Any = None) -> bool:
    """Whether ``PYTRACKING_DEBUG`` / ``LTR_DEBUG`` asks for tracebacks (any value but '', 0, false, no, off)."""
    environ = os.environ if environ is None else environ
    return any(str(environ.get(v, "")).strip().lower() not in ("", "0", "false", "no", "off") for v in DEBUG_ENV_VARS)


def report_error(prog: str, exc: BaseException, show_traceback: bool = False) -> int:
    """Print ``exc`` as ``<prog>: error: <message>`` (after its traceback when asked); returns exit code 2."""
    if show_traceback:
        traceback.print_exception(exc)
    print(f"{prog}: error: {error_text(exc)}", file=sys.stderr, flush=True)
    return 2


def cli_main(prog: str, check: Callable[[], Any] | None = None) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Decorator for ``main(argv=None, ...) -> int`` (see module docstring).

    ``check`` runs first (not for ``--help``), e.g. loading the settings, so that a broken settings file is reported
    once, before anything else happens.
    """

    def decorate(main: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(main)
        def wrapper(argv: Sequence[str] | None = None, *args: Any, **kwargs: Any) -> int:
            arguments = list(sys.argv[1:] if argv is None else argv)
            show = TRACEBACK_FLAG in arguments or debug_enabled()
            arguments = [a for a in arguments if a != TRACEBACK_FLAG]
            try:
                if check is not None and not {"-h", "--help"} & set(arguments):
                    check()
                return main(arguments, *args, **kwargs)
            except KeyboardInterrupt:
                print(f"{prog}: interrupted", file=sys.stderr, flush=True)
                return 130
            except EXPECTED_ERRORS as exc:
                return report_error(prog, exc, show)

        return wrapper

    return decorate
