"""Tables (stdout, CSV, Markdown), plots, per-attribute plots, server packing and the evaluate command line."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pytracking.analysis import evaluate
from pytracking.analysis.attributes import OTB_ATTRIBUTES, load_attributes
from pytracking.analysis.extract import GroundTruth, MissingResultsError, ResultCache, TrackerSpec
from pytracking.analysis.packing import pack_got10k, pack_trackingnet
from pytracking.analysis.plots import plot_attribute_success, plot_results
from pytracking.analysis.results import compute_results
from pytracking.analysis.tables import format_per_sequence, per_sequence_rows, print_results

BOX = [10.0, 10.0, 20.0, 20.0]


def _write(folder: Path, name: str, rows, times=None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text("".join("\t".join(f"{v:g}" for v in r) + "\n" for r in rows))
    if times is not None:
        (folder / f"{name}_time.txt").write_text("".join(f"{t}\n" for t in times))


@pytest.fixture()
def small(tmp_path: Path):
    """3 trackers on 2 static sequences of 5 frames; tracker i is shifted by `shift` px in x after frame 0."""
    gts = [GroundTruth(n, "otb", np.tile(BOX, (5, 1))) for n in ("a", "b")]
    specs = []
    for label, shifts in (("good", (0, 0)), ("mid", (4, 4)), ("split", (0, 10))):
        folder = tmp_path / "results" / label
        for g, shift in zip(gts, shifts, strict=True):
            rows = [BOX] + [[BOX[0] + shift, *BOX[1:]]] * 4
            _write(folder, g.name, rows, times=[0.5, 0.1, 0.1, 0.1, 0.2])
        specs.append(TrackerSpec(label, [folder]))
    return tmp_path, gts, specs


def _seq_auc(iou: float) -> float:
    return (20 + 4 * sum(1 for k in range(21) if iou > k / 20)) / (21 * 5)


def test_print_results_table_csv_markdown(small, capsys) -> None:
    tmp, gts, specs = small
    result = print_results(specs, gts, "rep", result_plot_path=tmp / "plots", per_sequence="most_different",
                           cache=ResultCache())
    out = capsys.readouterr().out
    want = {"good": _seq_auc(1.0), "mid": _seq_auc(2 / 3), "split": (_seq_auc(1.0) + _seq_auc(1 / 3)) / 2}
    lines = [ln.split() for ln in out.splitlines()]
    rows = {ln[0]: ln for ln in lines if ln and ln[0] in want}
    for name, auc in want.items():
        assert float(rows[name][1]) == pytest.approx(100 * auc, abs=0.006)  # printed in % with 2 decimals
        assert float(rows[name][-1]) == pytest.approx(5 / 1.0)  # FPS = frames / seconds = 10 / 2.0
    with open(tmp / "plots" / "rep" / "results.csv") as fh:
        table = {r["Tracker"]: r for r in csv.DictReader(fh)}
    assert {k: float(v["AUC"]) for k, v in table.items()} == pytest.approx(want, abs=1e-12)
    md = (tmp / "plots" / "rep" / "results.md").read_text()
    md_rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in md.splitlines() if ln.startswith("|")]
    assert md_rows[0] == ["Tracker", "AUC", "OP50", "OP75", "Precision", "Norm. Precision", "FPS"]
    assert md_rows[1][0].startswith(":") and all(c.endswith(":") for c in md_rows[1][1:])  # numbers right-aligned
    assert {r[0]: r[1] for r in md_rows[2:]} == {k: f"{100 * v:.2f}" for k, v in want.items()}
    # LaTeX for papers: same numbers in %, the best of each score column in bold (good has the best AUC)
    tex = (tmp / "plots" / "rep" / "results.tex").read_text()
    assert "\\begin{tabular}{lrrrrrr}" in tex and "\\toprule" in tex
    tex_rows = {ln.split(" & ")[0]: ln.rstrip(" \\").split(" & ") for ln in tex.splitlines() if " & " in ln}
    assert tex_rows["good"][1] == f"\\textbf{{{100 * want['good']:.2f}}}"
    assert tex_rows["split"][1] == f"{100 * want['split']:.2f}" and tex_rows["split"][2] == "60.00"  # OP50 0.6
    assert result.scores()["split"]["OP50"] == pytest.approx(0.6)  # a: 5/5, b: 1/5 frames with IoU > 0.5


def test_per_sequence_table_finds_where_trackers_differ(small) -> None:
    _, gts, specs = small
    result = compute_results(specs, gts, "otb", cache=ResultCache())
    names, values = per_sequence_rows(result, "most_different", k=1)
    # on 'b' the AUCs are 20/21, ~0.67, ~0.43 (spread ~0.52); on 'a' 20/21, ~0.67, 20/21 (spread ~0.29)
    assert names == ["b"]
    assert values[0] == pytest.approx([_seq_auc(1.0), _seq_auc(2 / 3), _seq_auc(1 / 3)])
    assert format_per_sequence(result).splitlines()[0].split() == ["Sequence", "good", "mid", "split"]


def test_plots_files_and_legend_order(small) -> None:
    tmp, gts, specs = small
    result = compute_results(specs, gts, "otb", cache=ResultCache())
    out = plot_results(result, tmp / "plots")
    scores = result.scores()
    for plot_type, score_name in (("success", "AUC"), ("prec", "Precision"), ("norm_prec", "Norm. Precision")):
        legend = out[plot_type]["legend"]
        values = [v for _, _, v in legend]
        assert values == sorted(values, reverse=True)
        assert [scores[name][score_name] for _, name, _ in legend] == pytest.approx(values)
        assert legend[0][0].startswith(f"[{values[0]:.3f}] ")
        png, pdf = out[plot_type]["files"]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pdf.read_bytes()[:5] == b"%PDF-"
    # AUCs by hand: good 100/105, mid 76/105, split (100/105 + 48/105) / 2 = 74/105
    assert [name for _, name, _ in out["success"]["legend"]] == ["good", "mid", "split"]
    assert [v for _, _, v in out["success"]["legend"]] == pytest.approx([100 / 105, 76 / 105, 74 / 105])


def test_attribute_success_plots_from_toolkit_files(small) -> None:
    tmp, gts, specs = small
    att = tmp / "att"
    att.mkdir()
    (att / "a.txt").write_text("1,0,0,0,0,0,0,0,0,0,1\n")  # IV, LR
    (att / "b.txt").write_text("1 1 0 0 0 0 0 0 0 0 0\n")  # IV, SV
    attrs = load_attributes(att, ["a", "b"])
    assert attrs == {"a": {"IV", "LR"}, "b": {"IV", "SV"}}
    result = compute_results(specs, gts, "otb", cache=ResultCache())
    out = plot_attribute_success(result, attrs, tmp / "plots", OTB_ATTRIBUTES)
    assert sorted(out) == ["IV", "LR", "SV"]  # attributes without sequences are skipped
    assert out["SV"]["sequences"] == ["b"]
    # on 'b' alone: good > mid > split
    assert [name for _, name, _ in out["SV"]["legend"]] == ["good", "mid", "split"]
    assert (tmp / "plots" / "attributes" / "SV_success_plot.png").is_file()
    with pytest.raises(FileNotFoundError, match="attribute file for sequence c"):
        load_attributes(att, ["c"])


def test_pack_got10k_and_trackingnet(tmp_path: Path) -> None:
    for run, dx in ((1, 0.0), (2, 1.5)):
        _write(tmp_path / f"run{run}", "GOT-10k_Test_000001", [[1 + dx, 2, 3, 4], [5, 6, 7, 8]], times=[0.5, 0.25])
    z = pack_got10k([tmp_path / "run1", tmp_path / "run2"], tmp_path / "got.zip")
    with zipfile.ZipFile(z) as zf:
        assert sorted(zf.namelist()) == ["GOT-10k_Test_000001/GOT-10k_Test_000001_001.txt",
                                         "GOT-10k_Test_000001/GOT-10k_Test_000001_002.txt",
                                         "GOT-10k_Test_000001/GOT-10k_Test_000001_time.txt"]
        assert zf.read("GOT-10k_Test_000001/GOT-10k_Test_000001_002.txt").decode() == "2.5,2,3,4\n5,6,7,8\n"
        assert zf.read("GOT-10k_Test_000001/GOT-10k_Test_000001_time.txt").decode() == "0.5\n0.25\n"
    z = pack_trackingnet(tmp_path / "run1", tmp_path / "tn.zip")
    with zipfile.ZipFile(z) as zf:
        assert zf.namelist() == ["GOT-10k_Test_000001.txt"]
        assert zf.read("GOT-10k_Test_000001.txt").decode() == "1,2,3,4\n5,6,7,8\n"
    with pytest.raises(MissingResultsError, match="missing_seq"):
        pack_trackingnet(tmp_path / "run1", tmp_path / "tn2.zip", sequences=["missing_seq"])


def test_evaluate_cli_on_published_results(shared_data: Path, tmp_path: Path, capsys) -> None:
    res = shared_data / "otb100_results"
    args = ["--dataset", "otb", "--dataset-root", str(shared_data / "otb100_gt"), "--result-dirs",
            str(res / "KCF_GaussHog"), str(res / "SiamFC-3s"), "--convention", "otb-toolkit", "--plots",
            "--report", "pub", "--result-plot-path", str(tmp_path)]
    assert evaluate.main(args) == 0
    out = capsys.readouterr().out
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines() if ln.startswith(("KCF", "SiamFC"))}
    assert rows["KCF_GaussHog"][1] == "47.71" and rows["SiamFC-3s"][1] == "58.21"
    assert (tmp_path / "pub" / "success_plot.png").is_file() and (tmp_path / "pub" / "precision_plot.pdf").is_file()
    # a folder lacking sequences: exit status 2 naming them, unless --skip-missing
    _write(tmp_path / "partial", "Basketball", [[1, 1, 1, 1]])
    partial = args[:4] + ["--result-dirs", str(tmp_path / "partial"), "--result-plot-path", str(tmp_path)]
    assert evaluate.main(partial) == 2
    assert "partial: Biker, Bird1" in capsys.readouterr().err
    assert evaluate.main(partial + ["--skip-missing", "--report", "one"]) == 0
    assert "skipping 99 sequence(s)" in capsys.readouterr().out


def test_evaluate_cli_trackers_under_results_path(shared_data: Path, tmp_path: Path, capsys) -> None:
    import shutil

    res = shared_data / "otb100_results"
    shutil.copytree(res / "KCF_GaussHog", tmp_path / "r" / "kcf" / "default")
    for run in (0, 1):  # two identical runs: their average is the run itself
        shutil.copytree(res / "SiamFC-3s", tmp_path / "r" / "siam" / f"default_{run:03d}")
    code = evaluate.main(["--dataset", "otb", "--dataset-root", str(shared_data / "otb100_gt"), "--trackers",
                          "kcf:default", "siam:default:0-1", "--results-path", str(tmp_path / "r"),
                          "--result-plot-path", str(tmp_path / "p"), "--report", "t"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert next(ln for ln in lines if ln.startswith("kcf default")).split()[2] == "47.71"
    assert next(ln for ln in lines if ln.startswith("siam default")).split()[2] == "58.21"
