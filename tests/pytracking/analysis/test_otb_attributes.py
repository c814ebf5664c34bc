"""The built-in OTB-100 attribute table agrees with the toolkit's released list, and evaluate uses it unasked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytracking.analysis import evaluate
from pytracking.analysis.attributes import OTB_ATTRIBUTES, builtin_attributes, otb100_attributes
from pytracking.evaluation.otbdataset import OTB_SEQUENCES

# Per-attribute sequence counts over OTB-100's 100 targets, as stated in ../shared/data/README.md.
README_COUNTS = {"IV": 38, "SV": 65, "OCC": 49, "DEF": 44, "MB": 31, "FM": 43, "IPR": 51, "OPR": 64, "OV": 14,
                 "BC": 32, "LR": 10}


def _released(path: Path) -> dict[str, set[str]]:
    """The released file parsed independently: name, TAB, codes split on commas/spaces; '-' spelled '_'."""
    out = {}
    for line in path.read_text().split("\n"):
        if line.strip():
            name, codes = line.split("\t", 1)
            out[name.replace("-", "_")] = set(re.split(r"[,\s]+", codes.strip(", \t"))) - {""}
    return out


def test_table_matches_the_released_file_and_its_counts(shared_data: Path) -> None:
    released = _released(shared_data / "otb100_attributes.txt")
    table = otb100_attributes()
    targets = [s.name for s in OTB_SEQUENCES]
    assert list(table) == targets and len(targets) == 100
    assert table == {n: released[n] for n in targets}
    for attr in OTB_ATTRIBUTES:
        file_count = sum(attr in released[n] for n in targets)
        assert sum(attr in table[n] for n in targets) == file_count == README_COUNTS[attr], attr
    assert "Human4_1" not in table and "Jogging" not in table  # not among the 100 targets


def test_builtin_refuses_other_datasets_and_unknown_sequences() -> None:
    assert builtin_attributes("otb", ["Car4"]) == {"Car4": {"IV", "SV"}}
    with pytest.raises(ValueError, match="only OTB-100"):
        builtin_attributes("lasot", ["a"])
    with pytest.raises(KeyError, match="Nope"):
        builtin_attributes("otb", ["Car4", "Nope"])


def test_evaluate_attributes_without_any_file(shared_data: Path, tmp_path: Path, capsys) -> None:
    res = shared_data / "otb100_results"
    code = evaluate.main(["--dataset", "otb", "--dataset-root", str(shared_data / "otb100_gt"),
                          "--result-dirs", str(res / "KCF_GaussHog"), str(res / "SiamFC-3s"),
                          "--sequence", "Biker", "--sequence", "Car4", "--attributes",
                          "--result-plot-path", str(tmp_path), "--report", "att"])
    assert code == 0
    out = capsys.readouterr().out
    # Biker: SV OCC MB FM OPR OV LR; Car4: IV SV  -> SV has both, DEF/IPR/BC none
    assert "SV (2)" in out and "IV (1)" in out and "LR (1)" in out and "DEF" not in out.split("sequences): ")[1]
    drawn = {p.name.split("_")[0] for p in (tmp_path / "att" / "attributes").glob("*_success_plot.png")}
    assert drawn == {"IV", "SV", "OCC", "MB", "FM", "OPR", "OV", "LR"}
