"""run_dataset: skip-existing, failure reporting, sharding, process pool."""

from __future__ import annotations

import pytest
from evaltest_fixtures import make_folder_dataset

from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.results_io import box_file, read_boxes, read_times, sequence_dir, time_file
from pytracking.evaluation.running import parse_shard, run_dataset, shard_slice
from pytracking.evaluation.tracker import Tracker


@pytest.fixture
def dataset(tmp_path):
    root = make_folder_dataset(tmp_path / "videos", bad=("seq_c",))
    return get_dataset(f"folder:{root}", report=None)


def _tracker(tmp_path, run_id=None):
    return Tracker("evaltest_pkg.trackers", "default", run_id=run_id, results_path=tmp_path / "results")


def test_failures_are_reported_summarised_and_others_still_run(dataset, tmp_path):
    lines: list[str] = []
    report = run_dataset(dataset, [_tracker(tmp_path)], log=lines.append)
    assert [r.sequence for r in report.done] == ["seq_a", "seq_b", "seq_d"]
    assert [r.sequence for r in report.failed] == ["seq_c"] and not report.ok
    text = "\n".join(lines)
    assert "Traceback" in text and "deliberate failure on a bad sequence" in text
    assert lines[-1].startswith("Summary: 3 tracked, 0 skipped (results exist), 1 failed, 4 jobs")
    assert "seq_c: RuntimeError: deliberate failure on a bad sequence" in lines[-1]
    results = _tracker(tmp_path).results_dir / "folder"  # one sub-folder per dataset
    assert not box_file(results, "seq_c").exists() and not time_file(results, "seq_c").exists()
    # step 1.5 px per frame from the init box (10, 12, 20, 16); integers by default (rint: 14.5 -> 14)
    boxes = read_boxes(box_file(results, "seq_b"))
    assert boxes.tolist() == [[10, 12, 20, 16], [12, 12, 20, 16], [13, 12, 20, 16], [14, 12, 20, 16]]
    assert len(read_times(time_file(results, "seq_b"))) == 4


def test_existing_results_are_skipped_with_a_clear_line(dataset, tmp_path):
    tracker = _tracker(tmp_path, run_id=1)
    run_dataset(dataset[["seq_a", "seq_b"]], [tracker], log=lambda _: None)
    before = box_file(sequence_dir(tracker.results_dir, "folder"), "seq_a").stat().st_mtime_ns
    lines: list[str] = []
    report = run_dataset(dataset, [tracker], log=lines.append)
    assert [r.sequence for r in report.skipped] == ["seq_a", "seq_b"]
    assert [r.sequence for r in report.done] == ["seq_d"]
    assert any("seq_a: exists, skipped" in line for line in lines)
    assert not any("FPS: -1" in line for line in lines)
    assert box_file(sequence_dir(tracker.results_dir, "folder"), "seq_a").stat().st_mtime_ns == before


def test_save_float_keeps_precision(dataset, tmp_path):
    tracker = _tracker(tmp_path)
    run_dataset(dataset[["seq_a"]], [tracker], save_float=True, log=lambda _: None)
    boxes = read_boxes(box_file(sequence_dir(tracker.results_dir, "folder"), "seq_a"))
    assert boxes[1].tolist() == [11.5, 12.0, 20.0, 16.0]


def test_shards_partition_the_sequence_list():
    items = list(range(10))
    shards = [shard_slice(items, (i, 3)) for i in (1, 2, 3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert sorted(sum(shards, [])) == items
    assert parse_shard("2/3") == (2, 3) and parse_shard(None) is None
    for bad in ("0/3", "4/3", "1/0", "a/b", "3"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_shard_runs_only_its_slice(dataset, tmp_path):
    tracker = _tracker(tmp_path)
    report = run_dataset(dataset, [tracker], shard="2/2", log=lambda _: None)
    assert [r.sequence for r in report.results] == ["seq_b", "seq_d"]


def test_process_pool_gives_same_results_as_sequential(dataset, tmp_path):
    seq_tracker = _tracker(tmp_path, run_id=1)
    pool_tracker = _tracker(tmp_path, run_id=2)
    run_dataset(dataset, [seq_tracker], log=lambda _: None)
    report = run_dataset(dataset, [pool_tracker], threads=2, log=lambda _: None)
    assert sorted(r.sequence for r in report.done) == ["seq_a", "seq_b", "seq_d"]
    assert [r.sequence for r in report.failed] == ["seq_c"]
    assert "deliberate failure" in report.failed[0].message
    for name in ("seq_a", "seq_b", "seq_d"):
        pooled = box_file(sequence_dir(pool_tracker.results_dir, "folder"), name).read_text()
        assert pooled == box_file(sequence_dir(seq_tracker.results_dir, "folder"), name).read_text()


def test_old_layout_results_still_count_and_new_ones_go_to_the_dataset_folder(dataset, tmp_path):
    tracker = _tracker(tmp_path)
    old = box_file(tracker.results_dir, "seq_a")  # written before results had a sub-folder per dataset
    old.parent.mkdir(parents=True)
    old.write_text("10\t12\t20\t16\n")
    lines: list[str] = []
    report = run_dataset(dataset[["seq_a", "seq_b"]], [tracker], log=lines.append)
    assert [r.sequence for r in report.skipped] == ["seq_a"] and str(old) in lines[0]
    assert box_file(tracker.results_dir / "folder", "seq_b").is_file()
    assert not box_file(tracker.results_dir, "seq_b").exists()
