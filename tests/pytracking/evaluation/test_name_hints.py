"""Unknown dataset / sequence names suggest the close ones; UAV123 and UAV123@10fps point at each other."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytracking.evaluation.data import MissingSequencesError, UnknownSequenceError, did_you_mean
from pytracking.evaluation.datasets import get_dataset


def test_did_you_mean() -> None:
    assert did_you_mean("uav10", ["otb", "uav", "uav10fps", "lasot"]).startswith(" (did you mean 'uav10fps'")
    assert did_you_mean("zzz", ["otb", "uav"]) == ""


def test_unknown_dataset_suggests_the_variant() -> None:
    with pytest.raises(ValueError, match=r"unknown dataset 'uav10' \(did you mean 'uav10fps'"):
        get_dataset("uav10")


def test_uav_on_a_10fps_folder_says_uav10fps(shared_data: Path) -> None:
    with pytest.raises(MissingSequencesError, match="did you mean --dataset uav10fps"):
        get_dataset("uav", root=shared_data / "uav", report=None)
    seqs = get_dataset("uav10fps", root=shared_data / "uav", sequences=["wakeboard7"], report=None)
    assert seqs.names() == ["wakeboard7"]
    with pytest.raises(UnknownSequenceError, match="did you mean 'wakeboard.*"):
        get_dataset("uav10fps", root=shared_data / "uav", sequences=["wakeboard"], report=None)
