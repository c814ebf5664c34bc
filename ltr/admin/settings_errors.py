"""Exceptions raised by the settings loaders of both packages (``ltr`` and ``pytracking``).

They live in their own dependency-free module so that any code (dataset readers, CLIs, tests) can catch them without
importing the loaders or torch.
"""

from __future__ import annotations

from pathlib import Path

from ltr.admin.errors import UserError

__all__ = ["SettingsError", "MissingSettingError", "SettingsFileError"]


class SettingsError(UserError):
    """Base class: something is wrong with the path settings (env vars / local.py)."""


class MissingSettingError(SettingsError):
    """A required setting (usually a dataset path) is unset or points to nothing.

    Attributes are kept separately so that callers (e.g. a training setup listing every missing dataset at once) can
    build their own summary instead of parsing the message.
    """

    def __init__(
        self,
        setting: str,
        env_var: str,
        layout: str,
        command: str,
        detail: str = "is not set",
        description: str = "",
    ) -> None:
        self.setting = setting
        self.env_var = env_var
        self.layout = layout
        self.command = command
        self.detail = detail
        self.description = description
        what = f" ({description})" if description else ""
        message = (
            f"Setting '{setting}'{what} {detail}.\n"
            f"  Expected on-disk layout: {layout}\n"
            f"  Set it with: {command}"
        )
        super().__init__(message)


class SettingsFileError(SettingsError):
    """A local settings file exists but cannot be used (syntax error, failing import, exception while loading).

    ``path`` and ``lineno`` (``None`` when no line applies) name the place to fix. The file is never rewritten.
    """

    def __init__(self, path: str | Path, lineno: int | None, reason: str) -> None:
        self.path = Path(path)
        self.lineno = lineno
        self.reason = reason
        where = f"{self.path}, line {lineno}" if lineno is not None else f"{self.path}"
        super().__init__(
            f"Cannot load settings file {where}: {reason}\n"
            "  Fix or remove the file; it is never rewritten automatically. "
            "Environment variables override its values."
        )
