"""Generic path-settings loader shared by ``ltr`` (training) and ``pytracking`` (tracking/evaluation).

Each package describes its settings with a :class:`SettingsSchema` (names, defaults, expected dataset layouts) and
gets a settings object whose value for each name comes from, in order of precedence:

1. an environment variable ``<PREFIX><NAME>`` (e.g. ``LTR_LASOT_DIR``, ``PYTRACKING_OTB_PATH``), so tests, CI and
   scripts need no file;
2. the package's optional local settings file (``ltr/admin/local.py`` or ``pytracking/evaluation/local.py``, or the
   file named by ``<PREFIX>SETTINGS_FILE``), in the shape users of the original framework already have;
3. the built-in default (workspace folders under ``<repo>/workspace``; ``None`` for datasets).

A missing local file is normal. A broken one raises :class:`SettingsFileError` naming the file and line; it is never
rewritten or regenerated. Files are only created by the explicit ``create_local`` commands (see
:func:`create_local_main`), which refuse to overwrite and keep a backup when forced.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from ltr.admin.atomic_io import atomic_write_text
from ltr.admin.cli import cli_main
from ltr.admin.settings_errors import MissingSettingError, SettingsError, SettingsFileError

__all__ = [
    "SettingSpec",
    "workspace_setting",
    "SettingsSchema",
    "SettingsBase",
    "load_settings",
    "load_local_module",
    "render_local_template",
    "write_local_file",
    "create_local_main",
    "create_local_command",
]

_SCHEMAS: dict[str, SettingsSchema] = {}  # package -> schema, so settings objects can be pickled by name

#: Default-value factory: receives the values resolved so far (in schema order), returns a path or None.
DefaultFn = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class SettingSpec:
    """One named setting.

    ``kind`` is ``'dataset'`` (an input folder that must exist when required), ``'input'`` (a folder read from that
    may legitimately be empty or created later, e.g. network weights) or ``'output'`` (created on demand).
    ``data_subdir`` / ``workspace_subdir`` tell ``create_local`` how to fill the value from ``--data-root`` /
    ``--workspace``.
    """

    name: str
    description: str
    layout: str
    kind: str = "dataset"
    default: DefaultFn | None = None
    data_subdir: str | None = None
    workspace_subdir: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("dataset", "input", "output"):
            raise ValueError(f"SettingSpec {self.name!r}: kind must be dataset|input|output, not {self.kind!r}")


def workspace_setting(
    name: str,
    description: str,
    layout: str,
    subdir: str,
    *,
    kind: str = "output",
    base: str | os.PathLike | None = None,
) -> SettingSpec:
    """A folder inside the workspace, so its built-in default and what ``create_local --workspace`` writes agree.

    The default is ``<base>/<subdir>`` when ``base`` is given (``subdir=''``: ``base`` itself), otherwise
    ``<workspace_dir>/<subdir>`` taken from the already-resolved ``workspace_dir`` setting (``None`` if that is unset).
    """

    def default(values: Mapping[str, Any]) -> str | None:
        root = os.fspath(base) if base is not None else values.get("workspace_dir")
        if not root:
            return None
        return os.path.join(str(root), subdir) if subdir else str(root)

    return SettingSpec(name, description, layout, kind=kind, default=default, workspace_subdir=subdir)


@dataclass(frozen=True)
class SettingsSchema:
    """Everything a package's loader needs to know about its settings."""

    package: str  # 'ltr' or 'pytracking'
    env_prefix: str  # 'LTR_' or 'PYTRACKING_'
    local_file: Path  # default location of the local settings file
    create_command: str  # e.g. 'python -m ltr.admin.create_local'
    specs: tuple[SettingSpec, ...]
    legacy_function: str | None = None  # a function in local.py returning a settings object (original pytracking)
    class_name: str = "EnvironmentSettings"
    spec_by_name: dict[str, SettingSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec_by_name", {s.name: s for s in self.specs})
        _SCHEMAS[self.package] = self

    def env_var(self, name: str) -> str:
        """Environment variable that overrides setting ``name``."""
        return f"{self.env_prefix}{name.upper()}"

    @property
    def settings_file_env(self) -> str:
        """Environment variable that points the loader at another local settings file."""
        return f"{self.env_prefix}SETTINGS_FILE"

    def how_to_set(self, name: str, local_file: Path | None = None) -> str:
        """Human instructions for setting ``name``, used in error messages."""
        local_file = local_file or self.local_file
        return (
            f"export {self.env_var(name)}=/path/to/it   "
            f"(or set self.{name} in {local_file}; create that file with "
            f"`{self.create_command} --workspace DIR --data-root DIR`)"
        )


def _normalise(value: Any) -> Any:
    """Map the original framework's '' (= unset) to None and path-likes to expanded strings."""
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        if value.strip() == "":
            return None
        return os.path.expanduser(value)
    return value


class SettingsBase:
    """Resolved settings: one attribute per setting (``None`` when unset), plus helpers.

    Read a path you cannot do without through :meth:`require`, which explains what to do when it is missing instead
    of letting a reader fail on ``None`` deep inside. Unknown attributes found in the local file are kept as-is so
    that users' own additions survive the migration.
    """

    def __init__(
        self, schema: SettingsSchema, values: Mapping[str, Any], sources: Mapping[str, str], local_file: Path
    ) -> None:
        self._schema = schema
        self._sources = dict(sources)
        self._local_file = local_file
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def local_file(self) -> Path:
        """The local settings file that was looked for (it may not exist)."""
        return self._local_file

    def source(self, name: str) -> str:
        """Where the value of ``name`` came from: ``'env'``, ``'file'``, ``'default'`` or ``'unset'``."""
        self._spec(name)
        return self._sources.get(name, "unset")

    def as_dict(self) -> dict[str, Any]:
        """All known settings (schema order) and extra file attributes, as a plain dict."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def describe(self) -> str:
        """A table of every known setting, its value and its source (for ``--show`` and debugging)."""
        lines = []
        for spec in self._schema.specs:
            value = getattr(self, spec.name)
            lines.append(f"{spec.name:<28} {self.source(spec.name):<8} {value if value is not None else '-'}")
        return "\n".join(lines)

    def _spec(self, name: str) -> SettingSpec:
        try:
            return self._schema.spec_by_name[name]
        except KeyError:
            known = ", ".join(self._schema.spec_by_name)
            raise SettingsError(f"Unknown {self._schema.package} setting '{name}'. Known settings: {known}") from None

    def require(self, name: str) -> str:
        """Return the path stored under ``name``; raise :class:`MissingSettingError` if it is unusable.

        Unusable means unset, or (for dataset folders) set to a path that is not an existing directory. The error
        names the setting, its environment variable, the expected on-disk layout and how to set it.
        """
        spec = self._spec(name)
        value = getattr(self, name)
        env_var = self._schema.env_var(name)
        command = self._schema.how_to_set(name, self._local_file)
        if value is None:
            raise MissingSettingError(name, env_var, spec.layout, command, "is not set", spec.description)
        value = str(value)
        if spec.kind == "dataset" and not os.path.isdir(value):
            origin = {"env": f"by {env_var}", "file": f"in {self._local_file}"}.get(self.source(name), "")
            detail = f"is set {origin} to '{value}', which is not an existing directory".replace("  ", " ")
            raise MissingSettingError(name, env_var, spec.layout, command, detail, spec.description)
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.as_dict()!r})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The schema holds default factories (closures) that cannot be pickled; refer to it by package name instead,
        # so settings can travel to spawned data-loader workers and DDP processes.
        return _rebuild_settings, (type(self), self._schema.package, self.as_dict(), self._sources, self._local_file)


def _rebuild_settings(
    cls: type[SettingsBase], package: str, values: dict[str, Any], sources: dict[str, str], local_file: Path
) -> SettingsBase:
    """Unpickling helper for :class:`SettingsBase` (importing ``cls`` has registered the package's schema)."""
    return cls(_SCHEMAS[package], values, sources, local_file)


def _error_line(exc: BaseException, path: Path) -> int | None:
    """Line in ``path`` where ``exc`` arose: SyntaxError's own line, else the deepest traceback frame in that file."""
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename).resolve() == path.resolve():
        return exc.lineno
    lineno = None
    resolved = str(path.resolve())
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            if str(Path(frame.filename).resolve()) == resolved:
                lineno = frame.lineno
        except OSError:
            continue
    return lineno


def load_local_module(path: Path) -> ModuleType | None:
    """Import the local settings file at ``path`` as an anonymous module; ``None`` if the file does not exist.

    Any failure while compiling or executing it becomes a :class:`SettingsFileError` with the file and line.
    """
    path = Path(path)
    if not path.exists():
        return None
    if not path.is_file():
        raise SettingsFileError(path, None, "the path exists but is not a regular file")
    module_name = f"_local_settings_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise SettingsFileError(path, None, "Python cannot import a module from this path")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise SettingsFileError(path, _error_line(exc, path), f"syntax error: {exc.msg}") from exc
    except Exception as exc:  # any failure inside the user's file is reported with its location
        raise SettingsFileError(path, _error_line(exc, path), f"{type(exc).__name__}: {exc}") from exc
    return module


def _values_from_module(module: ModuleType, schema: SettingsSchema, path: Path) -> dict[str, Any]:
    """Extract settings from a loaded local file in any of the accepted shapes.

    Accepted: a class ``EnvironmentSettings`` (instantiated without arguments; the ltr original), a function named
    ``schema.legacy_function`` returning an object (the pytracking original), or plain module-level assignments.
    """
    obj: Any
    factory = getattr(module, schema.class_name, None)
    if factory is None and schema.legacy_function:
        factory = getattr(module, schema.legacy_function, None)
    if factory is not None:
        try:
            obj = factory()
        except Exception as exc:  # the user's constructor failed: report where
            raise SettingsFileError(path, _error_line(exc, path), f"{type(exc).__name__}: {exc}") from exc
        names = set(vars(obj)) if hasattr(obj, "__dict__") else set()
        names |= {n for n in dir(type(obj)) if not n.startswith("_") and not callable(getattr(type(obj), n, None))}
    else:
        obj = module
        names = {n for n in vars(module) if not n.startswith("_")}
    values: dict[str, Any] = {}
    for name in sorted(names):
        if name.startswith("_"):
            continue
        value = getattr(obj, name)
        if callable(value) or isinstance(value, ModuleType):
            continue  # helper functions, classes and imports in the file are not settings
        values[name] = _normalise(value)
    return values


S = TypeVar("S", bound=SettingsBase)


def load_settings(
    schema: SettingsSchema,
    cls: type[S],
    environ: Mapping[str, str] | None = None,
    local_file: str | Path | None = None,
) -> S:
    """Resolve every setting of ``schema`` (env var > local file > default) into an instance of ``cls``.

    ``environ`` defaults to ``os.environ``; ``local_file`` defaults to ``<PREFIX>SETTINGS_FILE`` if set, else the
    schema's file. Nothing is ever written.
    """
    environ = os.environ if environ is None else environ
    if local_file is None:
        named = environ.get(schema.settings_file_env)
        if named:
            named_path = Path(named).expanduser()
            if not named_path.is_file():
                what = "is a folder, not a file" if named_path.is_dir() else "does not exist"
                raise SettingsError(
                    f"{schema.settings_file_env}={named}: that settings file {what}. Point "
                    f"{schema.settings_file_env} at an existing settings file (make one with `{schema.create_command} "
                    f"--workspace DIR --output FILE`) or unset it to use {schema.local_file}")
        local_file = named or schema.local_file
    path = Path(local_file).expanduser()
    module = load_local_module(path)
    file_values = _values_from_module(module, schema, path) if module is not None else {}

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for spec in schema.specs:
        env_value = _normalise(environ.get(schema.env_var(spec.name)))
        file_value = file_values.get(spec.name)
        if env_value is not None:
            values[spec.name], sources[spec.name] = env_value, "env"
        elif file_value is not None:
            values[spec.name], sources[spec.name] = file_value, "file"
        else:
            default = _normalise(spec.default(values)) if spec.default is not None else None
            values[spec.name] = default
            sources[spec.name] = "default" if default is not None else "unset"
    for name, value in file_values.items():
        if name not in schema.spec_by_name:
            values[name] = value  # keep users' own extra attributes
    return cls(schema, values, sources, path)


def render_local_template(schema: SettingsSchema, workspace: str | Path, data_root: str | Path | None) -> str:
    """Text of a new local settings file with paths filled from ``workspace`` and ``data_root``."""
    workspace = Path(workspace).expanduser().resolve()
    root = Path(data_root).expanduser().resolve() if data_root is not None else None
    lines = [
        f'"""Local path settings for `{schema.package}`, written by `{schema.create_command}` on '
        f'{time.strftime("%Y-%m-%d %H:%M:%S")}.',
        "",
        "Edit freely: this file is never rewritten automatically. Each value can be overridden by the environment",
        f"variable {schema.env_prefix}<NAME IN CAPITALS> (e.g. {schema.env_var(schema.specs[0].name)}),",
        "which wins over this file. Set a dataset path to None when you do not have that dataset.",
        '"""',
        "",
        "",
        f"class {schema.class_name}:",
        "    def __init__(self) -> None:",
    ]
    for spec in schema.specs:
        value: str | None = None
        note = ""
        if spec.workspace_subdir is not None:
            value = str(workspace / spec.workspace_subdir) if spec.workspace_subdir else str(workspace)
        elif spec.data_subdir is not None and root is not None:
            candidate = root / spec.data_subdir
            value = str(candidate)
            if not candidate.is_dir():
                note = "  (not found when this file was written)"
        lines.append(f"        # {spec.description}. Layout: {spec.layout}{note}")
        lines.append(f"        self.{spec.name} = {value!r}")
    return "\n".join(lines) + "\n"


def write_local_file(
    schema: SettingsSchema,
    workspace: str | Path,
    data_root: str | Path | None,
    output: str | Path | None = None,
    force: bool = False,
) -> tuple[Path, Path | None]:
    """Write a new local settings file; returns ``(path, backup_path_or_None)``.

    Refuses (``SettingsError``) if the file exists unless ``force``; with ``force`` the old file is first copied to
    ``<name>.bak-<timestamp>`` so nothing a user wrote is ever lost.
    """
    path = Path(output).expanduser() if output is not None else schema.local_file
    text = render_local_template(schema, workspace, data_root)
    backup: Path | None = None
    if path.exists():
        if not force:
            raise SettingsError(
                f"{path} already exists; not overwriting it. Edit it by hand, or rerun with --force "
                "(the current file is then kept as a backup)."
            )
        backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}")
        n = 1
        while backup.exists():
            backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
            n += 1
        shutil.copy2(path, backup)
    atomic_write_text(path, text)
    return path, backup


def create_local_main(schema: SettingsSchema, argv: Sequence[str] | None = None) -> int:
    """Command-line entry point shared by ``ltr.admin.create_local`` and ``pytracking.create_local``."""
    parser = argparse.ArgumentParser(
        prog=schema.create_command,
        description=f"Write {schema.local_file} (the {schema.package} local path settings) from a template. "
        f"Environment variables {schema.env_prefix}<NAME> override any value in it.",
    )
    parser.add_argument("--workspace", required=True, help="folder for checkpoints, logs, results, networks")
    parser.add_argument("--data-root", default=None, help="folder holding the datasets (one sub-folder each)")
    parser.add_argument("--output", default=None, help=f"write here instead of {schema.local_file}")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file (a backup is kept)")
    args = parser.parse_args(argv)
    path, backup = write_local_file(schema, args.workspace, args.data_root, args.output, args.force)
    if backup is not None:
        print(f"Previous file kept as {backup}")
    print(f"Wrote {path}")
    return 0


def create_local_command(schema: SettingsSchema) -> Callable[[Sequence[str] | None], int]:
    """The ``main(argv=None) -> exit code`` of a package's ``create_local`` module, bound to ``schema``, so that
    ``ltr.admin.create_local`` and ``pytracking.create_local`` differ only in which schema they name."""

    @cli_main(schema.create_command.split()[-1] if schema.create_command else "create_local")
    def main(argv: Sequence[str] | None = None) -> int:
        return create_local_main(schema, argv)

    main.__doc__ = f"Parse ``argv`` and write {schema.local_file}; returns the process exit code."
    return main
