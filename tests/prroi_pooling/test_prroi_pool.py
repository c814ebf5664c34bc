"""Tests of the pure-PyTorch PrRoIPool against independent computations (hand values, avg_pool2d, dense sampling)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from prroi_pooling import PrRoIPool2D, prroi_pool2d, prroi_pool2d_reference
from prroi_pooling import functional as prroi_functional
from prroi_pooling.functional import hat_and_cdf, hat_cdf

F64 = torch.float64


def brute_force(features: torch.Tensor, rois: torch.Tensor, ph: int, pw: int, scale: float, n: int) -> torch.Tensor:
    """Bin averages by dense midpoint sampling of the bilinear surface, evaluated with grid_sample (zero padding)."""
    _, channels, height, width = features.shape
    out = []
    for roi in rois.to(F64):
        b = int(roi[0])
        x1, y1, x2, y2 = (roi[1:] * scale).tolist()
        bin_h, bin_w = max(y2 - y1, 0.0) / ph, max(x2 - x1, 0.0) / pw
        if bin_h * bin_w == 0:
            out.append(features.new_zeros((channels, ph, pw)))
            continue
        ys = y1 + bin_h * (torch.arange(ph * n, dtype=F64) + 0.5) / n
        xs = x1 + bin_w * (torch.arange(pw * n, dtype=F64) + 0.5) / n
        # align_corners=True maps -1/+1 to the first/last grid point; zero padding = hat kernel with zeros outside.
        gy, gx = torch.meshgrid(ys / (height - 1) * 2 - 1, xs / (width - 1) * 2 - 1, indexing="ij")
        grid = torch.stack([gx, gy], dim=-1)[None].to(features.dtype)
        samples = F.grid_sample(features[b : b + 1], grid, mode="bilinear", padding_mode="zeros", align_corners=True)[0]
        out.append(samples.reshape(channels, ph, n, pw, n).mean(dim=(2, 4)))
    return torch.stack(out)


def assert_rel_close(actual: torch.Tensor, expected: torch.Tensor, rel: float) -> None:
    scale = expected.abs().max().clamp(min=1e-12)
    err = ((actual - expected).abs().max() / scale).item()
    assert err <= rel, f"relative error {err:.3g} > {rel}"


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(1234)


def test_hat_cdf_hand_values() -> None:
    t = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], dtype=F64)
    expected = torch.tensor([0.0, 0.0, 0.125, 0.5, 0.875, 1.0, 1.0], dtype=F64)
    torch.testing.assert_close(hat_cdf(t), expected)


def test_hat_and_cdf_equal_the_hat_kernel_and_hat_cdf() -> None:
    t = torch.linspace(-2.5, 2.5, 101, dtype=F64)
    hat, cdf = hat_and_cdf(t)
    torch.testing.assert_close(hat, (1 - t.abs()).clamp(min=0))
    torch.testing.assert_close(cdf, hat_cdf(t))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_unit_bins_equal_two_by_two_average(gen: torch.Generator, dtype: torch.dtype) -> None:
    # roi [0, 0, 14, 14] at scale 0.5 spans [0, 7]^2: bin (p, q) = [p, p+1] x [q, q+1], whose exact bilinear average
    # is the mean of the four corner values.
    feats = torch.randn(2, 4, 10, 9, generator=gen, dtype=dtype)
    rois = torch.tensor([[1, 0, 0, 14, 14], [0, 0, 0, 14, 14]], dtype=dtype)
    out = PrRoIPool2D(7, 7, 0.5)(feats, rois)
    expected = F.avg_pool2d(feats, 2, stride=1)[..., :7, :7]
    torch.testing.assert_close(out, expected[[1, 0]])


def test_hand_values_on_constant_map() -> None:
    # A map of ones is 1 on [0, H-1] x [0, W-1] and falls linearly to 0 over the one-pixel border outside.
    feats = torch.ones(1, 1, 5, 5, dtype=F64)
    rois = torch.tensor(
        [
            [0, 1.0, 1.0, 3.0, 3.0],  # inside: 1
            [0, -1.0, 1.0, 0.0, 3.0],  # x over the falling border [-1, 0]: mean 1/2
            [0, -1.0, -1.0, 0.0, 0.0],  # corner cell: (1/2)^2
            [0, -1.0, 1.0, 1.0, 3.0],  # x over [-1, 1]: (1/2 + 1) / 2
        ],
        dtype=F64,
    )
    out = prroi_pool2d(feats, rois, 1, 1, 1.0).flatten()
    torch.testing.assert_close(out, torch.tensor([1.0, 0.5, 0.25, 0.75], dtype=F64))


@pytest.mark.parametrize("pooled", [(3, 3), (5, 5), (2, 4)])
def test_matches_dense_sampling(gen: torch.Generator, pooled: tuple[int, int]) -> None:
    ph, pw = pooled
    feats = torch.randn(2, 3, 9, 11, generator=gen, dtype=F64)
    rois = torch.tensor(
        [
            [0, 1.3, 2.7, 15.1, 13.4],  # inside
            [1, -3.3, -2.1, 6.6, 9.9],  # partly outside (top-left)
            [1, 10.2, 3.3, 25.7, 21.9],  # partly outside (bottom-right)
            [0, 0.4, 0.9, 1.9, 2.2],  # smaller than a pixel per bin
        ],
        dtype=F64,
    )
    out = prroi_pool2d(feats, rois, ph, pw, 0.5)
    assert out.shape == (4, 3, ph, pw)
    assert_rel_close(out, brute_force(feats, rois, ph, pw, 0.5, n=256), 1e-4)


def test_float32_agrees_with_float64(gen: torch.Generator) -> None:
    feats = torch.randn(2, 8, 18, 18, generator=gen, dtype=F64)
    rois = torch.tensor([[0, 10.5, 20.25, 200.0, 150.5], [1, 30.0, 40.0, 90.0, 250.0]], dtype=F64)
    out64 = prroi_pool2d(feats, rois, 5, 5, 1 / 16)
    out32 = prroi_pool2d(feats.float(), rois.float(), 5, 5, 1 / 16)
    assert out32.dtype == torch.float32
    torch.testing.assert_close(out32.double(), out64, rtol=1e-5, atol=1e-5)


def test_fully_outside_and_zero_area_give_zero_with_finite_gradients(gen: torch.Generator) -> None:
    feats = torch.randn(1, 2, 6, 6, generator=gen, dtype=F64, requires_grad=True)
    rois = torch.tensor(
        [
            [0, 20.0, 20.0, 30.0, 30.0],  # beyond the bottom-right border (+1 pixel of support)
            [0, -9.0, -9.0, -2.0, -1.5],  # beyond the top-left border
            [0, 2.0, 1.0, 2.0, 4.0],  # zero width
            [0, 1.0, 3.0, 4.0, 3.0],  # zero height
            [0, 4.0, 1.0, 2.0, 4.0],  # x2 < x1: treated as zero width
        ],
        dtype=F64,
        requires_grad=True,
    )
    out = prroi_pool2d(feats, rois, 3, 3, 1.0)
    assert torch.equal(out, torch.zeros_like(out))
    out.sum().backward()
    assert torch.isfinite(feats.grad).all() and torch.isfinite(rois.grad).all()
    assert torch.equal(rois.grad, torch.zeros_like(rois.grad))
    assert torch.equal(feats.grad, torch.zeros_like(feats.grad))


def test_empty_rois(gen: torch.Generator) -> None:
    feats = torch.randn(2, 3, 5, 5, generator=gen, requires_grad=True)
    out = PrRoIPool2D(3, 4, 0.25)(feats, torch.zeros(0, 5))
    assert out.shape == (0, 3, 3, 4)
    out.sum().backward()
    assert torch.equal(feats.grad, torch.zeros_like(feats))


def test_non_contiguous_inputs(gen: torch.Generator) -> None:
    feats = torch.randn(2, 5, 12, 10, generator=gen, dtype=F64)
    rois = torch.tensor([[1, 1.5, 2.5, 30.0, 28.0], [0, 4.0, 0.5, 12.0, 40.0]], dtype=F64)
    feats_nc = feats.permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2)  # same values, transposed strides
    feats_nc = feats_nc.to(memory_format=torch.channels_last)
    rois_nc = rois.t().contiguous().t()
    assert not feats_nc.is_contiguous() and not rois_nc.is_contiguous()
    expected = prroi_pool2d(feats, rois, 4, 3, 0.25)
    torch.testing.assert_close(prroi_pool2d(feats_nc, rois_nc, 4, 3, 0.25), expected)
    strided = torch.randn(2, 10, 12, 10, generator=gen, dtype=F64)[:, ::2]
    torch.testing.assert_close(
        prroi_pool2d(strided, rois, 4, 3, 0.25), prroi_pool2d(strided.contiguous(), rois, 4, 3, 0.25)
    )


@pytest.mark.parametrize(
    ("batch_index", "error"), [(2.0, IndexError), (-1.0, IndexError), (0.5, ValueError), (float("nan"), ValueError)]
)
def test_bad_batch_index_is_named(batch_index: float, error: type[Exception]) -> None:
    feats = torch.zeros(2, 1, 4, 4)
    rois = torch.tensor([[0, 0.0, 0.0, 2.0, 2.0], [batch_index, 0.0, 0.0, 2.0, 2.0]])
    with pytest.raises(error, match="batch index"):
        prroi_pool2d(feats, rois, 2, 2, 1.0)


def test_bad_shapes_are_named() -> None:
    with pytest.raises(ValueError, match="features"):
        prroi_pool2d(torch.zeros(1, 4, 4), torch.zeros(1, 5), 2, 2, 1.0)
    with pytest.raises(ValueError, match="rois"):
        prroi_pool2d(torch.zeros(1, 1, 4, 4), torch.zeros(1, 4), 2, 2, 1.0)
    with pytest.raises(ValueError, match="pooled size"):
        PrRoIPool2D(0, 2, 1.0)


def test_each_roi_reads_its_own_image_in_any_order(gen: torch.Generator) -> None:
    feats = torch.randn(4, 3, 8, 8, generator=gen, dtype=F64)
    rois = torch.tensor(
        [[3, 1.0, 2.0, 9.0, 11.0], [0, 0.5, 0.5, 7.0, 6.0], [3, 2.0, 2.0, 4.0, 5.0], [1, 3.0, 1.0, 12.0, 14.0]],
        dtype=F64,
    )
    out = prroi_pool2d(feats, rois, 3, 3, 0.5)
    for k in range(rois.shape[0]):
        alone = torch.cat([rois.new_zeros(1), rois[k, 1:]])[None]  # same box on a one-image batch
        single = prroi_pool2d(feats[int(rois[k, 0])][None], alone, 3, 3, 0.5)
        torch.testing.assert_close(out[k], single[0])


def test_uneven_grouping_uses_per_image_path_with_same_result(gen: torch.Generator) -> None:
    # 100 rois on image 0 and one each on images 1 and 2 pad to 3 x 100 slots: the per-image loop takes over.
    feats = torch.randn(3, 2, 7, 7, generator=gen, dtype=F64)
    boxes = torch.rand(102, 2, generator=gen, dtype=F64) * 10
    sizes = torch.rand(102, 2, generator=gen, dtype=F64) * 8 + 1
    batch = torch.zeros(102, 1, dtype=F64)
    batch[100], batch[101] = 2, 1
    rois = torch.cat([batch, boxes, boxes + sizes], dim=1)
    assert 3 * 100 > prroi_functional._MAX_PADDING_FACTOR * 102 + prroi_functional._PADDING_SLACK
    out = prroi_pool2d(feats, rois, 2, 2, 0.5)
    expected = torch.cat([prroi_pool2d(feats, rois[k : k + 1], 2, 2, 0.5) for k in range(rois.shape[0])])
    torch.testing.assert_close(out, expected)


def test_gradcheck_features(gen: torch.Generator) -> None:
    feats = torch.randn(2, 2, 5, 6, generator=gen, dtype=F64, requires_grad=True)
    rois = torch.tensor([[0, 1.3, 0.7, 9.1, 8.4], [1, -2.2, 3.1, 7.7, 12.6], [1, 2.0, 2.0, 2.0, 6.0]], dtype=F64)
    assert torch.autograd.gradcheck(lambda f: prroi_pool2d(f, rois, 3, 2, 0.5), (feats,))


def test_gradcheck_coordinates(gen: torch.Generator) -> None:
    feats = torch.randn(2, 2, 6, 7, generator=gen, dtype=F64)
    # Coordinates away from the kinks (integer positions in feature units, and x2 == x1).
    coords = torch.tensor(
        [[1.37, 0.71, 9.13, 8.43], [-2.21, 3.13, 7.77, 12.61], [4.33, 5.17, 15.91, 13.29]], dtype=F64
    ).requires_grad_(True)
    batch = torch.tensor([[0.0], [1.0], [0.0]], dtype=F64)
    assert torch.autograd.gradcheck(lambda c: prroi_pool2d(feats, torch.cat([batch, c], 1), 3, 3, 0.5), (coords,))


def test_batch_index_column_gets_zero_gradient(gen: torch.Generator) -> None:
    feats = torch.randn(2, 2, 6, 6, generator=gen, dtype=F64)
    rois = torch.tensor([[1, 1.3, 0.7, 9.1, 8.4], [0, 0.2, 2.1, 6.9, 7.7]], dtype=F64, requires_grad=True)
    prroi_pool2d(feats, rois, 2, 2, 0.5).sum().backward()
    assert torch.equal(rois.grad[:, 0], torch.zeros(2, dtype=F64))
    assert (rois.grad[:, 1:].abs() > 0).all()


def test_coordinate_gradient_matches_brute_force_difference(gen: torch.Generator) -> None:
    # A second, independent check of d(out)/d(x2): central difference of the dense-sampling integral.
    feats = torch.randn(1, 1, 6, 6, generator=gen, dtype=F64)
    base = torch.tensor([[0, 1.3, 0.7, 9.1, 8.4]], dtype=F64, requires_grad=True)
    prroi_pool2d(feats, base, 2, 2, 0.5).sum().backward()
    step = 1e-3
    plus, minus = base.detach().clone(), base.detach().clone()
    plus[0, 3] += step
    minus[0, 3] -= step
    numeric = (brute_force(feats, plus, 2, 2, 0.5, 512).sum() - brute_force(feats, minus, 2, 2, 0.5, 512).sum()) / (
        2 * step
    )
    torch.testing.assert_close(base.grad[0, 3], numeric, rtol=1e-2, atol=1e-3)


def test_module_selection_and_repr() -> None:
    layer = PrRoIPool2D(3, 5, 0.125, use_kernel=False)
    assert "pooled_height=3" in repr(layer) and "spatial_scale=0.125" in repr(layer)
    feats = torch.randn(1, 2, 4, 4)
    rois = torch.tensor([[0, 1.0, 1.0, 20.0, 20.0]])
    torch.testing.assert_close(layer(feats, rois), prroi_pool2d_reference(feats, rois, 3, 5, 0.125))
    with pytest.raises(RuntimeError, match="use_kernel=True"):
        PrRoIPool2D(3, 5, 0.125, use_kernel=True)(feats, rois)


def test_integer_rois_and_mixed_dtypes(gen: torch.Generator) -> None:
    feats = torch.randn(2, 3, 8, 8, generator=gen, dtype=F64)
    rois = torch.tensor([[1, 2, 3, 20, 25], [0, 0, 0, 14, 14]])
    out = prroi_pool2d(feats, rois, 3, 3, 0.5)
    assert out.dtype == F64
    torch.testing.assert_close(out, prroi_pool2d(feats, rois.to(F64), 3, 3, 0.5))
    torch.testing.assert_close(prroi_pool2d(feats, rois.float(), 3, 3, 0.5), out)
