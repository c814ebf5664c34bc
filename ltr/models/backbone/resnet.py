"""ResNet backbones with torchvision's parameter names.

Why these names: users start from torchvision's ImageNet checkpoints (``resnet18-*.pth``) and from checkpoints trained
by the original ATOM code, whose backbone used the same names. Keeping ``conv1, bn1, relu, maxpool, layer1..layer4,
avgpool, fc`` (and ``conv1, bn1, relu, conv2, bn2, downsample`` inside a BasicBlock) lets both load with
``strict=True``.

Why ``output_layers``: trackers need intermediate feature maps (ATOM uses ``layer2`` at stride 8 with 128 channels and
``layer3`` at stride 16 with 256 channels for ResNet-18), not logits. :meth:`ResNet.forward` returns an
``OrderedDict`` of exactly the requested layers and stops as soon as the deepest requested one is computed, so asking
for ``layer3`` never pays for ``layer4``.

Pretrained weights come from a local file only unless torchvision and the network are available; when weights are
requested but cannot be found we raise :class:`PretrainedWeightsError` saying where to put the file. We never fall back
to random weights silently, because a tracker with a random backbone still "runs" and produces plausible-looking
garbage.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import nn

from ltr.admin.errors import UserError
from ltr.models.backbone.output_layers import check_output_layers

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "PretrainedWeightsError",
    "LAYER_NAMES",
    "resnet18",
    "resnet50",
    "load_pretrained",
    "check_pretrained",
]

# Order in which the forward pass produces named outputs. 'conv1' is the output of conv1+bn1+relu (before maxpool),
# which is what trackers call the stride-2 feature.
LAYER_NAMES: tuple[str, ...] = ("conv1", "layer1", "layer2", "layer3", "layer4", "fc")

# Official torchvision file names, so the error message can tell users exactly what to download.
_TORCHVISION_FILES = {
    "resnet18": "resnet18-f37072fd.pth",
    "resnet50": "resnet50-0676ba61.pth",
}


class PretrainedWeightsError(UserError, FileNotFoundError):
    """Pretrained backbone weights were requested but are not available locally (and could not be downloaded)."""


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, dilation=dilation,
                     bias=False)


def _conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 dilation: int = 1) -> None:
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride, dilation)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes, 1, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand with a residual connection (ResNet-50/101); stride on the 3x3 like torchvision."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 dilation: int = 1) -> None:
        super().__init__()
        width = planes
        self.conv1 = _conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = _conv3x3(width, width, stride, dilation)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = _conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """ResNet trunk returning named intermediate layers.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: number of blocks in layer1..layer4.
        output_layers: default layers returned by :meth:`forward` (subset of :data:`LAYER_NAMES`).
        num_classes: size of ``fc`` (kept so ImageNet checkpoints load strictly).
        frozen_layers: names of top-level children (e.g. ``'conv1'``, ``'layer1'``; ``'all'`` for everything) whose
            parameters get ``requires_grad=False``. ``'conv1'`` also freezes ``bn1``.
        bn_eval: if True, every BatchNorm of the frozen layers stays in eval mode (running statistics fixed) even when
            the module is put in train mode. Default False matches the original ATOM training, which froze the
            backbone's weights but left its BatchNorm layers in train mode.
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: Sequence[int],
                 output_layers: Sequence[str] = ("layer2", "layer3"), num_classes: int = 1000,
                 frozen_layers: Iterable[str] = (), bn_eval: bool = False) -> None:
        super().__init__()
        self.output_layers = _check_layers(output_layers)
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self.out_channels = {
            "conv1": 64,
            "layer1": 64 * block.expansion,
            "layer2": 128 * block.expansion,
            "layer3": 256 * block.expansion,
            "layer4": 512 * block.expansion,
            "fc": num_classes,
        }
        self.out_strides = {"conv1": 2, "layer1": 4, "layer2": 8, "layer3": 16, "layer4": 32}
        self._init_weights()
        self.frozen_layers: tuple[str, ...] = ()
        self.bn_eval = bool(bn_eval)
        self.freeze(frozen_layers)

    def _make_layer(self, block: type[BasicBlock] | type[Bottleneck], planes: int, blocks: int,
                    stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        modules = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        modules.extend(block(self.inplanes, planes) for _ in range(1, blocks))
        return nn.Sequential(*modules)

    def _init_weights(self) -> None:
        # He init for convolutions (fan_out, as for ImageNet training), unit/zero BatchNorm; only matters for
        # --no-pretrained runs and tests, since real use loads weights.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    # ------------------------------------------------------------------ freezing
    def _frozen_modules(self) -> list[nn.Module]:
        mods: list[nn.Module] = []
        for name in self.frozen_layers:
            mods.extend([self.conv1, self.bn1] if name == "conv1" else [getattr(self, name)])
        return mods

    def freeze(self, layers: Iterable[str]) -> None:
        """Set ``requires_grad=False`` on the given top-level layers (``'all'`` = every layer)."""
        names = list(layers)
        if "all" in names:
            names = list(LAYER_NAMES)
        if names:
            _check_layers(names)
        self.frozen_layers = tuple(dict.fromkeys([*self.frozen_layers, *names]))
        for mod in self._frozen_modules():
            mod.requires_grad_(False)
        self.train(self.training)

    def train(self, mode: bool = True) -> ResNet:
        """Like ``nn.Module.train`` but keeps frozen layers' BatchNorm in eval mode when ``bn_eval`` is set."""
        super().train(mode)
        if mode and getattr(self, "bn_eval", False):
            for mod in self._frozen_modules():
                for sub in mod.modules():
                    if isinstance(sub, nn.modules.batchnorm._BatchNorm):
                        sub.eval()
        return self

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor, output_layers: Sequence[str] | None = None) -> OrderedDict[str, torch.Tensor]:
        """Run the trunk on ``x`` ``[B,3,H,W]`` and return ``OrderedDict`` name -> feature for ``output_layers``.

        Layers are returned in network order and computation stops after the deepest requested layer.
        """
        wanted = self.output_layers if output_layers is None else _check_layers(output_layers)
        want = set(wanted)
        last = max(LAYER_NAMES.index(n) for n in want)
        out: OrderedDict[str, torch.Tensor] = OrderedDict()

        x = self.relu(self.bn1(self.conv1(x)))
        if "conv1" in want:
            out["conv1"] = x
        if last == 0:
            return out
        x = self.maxpool(x)
        for idx, name in enumerate(("layer1", "layer2", "layer3", "layer4"), start=1):
            x = getattr(self, name)(x)
            if name in want:
                out[name] = x
            if last == idx:
                return out
        x = torch.flatten(self.avgpool(x), 1)
        out["fc"] = self.fc(x)
        return out


def _check_layers(layers: Sequence[str] | str) -> tuple[str, ...]:
    return check_output_layers(layers, LAYER_NAMES, "ResNet")


# ---------------------------------------------------------------------- pretrained weights
def _pretrained_dir() -> Path | None:
    try:
        from ltr.admin.environment import env_settings
    except ImportError:  # settings module not available (stand-alone use): no default directory
        return None
    try:
        return Path(env_settings().pretrained_networks)
    except Exception as exc:  # a broken local.py must not hide behind a vague weight error
        raise PretrainedWeightsError(f"could not read the pretrained_networks setting: {exc}") from exc


def _resolve_pretrained(arch: str, pretrained: bool | str | os.PathLike) -> Path | None:
    """Find a weights file: explicit path, or ``<pretrained_networks>/<torchvision file name>`` (or ``<arch>.pth``)."""
    if isinstance(pretrained, (str, os.PathLike)):
        path = Path(pretrained).expanduser()
        if path.is_file():
            return path
        raise PretrainedWeightsError(
            f"pretrained weights for {arch} not found at '{path}'. Put torchvision's ImageNet checkpoint "
            f"({_TORCHVISION_FILES.get(arch, arch + '.pth')}) there, or pass backbone_pretrained=None / "
            f"--no-pretrained to train from random weights on purpose."
        )
    directory = _pretrained_dir()
    candidates = []
    if directory is not None:
        candidates = [directory / _TORCHVISION_FILES.get(arch, f"{arch}.pth"), directory / f"{arch}.pth"]
        for cand in candidates:
            if cand.is_file():
                return cand
    return None


def _download_torchvision(arch: str) -> OrderedDict[str, torch.Tensor] | None:
    """Try torchvision's downloader; None when torchvision or the network is unavailable."""
    try:
        import torchvision.models as tvm  # noqa: PLC0415 - optional dependency
    except ImportError:
        return None
    try:
        weights = tvm.get_model_weights(arch).IMAGENET1K_V1
        return weights.get_state_dict(progress=False)
    except (OSError, RuntimeError, ValueError):  # offline, blocked or corrupt download
        return None


def check_pretrained(arch: str, pretrained: bool | str | os.PathLike | None,
                     pretrained_dir: str | os.PathLike | None = None) -> str | None:
    """Why ImageNet weights for ``arch`` cannot be had, or None when they can (or none are requested).

    Training setups call this before loading any data, so that a missing weights file is reported together with the
    other setup problems. ``pretrained``: False/None (random weights, nothing to check), True (the torchvision file
    under ``pretrained_dir`` - default: the ``pretrained_networks`` setting - or a torchvision download), or a path.
    """
    if not pretrained:
        return None
    try:
        found = _resolve_pretrained(arch, pretrained)
    except FileNotFoundError as exc:
        return str(exc)
    if found is not None:
        return None
    try:
        import torchvision  # noqa: F401, PLC0415 - optional dependency: its downloader may still work
    except ImportError:
        directory = Path(pretrained_dir) if pretrained_dir is not None else _pretrained_dir()
        file_name = _TORCHVISION_FILES.get(arch, f"{arch}.pth")
        target = directory / file_name if directory is not None else Path(file_name)
        return (f"Pretrained {arch} weights not found: put torchvision's {file_name} at {target} (setting "
                f"pretrained_networks, env LTR_PRETRAINED_NETWORKS), or pass --no-pretrained.")
    return None


def load_pretrained(model: ResNet, arch: str, pretrained: bool | str | os.PathLike) -> Path | None:
    """Load ImageNet weights into ``model`` (strict). Returns the file used (None when downloaded)."""
    path = _resolve_pretrained(arch, pretrained)
    if path is not None:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
            state = state["state_dict"]
        model.load_state_dict(state, strict=True)
        return path
    state = _download_torchvision(arch)
    if state is None:
        directory = _pretrained_dir()
        where = (str(directory / _TORCHVISION_FILES.get(arch, arch + ".pth")) if directory is not None
                 else f"a local file passed as pretrained='<path>/{_TORCHVISION_FILES.get(arch, arch + '.pth')}'")
        raise PretrainedWeightsError(
            f"ImageNet-pretrained weights for {arch} were requested but are not available. Download torchvision's "
            f"{_TORCHVISION_FILES.get(arch, arch + '.pth')} (https://download.pytorch.org/models/"
            f"{_TORCHVISION_FILES.get(arch, arch + '.pth')}) and put it at {where} (setting pretrained_networks, env "
            f"LTR_PRETRAINED_NETWORKS), or run with --no-pretrained to train from random weights on purpose."
        )
    model.load_state_dict(state, strict=True)
    return None


def _build(arch: str, block: type[BasicBlock] | type[Bottleneck], layers: Sequence[int],
           output_layers: Sequence[str] | None, pretrained: bool | str | os.PathLike | None,
           frozen_layers: Iterable[str], bn_eval: bool) -> ResNet:
    model = ResNet(block, layers, output_layers=output_layers or ("layer2", "layer3"), frozen_layers=frozen_layers,
                   bn_eval=bn_eval)
    if pretrained not in (None, False):
        load_pretrained(model, arch, pretrained)
    return model


def resnet18(output_layers: Sequence[str] | None = None, pretrained: bool | str | os.PathLike | None = None,
             frozen_layers: Iterable[str] = (), bn_eval: bool = False) -> ResNet:
    """ResNet-18 (layer2: 128 ch @ stride 8, layer3: 256 ch @ stride 16).

    ``pretrained``: None/False = random init; a path = that torchvision-format file; True = look in the
    ``pretrained_networks`` setting for ``resnet18-f37072fd.pth`` (or ``resnet18.pth``), else download via
    torchvision when possible, else raise :class:`PretrainedWeightsError`.
    """
    return _build("resnet18", BasicBlock, (2, 2, 2, 2), output_layers, pretrained, frozen_layers, bn_eval)


def resnet50(output_layers: Sequence[str] | None = None, pretrained: bool | str | os.PathLike | None = None,
             frozen_layers: Iterable[str] = (), bn_eval: bool = False) -> ResNet:
    """ResNet-50 (layer2: 512 ch @ stride 8, layer3: 1024 ch @ stride 16); ``pretrained`` as in :func:`resnet18`."""
    return _build("resnet50", Bottleneck, (3, 4, 6, 3), output_layers, pretrained, frozen_layers, bn_eval)
