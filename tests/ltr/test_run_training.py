"""run_training CLI + train settings: missing-data report, synthetic training (loss falls, resumable checkpoints),
and 2-process DistributedDataParallel on CPU (gloo)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from ddp_helpers import become_rank, free_port

from ltr.admin.checkpoint import list_checkpoints, load_checkpoint
from ltr.admin.environment import env_settings
from ltr.admin.loading import load_network
from ltr.admin.settings import Settings
from ltr.run_training import build_parser, run_training

REPO = Path(__file__).resolve().parents[2]

# The synthetic-training test's run: 64x64 crops, batch 8, EPOCHS x samples_per_epoch pairs.
EPOCHS_SYNTHETIC_TEST = 12
SYNTHETIC_TEST_SIZES = {"batch_size": 8, "samples_per_epoch": 96, "lr_step_size": 9}
SYNTHETIC_TEST_MAX_RATIO = 0.85  # measured 0.74 (mean predictor: 1.0)


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTR_")}
    (tmp_path / "no_local.py").write_text("")
    env["LTR_SETTINGS_FILE"] = str(tmp_path / "no_local.py")  # an empty settings file: ignore any developer local.py
    return env


def _tiny_settings(tmp_path: Path, **extra) -> Settings:
    """atom_synthetic shrunk so a run takes seconds: 64x64 crops, few samples, tiny synthetic videos."""
    env = env_settings(environ={"LTR_WORKSPACE_DIR": str(tmp_path / "ws")}, local_file=tmp_path / "no_local.py")
    s = Settings(module_name="bbreg", script_name="atom_synthetic", env=env, device="cpu", seed=0,
                 progress_bar=False, print_interval=1000, use_tensorboard=False)
    s.feature_sz = 4
    s.batch_size = 4
    s.samples_per_epoch = 48
    s.val_samples_per_epoch = 8
    s.val_epoch_interval = 100
    s.synthetic_num_sequences = 12
    s.synthetic_seq_len = 24
    s.synthetic_image_size = (96, 128)
    s.lr = 2e-3
    for k, v in extra.items():
        setattr(s, k, v)
    return s


def test_cli_missing_dataset_paths_lists_every_setting(tmp_path) -> None:
    proc = subprocess.run([sys.executable, str(REPO / "ltr" / "run_training.py"), "bbreg", "atom", "--workspace",
                           str(tmp_path / "ws")], capture_output=True, text=True, env=_clean_env(tmp_path),
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for setting, var in (("lasot_dir", "LTR_LASOT_DIR"), ("got10k_dir", "LTR_GOT10K_DIR"),
                         ("trackingnet_dir", "LTR_TRACKINGNET_DIR"), ("coco_dir", "LTR_COCO_DIR")):
        assert f"'{setting}'" in proc.stderr and var in proc.stderr
    assert "resnet18-f37072fd.pth" in proc.stderr and "--no-pretrained" in proc.stderr
    assert not (tmp_path / "ws" / "checkpoints").exists()


def test_cli_module_form_and_overrides_parse(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ltr.run_training", "bbreg", "no_such_setup", "--workspace",
                           str(tmp_path / "ws")], capture_output=True, text=True, env=_clean_env(tmp_path),
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "no train settings 'bbreg/no_such_setup'" in proc.stderr
    args = build_parser().parse_args(["bbreg", "atom", "--epochs", "3", "--batch-size", "16", "--workers", "2",
                                      "--samples-per-epoch", "640", "--datasets", "lasot,coco", "--device", "cpu",
                                      "--seed", "7", "--workspace", "/w", "--no-pretrained"])
    assert (args.epochs, args.batch_size, args.workers, args.samples_per_epoch, args.datasets, args.device,
            args.seed, args.workspace, args.no_pretrained) == (3, 16, 2, 640, "lasot,coco", "cpu", 7, "/w", True)


def _epoch_target_variance(settings: Settings, epoch: int) -> float:
    """Variance of every ``proposal_iou`` target of training epoch ``epoch``, redrawn from the sampler (samples are a
    function of (seed, epoch, index)): the epoch loss of the best constant predictor (one that outputs the mean IoU)."""
    from ltr.data.sampler import ATOMSampler
    from ltr.dataset import SyntheticVideo
    from ltr.trainers.pipelines.atom import build_processing

    proc, _ = build_processing(settings)
    data = SyntheticVideo(num_sequences=settings.synthetic_num_sequences, seq_len=settings.synthetic_seq_len,
                          image_size=tuple(settings.synthetic_image_size), seed=settings.synthetic_train_seed)
    sampler = ATOMSampler([data], [1], samples_per_epoch=settings.samples_per_epoch, max_gap=settings.max_gap,
                          processing=proc, seed=settings.seed)
    sampler.set_epoch(epoch)
    targets = torch.cat([sampler[i]["proposal_iou"].reshape(-1) for i in range(len(sampler))])
    return targets.var(unbiased=False).item()


@pytest.mark.slow
def test_synthetic_training_loss_falls_and_checkpoints_load(tmp_path) -> None:
    """atom_synthetic's crop geometry (target ~60% of the crop) and eval-mode backbone BatchNorm on a smaller run: the
    IoU-Net must learn more than the mean IoU, i.e. its last-epoch loss must be clearly below the variance of that
    epoch's targets."""
    torch.set_num_threads(2)
    epochs = EPOCHS_SYNTHETIC_TEST
    settings = _tiny_settings(tmp_path, overrides={"epochs": epochs}, **SYNTHETIC_TEST_SIZES)
    trainer = run_training(settings)
    losses = trainer.stats_history["train"]["Loss/iou"]
    assert sorted(losses) == list(range(1, epochs + 1))
    assert losses[epochs] < 0.5 * losses[1], losses
    variance = _epoch_target_variance(settings, epochs)
    assert 0.15 < variance < 0.3  # IoU in [0.1, 1] mapped to [-1, 1]: the mean predictor's loss is not tiny
    assert losses[epochs] < SYNTHETIC_TEST_MAX_RATIO * variance, (losses, variance)
    ckdir = tmp_path / "ws" / "checkpoints" / "ltr" / "bbreg" / "atom_synthetic"
    # default retention: the newest 3 plus every 10th epoch
    assert [e for e, _ in list_checkpoints(ckdir, "ATOMnet")] == sorted({10, epochs - 2, epochs - 1, epochs})
    net, ck = load_network(ckdir)
    assert ck["epoch"] == epochs and len(net.state_dict()) == 201
    assert ck["constructor"]["name"] == "atom_resnet18" and ck["settings"]["feature_sz"] == 4
    assert ck["settings"]["search_area_factor"] == pytest.approx(1.7) and ck["settings"]["backbone_bn_eval"] is True
    # eval-mode BatchNorm: the random backbone's running statistics are still the initial ones
    for name, value in net.feature_extractor.state_dict().items():
        if name.endswith(("running_mean", "running_var")):
            assert torch.equal(value, torch.full_like(value, float(name.endswith("running_var")))), name
    for k, v in trainer.net.state_dict().items():
        assert torch.equal(v, net.state_dict()[k]), k


def _ddp_worker(rank: int, world: int, port: int, tmp: str) -> None:
    become_rank(rank, world, port)
    from ltr.admin.distributed import dist_info_from_env

    settings = _tiny_settings(Path(tmp), overrides={"epochs": 1}, samples_per_epoch=8, dist=dist_info_from_env())
    trainer = run_training(settings)
    params = {k: v.detach().clone() for k, v in trainer.net.named_parameters()}
    torch.save({"params": params, "loss": trainer.stats_history["train"]["Loss/iou"][1]},
               Path(tmp) / f"rank{rank}.pt")


@pytest.mark.slow
def test_distributed_two_ranks_identical_weights(tmp_path) -> None:
    torch.multiprocessing.spawn(_ddp_worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0["params"].keys() == r1["params"].keys()
    for k in r0["params"]:
        assert torch.equal(r0["params"][k], r1["params"][k]), k
    assert r0["loss"] == r1["loss"]  # epoch averages are all-reduced
    ckdir = tmp_path / "ws" / "checkpoints" / "ltr" / "bbreg" / "atom_synthetic"
    ckpts = list_checkpoints(ckdir)
    assert [e for e, _ in ckpts] == [1]  # written once, by rank 0
    ck = load_checkpoint(ckpts[0][1])
    assert not any(k.startswith("module.") for k in ck["net"])
    net, _ = load_network(ckpts[0][1])
    for k, v in r0["params"].items():
        assert torch.equal(net.state_dict()[k], v), k


@pytest.mark.slow
def test_atom_pipeline_resume_is_bit_exact(tmp_path) -> None:
    """The real ATOM pipeline (sampler, processing, loader, frozen BN-train backbone, Adam, StepLR): 2 epochs in one go
    equal 1 epoch + resume + 1 epoch, bit for bit."""
    torch.set_num_threads(2)
    small = {"samples_per_epoch": 8, "lr_step_size": 1, "synthetic_backbone_bn_eval": False}
    straight = run_training(_tiny_settings(tmp_path / "a", overrides={"epochs": 2}, **small))
    run_training(_tiny_settings(tmp_path / "b", overrides={"epochs": 1}, **small))
    torch.manual_seed(999)  # disturb global state as a new process would
    resumed = run_training(_tiny_settings(tmp_path / "b", overrides={"epochs": 2}, **small))
    assert resumed.epoch == 2
    a, b = straight.net.state_dict(), resumed.net.state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert straight.stats_history == resumed.stats_history
    assert resumed.optimizer.param_groups[0]["lr"] == pytest.approx(straight.optimizer.param_groups[0]["lr"])
