"""Start the visdom server offline: ``python -m pytracking.utils.start_visdom [--port 8097]``.

Why not plain ``python -m visdom.server``: at every start visdom tries to download any of its JavaScript/CSS/MathJax
files that are missing, without a timeout, so on a machine without internet it stalls or serves a blank page. This
helper checks that the files ``install.sh`` put in place are all there, says exactly how to get them if not, and then
starts the server without the download step. By default it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ltr.admin.cli import cli_main

__all__ = ["REQUIRED_ASSETS", "build_parser", "free_port", "main", "missing_assets", "spawn_server", "visdom_dir",
           "wait_until_up"]

# Files (relative to visdom's package folder) that the page loads; the same list install.sh fills from npm.
REQUIRED_ASSETS = (
    "static/index.html",
    "static/js/main.js",
    "static/js/jquery.min.js",
    "static/js/bootstrap.min.js",
    "static/js/react-react.min.js",
    "static/js/react-dom.min.js",
    "static/js/react-modal.min.js",
    "static/js/plotly-plotly.min.js",
    "static/js/sjcl.js",
    "static/js/layout_bin_packer.js",
    "static/js/d3.v3.min.js",
    "static/js/d3-selection-multi.v1.js",
    "static/js/saveSvgAsPng.js",
    "static/css/react-resizable-styles.css",
    "static/css/react-grid-layout-styles.css",
    "static/css/bootstrap.min.css",
    "static/css/style.css",
    "static/fonts/glyphicons-halflings-regular.woff2",
    "static/js/mathjax/2.7.5/MathJax.js",
    "static/js/mathjax/2.7.5/config/TeX-AMS-MML_HTMLorMML.js",
    "static/js/mathjax/2.7.5/jax/output/SVG/jax.js",
    "static/version.built",
)


def visdom_dir() -> Path:
    """The installed visdom package folder (raises ModuleNotFoundError with the install command if absent)."""
    try:
        import visdom
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError("the visdom package is not installed; run `bash install.sh` (installs visdom "
                                  "0.2.4 and its offline page assets)", name="visdom") from exc
    return Path(visdom.__file__).resolve().parent


def missing_assets(package_dir: str | os.PathLike, version: str | None = None) -> list[str]:
    """Required page files that are absent or empty under ``package_dir``; ``static/version.built`` must also hold
    ``version`` (visdom re-downloads everything otherwise)."""
    root = Path(package_dir)
    missing = [rel for rel in REQUIRED_ASSETS if not (root / rel).is_file() or (root / rel).stat().st_size == 0]
    built = root / "static" / "version.built"
    if version is not None and built.is_file() and built.read_text().strip() != version:
        missing.append(f"static/version.built (holds {built.read_text().strip()!r}, visdom is {version!r})")
    return missing


def explain_missing(missing: Sequence[str], package_dir: Path) -> str:
    shown = "\n".join(f"  {m}" for m in missing[:8]) + (f"\n  ... and {len(missing) - 8} more" if len(missing) > 8
                                                          else "")
    return (f"visdom's page files are missing under {package_dir}:\n{shown}\n"
            "Without them the page would try to download them (no internet: blank page). Get them with\n"
            "  bash install.sh\n"
            "from the repository root (it fetches the same files with npm, once, into .cache/npm and copies them\n"
            "into visdom's static folder), then start this again.")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pytracking.utils.start_visdom",
                                description="Start the visdom server for live tracker debugging, offline.")
    p.add_argument("--port", type=int, default=8097, help="port (default 8097; run_tracker's --visdom_port)")
    p.add_argument("--public", action="store_true",
                   help="listen on all interfaces instead of 127.0.0.1 only (visdom has no login by default)")
    p.add_argument("--env-path", default=None,
                   help="folder where visdom saves environments (default: visdom's own, ~/.visdom)")
    p.add_argument("--check", action="store_true", help="only check the page files and exit (0 = complete)")
    p.add_argument("--no-asset-check", action="store_true",
                   help="start even if page files are missing (the API works; the page may not render)")
    return p


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_server(port: int, env_path: str | os.PathLike, log_path: str | os.PathLike,
                 check_assets: bool = True) -> subprocess.Popen:
    """Start this helper as a background process (stdout/stderr to ``log_path``); the caller stops it by its pid."""
    cmd = [sys.executable, "-m", "pytracking.utils.start_visdom", "--port", str(port), "--env-path", str(env_path)]
    if not check_assets:
        cmd.append("--no-asset-check")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_until_up(port: int, timeout_s: float = 30.0, proc: subprocess.Popen | None = None,
                  host: str = "127.0.0.1") -> bool:
    """Poll until the server at ``host:port`` answers (True) or ``timeout_s`` passes / ``proc`` exits (False)."""
    from pytracking.utils.visdom.connection import probe_server

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if probe_server(host, port, timeout_s=0.5) is None:
            return True
        time.sleep(0.2)
    return False


@cli_main("start_visdom")
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        pkg = visdom_dir()
    except ModuleNotFoundError as exc:
        print(f"start_visdom: {exc}", file=sys.stderr)
        return 2
    import visdom

    missing = missing_assets(pkg, getattr(visdom, "__version__", None))
    if missing and args.no_asset_check:
        print(f"start_visdom: warning: {len(missing)} page file(s) missing; the page may not render "
              f"(bash install.sh puts them in place)", file=sys.stderr)
    elif missing:
        print(f"start_visdom: {explain_missing(missing, pkg)}", file=sys.stderr)
        return 2
    if args.check:
        print(f"visdom page files complete ({pkg / 'static'})")
        return 0
    import logging

    from visdom.server.defaults import DEFAULT_ENV_PATH
    from visdom.server.run_server import start_server

    logging.basicConfig(level=logging.WARNING)
    env_path = os.path.expanduser(args.env_path or DEFAULT_ENV_PATH)
    os.makedirs(env_path, exist_ok=True)
    host = "0.0.0.0" if args.public else "127.0.0.1"
    shown = "localhost" if not args.public else host
    print(f"visdom server: open http://{shown}:{args.port} (Ctrl-C stops it). Then run e.g.\n"
          f"  python pytracking/run_tracker.py atom default --dataset otb --sequence Crossing --debug 2 "
          f"--visdom_port {args.port}", flush=True)
    try:
        start_server(port=args.port, base_url="", env_path=env_path, bind_local=not args.public,
                     print_func=lambda port: None)
    except OSError as exc:
        print(f"start_visdom: cannot listen on port {args.port}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
