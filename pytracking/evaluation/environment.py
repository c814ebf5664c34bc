"""Tracking-side path settings (``pytracking``): results, networks and evaluation datasets.

``env_settings()`` resolves each setting from ``PYTRACKING_<NAME>`` environment variables, then the optional file
``pytracking/evaluation/local.py``, then built-in defaults. The file may define a class ``EnvironmentSettings`` (what
``python -m pytracking.create_local`` writes) or, as in the original framework, a function ``local_env_settings()``
that fills an ``EnvSettings()`` object, so an existing file can be copied over unchanged. Training-only users never
need this file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ltr.admin.local_settings import SettingsBase, SettingSpec, SettingsSchema, load_settings, workspace_setting

__all__ = ["TrackingSettings", "EnvSettings", "PYTRACKING_SCHEMA", "env_settings", "tracking_settings_check",
           "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_FILE = Path(__file__).resolve().parent / "local.py"
_WORKSPACE = REPO_ROOT / "workspace"

_SPECS = (
    workspace_setting(
        "results_path",
        "Tracking results folder",
        "<results_path>/<tracker>/<param>[_<run_id:03d>]/<seq>.txt + <seq>_time.txt (created on demand)",
        "tracking_results",
        base=_WORKSPACE,
    ),
    workspace_setting(
        "network_path",
        "Folder with trained networks used by trackers",
        "<network_path>/<network file>, e.g. atom_default.pth",
        "networks",
        kind="input",
        base=_WORKSPACE,
    ),
    workspace_setting(
        "result_plot_path",
        "Folder for evaluation plots and tables",
        "<result_plot_path>/<report name>/*.pdf|png|txt (created on demand)",
        "result_plots",
        base=_WORKSPACE,
    ),
    SettingSpec(
        "otb_path",
        "OTB-2015 (OTB-100) root",
        "<otb_path>/<Seq>/img/%04d.jpg + <otb_path>/<Seq>/groundtruth_rect.txt",
        data_subdir="otb",
    ),
    SettingSpec(
        "nfs_path",
        "Need for Speed (NfS) root",
        "<nfs_path>/<seq>/30/<seq>/%05d.jpg + <nfs_path>/<seq>/30/<seq>.txt",
        data_subdir="nfs",
    ),
    SettingSpec(
        "uav_path",
        "UAV123 root",
        "<uav_path>/data_seq/UAV123/<seq>/%06d.jpg + <uav_path>/anno/UAV123/<seq>.txt",
        data_subdir="uav",
    ),
    SettingSpec(
        "lasot_path",
        "LaSOT root",
        "<lasot_path>/<class>/<class>-<id>/img/%08d.jpg + groundtruth.txt, full_occlusion.txt, out_of_view.txt",
        data_subdir="lasot",
    ),
    SettingSpec(
        "got10k_path",
        "GOT-10k root",
        "<got10k_path>/{train,val,test}/<seq>/%08d.jpg + groundtruth.txt, and <got10k_path>/<split>/list.txt",
        data_subdir="got10k",
    ),
    SettingSpec(
        "trackingnet_path",
        "TrackingNet root",
        "<trackingnet_path>/TEST/frames/<seq>/<i>.jpg + <trackingnet_path>/TEST/anno/<seq>.txt",
        data_subdir="trackingnet",
    ),
    SettingSpec(
        "vot_path",
        "VOT root (one challenge, e.g. VOT2018)",
        "<vot_path>/<seq>/color/%08d.jpg (or <seq>/%08d.jpg) + <vot_path>/<seq>/groundtruth.txt + list.txt",
        data_subdir="vot",
    ),
    SettingSpec(
        "segmentation_path",
        "Segmentation results folder (kept for compatibility; unused)",
        "<segmentation_path>/<tracker>/<param>/<seq>/*.png",
        kind="output",
    ),
)

PYTRACKING_SCHEMA = SettingsSchema(
    package="pytracking",
    env_prefix="PYTRACKING_",
    local_file=LOCAL_FILE,
    create_command="python -m pytracking.create_local",
    specs=_SPECS,
    legacy_function="local_env_settings",
)


class EnvSettings:
    """Plain attribute holder for local files written for the original framework.

    Such files do ``settings = EnvSettings(); settings.otb_path = '...'; return settings`` inside
    ``local_env_settings()``. Every known attribute starts as ``None`` (unset), so unset ones fall back to the
    environment variables and defaults.
    """

    def __init__(self) -> None:
        for spec in _SPECS:
            setattr(self, spec.name, None)


class TrackingSettings(SettingsBase):
    """Resolved tracking settings (``None`` for unset dataset paths); read required paths with ``require``."""

    results_path: str
    network_path: str
    result_plot_path: str
    otb_path: str | None
    nfs_path: str | None
    uav_path: str | None
    lasot_path: str | None
    got10k_path: str | None
    trackingnet_path: str | None
    vot_path: str | None
    segmentation_path: str | None


def env_settings(
    environ: Mapping[str, str] | None = None, local_file: str | os.PathLike | None = None
) -> TrackingSettings:
    """Resolve the tracking settings now (env var > ``pytracking/evaluation/local.py`` > default); never writes.

    ``environ``/``local_file`` exist for tests; ``PYTRACKING_SETTINGS_FILE`` also selects another local file.
    """
    return load_settings(PYTRACKING_SCHEMA, TrackingSettings, environ=environ, local_file=local_file)


def tracking_settings_check() -> None:
    """Load the tracking settings once (the CLIs call this first): a broken or missing settings file is reported as
    one :class:`~ltr.admin.settings_errors.SettingsError` naming the file and line, before any work starts."""
    env_settings()
