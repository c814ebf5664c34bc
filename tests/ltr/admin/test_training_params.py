"""Training settings are typed: the setup's declared hyper-parameters are the only defaults, unknown names are an
error naming the settings file, command-line overrides map onto declared fields."""

from __future__ import annotations

import pytest

from ltr.admin.settings import Settings, apply_training_params
from ltr.train_settings.bbreg import atom as atom_setup
from ltr.train_settings.bbreg import atom_synthetic
from ltr.train_settings.bbreg.atom_synthetic import AtomSyntheticTrainingParams
from ltr.trainers.pipelines.atom import AtomTrainingParams
from pytracking.utils.params import UnknownParameterError


def test_defaults_filled_and_given_values_kept():
    s = Settings(module_name="bbreg", script_name="atom")
    s.batch_size = 4
    params = apply_training_params(s, AtomTrainingParams, "setup.py")
    assert (s.batch_size, params.batch_size) == (4, 4)
    # published values, stated by hand (ATOM, CVPR 2019)
    assert (s.num_workers, s.feature_sz, s.search_area_factor, s.max_gap, s.epochs) == (8, 18, 5.0, 50, 50)
    assert (s.lr, s.lr_step_size, s.lr_gamma, s.samples_per_epoch) == (1e-3, 15, 0.2, 64000)
    assert s.proposal_params == {"min_iou": 0.1, "boxes_per_frame": 16, "sigma_factor": [0.01, 0.05, 0.1, 0.2, 0.3]}


def test_command_line_overrides_map_to_fields():
    s = Settings(overrides={"workers": 2, "epochs": 3, "pretrained": False, "datasets": ["coco"]})
    apply_training_params(s, AtomTrainingParams, "setup.py")
    assert (s.num_workers, s.epochs, s.pretrained, s.datasets) == (2, 3, False, ["coco"])


def test_unknown_name_is_an_error_naming_the_settings_file():
    s = Settings(module_name="bbreg", script_name="atom_synthetic")
    s.batch_szie = 4
    with pytest.raises(UnknownParameterError) as err:
        apply_training_params(s, AtomSyntheticTrainingParams, atom_synthetic.__file__)
    msg = str(err.value)
    assert atom_synthetic.__file__ in msg and "'batch_szie'" in msg and "batch_size" in msg


def test_run_rejects_a_typo_before_touching_data(tmp_path):
    s = Settings(module_name="bbreg", script_name="atom", env=None)
    s.learning_rate = 0.1  # the field is called lr
    with pytest.raises(UnknownParameterError, match=r"(?s)bbreg/atom\.py.*'learning_rate'"):
        atom_setup.run(s)


def test_synthetic_setup_changes_only_its_declared_numbers():
    base, syn = AtomTrainingParams(), AtomSyntheticTrainingParams()
    differs = {n for n in AtomTrainingParams.field_names() if getattr(base, n) != getattr(syn, n)}
    assert differs == {"description", "batch_size", "num_workers", "feature_sz", "search_area_factor",
                       "center_jitter_factor", "samples_per_epoch", "val_samples_per_epoch", "val_epoch_interval",
                       "epochs", "lr_step_size", "pretrained", "datasets", "max_gap"}
    assert syn.center_jitter_factor == {"train": 0.0, "test": 1.0} and syn.scale_jitter_factor["test"] == 0.5
