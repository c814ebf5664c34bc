"""Repository tooling: CI runs the README's test command; visdom's offline assets are complete after install.sh."""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _readme_test_command() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("Set up and run the test suite", 1)[1]
    match = re.search(r"```bash\n(.+?)\n```", section, re.S)
    assert match, "README lacks the test command block"
    return match.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    command = _readme_test_command()
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert any(line == command or line.startswith(command + " ||") for line in ci_lines), (command, ci_lines)
    assert "--with-browser" in command and "pytest" in command


def test_visdom_server_start_needs_no_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run visdom's own start-up check with every network path patched to fail: nothing may be fetched."""
    pytest.importorskip("visdom")
    import requests
    from visdom.server import build

    static = Path(build.get_visdom_path("static"))
    if not (static / "version.built").exists() and os.environ.get("CI") != "true":
        pytest.skip(f"visdom assets not installed in this environment ({static}); run `bash install.sh`")

    def no_network(*args, **kwargs):
        raise AssertionError(f"visdom tried to download at start: {args[:2]!r}")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    monkeypatch.setattr(requests, "get", no_network)
    before = {p: p.stat().st_mtime_ns for p in static.rglob("*") if p.is_file()}
    build.download_scripts()
    after = {p: p.stat().st_mtime_ns for p in static.rglob("*") if p.is_file()}
    assert before == after, "start-up check rewrote static files"
    for rel in ("js/plotly-plotly.min.js", "js/react-react.min.js", "css/bootstrap.min.css",
                "fonts/glyphicons-halflings-regular.woff2", "js/mathjax/2.7.5/MathJax.js"):
        assert (static / rel).stat().st_size > 1000, rel
