"""Issue 13 item 3: result files with a wrong column count, extra rows or Inf are treated like their siblings (3
columns, fewer rows, NaN): same rules, messages naming the file and line; also through the evaluate CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pytracking.analysis import evaluate
from pytracking.analysis.extract import GroundTruth, ResultCache, ResultFileError, TrackerSpec
from pytracking.analysis.results import compute_results

BOX = [10.0, 10.0, 10.0, 10.0]


def _gt(name: str, n: int) -> GroundTruth:
    return GroundTruth(name, "otb", np.tile(BOX, (n, 1)))


def _write(folder: Path, name: str, rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_text("".join("\t".join(str(v) for v in r) + "\n" for r in rows))
    return path


def _run(tmp_path: Path, n: int = 3, convention: str = "pytracking"):
    return compute_results([TrackerSpec("t", [tmp_path / "t"])], [_gt("seq", n)], "otb", convention,
                           cache=ResultCache())


@pytest.mark.parametrize("ncols", [3, 5, 6])
def test_wrong_column_count_is_an_error_naming_file_and_line(tmp_path, ncols):
    f = _write(tmp_path / "t", "seq", [[1] * ncols] * 3)
    with pytest.raises(ResultFileError, match=rf"{f}:1: expected 4 values \(x, y, w, h\) per line, found {ncols}"):
        _run(tmp_path)


@pytest.mark.parametrize("convention", ["pytracking", "otb-toolkit"])
@pytest.mark.parametrize("value", ["inf", "-inf"])
def test_inf_is_an_error_naming_file_and_line(tmp_path, value, convention):
    f = _write(tmp_path / "t", "seq", [BOX, [1, 2, value, 4], BOX])
    with pytest.raises(ResultFileError, match=rf"{f}:2: Inf in prediction"):
        _run(tmp_path, convention=convention)


def test_more_rows_than_ground_truth_get_a_note_like_fewer_rows(tmp_path):
    _write(tmp_path / "t", "seq", [BOX, BOX, BOX, [0, 0, 1, 1], [0, 0, 1, 1]])
    r = _run(tmp_path)
    assert "t: seq result is 2 rows longer than the sequence; extra rows ignored" in r.notes
    assert r.per_sequence_auc()[0][0] == pytest.approx(20 / 21)  # 3 perfect rows: all thresholds but IoU > 1


def test_evaluate_cli_reports_five_columns_as_one_line(tmp_path, shared_data, monkeypatch, capsys):
    monkeypatch.setenv("PYTRACKING_OTB_PATH", str(shared_data / "otb"))
    gt = (shared_data / "otb" / "Couple" / "groundtruth_rect.txt").read_text().splitlines()
    rows = [[*line.replace(",", " ").split(), "0.9"] for line in gt]
    f = _write(tmp_path / "res", "Couple", rows)
    code = evaluate.main(["--dataset", "otb", "--sequence", "Couple", "--result-dirs", str(tmp_path / "res"),
                          "--result-plot-path", str(tmp_path / "plots")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{f}:1: expected 4 values (x, y, w, h) per line, found 5" in err and "Traceback" not in err
