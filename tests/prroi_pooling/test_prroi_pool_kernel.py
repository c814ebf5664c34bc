"""Tests of the compiled-kernel path: selection logic and autograd wiring (CPU, with a stand-in extension), the
compiled CUDA kernel against the pure-PyTorch reference (GPU only), and the setup.py build decision."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from prroi_pooling import kernel_available, prroi_pool2d, prroi_pool2d_reference
from prroi_pooling import prroi_pool as prroi_pool_module
from prroi_pooling._extension import FORCE_REFERENCE_ENV, kernel_disabled_by_env

F64 = torch.float64
REPO_ROOT = Path(__file__).resolve().parents[2]


def _reference_extension() -> SimpleNamespace:
    """A stand-in for prroi_pooling._C with the same call signatures, computed with the reference + autograd."""

    def forward(features, rois, ph, pw, scale):
        return prroi_pool2d_reference(features, rois, ph, pw, scale)

    def backward_features(grad_output, rois, batch, height, width, scale):
        feats = torch.zeros(batch, grad_output.shape[1], height, width, dtype=grad_output.dtype, requires_grad=True)
        with torch.enable_grad():  # autograd.Function.backward runs with grad mode off
            out = prroi_pool2d_reference(feats, rois, grad_output.shape[2], grad_output.shape[3], scale)
            return torch.autograd.grad(out, feats, grad_output)[0]

    def backward_coords(grad_output, features, rois, scale):
        rois = rois.clone().requires_grad_(True)
        with torch.enable_grad():
            out = prroi_pool2d_reference(features, rois, grad_output.shape[2], grad_output.shape[3], scale)
            return torch.autograd.grad(out, rois, grad_output)[0]

    return SimpleNamespace(forward=forward, backward_features=backward_features, backward_coords=backward_coords)


def test_autograd_function_wiring_with_stand_in_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel is linear in the features, so a zero-feature stand-in gives the exact feature gradient.
    monkeypatch.setattr(prroi_pool_module, "load_extension", _reference_extension)
    gen = torch.Generator().manual_seed(7)
    feats = torch.randn(2, 3, 6, 7, generator=gen, dtype=F64, requires_grad=True)
    rois = torch.tensor([[1, 1.3, 0.7, 9.1, 8.4], [0, -2.2, 3.1, 7.7, 12.6]], dtype=torch.float32, requires_grad=True)
    out = prroi_pool_module._PrRoIPoolKernelFunction.apply(feats, rois, 3, 2, 0.5)
    grad_out = torch.randn(out.shape, generator=gen, dtype=F64)
    g_feats, g_rois = torch.autograd.grad(out, (feats, rois), grad_out)
    assert g_rois.dtype == torch.float32  # gradient comes back in the rois' own dtype

    feats_ref = feats.detach().clone().requires_grad_(True)
    rois_ref = rois.detach().clone().requires_grad_(True)
    out_ref = prroi_pool2d_reference(feats_ref, rois_ref, 3, 2, 0.5)
    e_feats, e_rois = torch.autograd.grad(out_ref, (feats_ref, rois_ref), grad_out)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(g_feats, e_feats)
    torch.testing.assert_close(g_rois, e_rois)


def test_force_reference_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE_REFERENCE_ENV, "1")
    assert kernel_disabled_by_env()
    monkeypatch.setenv(FORCE_REFERENCE_ENV, "0")
    assert not kernel_disabled_by_env()


def test_cpu_tensors_never_select_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prroi_pool_module, "load_extension", _reference_extension)
    feats = torch.zeros(1, 1, 4, 4)
    assert not prroi_pool_module._should_use_kernel(feats, None)
    assert not prroi_pool_module._should_use_kernel(feats, False)


def _load_setup_module():
    spec = importlib.util.spec_from_file_location("prroi_setup_under_test", REPO_ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # guarded by __name__ == "__main__", so setup() does not run
    return module


def test_setup_skips_kernel_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRROI_POOL_BUILD_CUDA", "0")
    assert _load_setup_module()._cuda_extension() == ([], {})


@pytest.mark.skipif(torch.version.cuda is not None, reason="checks the CPU-only torch case")
def test_setup_skips_kernel_with_cpu_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRROI_POOL_BUILD_CUDA", raising=False)
    assert _load_setup_module()._cuda_extension() == ([], {})


needs_kernel = pytest.mark.skipif(
    not (torch.cuda.is_available() and kernel_available()),
    reason="needs a CUDA device and the compiled prroi_pooling._C kernel "
    f"(cuda available: {torch.cuda.is_available()}, kernel built: {kernel_available()})",
)


def _random_case(dtype: torch.dtype, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    feats = torch.randn(3, 16, 18, 20, generator=gen, dtype=dtype)
    xy = torch.rand(40, 2, generator=gen, dtype=dtype) * 300 - 30
    wh = torch.rand(40, 2, generator=gen, dtype=dtype) * 120
    batch = torch.randint(0, 3, (40, 1), generator=gen).to(dtype)
    rois = torch.cat([batch, xy, xy + wh], dim=1)
    rois[0, 3] = rois[0, 1]  # zero width
    rois[1, 3] = rois[1, 1] - 5  # x2 < x1
    rois[2, 1:] = torch.tensor([600.0, 600.0, 700.0, 650.0], dtype=dtype)  # fully outside
    return feats.to(device), rois.to(device)


@needs_kernel
@pytest.mark.cuda
@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-10), (torch.float32, 1e-4)])
@pytest.mark.parametrize("pooled", [(3, 3), (5, 5), (2, 7)])
def test_kernel_matches_reference(dtype: torch.dtype, tol: float, pooled: tuple[int, int]) -> None:
    ph, pw = pooled
    feats, rois = _random_case(dtype, "cuda")
    grad_out = torch.randn(rois.shape[0], feats.shape[1], ph, pw, dtype=dtype, device="cuda")
    results = []
    for use_kernel in (True, False):
        f = feats.clone().requires_grad_(True)
        r = rois.clone().requires_grad_(True)
        out = prroi_pool2d(f, r, ph, pw, 1 / 8, use_kernel=use_kernel)
        results.append((out, *torch.autograd.grad(out, (f, r), grad_out)))
    for got, expected in zip(results[0], results[1], strict=True):
        torch.testing.assert_close(got, expected, rtol=tol, atol=tol)


@needs_kernel
@pytest.mark.cuda
def test_kernel_gradcheck() -> None:
    gen = torch.Generator().manual_seed(5)
    feats = torch.randn(2, 2, 6, 7, generator=gen, dtype=F64).to("cuda").requires_grad_(True)
    coords = torch.tensor([[1.37, 0.71, 9.13, 8.43], [-2.21, 3.13, 7.77, 12.61]], dtype=F64).to("cuda")
    coords.requires_grad_(True)
    batch = torch.tensor([[0.0], [1.0]], dtype=F64).to("cuda")

    def op(f: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return prroi_pool2d(f, torch.cat([batch, c], 1), 3, 3, 0.5, use_kernel=True)

    assert torch.autograd.gradcheck(op, (feats, coords))


@needs_kernel
@pytest.mark.cuda
def test_kernel_selected_automatically_and_env_forces_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    feats = torch.zeros(1, 1, 4, 4, device="cuda")
    monkeypatch.delenv(FORCE_REFERENCE_ENV, raising=False)
    assert prroi_pool_module._should_use_kernel(feats, None)
    monkeypatch.setenv(FORCE_REFERENCE_ENV, "1")
    assert not prroi_pool_module._should_use_kernel(feats, None)
