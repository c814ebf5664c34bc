"""The libraries on a CUDA device give the CPU results (skipped where no GPU is available)."""

from __future__ import annotations

import pytest
import torch

from pytracking.libs import dcf, fourier
from pytracking.libs.operation import conv2d
from pytracking.libs.optimization import GaussNewtonCG, L2Problem
from pytracking.libs.tensorlist import TensorList

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device available on this machine"),
]


class _Fit(L2Problem):
    def __init__(self, x: torch.Tensor, y: torch.Tensor):
        self.x, self.y = x, y

    def __call__(self, f: TensorList) -> TensorList:
        return TensorList([conv2d(self.x, f[0], mode="same") - self.y, 0.3 * f[0]])


def test_same_results_on_cuda() -> None:
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(2, 1, 18, 18, generator=g)
    torch.testing.assert_close(
        fourier.upsample_response(scores.to("cuda"), (288, 288)).cpu(), fourier.upsample_response(scores, (288, 288))
    )
    lab = dcf.label_function_spatial(18, 0.9, (0.5, 1.0), device="cuda")
    assert lab.device.type == "cuda"
    torch.testing.assert_close(lab.cpu(), dcf.label_function_spatial(18, 0.9, (0.5, 1.0)))
    x, y = torch.randn(3, 4, 8, 8, generator=g), torch.randn(3, 1, 8, 8, generator=g)
    results = []
    for dev in ("cpu", "cuda"):
        f = TensorList([torch.zeros(1, 4, 4, 4, device=dev)])
        GaussNewtonCG(_Fit(x.to(dev), y.to(dev)), f).run(10, 2)
        results.append(f[0].cpu())
    torch.testing.assert_close(results[1], results[0], rtol=1e-3, atol=1e-4)
