"""Tracking settings: env var > local.py > default, legacy file shapes, clear errors, independence from ltr's file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ltr.admin.environment import env_settings as ltr_env_settings
from ltr.admin.settings_errors import MissingSettingError, SettingsFileError
from pytracking import create_local
from pytracking.evaluation.environment import env_settings

REPO = Path(__file__).resolve().parents[3]


def _write(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return path


def test_defaults(tmp_path: Path) -> None:
    s = env_settings(environ={}, local_file=tmp_path / "absent.py")
    assert s.results_path == str(REPO / "workspace" / "tracking_results")
    assert s.network_path == str(REPO / "workspace" / "networks")
    assert s.result_plot_path == str(REPO / "workspace" / "result_plots")
    for name in ("otb_path", "nfs_path", "uav_path", "lasot_path", "got10k_path", "trackingnet_path", "vot_path"):
        assert getattr(s, name) is None, name
    assert not (tmp_path / "absent.py").exists()


def test_env_var_wins_over_file(tmp_path: Path) -> None:
    local = _write(
        tmp_path / "local.py",
        """
        class EnvironmentSettings:
            def __init__(self):
                self.otb_path = '/file/otb'
                self.results_path = '/file/results'
        """,
    )
    s = env_settings(environ={"PYTRACKING_OTB_PATH": "/env/otb"}, local_file=local)
    assert (s.otb_path, s.source("otb_path")) == ("/env/otb", "env")
    assert (s.results_path, s.source("results_path")) == ("/file/results", "file")
    assert s.source("network_path") == "default"


def test_original_local_env_settings_function_shape(tmp_path: Path) -> None:
    local = _write(
        tmp_path / "local.py",
        """
        from pytracking.evaluation.environment import EnvSettings

        def local_env_settings():
            settings = EnvSettings()
            settings.network_path = '/nets/'
            settings.nfs_path = ''
            settings.tpl_path = '/tc128'
            return settings
        """,
    )
    s = env_settings(environ={}, local_file=local)
    assert s.network_path == "/nets/"
    assert s.nfs_path is None  # '' meant "unset" in the original
    assert s.tpl_path == "/tc128"  # a user's extra attribute survives
    assert s.results_path == str(REPO / "workspace" / "tracking_results")


def test_broken_file_error_names_file_and_line(tmp_path: Path) -> None:
    body = "from pytracking.evaluation.environment import EnvSettings\n\ndef local_env_settings(:\n    pass\n"
    local = tmp_path / "local.py"
    local.write_text(body)
    with pytest.raises(SettingsFileError) as info:
        env_settings(environ={}, local_file=local)
    assert info.value.lineno == 3 and f"{local}, line 3" in str(info.value)
    assert local.read_text() == body


def test_error_inside_legacy_function_reports_its_line(tmp_path: Path) -> None:
    local = _write(
        tmp_path / "local.py",
        """
        def local_env_settings():
            paths = {}
            return paths['missing']
        """,
    )
    with pytest.raises(SettingsFileError, match=r"line 3: KeyError"):
        env_settings(environ={}, local_file=local)


def test_missing_dataset_message(tmp_path: Path) -> None:
    s = env_settings(environ={}, local_file=tmp_path / "absent.py")
    with pytest.raises(MissingSettingError) as info:
        s.require("otb_path")
    msg = str(info.value)
    assert "Setting 'otb_path'" in msg and "is not set" in msg
    assert "<otb_path>/<Seq>/img/%04d.jpg" in msg and "groundtruth_rect.txt" in msg
    assert "export PYTRACKING_OTB_PATH=" in msg
    assert "python -m pytracking.create_local --workspace DIR --data-root DIR" in msg


def test_real_data_paths_via_env(shared_data: Path, tmp_path: Path) -> None:
    s = env_settings(environ={"PYTRACKING_OTB_PATH": str(shared_data / "otb")}, local_file=tmp_path / "a.py")
    otb = Path(s.require("otb_path"))
    # the layout the message promises is what the real benchmark folder has
    assert (otb / "Crossing" / "img" / "0001.jpg").is_file()
    assert (otb / "Crossing" / "groundtruth_rect.txt").is_file()


def test_create_local_with_real_data_root(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "local.py"
    assert create_local.main(["--workspace", str(tmp_path / "ws"), "--data-root", str(shared_data), "--output",
                              str(out)]) == 0
    s = env_settings(environ={}, local_file=out)
    assert s.results_path == str(tmp_path / "ws" / "tracking_results")
    assert s.network_path == str(tmp_path / "ws" / "networks")
    assert s.require("otb_path") == str(shared_data.resolve() / "otb")
    assert s.require("lasot_path") == str(shared_data.resolve() / "lasot")
    with pytest.raises(MissingSettingError, match="not an existing directory"):
        s.require("nfs_path")  # filled from --data-root, but not present there
    text = out.read_text()
    assert create_local.main(["--workspace", "/elsewhere", "--output", str(out)]) == 2
    assert out.read_text() == text


def test_packages_do_not_need_each_others_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("this is not python\n")
    # a broken training file does not affect tracking settings, and vice versa
    tracking = env_settings(environ={"LTR_SETTINGS_FILE": str(broken)}, local_file=tmp_path / "absent.py")
    assert tracking.results_path == str(REPO / "workspace" / "tracking_results")
    training = ltr_env_settings(environ={"PYTRACKING_SETTINGS_FILE": str(broken)}, local_file=tmp_path / "absent2.py")
    assert training.workspace_dir == str(REPO / "workspace")
    with pytest.raises(SettingsFileError):
        env_settings(environ={"PYTRACKING_SETTINGS_FILE": str(broken)})
