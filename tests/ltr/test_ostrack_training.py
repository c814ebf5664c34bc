"""OSTrack training: missing-data report of the published setup, optimiser groups, causal frame gaps, and a tiny
synthetic run whose loss falls and whose checkpoint rebuilds the network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ltr.admin.environment import env_settings
from ltr.admin.loading import load_network
from ltr.admin.settings import Settings
from ltr.data.sampler import TrackingSampler
from ltr.run_training import run_training
from ltr.train_settings.ostrack.vitb_256_mae_ce_32x4_ep300 import DEFAULTS as DEFAULTS_256
from ltr.trainers.pipelines.ostrack import UNUSED_PARAMETERS, build_network_from_settings, build_optimizer

REPO = Path(__file__).resolve().parents[2]


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTR_")}
    env["LTR_SETTINGS_FILE"] = str(tmp_path / "no_local.py")
    env["OMP_NUM_THREADS"] = "1"
    return env


def test_cli_published_setup_without_data_lists_everything_missing(tmp_path) -> None:
    proc = subprocess.run([sys.executable, str(REPO / "ltr" / "run_training.py"), "ostrack",
                           "vitb_256_mae_ce_32x4_ep300", "--workspace", str(tmp_path / "ws")],
                          capture_output=True, text=True, env=_clean_env(tmp_path), cwd=tmp_path, timeout=180)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("Cannot start ostrack/vitb_256_mae_ce_32x4_ep300") == 1
    for setting, var in (("lasot_dir", "LTR_LASOT_DIR"), ("got10k_dir", "LTR_GOT10K_DIR"),
                         ("trackingnet_dir", "LTR_TRACKINGNET_DIR"), ("coco_dir", "LTR_COCO_DIR")):
        assert f"'{setting}'" in proc.stderr and var in proc.stderr
    assert "mae_pretrain_vit_base.pth" in proc.stderr and "--no-pretrained" in proc.stderr
    assert "got10k_vot_train_split.txt" in proc.stderr
    assert not (tmp_path / "ws" / "checkpoints").exists()


def _net_settings(**extra) -> SimpleNamespace:
    s = SimpleNamespace(network="ostrack", pretrained=False, template_sz=32, search_sz=64, patch_size=8,
                        network_kwargs={"template_size": 32, "search_size": 64, "patch_size": 8, "embed_dim": 32,
                                        "depth": 2, "num_heads": 2, "ce_loc": [1], "head_channels": 16},
                        lr=4e-4, backbone_lr_factor=0.1, weight_decay=1e-4)
    for k, v in extra.items():
        setattr(s, k, v)
    return s


def test_optimizer_groups_backbone_at_a_tenth_of_the_lr() -> None:
    settings = _net_settings()
    net = build_network_from_settings(settings)
    opt = build_optimizer(net, settings)
    assert isinstance(opt, torch.optim.AdamW)
    names = {id(p): n for n, p in net.named_parameters()}
    head, backbone = opt.param_groups
    assert head["lr"] == pytest.approx(4e-4) and backbone["lr"] == pytest.approx(4e-5)
    assert all(g["weight_decay"] == pytest.approx(1e-4) for g in opt.param_groups)
    assert all("backbone" not in names[id(p)] for p in head["params"])
    assert all(names[id(p)].startswith("backbone.") for p in backbone["params"])
    grouped = sorted(names[id(p)] for g in opt.param_groups for p in g["params"])
    trainable = sorted(n for n, p in net.named_parameters() if n not in UNUSED_PARAMETERS)
    assert grouped == trainable  # every used parameter exactly once; the unused class token / 224-px grid frozen
    assert all(not dict(net.named_parameters())[n].requires_grad for n in UNUSED_PARAMETERS)
    with pytest.raises(Exception, match="disagree"):
        build_network_from_settings(_net_settings(search_sz=128))


class _LongVideo:
    """One 600-frame video, every frame visible; frames are their own indices (no pixels)."""

    def get_name(self) -> str:
        return "long"

    def is_video_sequence(self) -> bool:
        return True

    def get_num_sequences(self) -> int:
        return 1

    def get_sequence_info(self, seq_id: int) -> dict:
        return {"visible": torch.ones(600, dtype=torch.bool), "bbox": torch.ones(600, 4)}

    def get_frames(self, seq_id, ids, info):
        return list(ids), {"bbox": [torch.ones(4)] * len(ids)}, {}


def test_published_max_gap_gives_search_frames_1_to_199_after_the_template() -> None:
    # the pipeline passes max_gap - 1 to the sampler (its window is inclusive, the published MAX_GAP exclusive)
    sampler = TrackingSampler([_LongVideo()], [1], samples_per_epoch=1, max_gap=DEFAULTS_256["max_gap"] - 1,
                              num_test_frames=1, num_train_frames=1, frame_sample_mode="causal")
    rng = np.random.default_rng(0)
    gaps, templates = [], []
    for _ in range(3000):
        d = sampler.sample_raw(rng)
        templates.append(d["train_images"][0])
        gaps.append(d["test_images"][0] - d["train_images"][0])
    assert min(gaps) == 1 and max(gaps) == 199
    assert min(templates) == 0 and max(templates) <= 598  # template from [0, len - 2]


def _tiny_synthetic(tmp_path: Path, **extra) -> Settings:
    env = env_settings(environ={"LTR_WORKSPACE_DIR": str(tmp_path / "ws")}, local_file=tmp_path / "no_local.py")
    s = Settings(module_name="ostrack", script_name="ostrack_synthetic", env=env, device="cpu", seed=0,
                 progress_bar=False, print_interval=1000, use_tensorboard=False)
    s.network_kwargs = {"template_size": 32, "search_size": 64, "patch_size": 8, "embed_dim": 32, "depth": 3,
                        "num_heads": 2, "mlp_ratio": 2.0, "drop_path_rate": 0.0, "ce_loc": [1, 2],
                        "ce_keep_ratio": 0.7, "head_channels": 16}
    s.template_sz, s.search_sz, s.patch_size = 32, 64, 8
    s.synthetic_num_sequences, s.synthetic_seq_len, s.synthetic_image_size = 50, 24, (96, 128)
    s.batch_size, s.samples_per_epoch, s.val_samples_per_epoch, s.val_epoch_interval = 8, 64, 16, 100
    s.ce_start_epoch, s.ce_warm_epochs, s.lr_step_size = 3, 3, 100
    for k, v in extra.items():
        setattr(s, k, v)
    return s


SYNTHETIC_EPOCHS = 7
SYNTHETIC_MAX_RATIO = 0.75  # last / first epoch loss


@pytest.mark.slow
def test_synthetic_training_loss_falls_and_checkpoint_loads(tmp_path) -> None:
    torch.set_num_threads(2)
    settings = _tiny_synthetic(tmp_path, overrides={"epochs": SYNTHETIC_EPOCHS})
    trainer = run_training(settings)
    hist = trainer.stats_history["train"]
    losses = hist["Loss/total"]
    assert sorted(losses) == list(range(1, SYNTHETIC_EPOCHS + 1))
    assert losses[SYNTHETIC_EPOCHS] < SYNTHETIC_MAX_RATIO * losses[1], losses
    assert hist["Loss/location"][SYNTHETIC_EPOCHS] < hist["Loss/location"][1]
    # the keep-rate warm-up reached the network: 1 before epoch 3, the cosine in between, 0.7 from epoch 6
    assert [round(hist["CE/keep_rate"][e], 6) for e in (1, 2, 3, 4, 6, 7)] == [1.0, 1.0, 1.0, 0.925, 0.7, 0.7]
    groups = [hist[f"LearningRate/group{i}"][1] for i in (0, 1)]
    assert groups == pytest.approx([1e-3, 1e-3])  # synthetic: backbone factor 1
    ckdir = tmp_path / "ws" / "checkpoints" / "ltr" / "ostrack" / "ostrack_synthetic"
    net, ck = load_network(ckdir)
    assert ck["epoch"] == SYNTHETIC_EPOCHS and ck["constructor"]["name"] == "ostrack"
    assert ck["settings"]["grad_clip_norm"] == pytest.approx(0.1)
    for k, v in trainer.net.state_dict().items():
        assert torch.equal(v, net.state_dict()[k]), k
