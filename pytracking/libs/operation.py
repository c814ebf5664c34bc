"""Convolution helpers with correlation-filter padding modes; they accept tensors or TensorLists.

``conv2d`` is :func:`torch.nn.functional.conv2d` (a cross-correlation, like every deep-learning "convolution") plus a
``mode`` that picks the padding the way DCF code needs it:

* ``None``  -- use ``padding`` as given (default 0);
* ``'valid'`` -- no padding, output ``H - ke + 1``;
* ``'same'`` -- pad ``ke // 2`` on each side, where ``ke = dilation * (k - 1) + 1`` is the effective kernel size; for
  an even ``ke`` this gives one extra row/column, and the last row/column of the output is dropped so the output has
  the input size (stride 1). Output row ``i`` then sums input rows ``i - ke//2 .. i - ke//2 + ke - 1``;
* ``'full'``  -- pad ``ke - 1`` on each side, output ``H + ke - 1`` (every partial overlap).

Rows and columns are handled independently (a 4x3 kernel drops a row but no column).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pytracking.libs.tensorlist import tensor_operation

__all__ = ["conv2d", "conv1x1"]

_MODES = (None, "same", "valid", "full")


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


@tensor_operation
def conv2d(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | None = None,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    mode: str | None = None,
) -> torch.Tensor:
    """2-D cross-correlation of ``input [N,C,H,W]`` with ``weight [O,C/groups,kh,kw]``; see the module docstring.

    ``padding`` and ``mode`` are exclusive: give one or the other.
    """
    if mode not in _MODES:
        raise ValueError(f"conv2d: mode must be one of {_MODES}, got {mode!r}")
    if mode is None:
        return F.conv2d(input, weight, bias, stride, 0 if padding is None else padding, dilation, groups)
    if padding is not None:
        raise ValueError(f"conv2d: give either padding ({padding!r}) or mode ({mode!r}), not both")

    dil = _pair(dilation)
    ke = [d * (k - 1) + 1 for d, k in zip(dil, weight.shape[-2:], strict=True)]
    if mode == "valid":
        pad = (0, 0)
    elif mode == "full":
        pad = (ke[0] - 1, ke[1] - 1)
    else:
        pad = (ke[0] // 2, ke[1] // 2)
    out = F.conv2d(input, weight, bias, stride, pad, dilation, groups)
    if mode == "same" and (ke[0] % 2 == 0 or ke[1] % 2 == 0):
        out = out[..., : out.shape[-2] - (1 - ke[0] % 2), : out.shape[-1] - (1 - ke[1] % 2)]
    return out


@tensor_operation
def conv1x1(input: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """1x1 convolution ``input [N,C,H,W]``, ``weight [O,C,1,1]`` or ``[O,C]`` -> ``[N,O,H,W]``, as one matmul.

    Equivalent to ``F.conv2d(input, weight)`` without bias; a matmul is faster for the channel projections of DCF
    trackers and its double backward is cheap.
    """
    n, c, h, w = input.shape
    out_ch = weight.shape[0]
    if weight.numel() != out_ch * c:
        raise ValueError(f"conv1x1: weight of shape {tuple(weight.shape)} does not match {c} input channels")
    return torch.matmul(weight.reshape(out_ch, c), input.reshape(n, c, h * w)).reshape(n, out_ch, h, w)
