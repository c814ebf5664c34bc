"""Issue 13 items 4 (training side), 8 and 11: no retry of errors a retry cannot fix, resume falls back to the newest
readable checkpoint without touching the bad one, stale temp files of a killed checkpoint write are removed."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_ltr_trainer import _setup, _weights

from ltr import run_training
from ltr.admin.checkpoint import list_checkpoints

REPO = Path(__file__).resolve().parents[3]


def test_fail_safe_does_not_retry_file_system_layout_errors(tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="ltr.trainers")
    trainer = _setup(tmp_path, fail_on={1}, exc=NotADirectoryError)  # would succeed on a retry: must not be retried
    with pytest.raises(NotADirectoryError):
        trainer.train(2)
    assert trainer.actor.calls == 1
    assert "not retrying" in caplog.text and "retry 1 of" not in caplog.text


def test_workspace_that_is_a_file_stops_before_training(tmp_path, capsys):
    blocker = tmp_path / "ws_file"
    blocker.write_text("x")
    code = run_training.main(["bbreg", "atom_synthetic", "--workspace", str(blocker), "--epochs", "1",
                              "--samples-per-epoch", "8", "--batch-size", "4", "--workers", "0", "--device", "cpu"])
    assert code == 2
    captured = capsys.readouterr()
    err = captured.err
    assert "workspace_dir (--workspace / LTR_WORKSPACE_DIR)" in err and f"{blocker}, which is an existing file" in err
    assert "Traceback" not in err and blocker.read_text() == "x"
    assert "[train:" not in captured.out  # stopped before the first training step


def test_resume_falls_back_to_newest_readable_checkpoint(tmp_path, caplog):
    clean = _setup(tmp_path / "clean")
    clean.train(4)
    run = _setup(tmp_path / "run")
    run.train(3)
    newest = list_checkpoints(run.checkpoint_dir)[-1][1]
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # truncated, as a kill during a non-atomic copy would leave it
    caplog.set_level(logging.INFO, logger="ltr.trainers")
    resumed = _setup(tmp_path / "run")
    resumed.train(4)
    assert f"Checkpoint {newest} is unreadable" in caplog.text
    assert "Resumed from" in caplog.text and "_ep0002.pth.tar (epoch 2), the newest readable checkpoint" in caplog.text
    kept = newest.with_name(newest.name + ".unreadable")
    assert kept.read_bytes() == data[: len(data) // 2]  # the damaged file is kept byte for byte
    expected, got = _weights(clean), _weights(resumed)
    assert expected.keys() == got.keys()
    for name in expected:  # exact resume from epoch 2 reproduces the uninterrupted run
        assert torch.equal(expected[name], got[name]), name


def test_resume_with_no_readable_checkpoint_is_an_error(tmp_path):
    run = _setup(tmp_path)
    run.train(1)
    path = list_checkpoints(run.checkpoint_dir)[-1][1]
    path.write_bytes(b"garbage")
    from ltr.admin.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="none of the 1 checkpoints"):
        _setup(tmp_path).train(2)
    assert path.read_bytes() == b"garbage"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kill -9 semantics")
def test_stale_temp_files_of_a_killed_checkpoint_write_are_removed(tmp_path, caplog):
    trainer = _setup(tmp_path)
    ckdir = trainer.checkpoint_dir
    ckdir.mkdir(parents=True)
    target = ckdir / "_TinyNet_ep0009.pth.tar"
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from ltr.admin.atomic_io import atomic_write\n"
         "def w(fh):\n"
         "    fh.write(b'x' * 100000); fh.flush(); print('writing', flush=True); time.sleep(120)\n"
         f"atomic_write({str(target)!r}, w)\n"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        assert writer.stdout.readline().strip() == "writing"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
        left = [p for p in ckdir.iterdir() if p.name.endswith(".tmp")]
        assert len(left) == 1 and left[0].name.startswith("._TinyNet_ep0009.pth.tar.")  # what kill -9 leaves
        old_style = ckdir / "._TinyNet_ep0008.pth.tar.ab_12xyz.tmp"  # written before temp names carried a pid
        old_style.write_bytes(b"y" * 10)
        in_progress = ckdir / f"._TinyNet_ep0007.pth.tar.{live.pid}-abcdefgh.tmp"  # a live writer's file
        in_progress.write_bytes(b"z")
        users = [ckdir / ".notes.tmp", ckdir / "mine.tmp", ckdir / "._TinyNet_ep0006.pth.tar.tmp"]
        for p in users:
            p.write_text("user data")
        caplog.set_level(logging.WARNING, logger="ltr.trainers")
        trainer.train(1)
        assert not left[0].exists() and not old_style.exists()
        assert in_progress.exists() and all(p.read_text() == "user data" for p in users)
        assert caplog.text.count("Removed stale temporary file") == 2 and str(left[0]) in caplog.text
    finally:
        for proc in (writer, live):
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        if writer.stdout:
            writer.stdout.close()
