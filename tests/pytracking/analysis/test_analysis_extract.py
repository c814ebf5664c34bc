"""Result files -> aligned arrays: padding, truncation, omitted frames, errors naming file and line, caching."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from pytracking.analysis.extract import (
    GroundTruth,
    MissingResultsError,
    ResultCache,
    ResultFileError,
    TrackerSpec,
    load_predictions,
    parse_numeric_text,
    parse_tracker_arg,
)
from pytracking.analysis.results import compute_results

BOX = [10.0, 10.0, 10.0, 10.0]


def _gt(name: str, n: int, dataset: str = "otb", init_omit: int = 0) -> GroundTruth:
    return GroundTruth(name, dataset, np.tile(BOX, (n, 1)), init_omit=init_omit)


def _write(folder: Path, name: str, rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_text("".join("\t".join(str(v) for v in r) + "\n" for r in rows))
    return path


def _auc(result) -> float:
    return result.scores()[result.trackers[0]]["AUC"]


def test_parse_mixed_delimiters_and_errors() -> None:
    arr = parse_numeric_text(b"1,2,3,4\n5\t6 7,8\r\n\n9;10;11;NaN")
    assert arr.shape == (3, 4) and arr[1].tolist() == [5, 6, 7, 8] and np.isnan(arr[2, 3])
    with pytest.raises(ResultFileError, match=r"r\.txt:2: expected 4 values, found 3"):
        parse_numeric_text(b"1 2 3 4\n5 6 7\n8 9 10 11 12\n", "r.txt")
    with pytest.raises(ResultFileError, match=r"r\.txt:2: cannot parse"):
        parse_numeric_text(b"1 2 3 4\n5 6 x 8\n", "r.txt")
    assert parse_numeric_text(b"\n\n").shape == (0, 4)


def test_short_file_padded_long_file_truncated(tmp_path: Path) -> None:
    gts = [_gt("short", 4), _gt("long", 2)]
    _write(tmp_path / "t", "short", [BOX, BOX])  # frames 2, 3 missing -> zero boxes, failures
    _write(tmp_path / "t", "long", [BOX, BOX, [0, 0, 1, 1]])  # the extra row is ignored
    r = compute_results([TrackerSpec("t", [tmp_path / "t"])], gts, "otb", cache=ResultCache())
    auc = r.per_sequence_auc()[0]
    assert auc[0] == pytest.approx(2 * 20 / (21 * 4)) and auc[1] == pytest.approx(20 / 21)
    assert any("short result is 2 rows short" in n for n in r.notes)


def test_lasot_short_file_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "t", "seq", [BOX])
    with pytest.raises(ResultFileError, match="seq.txt: 1 rows but sequence seq has 3 frames"):
        compute_results([TrackerSpec("t", [tmp_path / "t"])], [_gt("seq", 3, "lasot")], "lasot", cache=ResultCache())


def test_nan_or_negative_prediction_names_file_and_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "t", "seq", [BOX, BOX, [1, 2, "NaN", 4]])
    with pytest.raises(ResultFileError, match=rf"{f}:3: NaN"):
        compute_results([TrackerSpec("t", [tmp_path / "t"])], [_gt("seq", 3)], "otb", cache=ResultCache())
    _write(tmp_path / "t", "seq", [BOX, [1, 2, 3, -4], BOX])
    with pytest.raises(ResultFileError, match=rf"{f}:2: negative width/height"):
        compute_results([TrackerSpec("t", [tmp_path / "t"])], [_gt("seq", 3)], "otb", cache=ResultCache())
    # the OTB toolkit convention replaces such rows by the previous one instead (frame 1 -> frame 0's box)
    r = compute_results([TrackerSpec("t", [tmp_path / "t"])], [_gt("seq", 3)], "otb", "otb-toolkit",
                        cache=ResultCache())
    assert r.success[0, 0, 10] == pytest.approx(1.0, abs=1e-12)


def test_omitted_initial_frames_are_dropped_from_full_range_files(tmp_path: Path) -> None:
    # like Tiger1: the GT starts after 2 omitted annotation rows; a result over the whole range has 2 extra rows
    gt = _gt("tiger", 3, init_omit=2)
    _write(tmp_path / "t", "tiger", [[0, 0, 1, 1], [0, 0, 1, 1], BOX, BOX, BOX])
    loaded = load_predictions([TrackerSpec("t", [tmp_path / "t"])], [gt], cache=ResultCache())
    assert loaded.pred[0][0][0].tolist() == [BOX] * 3
    _write(tmp_path / "t", "tiger", [BOX, BOX, BOX, [1, 1, -1, 1], BOX])
    with pytest.raises(ResultFileError, match="tiger.txt:4:"):  # line numbers still refer to the file
        load_predictions([TrackerSpec("t", [tmp_path / "t"])], [gt], cache=ResultCache())


def test_cache_never_returns_stale_numbers(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")
    spec = [TrackerSpec("t", [tmp_path / "t"])]
    gts = [_gt("seq", 3)]
    f = _write(tmp_path / "t", "seq", [BOX, BOX, BOX])
    assert _auc(compute_results(spec, gts, "otb", cache=cache)) == pytest.approx(20 / 21)
    stat = f.stat()
    # rewrite with the same size and restore the modification time: a size+mtime key would miss this change
    _write(tmp_path / "t", "seq", [BOX, BOX, [90.0, 10.0, 10.0, 10.0]])
    assert f.stat().st_size == stat.st_size
    os.utime(f, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _auc(compute_results(spec, gts, "otb", cache=cache)) == pytest.approx(40 / 63)
    hits = cache.hits
    compute_results(spec, gts, "otb", cache=cache)
    assert cache.hits == hits + 1
    # the on-disk cache serves a fresh process (new cache object) without parsing
    fresh = ResultCache(tmp_path / "cache")
    compute_results(spec, gts, "otb", cache=fresh)
    assert fresh.hits == 1 and fresh.misses == 0
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2


def test_missing_sequences_error_or_skip(tmp_path: Path) -> None:
    gts = [_gt("a", 2), _gt("b", 2)]
    _write(tmp_path / "t1", "a", [BOX, BOX])
    _write(tmp_path / "t1", "b", [BOX, BOX])
    _write(tmp_path / "t2", "a", [BOX, BOX])
    specs = [TrackerSpec("t1", [tmp_path / "t1"]), TrackerSpec("t2", [tmp_path / "t2"])]
    with pytest.raises(MissingResultsError, match="t2: b"):
        compute_results(specs, gts, "otb", cache=ResultCache())
    messages: list[str] = []
    r = compute_results(specs, gts, "otb", skip_missing_seq=True, cache=ResultCache(), report=messages.append)
    assert r.sequences == ["a"] and r.skipped_sequences == ["b"] and "b" in messages[0]


def test_runs_are_averaged_per_sequence(tmp_path: Path) -> None:
    gts = [_gt("a", 2)]
    _write(tmp_path / "r1", "a", [BOX, BOX])  # IoU 1 in frame 1
    _write(tmp_path / "r2", "a", [BOX, [15, 10, 10, 10]])  # IoU 1/3 in frame 1
    r = compute_results([TrackerSpec("t", [tmp_path / "r1", tmp_path / "r2"])], gts, "otb", cache=ResultCache())
    curve_r1 = np.array([1.0] * 20 + [0.0])
    curve_r2 = np.array([(1 + (1 / 3 > k / 20)) / 2 for k in range(21)])
    curve_r2[20] = 0.0
    assert r.success[0, 0] == pytest.approx((curve_r1 + curve_r2) / 2)


def test_parallel_parsing_equals_serial(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    gts = [_gt(f"s{i}", 30) for i in range(12)]
    for g in gts:
        _write(tmp_path / "t", g.name, np.rint(rng.uniform(1, 50, (30, 4))).tolist())
    spec = [TrackerSpec("t", [tmp_path / "t"])]
    serial = load_predictions(spec, gts, cache=ResultCache())
    parallel = load_predictions(spec, gts, workers=2, cache=ResultCache())
    for s in range(len(gts)):
        assert np.array_equal(serial.pred[0][0][s], parallel.pred[0][0][s])


def test_parse_tracker_arg() -> None:
    assert parse_tracker_arg("atom:default") == ("atom", "default", None)
    assert parse_tracker_arg("atom:default:0-2,5") == ("atom", "default", [0, 1, 2, 5])
    with pytest.raises(ValueError, match="name:param"):
        parse_tracker_arg("atom")


def test_got10k_results_skip_first_and_absent_frames(tmp_path: Path) -> None:
    from pytracking.analysis.results import got10k_results

    box = [0.0, 0.0, 10.0, 10.0]
    gts = [GroundTruth("a", "got10k_val", np.tile(box, (3, 1)), visible=np.array([True, True, False])),
           GroundTruth("b", "got10k_val", np.tile(box, (2, 1)))]
    _write(tmp_path / "t", "a", [[50, 50, 1, 1], box, [90, 90, 5, 5]])  # frame 0 ignored, frame 2 absent
    _write(tmp_path / "t", "b", [box, [0, 0, 10, 6]])  # IoU 60/100
    s = got10k_results([TrackerSpec("t", [tmp_path / "t"])], gts, cache=ResultCache())["t"]
    assert s == pytest.approx({"AO": 0.8, "SR50": 1.0, "SR75": 0.5})
