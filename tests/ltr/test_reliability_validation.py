"""Issue 13 item 14: ATOM training validates on the official GOT-10k vot-val list when it is there, otherwise on a
deterministic, announced hold-out of the training datasets, otherwise without validation (announced)."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ltr.admin.settings_errors import MissingSettingError
from ltr.trainers.pipelines import atom as atom_settings

REPO = Path(__file__).resolve().parents[2]


class _Env:
    def __init__(self, **paths):
        self.paths = paths

    def require(self, name):
        if name not in self.paths:
            raise MissingSettingError(name, f"LTR_{name.upper()}", "-", "-")
        return self.paths[name]


class _Names:
    """A dataset of named sequences (only what the hold-out needs)."""

    def __init__(self, name, names):
        self.name, self.names = name, list(names)

    def get_name(self):
        return self.name

    def get_num_sequences(self):
        return len(self.names)

    def get_sequence_name(self, i):
        return self.names[i]


def _settings(**kw):
    return SimpleNamespace(got10k_val_split=atom_settings.AtomTrainingParams.got10k_val_split,
                           val_holdout_fraction=0.02, env=_Env(), **kw)


def test_holdout_is_deterministic_disjoint_and_announced(caplog):
    caplog.set_level(logging.INFO, logger="ltr.train_settings")
    names = [f"seq-{i}" for i in range(1000)]
    train, val = atom_settings.validation_datasets(_settings(), [_Names("lasot", names)])
    # by hand: SHA-1 of '<dataset>/<name>' as an integer, modulo 10000, below 200 (2%)
    expected = sorted(n for n in names if int(hashlib.sha1(f"lasot/{n}".encode()).hexdigest(), 16) % 10000 < 200)
    held = sorted(val[0].get_sequence_name(i) for i in range(val[0].get_num_sequences()))
    kept = [train[0].get_sequence_name(i) for i in range(train[0].get_num_sequences())]
    assert held == expected and 5 < len(held) < 40
    assert not set(held) & set(kept) and len(held) + len(kept) == 1000
    assert "GOT-10k is not set up" in caplog.text and "deterministic hold-out of 2.0%" in caplog.text
    assert f"lasot {len(held)} of 1000" in caplog.text


def test_no_sequence_to_hold_out_trains_without_validation(caplog):
    caplog.set_level(logging.INFO, logger="ltr.train_settings")
    train, val = atom_settings.validation_datasets(_settings(), [_Names("lasot", ["only-one"])])
    assert val == [] and "Training WITHOUT validation" in caplog.text


def test_official_split_list_is_used_when_given(tmp_path, monkeypatch, caplog):
    import ltr.dataset

    made = []
    monkeypatch.setattr(ltr.dataset, "Got10k", lambda root, split: made.append((root, split)) or "got10k-val")
    split = tmp_path / "vot_val.txt"
    split.write_text("GOT-10k_Train_000001\n")
    caplog.set_level(logging.INFO, logger="ltr.train_settings")
    settings = _settings()
    settings.got10k_val_split, settings.env = str(split), _Env(got10k_dir=str(tmp_path))
    train, val = atom_settings.validation_datasets(settings, ["train-ds"])
    assert val == ["got10k-val"] and train == ["train-ds"] and made == [(str(tmp_path), str(split))]
    assert f"official split list {split}" in caplog.text


@pytest.mark.slow
def test_atom_training_starts_without_got10k(tmp_path, shared_data):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTR_")}
    (tmp_path / "empty_local.py").write_text("")
    env.update({"LTR_SETTINGS_FILE": str(tmp_path / "empty_local.py"), "LTR_COCO_DIR": str(shared_data / "coco"),
                "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)})
    proc = subprocess.run([sys.executable, "-m", "ltr.run_training", "bbreg", "atom", "--datasets", "coco",
                           "--no-pretrained", "--epochs", "1", "--samples-per-epoch", "2", "--batch-size", "2",
                           "--workers", "0", "--device", "cpu", "--workspace", str(tmp_path / "ws")],
                          capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "GOT-10k is not set up, so a deterministic hold-out of 2.0% of the training sequences" in proc.stderr
    assert list((tmp_path / "ws" / "checkpoints" / "ltr" / "bbreg" / "atom").glob("*_ep0001.pth.tar"))


def test_ostrack_setup_validates_from_what_the_user_has(tmp_path, monkeypatch):
    """OSTrack's published setup reads the same data as ATOM's: training on COCO alone needs no GOT-10k (today it
    demanded got10k_dir for validation), and its validation falls back to the announced hold-out."""
    from ltr.trainers.pipelines import ostrack as ostrack_pipeline

    defaults = ostrack_pipeline.OSTrackTrainingParams
    settings = SimpleNamespace(datasets=["coco"], lasot_train_split="train", got10k_train_split="unused",
                               got10k_val_split=defaults.got10k_val_split, pretrained=False,
                               env=_Env(coco_dir=str(tmp_path)))
    assert ostrack_pipeline._collect_missing(settings) == []
    settings.datasets = ["coco", "got10k"]
    problems = ostrack_pipeline._collect_missing(settings)
    assert any("'got10k_dir'" in p for p in problems) and any("got10k_train_split" in p for p in problems)
    assert defaults.val_holdout_fraction == atom_settings.AtomTrainingParams.val_holdout_fraction
