"""Export to the community's layouts: the got10k toolkit reads our OTB-mode export and scores it as we do; the
other layouts and the server packs have the files and names the toolkits expect."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pytracking.analysis import export
from pytracking.analysis.extract import ResultCache, load_ground_truth, specs_from_dirs
from pytracking.analysis.results import compute_results
from pytracking.evaluation.otbdataset import OTB_SEQUENCES

TRACKERS = ("KCF_GaussHog", "SiamFC-3s")


def _got10k_anno(gt_root: Path, seq: str) -> np.ndarray:
    """The annotation as the got10k toolkit's OTB reader parses it (',' -> ' ', np.loadtxt)."""
    folder, _, target = seq.partition("_")
    name = "groundtruth_rect.txt" if not target else f"groundtruth_rect.{target}.txt"
    return np.loadtxt(io.StringIO((gt_root / folder / name).read_text().replace(",", " ")))


def test_got10k_toolkit_reads_our_otb_export_and_agrees(shared_data: Path, tmp_path: Path) -> None:
    pytest.importorskip("got10k", reason="got10k toolkit not installed")
    from got10k.experiments.otb import ExperimentOTB

    gt_root, res = shared_data / "otb100_gt", shared_data / "otb100_results"
    gts = load_ground_truth("otb", root=gt_root)
    # Sequences got10k can score as the OTB toolkit does: no omitted first frames (Tiger1: got10k wants every
    # annotation line) and every GT box valid (got10k scores invalid GT frames like valid ones; we, like the OTB
    # toolkit, count them as failures - with convention pytracking or otb-toolkit alike).
    omit = {i.name for i in OTB_SEQUENCES if i.init_omit}
    clean = [g for g in gts if g.name not in omit and (g.boxes > 0).all()]
    assert 90 <= len(clean) < 100
    names = [g.name for g in clean]
    assert export.main(["--format", "got10k", "--mode", "otb", "--result-dirs", *[str(res / t) for t in TRACKERS],
                        "--out", str(tmp_path / "OTB2015"), *sum((["--sequence", n] for n in names), [])]) == 0
    # the toolkit's own spelling of two-target sequences, comma-separated files
    assert (tmp_path / "OTB2015" / "SiamFC-3s" / "Jogging.1.txt").is_file()
    assert (tmp_path / "OTB2015" / "SiamFC-3s" / "Human4.txt").is_file()
    assert "," in (tmp_path / "OTB2015" / "KCF_GaussHog" / "Basketball.txt").read_text().splitlines()[0]

    class Dataset:  # got10k's OTB dataset needs the images; the report only iterates (img_files, anno)
        seq_names = [export.toolkit_name(n, "got10k", "otb") for n in names]

        def __iter__(self):
            return iter((None, _got10k_anno(gt_root, n)) for n in names)

        def __len__(self):
            return len(names)

    exp = ExperimentOTB.__new__(ExperimentOTB)
    exp.dataset, exp.nbins_iou, exp.nbins_ce = Dataset(), 21, 51
    exp.result_dir, exp.report_dir = str(tmp_path / "OTB2015"), str(tmp_path / "reports")
    exp.plot_curves = lambda names: None
    theirs = exp.report(list(TRACKERS))
    ours = compute_results(specs_from_dirs([res / t for t in TRACKERS]), clean, "otb", "pytracking",
                           cache=ResultCache()).scores()
    for t in TRACKERS:
        assert theirs[t]["overall"]["success_score"] == pytest.approx(ours[t]["AUC"], abs=1e-12)
        assert theirs[t]["overall"]["precision_score"] == pytest.approx(ours[t]["Precision"], abs=1e-12)
        assert 0.4 < ours[t]["AUC"] < 0.7


def _results(folder: Path, seqs: dict[str, list[list[float]]]) -> Path:
    folder.mkdir(parents=True)
    for name, rows in seqs.items():
        (folder / f"{name}.txt").write_text("".join("\t".join(f"{v:g}" for v in r) + "\n" for r in rows))
        (folder / f"{name}_time.txt").write_text("".join(f"{0.5 / (i + 1)}\n" for i in range(len(rows))))
    return folder


def test_layouts_and_names(tmp_path: Path) -> None:
    run1 = _results(tmp_path / "res" / "mytrk", {"Jogging_1": [[1, 2, 3, 4], [5.5, 6, 7, 8]], "Car4": [[1, 1, 2, 2]]})
    run2 = _results(tmp_path / "res2" / "mytrk", {"Jogging_1": [[2, 2, 3, 4], [5, 6, 7, 8]], "Car4": [[1, 1, 2, 2]]})
    out = tmp_path / "out"
    assert export.main(["--format", "pysot", "--result-dirs", str(run1), "--out", str(out / "pysot")]) == 0
    assert sorted(p.name for p in (out / "pysot" / "mytrk").iterdir()) == ["Car4.txt", "Jogging-1.txt"]
    assert (out / "pysot" / "mytrk" / "Jogging-1.txt").read_text() == "1,2,3,4\n5.5,6,7,8\n"
    assert export.main(["--format", "otb-matlab-txt", "--result-dirs", str(run1), "--out", str(out / "m")]) == 0
    assert np.array_equal(np.loadtxt(out / "m" / "mytrk" / "Jogging-1.txt", delimiter=","), [[1, 2, 3, 4],
                                                                                           [5.5, 6, 7, 8]])
    # got10k's GOT-10k layout: one file per run, comma-separated, times beside them
    from pytracking.analysis.extract import TrackerSpec

    export.export_results([TrackerSpec("my trk", [run1, run2])], out / "g", "got10k")
    seq_dir = out / "g" / "my_trk" / "Jogging_1"
    assert sorted(p.name for p in seq_dir.iterdir()) == ["Jogging_1_001.txt", "Jogging_1_002.txt",
                                                        "Jogging_1_time.txt"]
    assert (seq_dir / "Jogging_1_002.txt").read_text() == "2,2,3,4\n5,6,7,8\n"
    assert np.loadtxt(seq_dir / "Jogging_1_time.txt").tolist() == [0.5, 0.25]
    # pytracking layout round trip; existing files are not overwritten without --force
    assert export.main(["--format", "pytracking", "--result-dirs", str(run1), "--out", str(out / "p")]) == 0
    assert (out / "p" / "mytrk" / "Jogging_1.txt").read_text() == "1.0\t2.0\t3.0\t4.0\n5.5\t6.0\t7.0\t8.0\n"
    assert export.main(["--format", "pytracking", "--result-dirs", str(run1), "--out", str(out / "p")]) == 2
    assert export.main(["--format", "pytracking", "--result-dirs", str(run1), "--out", str(out / "p"),
                        "--force"]) == 0
    # an empty or absent folder is an error, not an empty export
    (tmp_path / "empty").mkdir()
    assert export.main(["--format", "pysot", "--result-dirs", str(tmp_path / "empty"), "--out", str(out / "e")]) == 2
    # a sequence missing in a run is named
    with pytest.raises(Exception, match="Nope"):
        export.export_results([TrackerSpec("t", [run1])], out / "x", "pysot", sequences=["Nope"])


def test_pack_subcommands(tmp_path: Path, capsys) -> None:
    run1 = _results(tmp_path / "r1", {"GOT-10k_Test_000001": [[1, 2, 3, 4], [2, 2, 3, 4]]})
    run2 = _results(tmp_path / "r2", {"GOT-10k_Test_000001": [[1, 2, 3, 5], [2, 2, 3, 5]]})
    z = tmp_path / "got.zip"
    assert export.main(["pack", "got10k", "--result-dirs", str(run1), str(run2), "--out", str(z)]) == 0
    with zipfile.ZipFile(z) as zf:
        assert sorted(zf.namelist()) == ["GOT-10k_Test_000001/GOT-10k_Test_000001_001.txt",
                                         "GOT-10k_Test_000001/GOT-10k_Test_000001_002.txt",
                                         "GOT-10k_Test_000001/GOT-10k_Test_000001_time.txt"]
        assert zf.read("GOT-10k_Test_000001/GOT-10k_Test_000001_002.txt").decode() == "1,2,3,5\n2,2,3,5\n"
    z = tmp_path / "tn.zip"
    assert export.main(["pack", "trackingnet", "--result-dirs", str(run1), "--out", str(z)]) == 0
    with zipfile.ZipFile(z) as zf:
        assert zf.namelist() == ["GOT-10k_Test_000001.txt"]
    assert export.main(["pack", "trackingnet", "--result-dirs", str(run1), str(run2), "--out", str(z)]) == 2
    assert "one run" in capsys.readouterr().err
