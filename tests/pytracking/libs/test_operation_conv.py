"""conv2d padding modes against explicit padding + cropping, and conv1x1 against an einsum."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from pytracking.libs.operation import conv1x1, conv2d
from pytracking.libs.tensorlist import TensorList


def _data(kh: int, kw: int, c: int = 3, o: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(kh * 10 + kw)
    return torch.randn(2, c, 9, 8, generator=g, dtype=torch.float64), torch.randn(
        o, c, kh, kw, generator=g, dtype=torch.float64
    )


def _direct_correlation(x: torch.Tensor, w: torch.Tensor, top: int, left: int, out_h: int, out_w: int) -> torch.Tensor:
    """Brute force: out[n,o,i,j] = sum_{c,m,l} x[n,c,i-top+m,j-left+l] w[o,c,m,l] with zeros outside x."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    out = torch.zeros(n, o, out_h, out_w, dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            for m in range(kh):
                for col in range(kw):
                    r, s = i - top + m, j - left + col
                    if 0 <= r < h and 0 <= s < wd:
                        out[:, :, i, j] += x[:, :, r, s] @ w[:, :, m, col].T
    return out


@pytest.mark.parametrize("kh,kw", [(4, 4), (3, 3), (4, 3), (1, 2)])
def test_same_mode_matches_brute_force(kh: int, kw: int) -> None:
    x, w = _data(kh, kw)
    out = conv2d(x, w, mode="same")
    assert out.shape[-2:] == x.shape[-2:]
    # 'same': the window of output (i, j) starts k//2 before it; even kernels drop the last row/col.
    torch.testing.assert_close(out, _direct_correlation(x, w, kh // 2, kw // 2, 9, 8))


def test_same_even_kernel_is_pad_then_drop_last() -> None:
    x, w = _data(4, 4)
    explicit = F.conv2d(F.pad(x, (2, 2, 2, 2)), w)[..., :-1, :-1]
    torch.testing.assert_close(conv2d(x, w, mode="same"), explicit)


def test_valid_full_and_plain_modes() -> None:
    x, w = _data(3, 2)
    torch.testing.assert_close(conv2d(x, w, mode="valid"), _direct_correlation(x, w, 0, 0, 7, 7))
    torch.testing.assert_close(conv2d(x, w, mode="full"), _direct_correlation(x, w, 2, 1, 11, 9))
    torch.testing.assert_close(conv2d(x, w), _direct_correlation(x, w, 0, 0, 7, 7))
    torch.testing.assert_close(conv2d(x, w, padding=1), _direct_correlation(x, w, 1, 1, 9, 9))


def test_same_with_dilation_and_bias() -> None:
    x, w = _data(2, 2)
    b = torch.tensor([0.5, -1.0], dtype=torch.float64)
    # Effective kernel 3 (odd): pad 1, no crop.
    torch.testing.assert_close(conv2d(x, w, b, dilation=2, mode="same"), F.conv2d(x, w, b, padding=1, dilation=2))


def test_bad_arguments() -> None:
    x, w = _data(3, 3)
    with pytest.raises(ValueError, match="mode"):
        conv2d(x, w, mode="circular")
    with pytest.raises(ValueError, match="either padding"):
        conv2d(x, w, padding=1, mode="same")


def test_tensorlist_inputs() -> None:
    x1, w1 = _data(4, 4)
    x2, w2 = _data(3, 3)
    out = conv2d(TensorList([x1, x2]), TensorList([w1, w2]), mode="same")
    assert isinstance(out, TensorList)
    torch.testing.assert_close(out[0], conv2d(x1, w1, mode="same"))
    torch.testing.assert_close(out[1], conv2d(x2, w2, mode="same"))


def test_conv1x1_matches_einsum() -> None:
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 5, 4, 3, generator=g)
    w = torch.randn(7, 5, generator=g)
    expected = torch.einsum("nchw,oc->nohw", x, w)
    torch.testing.assert_close(conv1x1(x, w), expected)
    torch.testing.assert_close(conv1x1(x, w.view(7, 5, 1, 1)), expected)
    torch.testing.assert_close(conv1x1(x.to(memory_format=torch.channels_last), w), expected)
    out = conv1x1(TensorList([x]), TensorList([w]))
    assert isinstance(out, TensorList)
    torch.testing.assert_close(out[0], expected)
    with pytest.raises(ValueError, match="channels"):
        conv1x1(x, torch.randn(7, 4))
