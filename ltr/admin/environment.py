"""Training-side path settings (``ltr``): where the workspace, pretrained networks and training datasets are.

``env_settings()`` resolves each setting from ``LTR_<NAME>`` environment variables, then the optional file
``ltr/admin/local.py`` (class ``EnvironmentSettings`` with the same attribute names as the original framework, so an
existing file can be copied over), then built-in defaults. Tracking-only users never need this file. Create it
explicitly with ``python -m ltr.admin.create_local --workspace DIR --data-root DIR``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ltr.admin.local_settings import SettingsBase, SettingSpec, SettingsSchema, load_settings, workspace_setting

__all__ = ["LtrSettings", "LTR_SCHEMA", "env_settings", "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_FILE = Path(__file__).resolve().parent / "local.py"

_SPECS = (
    workspace_setting(
        "workspace_dir",
        "Base folder for checkpoints and logs",
        "<workspace_dir>/checkpoints/ltr/<module>/<name>/*.pth.tar (created on demand)",
        "",
        base=REPO_ROOT / "workspace",
    ),
    workspace_setting(
        "tensorboard_dir",
        "TensorBoard log folder",
        "<tensorboard_dir>/ltr/<module>/<name>/{train,val} (created on demand)",
        "tensorboard",
    ),
    workspace_setting(
        "pretrained_networks",
        "Folder with pretrained backbone weights",
        "<pretrained_networks>/resnet18-*.pth, resnet50-*.pth (torchvision ImageNet state_dicts)",
        "pretrained_networks",
        kind="input",
    ),
    SettingSpec(
        "lasot_dir",
        "LaSOT dataset root",
        "<lasot_dir>/<class>/<class>-<id>/img/%08d.jpg + groundtruth.txt, full_occlusion.txt, out_of_view.txt",
        data_subdir="lasot",
    ),
    SettingSpec(
        "got10k_dir",
        "GOT-10k training split folder",
        "<got10k_dir>/GOT-10k_Train_%06d/%08d.jpg + groundtruth.txt, absence.label, cover.label, meta_info.ini, "
        "and <got10k_dir>/list.txt (got10k_dir is the 'train' folder)",
        data_subdir="got10k/train",
    ),
    SettingSpec(
        "trackingnet_dir",
        "TrackingNet root",
        "<trackingnet_dir>/TRAIN_<k>/frames/<video>/<i>.jpg + <trackingnet_dir>/TRAIN_<k>/anno/<video>.txt",
        data_subdir="trackingnet",
    ),
    SettingSpec(
        "coco_dir",
        "MS-COCO root",
        "<coco_dir>/annotations/instances_train2017.json (or train2014) + <coco_dir>/train2017/*.jpg",
        data_subdir="coco",
    ),
    SettingSpec(
        "imagenet_dir",
        "ImageNet VID (ILSVRC2015) root",
        "<imagenet_dir>/Data/VID/train/<snippet>/%06d.JPEG + <imagenet_dir>/Annotations/VID/train/<snippet>/%06d.xml",
        data_subdir="ILSVRC2015",
    ),
    SettingSpec(
        "lasot_lmdb_dir",
        "LaSOT packed as LMDB (optional)",
        "<lasot_lmdb_dir> is an LMDB environment (data.mdb + lock.mdb) holding the LaSOT files by relative path",
    ),
    SettingSpec(
        "got10k_lmdb_dir",
        "GOT-10k packed as LMDB (optional)",
        "<got10k_lmdb_dir> is an LMDB environment (data.mdb + lock.mdb) holding the GOT-10k files by relative path",
    ),
    SettingSpec(
        "trackingnet_lmdb_dir",
        "TrackingNet packed as LMDB (optional)",
        "<trackingnet_lmdb_dir> is an LMDB environment (data.mdb + lock.mdb) holding TrackingNet by relative path",
    ),
    SettingSpec(
        "coco_lmdb_dir",
        "COCO packed as LMDB (optional)",
        "<coco_lmdb_dir> is an LMDB environment (data.mdb + lock.mdb) holding the COCO files by relative path",
    ),
    SettingSpec(
        "imagenet_lmdb_dir",
        "ImageNet VID packed as LMDB (optional)",
        "<imagenet_lmdb_dir> is an LMDB environment (data.mdb + lock.mdb) holding ILSVRC2015 VID by relative path",
    ),
)

LTR_SCHEMA = SettingsSchema(
    package="ltr",
    env_prefix="LTR_",
    local_file=LOCAL_FILE,
    create_command="python -m ltr.admin.create_local",
    specs=_SPECS,
)


class LtrSettings(SettingsBase):
    """Resolved training settings. Attributes: workspace_dir, tensorboard_dir, pretrained_networks, lasot_dir,
    got10k_dir, trackingnet_dir, coco_dir, imagenet_dir and the optional ``*_lmdb_dir`` (``None`` when unset)."""

    workspace_dir: str
    tensorboard_dir: str
    pretrained_networks: str
    lasot_dir: str | None
    got10k_dir: str | None
    trackingnet_dir: str | None
    coco_dir: str | None
    imagenet_dir: str | None


def env_settings(environ: Mapping[str, str] | None = None, local_file: str | Path | None = None) -> LtrSettings:
    """Resolve the training settings now (env var > ``ltr/admin/local.py`` > default); never writes anything.

    ``environ``/``local_file`` exist for tests; ``LTR_SETTINGS_FILE`` also selects another local file.
    """
    return load_settings(LTR_SCHEMA, LtrSettings, environ=environ, local_file=local_file)
