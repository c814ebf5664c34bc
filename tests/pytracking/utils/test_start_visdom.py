"""The offline server helper: refuses to start without the page files and says how to get them."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from pytracking.utils import start_visdom as sv


def _fake_package(root: Path, version: str = "0.2.4", skip: tuple[str, ...] = ()) -> Path:
    for rel in sv.REQUIRED_ASSETS:
        if rel in skip:
            continue
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(version if rel.endswith("version.built") else "x")
    return root


def test_missing_assets_lists_absent_empty_and_stale_files(tmp_path: Path) -> None:
    pkg = _fake_package(tmp_path, skip=("static/js/plotly-plotly.min.js",))
    (pkg / "static/js/jquery.min.js").write_text("")  # empty counts as missing
    assert sv.missing_assets(pkg, "0.2.4") == ["static/js/jquery.min.js", "static/js/plotly-plotly.min.js"]
    full = _fake_package(tmp_path / "full")
    assert sv.missing_assets(full, "0.2.4") == []
    stale = sv.missing_assets(full, "0.3.0")
    assert len(stale) == 1 and "version.built" in stale[0] and "0.3.0" in stale[0]


def test_main_refuses_without_assets_and_names_install_sh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    pkg = _fake_package(tmp_path, skip=("static/js/d3.v3.min.js",))
    monkeypatch.setattr(sv, "visdom_dir", lambda: pkg)
    monkeypatch.setitem(sys.modules, "visdom", types.SimpleNamespace(__version__="0.2.4"))
    assert sv.main(["--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "static/js/d3.v3.min.js" in err and "bash install.sh" in err
    (pkg / "static/js/d3.v3.min.js").write_text("x")
    assert sv.main(["--check"]) == 0
    assert "complete" in capsys.readouterr().out


def test_installed_visdom_assets_state_is_reported_consistently() -> None:
    """On this machine: --check agrees with missing_assets (0 when install.sh has run, 2 otherwise)."""
    pytest.importorskip("visdom")
    import visdom

    missing = sv.missing_assets(sv.visdom_dir(), visdom.__version__)
    assert sv.main(["--check"]) == (2 if missing else 0)
