"""ATOM parameter sets: the published constants, the variants, and the synthetic network lookup."""

from __future__ import annotations

import importlib

import pytest
import torch

from pytracking.features.extractors import ATOMResNet18, NetworkPathError
from pytracking.tracker.atom.atom import ATOM, as_atom_params
from pytracking.tracker.atom.params import AtomFeatureParams, AtomParams
from pytracking.utils.params import (
    FeatureParams,
    MissingParameterError,
    ParameterAliasWarning,
    TrackerParams,
    UnknownParameterError,
)


def load(name: str) -> AtomParams:
    return importlib.import_module(f"pytracking.parameter.atom.{name}").parameters()


def test_default_constants():
    p = load("default")
    fp = p.features.fparams
    assert (p.max_image_sample_size, p.min_image_sample_size, p.search_area_scale) == (288 ** 2, 288 ** 2, 5)
    assert (fp.compressed_dim, fp.filter_size, fp.filter_reg, fp.projection_reg) == (64, 4, 0.1, 1e-4)
    assert (fp.learning_rate, fp.init_samples_minimum_weight, fp.output_sigma_factor) == (0.01, 0.25, 0.25)
    assert (p.sample_memory_size, p.train_skipping, p.CG_iter, p.init_CG_iter, p.init_GN_iter) == (250, 10, 5, 60, 6)
    assert (p.post_init_CG_iter, p.fletcher_reeves, p.response_activation) == (0, False, ("mlu", 0.05))
    assert (p.target_not_found_threshold, p.distractor_threshold, p.hard_negative_threshold) == (0.25, 0.8, 0.5)
    assert (p.target_neighborhood_scale, p.displacement_scale, p.hard_negative_learning_rate) == (2.2, 0.8, 0.02)
    assert (p.iounet_k, p.num_init_random_boxes, p.box_jitter_pos, p.box_jitter_sz) == (3, 9, 0.1, 0.5)
    assert (p.maximal_aspect_ratio, p.box_refinement_iter, p.box_refinement_step_length) == (6, 5, 1)
    aug = p.augmentation
    n = 1 + len(aug["relativeshift"]) + 1 + len(aug["blur"]) + len(aug["rotate"]) + aug["dropout"][0]
    assert n == 30 and p.augmentation_expansion_factor == 2 and p.random_shift_factor == pytest.approx(1 / 3)
    assert p.features.net_path == "atom_default.pth"


def test_variants():
    vot = load("default_vot")
    assert vot.max_image_sample_size == 224 ** 2 and vot.search_area_scale == 4 and vot.window_output
    assert vot.features.fparams.learning_rate == 0.0075
    assert vot.target_not_found_threshold < 0 and vot.distractor_threshold >= 100
    ms = load("multiscale_no_iounet")
    assert not ms.use_iou_net
    torch.testing.assert_close(ms.scale_factors, torch.tensor([1.02 ** k for k in range(-2, 3)]))


def test_synthetic_uses_newest_checkpoint_or_explains(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    monkeypatch.setenv("LTR_WORKSPACE_DIR", str(ws))
    monkeypatch.setenv("PYTRACKING_NETWORK_PATH", str(tmp_path / "networks"))
    with pytest.raises(NetworkPathError, match="run_training.py bbreg atom_synthetic"):
        load("synthetic")
    run_dir = ws / "checkpoints" / "ltr" / "bbreg" / "atom_synthetic"
    run_dir.mkdir(parents=True)
    for ep in (1, 12, 3):
        (run_dir / f"ATOMnet_ep{ep:04d}.pth.tar").write_bytes(b"x")
    assert load("synthetic").features.net_path == str(run_dir / "ATOMnet_ep0012.pth.tar")
    explicit = tmp_path / "mine.pth.tar"
    explicit.write_bytes(b"x")
    monkeypatch.setenv("PYTRACKING_NETWORK_PATH", str(explicit))
    assert load("synthetic").features.net_path == str(explicit)


def test_params_get_and_has():
    with pytest.warns(DeprecationWarning, match="TrackerParams is deprecated"):
        p = TrackerParams()
    p.a = 1
    assert p.get("a") == 1 and p.get("b", 5) == 5 and p.has("a") and not p.has("b")
    with pytest.raises(MissingParameterError, match="'b'"):
        p.get("b")
    p.set_default_values({"a": 2, "c": 3})
    assert (p.a, p.c) == (1, 3)
    with pytest.warns(DeprecationWarning, match="FeatureParams is deprecated"):
        assert FeatureParams(x=4).get("x") == 4


def test_unknown_name_names_file_line_and_closest():
    p = AtomParams()
    with pytest.raises(UnknownParameterError) as err:
        p.search_area_scal = 4  # line of the assignment is reported
    msg = str(err.value)
    assert f"{__file__}:" in msg and "'search_area_scal'" in msg and "search_area_scale" in msg
    with pytest.raises(UnknownParameterError, match="filter_size"):
        AtomFeatureParams().filtersize = 3
    with pytest.raises(AttributeError):
        p.nonexistent  # noqa: B018 - reading an undeclared name is an error too


def test_original_spelling_is_an_alias_with_one_warning():
    p = AtomParams()
    with pytest.warns(ParameterAliasWarning, match="dispalcement_scale") as rec:
        p.dispalcement_scale = 0.7
    assert len(rec) == 1 and p.displacement_scale == 0.7 and p.dispalcement_scale == 0.7


def test_defaults_live_in_the_class_only():
    """The default parameter set changes nothing but the network/feature: every other field is the class default."""
    p, fresh = load("default"), AtomParams()
    for name in AtomParams.field_names():
        if name != "features":
            a, b = getattr(p, name), getattr(fresh, name)
            assert (torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b), name
    assert p.features.fparams.to_dict() == AtomFeatureParams().to_dict()


def test_legacy_tracker_params_are_converted_with_a_warning():
    with pytest.warns(DeprecationWarning):
        legacy = TrackerParams()
        legacy.search_area_scale = 4
        legacy.train_skipping = 3
        legacy.features = ATOMResNet18(net_path="x.pth", fparams=FeatureParams(filter_size=3))
    with pytest.warns(DeprecationWarning, match="TrackerParams is deprecated"):
        typed = as_atom_params(legacy)
    assert isinstance(typed, AtomParams) and (typed.search_area_scale, typed.train_skipping) == (4, 3)
    assert isinstance(typed.features.fparams, AtomFeatureParams) and typed.features.fparams.filter_size == 3
    assert typed.CG_iter == AtomParams().CG_iter  # unset names take the class default
    with pytest.warns(DeprecationWarning):
        bad = TrackerParams()
        bad.train_skiping = 2
    with pytest.raises(UnknownParameterError, match="train_skiping.*train_skipping"), \
            pytest.warns(DeprecationWarning):
        ATOM(bad)
