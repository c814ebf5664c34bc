"""Network constructors are found by discovery (no hand-kept module list); import errors name the module."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ltr.models.registry import ConstructorSpec, NetworkModuleImportError, discover, get_constructor


def _package(root, name, modules):
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for mod, text in modules.items():
        (pkg / f"{mod}.py").write_text(textwrap.dedent(text))
    return pkg


def test_constructor_in_its_own_module_is_found(tmp_path, monkeypatch):
    _package(tmp_path, "plugnets_ok", {"tiny": """
        from torch import nn
        from ltr.models.registry import register_constructor

        @register_constructor("plug_tiny_net")
        def plug_tiny_net(width: int = 3) -> nn.Module:
            return nn.Linear(width, 1)
        """})
    monkeypatch.syspath_prepend(str(tmp_path))
    assert discover("plugnets_ok") == ["plugnets_ok.tiny"]
    net = get_constructor("plug_tiny_net")(width=5)
    assert net.in_features == 5 and net.constructor.kwargs == {"width": 5}


def test_broken_module_is_reported_by_name(tmp_path, monkeypatch):
    _package(tmp_path, "plugnets_bad", {"fine": "X = 1\n", "broken": "import not_a_module_anywhere_xyz\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(NetworkModuleImportError, match=r"plugnets_bad\.broken.*not_a_module_anywhere_xyz"):
        discover("plugnets_bad")


def test_builtin_found_without_importing_its_module_first_and_old_module_string_ignored():
    code = textwrap.dedent("""
        import sys
        from ltr.models.registry import ConstructorSpec
        assert "ltr.models.bbreg.atom" not in sys.modules
        # an old checkpoint's spec: the module it names no longer exists, the name is what counts
        net = ConstructorSpec("atom_resnet18", "ltr.models.old_place", {"backbone_pretrained": None}).build()
        print(type(net).__name__, "ltr.models.bbreg.atom" in sys.modules)
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ATOMnet", "True"]
    assert ConstructorSpec("atom_resnet18").name == "atom_resnet18"
