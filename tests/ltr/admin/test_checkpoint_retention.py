"""Checkpoint retention: last N + every K-th epoch, and never a checkpoint the policy did not write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ltr.admin.checkpoint import checkpoint_path, list_checkpoints
from ltr.admin.checkpoint_retention import RetentionPolicy, apply_retention, record_checkpoint
from ltr.run_training import build_parser, make_settings


def test_policy_keeps_last_n_and_every_kth() -> None:
    epochs = range(1, 26)
    assert RetentionPolicy(3, 10).protected(epochs) == {10, 20, 23, 24, 25}
    assert RetentionPolicy(1, 0, (2,)).protected(epochs) == {2, 25}
    assert RetentionPolicy(None).protected(epochs) == set(epochs)
    with pytest.raises(ValueError, match="newest checkpoint"):
        RetentionPolicy(0)


def _fake(directory: Path, epoch: int, record: bool) -> Path:
    path = checkpoint_path(directory, "Net", epoch)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * epoch)
    if record:
        record_checkpoint(directory, "Net", epoch, path)
    return path


def test_only_recorded_unchanged_checkpoints_are_deleted(tmp_path: Path) -> None:
    user = [_fake(tmp_path, e, record=False) for e in (1, 2)]  # e.g. written with --keep-all, or copied in
    ours = {e: _fake(tmp_path, e, record=True) for e in range(3, 9)}
    os.utime(ours[4], ns=(1, 1))  # the user touched/replaced epoch 4 since the trainer wrote it
    (tmp_path / "Other_ep0003.pth.tar").write_bytes(b"other net type")
    removed = apply_retention(tmp_path, "Net", RetentionPolicy(keep_last=2, keep_every=3))
    # policy keeps 3, 6 (every 3rd) and 7, 8 (last 2); 5 is ours and unchanged -> deleted; 1, 2, 4 are not ours
    assert removed == [ours[5]]
    assert [e for e, _ in list_checkpoints(tmp_path, "Net")] == [1, 2, 3, 4, 6, 7, 8]
    assert all(p.is_file() for p in user) and (tmp_path / "Other_ep0003.pth.tar").is_file()
    assert apply_retention(tmp_path, "Net", RetentionPolicy(keep_last=None)) == []  # keep-all deletes nothing


def test_command_line_policy() -> None:
    parse = build_parser().parse_args
    default = make_settings(parse(["bbreg", "atom"]))
    assert (default.checkpoint_keep_last, default.checkpoint_keep_every) == (3, 10)
    assert make_settings(parse(["bbreg", "atom", "--keep-all"])).checkpoint_keep_last is None
    s = make_settings(parse(["bbreg", "atom", "--keep-last", "5", "--keep_every", "0"]))
    assert (s.checkpoint_keep_last, s.checkpoint_keep_every) == (5, 0)
    with pytest.raises(ValueError, match="--keep-all"):
        make_settings(parse(["bbreg", "atom", "--keep-all", "--keep-last", "2"]))
    with pytest.raises(SystemExit):
        parse(["bbreg", "atom", "--keep-last", "0"])
