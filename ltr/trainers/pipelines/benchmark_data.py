"""The benchmark training data every tracker family reads: LaSOT, GOT-10k, TrackingNet and COCO, and validation data.

Why shared: ATOM's and OSTrack's published setups train on the same four readers, name them the same way in
``settings.datasets`` and must choose validation data the same way (from what the user has: the official GOT-10k
vot-val list when present, else an announced deterministic hold-out, else none), so a missing dataset is reported
identically whichever tracker is trained. The settings read here (``datasets``, ``lasot_train_split``,
``got10k_train_split``, ``got10k_val_split``, ``trackingnet_sets``, ``coco_version``, ``val_holdout_fraction``) are
fields of each family's declared training parameters.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ltr.admin.settings import Settings
from ltr.admin.settings_errors import MissingSettingError

__all__ = ["DATASET_SETTINGS", "DATA_SPECS", "benchmark_datasets", "check_datasets", "validation_datasets"]

DATA_SPECS = Path(__file__).resolve().parents[2] / "data_specs"

logger = logging.getLogger("ltr.train_settings")

# dataset name in settings.datasets -> path setting of its reader
DATASET_SETTINGS = {"lasot": "lasot_dir", "got10k": "got10k_dir", "trackingnet": "trackingnet_dir",
                    "coco": "coco_dir"}


def check_datasets(settings: Settings, default_val_split: str) -> list[str]:
    """Every problem with the configured training data (unknown dataset names, missing dataset paths, missing split
    lists), so that a setup can report them together with its own before anything is loaded.

    ``default_val_split`` is the setup's default vot-val list: that one is optional (validation falls back to a
    hold-out without it); a list the user named explicitly must exist.
    """
    problems: list[str] = []
    unknown = [d for d in settings.datasets if d not in DATASET_SETTINGS]
    if unknown:
        problems.append(f"Unknown dataset name(s) {unknown} in --datasets; choose from {sorted(DATASET_SETTINGS)}.")
    for name in [d for d in settings.datasets if d in DATASET_SETTINGS]:
        try:
            settings.env.require(DATASET_SETTINGS[name])
        except MissingSettingError as exc:
            problems.append(str(exc))
    splits = []
    if "lasot" in settings.datasets and settings.lasot_train_split != "train":
        splits.append(("lasot_train_split", settings.lasot_train_split, "LaSOT training sequence names"))
    if "got10k" in settings.datasets:
        splits.append(("got10k_train_split", settings.got10k_train_split,
                       "GOT-10k vot-train sequences (names or 0-based indices)"))
    if settings.got10k_val_split != default_val_split:
        splits.append(("got10k_val_split", settings.got10k_val_split,
                       "GOT-10k vot-val sequences (names or 0-based indices)"))
    for attr, path, what in splits:
        if path and not Path(path).is_file():
            problems.append(f"Split list '{attr}' not found at {path} ({what}, one per line). Put the file there "
                            f"or set settings.{attr} in the train settings.")
    return problems


def validation_datasets(settings: Settings, train: list[Any]) -> tuple[list[Any], list[Any]]:
    """Choose validation data from what the user has, and say which in the log. Returns ``(train, val)``.

    1. The official list: GOT-10k's vot-val split when the file named by ``settings.got10k_val_split`` exists and the
       ``got10k_dir`` setting points at GOT-10k.
    2. Otherwise a deterministic hold-out of ``settings.val_holdout_fraction`` (default 2%) of the sequences of every
       configured training dataset, removed from training (:func:`ltr.dataset.holdout.split_holdout`).
    3. With no sequence to hold out (or a fraction of 0): no validation, announced.
    """
    from ltr.dataset import Got10k
    from ltr.dataset.holdout import split_holdout

    split = Path(settings.got10k_val_split) if settings.got10k_val_split else None
    try:
        got10k_dir = settings.env.require("got10k_dir")
    except MissingSettingError:
        got10k_dir = None
    if split is not None and split.is_file() and got10k_dir is not None:
        logger.info("Validation: GOT-10k vot-val sequences from the official split list %s", split)
        return train, [Got10k(got10k_dir, split=str(split))]
    fraction = float(settings.val_holdout_fraction)
    why = ("no GOT-10k vot-val split list at " + str(split)) if got10k_dir is not None else "GOT-10k is not set up"
    kept, held = [], []
    for dataset in train:
        part, out = split_holdout(dataset, fraction) if fraction > 0 else (dataset, None)
        kept.append(part)
        if out is not None:
            held.append(out)
    if not held:
        logger.warning("Training WITHOUT validation: %s, and no training sequence can be held out "
                       "(val_holdout_fraction = %s).", why, fraction)
        return train, []
    logger.info("Validation: %s, so a deterministic hold-out of %.1f%% of the training sequences is used instead "
                "(chosen by SHA-1 of '<dataset>/<sequence>', excluded from training): %s", why, 100 * fraction,
                ", ".join(f"{v.base.get_name()} {len(v)} of {v.base.get_num_sequences()}" for v in held))
    return kept, held


def benchmark_datasets(settings: Settings) -> tuple[list[Any], list[Any]]:
    """Training readers named by ``settings.datasets`` and the validation readers (:func:`validation_datasets`)."""
    from ltr.dataset import Got10k, Lasot, MSCOCOSeq, TrackingNet

    env = settings.env
    train = []
    for name in settings.datasets:
        if name == "lasot":
            train.append(Lasot(env.require("lasot_dir"), split=settings.lasot_train_split))
        elif name == "got10k":
            train.append(Got10k(env.require("got10k_dir"), split=settings.got10k_train_split))
        elif name == "trackingnet":
            sets = settings.trackingnet_sets
            train.append(TrackingNet(env.require("trackingnet_dir"), set_ids=list(sets) if sets is not None else None))
        elif name == "coco":
            train.append(MSCOCOSeq(env.require("coco_dir"), version=str(settings.coco_version)))
    return validation_datasets(settings, train)
