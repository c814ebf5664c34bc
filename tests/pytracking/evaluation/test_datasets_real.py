"""Dataset descriptors on the real benchmark files in ../shared/data (dataset paths set through PYTRACKING_*)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pytracking.evaluation.data import MissingSequencesError, UnknownSequenceError
from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.lasotdataset import LASOT_TEST_SEQUENCES
from pytracking.evaluation.otbdataset import OTB_SEQUENCES


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


def _first_box(path: Path) -> list[float]:
    first = _lines(path)[0].replace("\t", ",").replace(" ", ",")
    return [float(v) for v in first.split(",") if v]


# ---- OTB ------------------------------------------------------------------------------------------------------------


def test_otb_table_matches_every_official_ground_truth_file(shared_data):
    """Each sequence's frame range has exactly one annotation line per frame, and the published raw results of two
    real trackers (one row per evaluated frame) have exactly as many rows as our sequence has frames."""
    assert len(OTB_SEQUENCES) == 100
    assert len({s.name for s in OTB_SEQUENCES}) == 100
    gt_root = shared_data / "otb100_gt"
    covered = set()
    for info in OTB_SEQUENCES:
        anno = gt_root / info.folder / info.anno
        covered.add((info.folder, info.anno))
        assert len(_lines(anno)) == info.end - info.start + 1, info.name
        num_frames = info.end - info.start - info.init_omit + 1
        for tracker in ("KCF_GaussHog", "SiamFC-3s"):
            assert len(_lines(shared_data / "otb100_results" / tracker / f"{info.name}.txt")) == num_frames
    on_disk = {(p.parent.name, p.name) for p in gt_root.glob("*/groundtruth_rect*.txt")}
    # Human4 ships only its second target; every official annotation file is used exactly once.
    assert on_disk == covered


def test_otb_known_quirks():
    by_name = {s.name: s for s in OTB_SEQUENCES}
    assert (by_name["David"].start, by_name["David"].end) == (300, 770)
    assert (by_name["BlurCar1"].start, by_name["BlurCar3"].start, by_name["BlurCar4"].start) == (247, 3, 18)
    assert by_name["Board"].digits == 5
    assert by_name["Tiger1"].init_omit == 5
    assert by_name["Human4_2"].anno == "groundtruth_rect.2.txt" and by_name["Human4_2"].folder == "Human4"
    assert by_name["Football1"].end == 74


@pytest.fixture
def otb_env(shared_data, monkeypatch):
    monkeypatch.setenv("PYTRACKING_OTB_PATH", str(shared_data / "otb"))
    return shared_data / "otb"


def test_otb_missing_sequences_are_named_in_one_error(otb_env):
    with pytest.raises(MissingSequencesError) as err:
        get_dataset("otb")
    missing = err.value.missing
    assert len(missing) == 97
    assert "Basketball" in missing and "Woman" in missing and "Jogging_2" in missing
    assert not {"Couple", "Crossing", "Football1"} & set(missing)
    assert "Basketball" in str(err.value) and "allow_missing" in str(err.value)


def test_otb_allow_missing_reports_skipped_names(otb_env):
    messages: list[str] = []
    seqs = get_dataset("otb", allow_missing=True, report=messages.append)
    assert seqs.names() == ["Couple", "Crossing", "Football1"]
    assert len(messages) == 1 and "97 of 100" in messages[0] and "Basketball" in messages[0]


def test_otb_subset_frames_and_first_boxes(otb_env):
    seqs = get_dataset("otb", sequences=["Football1", "Couple", "Crossing"])
    assert seqs.names() == ["Football1", "Couple", "Crossing"]
    counts = {"Football1": 74, "Couple": 140, "Crossing": 120}
    for seq in seqs:
        assert len(seq.frames) == counts[seq.name] == len(seq.ground_truth_rect)
        assert Path(seq.frames[0]).name == "0001.jpg"
        assert seq.ground_truth_rect[0].tolist() == _first_box(otb_env / seq.name / "groundtruth_rect.txt")
    football = seqs["Football1"]
    assert Path(football.frames[-1]).name == "0074.jpg"  # 81 images on disk, OTB range wins
    assert len(list((otb_env / "Football1" / "img").glob("*.jpg"))) == 81
    last_gt = _lines(otb_env / "Football1" / "groundtruth_rect.txt")[-1]
    assert football.ground_truth_rect[-1].tolist() == [float(v) for v in last_gt.split(",")]
    image = seqs["Couple"].read_frame(0)
    assert image.shape == (240, 320, 3) and image.dtype == np.uint8


def test_otb_unknown_sequence_is_an_error(otb_env):
    with pytest.raises(UnknownSequenceError, match="NoSuchSeq"):
        get_dataset("otb", sequences=["Couple", "NoSuchSeq"])


def test_missing_dataset_setting_names_the_variable(monkeypatch, tmp_path):
    from ltr.admin.settings_errors import SettingsError

    monkeypatch.delenv("PYTRACKING_OTB_PATH", raising=False)
    (tmp_path / "none.py").write_text("")  # an empty settings file: no otb_path from a developer's local.py
    monkeypatch.setenv("PYTRACKING_SETTINGS_FILE", str(tmp_path / "none.py"))
    with pytest.raises(SettingsError, match="PYTRACKING_OTB_PATH"):
        get_dataset("otb")


# ---- UAV123@10fps, LaSOT, VOT ----------------------------------------------------------------------------------------


def test_uav10fps_wakeboard7(shared_data, monkeypatch):
    monkeypatch.setenv("PYTRACKING_UAV_PATH", str(shared_data / "uav"))
    seq = get_dataset("uav10fps", sequences=["wakeboard7"])[0]
    anno = shared_data / "uav" / "anno" / "UAV123_10fps" / "wakeboard7.txt"
    assert len(seq.frames) == 67 == len(_lines(anno)) == len(seq.ground_truth_rect)
    assert Path(seq.frames[0]).name == "000001.jpg" and Path(seq.frames[-1]).name == "000067.jpg"
    assert seq.ground_truth_rect[0].tolist() == [623.0, 299.0, 11.0, 38.0]
    with pytest.raises(MissingSequencesError) as err:
        get_dataset("uav10fps")
    assert len(err.value.missing) == 122 and "bird1_2" in err.value.missing


def test_lasot_motorcycle9(shared_data, monkeypatch):
    monkeypatch.setenv("PYTRACKING_LASOT_PATH", str(shared_data / "lasot"))
    assert len(LASOT_TEST_SEQUENCES) == 280 == len(set(LASOT_TEST_SEQUENCES))
    assert len({n.rsplit("-", 1)[0] for n in LASOT_TEST_SEQUENCES}) == 70
    seq = get_dataset("lasot", sequences=["motorcycle-9"])[0]
    assert len(seq.frames) == 50 and Path(seq.frames[-1]).name == "00000050.jpg"
    assert seq.ground_truth_rect[0].tolist() == [44.0, 184.0, 240.0, 139.0]
    assert seq.target_visible.shape == (50,) and seq.target_visible.all()
    assert seq.object_class == "motorcycle"
    with pytest.raises(MissingSequencesError) as err:
        get_dataset("lasot")
    assert len(err.value.missing) == 279


def test_vot_bag_polygon_to_enclosing_box(shared_data, monkeypatch):
    monkeypatch.setenv("PYTRACKING_VOT_PATH", str(shared_data / "vot"))
    seq = get_dataset("vot")[0]
    assert seq.name == "bag" and len(seq.frames) == 196
    # first line: 291.827,203.603,396.382,264.289,442.173,185.397,337.618,124.711
    # xs 291.827 396.382 442.173 337.618 -> x 291.827, w 150.346; ys 203.603 264.289 185.397 124.711 -> y 124.711,
    # h 139.578
    np.testing.assert_allclose(seq.ground_truth_rect[0], [291.827, 124.711, 150.346, 139.578], atol=1e-9)
    assert seq.polygons.shape == (196, 8)
    assert Path(seq.frames[0]).parent.name == "color"
    assert seq.read_frame(0).shape == (360, 480, 3)
