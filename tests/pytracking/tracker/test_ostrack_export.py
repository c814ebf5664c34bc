"""OSTrack ONNX export: onnxruntime equals PyTorch (maps and eliminated tokens), the tracker's onnxruntime backend gives
the same boxes on a real sequence, and the export / run_tracker command lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from ostrack_helpers import random_vitb_state_dict, save_released_format, tiny_net

from ltr.admin.checkpoint import make_checkpoint, save_checkpoint
from pytracking.export import main as export_main
from pytracking.tracker.ostrack.backends import export_onnx
from pytracking.tracker.ostrack.ostrack import OSTrack
from pytracking.tracker.ostrack.params import OSTrackParams

ort = pytest.importorskip("onnxruntime")
REPO = Path(__file__).resolve().parents[3]


def test_onnx_matches_pytorch_within_1e4(tmp_path) -> None:
    net = tiny_net(5)
    path = export_onnx(net, tmp_path / "tiny.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(0)
    for _ in range(2):  # the traced CE path must hold for inputs other than the tracing one
        z = torch.randn(1, 3, 32, 32, generator=gen)
        x = torch.randn(1, 3, 64, 64, generator=gen)
        mask = net.template_mask(1)
        got = session.run(None, {"template": z.numpy(), "search": x.numpy(), "template_mask": mask.numpy()})
        with torch.no_grad():
            ref = net(z, x, ce_template_mask=mask)
        for name, value in zip(("score_map", "size_map", "offset_map"), got[:3], strict=True):
            assert value.shape == tuple(ref[name].shape)
            assert np.abs(value - ref[name].numpy()).max() < 1e-4, name
        assert np.array_equal(got[3], torch.cat(ref["removed_indexes_s"], dim=1).numpy())
    assert not net.training


@pytest.fixture(scope="module")
def crossing(shared_data):
    seq = shared_data / "otb" / "Crossing"
    lines = (seq / "groundtruth_rect.txt").read_text().strip().splitlines()
    gt = [[float(v) for v in re.split(r"[,\s]+", ln.strip())] for ln in lines]
    frames = [cv2.cvtColor(cv2.imread(str(seq / "img" / f"{i:04d}.jpg")), cv2.COLOR_BGR2RGB) for i in range(1, 31)]
    return frames, np.asarray(gt[:30])


def test_onnxruntime_backend_gives_the_same_boxes_on_a_real_sequence(tmp_path, crossing) -> None:
    frames, gt = crossing
    net = tiny_net(6)
    onnx = export_onnx(net, tmp_path / "tiny.onnx")
    runs = {}
    for backend in ("torch", "onnxruntime"):
        params = OSTrackParams(net=net if backend == "torch" else None, onnx_path=str(onnx), backend=backend,
                               template_size=32, search_size=64, use_gpu=False)
        tracker = OSTrack(params)
        tracker.initialize(frames[0], {"init_bbox": gt[0].tolist()})
        runs[backend] = np.asarray([gt[0].tolist()] + [tracker.track(f)["target_bbox"] for f in frames[1:]])
    assert np.abs(runs["torch"] - runs["onnxruntime"]).max() <= 0.5
    assert np.ptp(runs["torch"][:, 0]) > 1  # the boxes actually move: the comparison is not trivially equal


def test_export_command(tmp_path, monkeypatch, capsys) -> None:
    net = tiny_net(7)
    save_checkpoint(make_checkpoint(net, 1), tmp_path / "tiny.pth.tar")
    out = tmp_path / "out" / "tiny.onnx"
    argv = ["ostrack", "vitb_256_mae_ce_32x4_ep300", "--network", str(tmp_path / "tiny.pth.tar"), "--onnx", str(out)]
    assert export_main(argv) == 0
    assert out.is_file() and "score_map: max |torch - onnxruntime|" in capsys.readouterr().out
    before = out.stat().st_mtime_ns
    assert export_main(argv) == 2  # existing file kept without --force
    assert "exists; pass --force" in capsys.readouterr().err and out.stat().st_mtime_ns == before
    assert export_main([*argv, "--force"]) == 0
    assert export_main(["atom", "default"]) == 2
    assert "cannot be exported" in capsys.readouterr().err
    monkeypatch.setenv("PYTRACKING_NETWORK_PATH", str(tmp_path / "nets"))
    assert export_main(["ostrack", "vitb_256_mae_ce_32x4_ep300"]) == 2
    assert "OSTrack_ep0300.pth.tar" in capsys.readouterr().err
    assert export_main(["nosuch", "x"]) == 2  # one line through cli_main, listing the trackers that exist
    err = capsys.readouterr().err
    assert err.startswith("export: error: unknown tracker 'nosuch'") and "ostrack:" in err and "Traceback" not in err


def _crossing_folder(tmp_path: Path, shared_data: Path, n: int) -> Path:
    seq_dir = tmp_path / "videos" / "Crossing"
    (seq_dir / "img").mkdir(parents=True)
    src = shared_data / "otb" / "Crossing"
    for i in range(1, n + 1):
        (seq_dir / "img" / f"{i:04d}.jpg").symlink_to(src / "img" / f"{i:04d}.jpg")
    (seq_dir / "groundtruth_rect.txt").write_text(
        "\n".join((src / "groundtruth_rect.txt").read_text().splitlines()[:n]) + "\n")
    return tmp_path / "videos"


@pytest.mark.slow
def test_run_tracker_vitb_256_on_otb_with_a_released_format_file(tmp_path, shared_data) -> None:
    """``run_tracker.py ostrack vitb_256_mae_ce_32x4_ep300 --dataset otb`` with random ViT-B weights, 3 frames."""
    from ltr.models.tracking.ostrack import ostrack_vitb_256_ce

    with torch.device("meta"):
        shapes = {k: tuple(v.shape) for k, v in ostrack_vitb_256_ce().state_dict().items()}
    save_released_format(random_vitb_state_dict(shapes), tmp_path / "nets" / "OSTrack_ep0300.pth.tar")
    env = dict(os.environ, PYTRACKING_NETWORK_PATH=str(tmp_path / "nets"),
               PYTRACKING_RESULTS_PATH=str(tmp_path / "results"), PYTRACKING_OTB_PATH=str(shared_data / "otb"))
    cmd = [sys.executable, str(REPO / "pytracking" / "run_tracker.py"), "ostrack", "vitb_256_mae_ce_32x4_ep300",
           "--dataset", "otb", "--sequence", "Crossing", "--max-frames", "3", "--use_visdom", "false"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = tmp_path / "results" / "first_3_frames" / "ostrack" / "vitb_256_mae_ce_32x4_ep300" / "otb" / "Crossing.txt"
    rows = [[float(v) for v in re.split(r"[,\s]+", ln.strip())] for ln in result.read_text().splitlines()]
    gt0 = [float(v) for v in re.split(r"[,\s]+", (shared_data / "otb" / "Crossing" / "groundtruth_rect.txt")
                                      .read_text().splitlines()[0].strip())]
    assert len(rows) == 3 and rows[0] == pytest.approx(gt0)
    assert all(r[2] >= 10 and r[3] >= 10 for r in rows)
    # --backend on a tracker without backends is a usage error naming the setting
    bad = subprocess.run([*cmd[:2], "atom", "default", *cmd[4:], "--backend", "onnxruntime"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "no setting 'backend'" in bad.stderr
    unknown = subprocess.run([*cmd, "--backend", "tensorrt"], capture_output=True, text=True, env=env, timeout=120)
    assert unknown.returncode == 2 and "backend must be one of" in unknown.stderr


def test_run_tracker_synthetic_parameter_set_on_the_synthetic_dataset(tmp_path, monkeypatch) -> None:
    """`ostrack synthetic`: newest checkpoint of the ostrack_synthetic run (constructor recorded), synthetic videos."""
    from ltr.models.tracking.ostrack import ostrack

    torch.manual_seed(8)
    net = ostrack(template_size=64, search_size=128, patch_size=16, embed_dim=32, depth=2, num_heads=2,
                  ce_loc=(1,), head_channels=16, pretrain_img_size=64)
    run_dir = tmp_path / "ws" / "checkpoints" / "ltr" / "ostrack" / "ostrack_synthetic"
    save_checkpoint(make_checkpoint(net, 1), run_dir / "OSTrack_ep0001.pth.tar")
    save_checkpoint(make_checkpoint(net, 2), run_dir / "OSTrack_ep0002.pth.tar")
    env = dict(os.environ, LTR_WORKSPACE_DIR=str(tmp_path / "ws"), PYTRACKING_NETWORK_PATH=str(tmp_path / "nets"),
               PYTRACKING_RESULTS_PATH=str(tmp_path / "results"))
    cmd = [sys.executable, str(REPO / "pytracking" / "run_tracker.py"), "ostrack", "synthetic", "--dataset",
           "synthetic", "--sequence", "0", "--max-frames", "4", "--use_visdom", "false"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = list((tmp_path / "results" / "first_4_frames" / "ostrack" / "synthetic" / "synthetic").glob("*.txt"))
    boxes = [f for f in files if not f.name.endswith("_time.txt")]
    assert len(boxes) == 1 and len(boxes[0].read_text().splitlines()) == 4
    from pytracking.parameter.ostrack.synthetic import synthetic_network_path

    monkeypatch.setenv("LTR_WORKSPACE_DIR", str(tmp_path / "ws"))
    monkeypatch.setenv("PYTRACKING_NETWORK_PATH", str(tmp_path / "nets"))
    assert synthetic_network_path().name == "OSTrack_ep0002.pth.tar"
    monkeypatch.setenv("LTR_WORKSPACE_DIR", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="ostrack ostrack_synthetic"):
        synthetic_network_path()


def test_preflight_of_onnxruntime_backend_needs_only_the_exported_file(tmp_path, monkeypatch) -> None:
    """``--backend onnxruntime`` reads the ONNX file, not the checkpoint: the check before a run must ask for exactly
    that file (it used to refuse a setup with the export but without the .pth.tar)."""
    from pytracking.evaluation.preflight import check_tracker, network_files
    from pytracking.evaluation.tracker import Tracker
    from pytracking.features.extractors import NetworkPathError
    from pytracking.run_tracker import ParameterOverrides

    nets = tmp_path / "nets"
    nets.mkdir()
    monkeypatch.setenv("PYTRACKING_NETWORK_PATH", str(nets))

    def tracker(backend: str) -> Tracker:
        return Tracker("ostrack", "vitb_256_mae_ce_32x4_ep300",
                       parameters=ParameterOverrides("ostrack", "vitb_256_mae_ce_32x4_ep300", backend=backend))

    assert network_files(OSTrackParams(backend="onnxruntime")) == [("OSTrack_ep0300.onnx", "onnx")]
    assert network_files(OSTrackParams(backend="onnxruntime", onnx_path="/x/y.onnx")) == [("/x/y.onnx", "onnx")]
    assert network_files(OSTrackParams()) == [("OSTrack_ep0300.pth.tar", "checkpoint")]
    with pytest.raises(NetworkPathError, match="OSTrack_ep0300.onnx"):
        check_tracker(tracker("onnxruntime"))
    (nets / "OSTrack_ep0300.onnx").write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        check_tracker(tracker("onnxruntime"))
    (nets / "OSTrack_ep0300.onnx").write_bytes(b"\x08\x07")  # any content: onnxruntime judges it when it loads it
    assert check_tracker(tracker("onnxruntime")).backend == "onnxruntime"
    with pytest.raises(NetworkPathError, match="OSTrack_ep0300.pth.tar"):  # the torch backend still needs it
        check_tracker(tracker("torch"))
