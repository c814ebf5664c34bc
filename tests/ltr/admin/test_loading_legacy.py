"""Legacy (original implementation) checkpoints: read with a restricted unpickler, nothing from the file executes."""

from __future__ import annotations

import os
import sys
import types
from collections import OrderedDict

import pytest
import torch

from ltr.admin.loading import LegacyStub, load_network, read_checkpoint


class _Evil:
    """Pickles as a call of os.system; a real unpickler would run the command."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _fake_original_modules(monkeypatch) -> dict[str, type]:
    """Throwaway classes living in the original package's module names, as the pickles reference them."""
    classes = {}
    mod = types.ModuleType("ltr.admin.model_constructor")

    class NetConstructor:
        def __init__(self, fun_name, fun_module, args, kwds):
            self.fun_name, self.fun_module, self.args, self.kwds = fun_name, fun_module, args, kwds

    NetConstructor.__qualname__ = "NetConstructor"
    NetConstructor.__module__ = mod.__name__
    mod.NetConstructor = NetConstructor
    classes["NetConstructor"] = NetConstructor

    stats = types.ModuleType("ltr.admin.stats_legacy_fake")

    class AverageMeter:
        def __init__(self):
            self.avg, self.count, self.history = 0.25, 3, [0.5, 0.25]

    AverageMeter.__qualname__ = "AverageMeter"
    AverageMeter.__module__ = stats.__name__
    stats.AverageMeter = AverageMeter
    classes["AverageMeter"] = AverageMeter

    settings = types.ModuleType("ltr.admin.settings_legacy_fake")

    class Settings:
        def __init__(self):
            self.batch_size, self.print_interval = 64, 1

    Settings.__qualname__ = "Settings"
    Settings.__module__ = settings.__name__
    settings.Settings = Settings
    classes["Settings"] = Settings
    for m in (mod, stats, settings):
        monkeypatch.setitem(sys.modules, m.__name__, m)
    return classes


@pytest.mark.parametrize("zipfile_format", [True, False], ids=["zip", "pre-1.6-legacy-stream"])
def test_legacy_checkpoint_loads_without_executing(tmp_path, monkeypatch, zipfile_format) -> None:
    torch.manual_seed(3)
    from ltr.models.bbreg.atom import atom_resnet18

    src = atom_resnet18(backbone_pretrained=None)
    marker = tmp_path / "pwned"
    path = tmp_path / "atom_default.pth"
    with monkeypatch.context() as m:
        classes = _fake_original_modules(m)
        opt = torch.optim.Adam(src.bb_regressor.parameters())
        legacy = {
            "epoch": 50,
            "actor_type": "AtomActor",
            "net_type": "ATOMnet",
            "net": src.state_dict(),
            "net_info": None,
            "constructor": classes["NetConstructor"]("atom_resnet18", "ltr.models.bbreg.atom", (),
                                                     {"backbone_pretrained": True}),
            "optimizer": opt.state_dict(),
            "stats": OrderedDict(train={"Loss/total": classes["AverageMeter"]()}),
            "settings": classes["Settings"](),
            "evil": _Evil(str(marker)),
        }
        torch.save(legacy, path, _use_new_zipfile_serialization=zipfile_format)
    # the fake modules are gone again: the reader must not need them
    assert "ltr.admin.model_constructor" not in sys.modules

    ckpt = read_checkpoint(path)
    assert not marker.exists()
    assert ckpt["format"] == "legacy" and ckpt["epoch"] == 50 and ckpt["net_type"] == "ATOMnet"
    assert ckpt["constructor"] == {"name": "atom_resnet18", "module": "ltr.models.bbreg.atom",
                                   "kwargs": {"backbone_pretrained": True}}
    assert ckpt["settings"]["batch_size"] == 64
    assert ckpt["settings"]["__legacy_class__"] == "ltr.admin.settings_legacy_fake.Settings"
    assert ckpt["stats"]["train"]["Loss/total"]["history"] == [0.5, 0.25]
    assert "evil" in ckpt["legacy_keys"]

    net, _ = load_network(path)  # backbone_pretrained=True is neutralised: no ImageNet file needed
    assert not marker.exists()
    assert net.constructor.kwargs["backbone_pretrained"] is None
    for k, v in src.state_dict().items():
        assert torch.equal(v, net.state_dict()[k]), k


def test_positional_constructor_args_and_bare_state_dict(tmp_path, monkeypatch) -> None:
    from ltr.models.bbreg.atom import atom_resnet18

    src = atom_resnet18(iou_inter_dim=(32, 16), backbone_pretrained=None)
    path = tmp_path / "old.pth"
    with monkeypatch.context() as m:
        classes = _fake_original_modules(m)
        torch.save({"net": src.state_dict(), "constructor": classes["NetConstructor"](
            "atom_resnet18", "ltr.models.bbreg.atom", ((256, 256), (32, 16)), {"backbone_pretrained": False})}, path)
    net, ckpt = load_network(path)
    assert ckpt["constructor"]["kwargs"]["iou_inter_dim"] == (32, 16)
    assert net.bb_regressor.fc4_rt.linear.out_features == 16

    bare = tmp_path / "bare.pth"
    torch.save(src.state_dict(), bare)
    with pytest.raises(Exception, match="constructor"):
        load_network(bare)
    net2, _ = load_network(bare, constructor="atom_resnet18", iou_inter_dim=(32, 16))
    assert torch.equal(net2.bb_regressor.iou_predictor.weight, src.bb_regressor.iou_predictor.weight)


def test_stub_is_inert() -> None:
    from ltr.admin.loading import RestrictedUnpickler

    stub_cls = RestrictedUnpickler.__new__(RestrictedUnpickler).find_class("os", "system")
    assert issubclass(stub_cls, LegacyStub)
    obj = stub_cls("echo hi")
    assert obj._legacy_args == ("echo hi",) and repr(obj) == "<legacy stub os.system>"
