"""Every command follows one flag spelling rule, dataset commands share --allow-missing, and the README documents
every flag (the table is checked against the parsers, so it cannot drift)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from ltr.admin.cli_flags import add_flag_aliases, long_options

ROOT = Path(__file__).resolve().parents[3]


class _Captured(Exception):
    def __init__(self, parser):
        self.parser = parser


def _parser_of(main, monkeypatch) -> argparse.ArgumentParser:
    """The parser a ``main()`` builds, captured at its ``parse_args`` call (nothing runs)."""

    def capture(self, *args, **kwargs):
        raise _Captured(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    with pytest.raises(_Captured) as info:
        main([])
    return info.value.parser


def _commands(monkeypatch) -> dict[str, argparse.ArgumentParser]:
    from ltr import run_training
    from ltr.admin.create_local import main as ltr_create_local
    from pytracking import run_demo, run_sweep, run_tracker, run_video, run_vot, run_webcam
    from pytracking.analysis import evaluate
    from pytracking.create_local import main as pt_create_local
    from pytracking.utils import start_visdom

    parsers = {
        "run_training": run_training.build_parser(),
        "run_tracker": run_tracker.build_parser(),
        "run_sweep": run_sweep.build_parser(),
        "evaluate": evaluate.build_parser(),
        "run_webcam": run_webcam.build_parser(),
        "run_vot": run_vot.build_parser(),
        "start_visdom": start_visdom.build_parser(),
    }
    for name, main in [("run_video", run_video.main), ("run_demo", run_demo.main),
                       ("create_local", pt_create_local), ("ltr create_local", ltr_create_local)]:
        with monkeypatch.context() as m:
            parsers[name] = _parser_of(main, m)
    # The two create_local commands share one parser definition (one README row set).
    assert long_options(parsers.pop("ltr create_local")) == long_options(parsers["create_local"])
    try:
        from pytracking.analysis import export
    except ImportError:
        pass
    else:
        parsers["export"] = export.build_parser()
        parsers["export pack"] = export.build_pack_parser()
    return parsers


def test_alias_helper_maps_both_spellings_to_one_action():
    p = argparse.ArgumentParser()
    p.add_argument("--save-float", action="store_true")
    p.add_argument("--optional_box", type=int)
    p.add_argument("--allow-missing", action="store_true")
    add_flag_aliases(p, {"--skip-missing": "--allow-missing"})
    a = p.parse_args(["--save_float", "--optional-box", "3", "--skip_missing"])
    assert a.save_float is True and a.optional_box == 3 and a.allow_missing is True
    help_text = p.format_help()
    assert "--save_float" not in help_text and "--skip-missing" not in help_text  # aliases stay out of --help


def test_every_command_uses_dashes_and_accepts_underscores(monkeypatch):
    for command, parser in _commands(monkeypatch).items():
        for canonical, spellings in long_options(parser).items():
            assert "_" not in canonical, f"{command}: {canonical} should be spelled with dashes"
            body = canonical[2:]
            if "-" in body:
                assert "--" + body.replace("-", "_") in spellings, f"{command}: {canonical} lacks its _ alias"


@pytest.mark.parametrize("flag", ["--allow-missing", "--allow_missing", "--skip-missing", "--skip_missing"])
def test_dataset_commands_share_allow_missing(monkeypatch, flag):
    parsers = _commands(monkeypatch)
    extra = {"run_tracker": ["atom", "default"], "run_sweep": ["atom", "default", "--checkpoints", "x"],
             "evaluate": []}
    for command, positional in extra.items():
        args = parsers[command].parse_args(positional + ["--dataset_name", "uav", flag])
        assert args.allow_missing is True and args.dataset == "uav", command


def _readme_flags() -> dict[str, set[str]]:
    """``{command: {flags}}`` from the README's flags table (rows: | `--flag` | commands | meaning |)."""
    text = (ROOT / "README.md").read_text()
    table: dict[str, set[str]] = {}
    for line in text.splitlines():
        m = re.match(r"^\| ((?:`--[a-z0-9-]+`(?:, )?)+)[^|]*\| ([^|]+) \|", line)
        if not m:
            continue
        flags = re.findall(r"`(--[a-z0-9-]+)`", m.group(1))
        for command in (c.strip() for c in m.group(2).split(",")):
            table.setdefault(command, set()).update(flags)
    return table


def test_readme_flags_table_lists_every_flag_of_every_command(monkeypatch):
    documented = _readme_flags()
    assert documented, "README has no flags table"
    for command, parser in _commands(monkeypatch).items():
        flags = set(long_options(parser))
        assert flags <= documented.get(command, set()), \
            f"{command}: flags missing from the README table: {sorted(flags - documented.get(command, set()))}"
        extra = documented.get(command, set()) - flags
        assert not extra, f"README lists {sorted(extra)} for {command}, which it does not accept"
