"""SameCorrelation (GEMM form) against operation.conv2d(mode='same') and autograd's weight gradient."""

from __future__ import annotations

import pytest
import torch

from pytracking.libs import operation
from pytracking.tracker.atom.tapconv import SameCorrelation


@pytest.mark.parametrize("n,c,h,w,kh,kw",
                         [(3, 5, 7, 8, 4, 4), (2, 3, 6, 6, 3, 3), (4, 2, 5, 7, 5, 2), (1, 1, 4, 4, 1, 1)])
def test_forward_and_adjoint_match_convolution(n, c, h, w, kh, kw):
    g = torch.Generator().manual_seed(n * 100 + kh)
    x = torch.randn(n, c, h, w, generator=g, dtype=torch.float64)
    f = torch.randn(1, c, kh, kw, generator=g, dtype=torch.float64, requires_grad=True)
    corr = SameCorrelation(x, (kh, kw))
    ref = operation.conv2d(x, f, mode="same")
    torch.testing.assert_close(corr.forward(f.detach()), ref.detach())
    upstream = torch.randn(ref.shape, generator=g, dtype=torch.float64)
    (ref_grad,) = torch.autograd.grad(ref, f, upstream)
    torch.testing.assert_close(corr.weight_grad(upstream), ref_grad)


def test_hand_computed_single_tap_shift():
    # 1 channel, 2x2 kernel with only tap (0, 0) set: 'same' output row i reads input row i - 1 (ph = 1)
    x = torch.arange(9, dtype=torch.float64).reshape(1, 1, 3, 3)
    f = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    f[0, 0, 0, 0] = 1
    out = SameCorrelation(x, (2, 2)).forward(f)[0, 0]
    assert out.tolist() == [[0, 0, 0], [0, 0, 1], [0, 3, 4]]
