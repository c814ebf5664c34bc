"""Training settings: env var > local.py > default, clear errors, explicit creation only."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ltr.admin import create_local
from ltr.admin.environment import LTR_SCHEMA, env_settings
from ltr.admin.local_settings import load_local_module, write_local_file
from ltr.admin.settings_errors import MissingSettingError, SettingsError, SettingsFileError

REPO = Path(__file__).resolve().parents[3]


def _write(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return path


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    absent = tmp_path / "local.py"
    s = env_settings(environ={}, local_file=absent)
    assert s.workspace_dir == str(REPO / "workspace")
    assert s.tensorboard_dir == str(REPO / "workspace" / "tensorboard")
    assert s.pretrained_networks == str(REPO / "workspace" / "pretrained_networks")
    assert s.lasot_dir is None and s.coco_dir is None and s.imagenet_dir is None
    assert s.source("workspace_dir") == "default" and s.source("lasot_dir") == "unset"
    assert not absent.exists(), "loading must never create the settings file"


def test_env_var_wins_over_file_and_derived_defaults_follow(tmp_path: Path) -> None:
    local = _write(
        tmp_path / "local.py",
        """
        class EnvironmentSettings:
            def __init__(self):
                self.workspace_dir = '/file/ws'
                self.lasot_dir = '/file/lasot'
                self.got10k_dir = '/file/got10k'
        """,
    )
    s = env_settings(environ={"LTR_LASOT_DIR": "/env/lasot"}, local_file=local)
    assert s.lasot_dir == "/env/lasot" and s.source("lasot_dir") == "env"
    assert s.got10k_dir == "/file/got10k" and s.source("got10k_dir") == "file"
    # tensorboard_dir is not set anywhere: its default is derived from the resolved workspace_dir
    assert s.tensorboard_dir == "/file/ws/tensorboard"
    s2 = env_settings(environ={"LTR_WORKSPACE_DIR": "/env/ws"}, local_file=local)
    assert s2.workspace_dir == "/env/ws" and s2.pretrained_networks == "/env/ws/pretrained_networks"


def test_original_style_file_empty_strings_mean_unset_and_extras_kept(tmp_path: Path) -> None:
    local = _write(
        tmp_path / "local.py",
        """
        class EnvironmentSettings:
            def __init__(self):
                self.workspace_dir = ''
                self.tensorboard_dir = ''
                self.lasot_dir = '~/data/lasot'
                self.davis_dir = '/my/davis'   # a setting this project does not know
        """,
    )
    s = env_settings(environ={}, local_file=local)
    assert s.workspace_dir == str(REPO / "workspace")
    assert s.lasot_dir == str(Path.home() / "data" / "lasot")
    assert s.davis_dir == "/my/davis"


def test_settings_file_env_var_selects_file(tmp_path: Path) -> None:
    local = _write(tmp_path / "elsewhere.py", "class EnvironmentSettings:\n    coco_dir = '/x/coco'\n")
    s = env_settings(environ={"LTR_SETTINGS_FILE": str(local)})
    assert s.coco_dir == "/x/coco" and s.local_file == local


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("class EnvironmentSettings:\n    def __init__(self):\n        self.lasot_dir = '/a'\n  x = (\n", 4, "syntax"),
        ("import os\nimport does_not_exist_module_xyz\n", 2, "ModuleNotFoundError"),
        (
            "class EnvironmentSettings:\n    def __init__(self):\n        self.a = 1\n        self.b = 1 / 0\n",
            4,
            "ZeroDivisionError",
        ),
        ("x = 1\nraise RuntimeError('boom')\n", 2, "boom"),
    ],
)
def test_broken_file_names_file_and_line_and_is_not_touched(tmp_path: Path, body: str, line: int, reason: str) -> None:
    local = tmp_path / "local.py"
    local.write_text(body)
    with pytest.raises(SettingsFileError) as info:
        env_settings(environ={}, local_file=local)
    err = info.value
    assert err.path == local and err.lineno == line
    assert f"{local}, line {line}" in str(err)
    assert reason.lower() in str(err).lower()
    assert local.read_text() == body
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local.py"]


def test_missing_file_is_not_an_error() -> None:
    assert load_local_module(Path("/nonexistent/dir/local.py")) is None


def test_require_missing_setting_message(tmp_path: Path) -> None:
    s = env_settings(environ={}, local_file=tmp_path / "none.py")
    with pytest.raises(MissingSettingError) as info:
        s.require("lasot_dir")
    err, msg = info.value, str(info.value)
    assert (err.setting, err.env_var) == ("lasot_dir", "LTR_LASOT_DIR")
    for fragment in (
        "'lasot_dir'",
        "is not set",
        "LTR_LASOT_DIR",
        "<lasot_dir>/<class>/<class>-<id>/img/%08d.jpg",
        "groundtruth.txt",
        "python -m ltr.admin.create_local --workspace DIR --data-root DIR",
        str(tmp_path / "none.py"),
    ):
        assert fragment in msg


def test_require_nonexistent_dataset_dir_and_existing_one(tmp_path: Path) -> None:
    environ = {"LTR_GOT10K_DIR": str(tmp_path / "nope"), "LTR_COCO_DIR": str(tmp_path)}
    s = env_settings(environ=environ, local_file=tmp_path / "x.py")
    with pytest.raises(MissingSettingError, match="not an existing directory") as info:
        s.require("got10k_dir")
    assert "LTR_GOT10K_DIR" in str(info.value) and str(tmp_path / "nope") in str(info.value)
    assert s.require("coco_dir") == str(tmp_path)
    # output folders need not exist yet
    assert s.require("tensorboard_dir") == str(REPO / "workspace" / "tensorboard")


def test_require_unknown_setting(tmp_path: Path) -> None:
    s = env_settings(environ={}, local_file=tmp_path / "x.py")
    with pytest.raises(SettingsError, match="Unknown ltr setting 'lasot_path'"):
        s.require("lasot_path")


def test_create_local_writes_loadable_file_refuses_overwrite_and_backs_up(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cfg" / "local.py"
    data = tmp_path / "data"
    (data / "lasot").mkdir(parents=True)
    assert create_local.main(["--workspace", str(tmp_path / "ws"), "--data-root", str(data), "--output", str(out)]) == 0
    s = env_settings(environ={}, local_file=out)
    assert s.workspace_dir == str(tmp_path / "ws")
    assert s.tensorboard_dir == str(tmp_path / "ws" / "tensorboard")
    assert s.lasot_dir == str(data / "lasot") and s.require("lasot_dir") == str(data / "lasot")
    assert s.got10k_dir == str(data / "got10k" / "train")
    assert "(not found when this file was written)" in out.read_text()

    out.write_text(out.read_text() + "# my own edit\n")
    edited = out.read_text()
    assert create_local.main(["--workspace", "/other", "--output", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == edited

    assert create_local.main(["--workspace", "/other", "--output", str(out), "--force"]) == 0
    backups = list(out.parent.glob("local.py.bak-*"))
    assert len(backups) == 1 and backups[0].read_text() == edited
    assert env_settings(environ={}, local_file=out).workspace_dir == "/other"


def test_write_local_file_refuses_without_force(tmp_path: Path) -> None:
    out = tmp_path / "local.py"
    out.write_text("# user file\n")
    with pytest.raises(SettingsError, match="already exists"):
        write_local_file(LTR_SCHEMA, tmp_path, None, output=out)
    assert out.read_text() == "# user file\n"


def test_create_local_cli_module(tmp_path: Path) -> None:
    out = tmp_path / "local.py"
    cmd = [sys.executable, "-m", "ltr.admin.create_local", "--workspace", str(tmp_path), "--output", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"Wrote {out}" in proc.stdout
    assert env_settings(environ={}, local_file=out).workspace_dir == str(tmp_path)


def test_settings_survive_pickling(tmp_path: Path) -> None:
    """Data-loader workers started with 'spawn' and DDP processes receive settings by pickling."""
    import pickle

    s = env_settings(environ={"LTR_LASOT_DIR": str(tmp_path)}, local_file=tmp_path / "none.py")
    t = pickle.loads(pickle.dumps(s))
    assert type(t) is type(s)
    assert t.as_dict() == s.as_dict()
    assert t.source("lasot_dir") == "env" and t.require("lasot_dir") == str(tmp_path)
