"""Atomic writers: complete file or untouched target, never a partial file or a leftover temp file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from ltr.admin import atomic_io
from ltr.admin.atomic_io import atomic_torch_save, atomic_write, atomic_write_bytes, atomic_write_text


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_bytes_creates_parents_and_exact_content(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.bin"
    data = bytes(range(256)) * 3
    assert atomic_write_bytes(target, data) == target
    assert target.read_bytes() == data
    assert _entries(target.parent) == ["file.bin"]


def test_write_text_encodes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old content that is longer than the new one")
    atomic_write_text(target, "naïve\n")
    assert target.read_bytes() == "naïve\n".encode()
    atomic_write_text(target, "é", encoding="latin-1")
    assert target.read_bytes() == b"\xe9"
    assert _entries(tmp_path) == ["t.txt"]


def test_permissions_follow_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "p", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "p").stat().st_mode & 0o777 == 0o644


def test_writer_failing_midway_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "ckpt.bin"
    target.write_bytes(b"GOOD")

    def half_then_fail(fh) -> None:
        fh.write(b"PARTIAL-DATA" * 1000)
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed mid-write"):
        atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"GOOD"
    assert _entries(tmp_path) == ["ckpt.bin"]


def test_writer_failing_on_new_file_leaves_nothing(tmp_path: Path) -> None:
    def fail(fh) -> None:
        fh.write(b"abc")
        raise KeyboardInterrupt  # also BaseException subclasses must clean up and propagate

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "new.bin", fail)
    assert _entries(tmp_path) == []


def test_failure_at_rename_removes_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.txt"
    target.write_text("before")

    def broken_replace(src, dst) -> None:
        raise OSError("disk full at rename")

    monkeypatch.setattr(atomic_io.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "after")
    assert target.read_text() == "before"
    assert _entries(tmp_path) == ["r.txt"]


def test_data_is_fsynced_before_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic_io.os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(atomic_io.os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))[1])
    atomic_write_bytes(tmp_path / "f", b"1")
    assert order.index("fsync") < order.index("replace")


def test_torch_save_roundtrip(tmp_path: Path) -> None:
    obj = {"w": torch.arange(12, dtype=torch.float32).view(3, 4), "epoch": 7}
    path = atomic_torch_save(obj, tmp_path / "ck" / "net_ep0007.pth.tar")
    loaded = torch.load(path, weights_only=True)
    assert loaded["epoch"] == 7
    assert torch.equal(loaded["w"], obj["w"])


class _Unpicklable:
    def __reduce__(self):
        raise TypeError("cannot pickle this")


def test_torch_save_failure_keeps_previous_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "latest.pth"
    atomic_torch_save({"epoch": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="cannot pickle"):
        atomic_torch_save({"big": torch.zeros(10000), "bad": _Unpicklable()}, path)
    assert path.read_bytes() == before
    assert _entries(tmp_path) == ["latest.pth"]
