"""TensorList: every operation is checked against the same operation applied to each element by hand."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

from pytracking.libs.tensorlist import TensorList, tensor_operation


def _pair() -> tuple[TensorList, TensorList]:
    g = torch.Generator().manual_seed(0)
    a = TensorList([torch.rand(2, 3, generator=g) + 0.5, torch.rand(4, generator=g) + 0.5])
    b = TensorList([torch.rand(2, 3, generator=g) + 0.5, torch.rand(4, generator=g) + 0.5])
    return a, b


def _assert_tl_equal(tl: TensorList, expected: list[torch.Tensor]) -> None:
    assert isinstance(tl, TensorList)
    assert len(tl) == len(expected)
    for t, e in zip(tl, expected, strict=True):
        torch.testing.assert_close(t, e)


@pytest.mark.parametrize(
    "op",
    [
        lambda x, y: x + y,
        lambda x, y: x - y,
        lambda x, y: x * y,
        lambda x, y: x / y,
        lambda x, y: x // y,
        lambda x, y: x % y,
        lambda x, y: x**y,
    ],
)
def test_binary_ops_tensorlist_scalar_and_reflected(op) -> None:
    a, b = _pair()
    _assert_tl_equal(op(a, b), [op(x, y) for x, y in zip(a, b, strict=True)])
    _assert_tl_equal(op(a, 2.5), [op(x, 2.5) for x in a])
    _assert_tl_equal(op(2.5, a), [op(2.5, x) for x in a])


def test_broadcast_tensor_both_sides() -> None:
    a, _ = _pair()
    a = TensorList([a[0], a[0] * 2])  # both [2, 3]
    t = torch.tensor([1.0, 2.0, 3.0])
    _assert_tl_equal(a * t, [a[0] * t, a[1] * t])
    _assert_tl_equal(a - t, [a[0] - t, a[1] - t])
    _assert_tl_equal(t - a, [t - a[0], t - a[1]])  # Tensor.__sub__ defers to TensorList.__rsub__
    _assert_tl_equal(t * a, [t * a[0], t * a[1]])


def test_matmul_and_unary() -> None:
    m = TensorList([torch.tensor([[1.0, 2.0], [3.0, 4.0]])])
    v = TensorList([torch.tensor([1.0, -1.0])])
    _assert_tl_equal(m @ v, [torch.tensor([-1.0, -1.0])])
    _assert_tl_equal(-v, [torch.tensor([-1.0, 1.0])])
    _assert_tl_equal(abs(v), [torch.tensor([1.0, 1.0])])


def test_inplace_ops_keep_tensor_identity() -> None:
    a, b = _pair()
    ids = [id(t) for t in a]
    expected = [(x + y) * 2 - 1 for x, y in zip(a, b, strict=True)]
    a0 = a
    a += b
    a *= 2
    a -= 1
    assert a is a0
    assert [id(t) for t in a] == ids
    _assert_tl_equal(a, expected)
    a /= b
    _assert_tl_equal(a, [e / y for e, y in zip(expected, b, strict=True)])


def test_inplace_on_python_numbers() -> None:
    a = TensorList([1.0, 2.0])
    a += 1
    assert list(a) == [2.0, 3.0]


def test_comparisons_elementwise() -> None:
    a = TensorList([torch.tensor([1.0, 5.0]), torch.tensor([3.0])])
    _assert_tl_equal(a > 2, [torch.tensor([False, True]), torch.tensor([True])])
    _assert_tl_equal(a <= 3, [torch.tensor([True, False]), torch.tensor([True])])
    _assert_tl_equal(a == a, [torch.tensor([True, True]), torch.tensor([True])])
    _assert_tl_equal(a != 5, [torch.tensor([True, False]), torch.tensor([True])])


def test_length_mismatch_raises() -> None:
    a, _ = _pair()
    with pytest.raises(ValueError, match="length"):
        _ = a + TensorList([torch.ones(1)])


def test_indexing() -> None:
    t = [torch.full((1,), float(i)) for i in range(5)]
    tl = TensorList(t)
    assert tl[2] is t[2]
    assert isinstance(tl[1:3], TensorList) and [x.item() for x in tl[1:3]] == [1.0, 2.0]
    assert isinstance(tl[[4, 0]], TensorList) and [x.item() for x in tl[[4, 0]]] == [4.0, 0.0]
    assert tl[torch.tensor([1, 3])][1] is t[3]
    with pytest.raises(TypeError, match="indices"):
        tl[1.5]


def test_concat_copy_unroll_list_attribute_apply() -> None:
    a, b = _pair()
    c = a.concat(b)
    assert isinstance(c, TensorList) and len(c) == 4 and c[2] is b[0]
    d = a.copy()
    assert isinstance(d, TensorList) and d is not a and d[0] is a[0]
    nested = TensorList([TensorList([a[0], a[1]]), b[0]])
    flat = nested.unroll()
    assert isinstance(flat, TensorList) and [id(x) for x in flat] == [id(a[0]), id(a[1]), id(b[0])]
    plain = nested.list()
    assert type(plain) is list and type(plain[0]) is list
    assert a.attribute("ndim") == [2, 1]
    assert a.attribute("missing", None) == [None, None]
    _assert_tl_equal(a.apply(torch.exp), [torch.exp(x) for x in a])


def test_method_forwarding_and_attributes() -> None:
    a, b = _pair()
    v = a.view(-1)
    _assert_tl_equal(v, [x.view(-1) for x in a])
    assert a.shape == [torch.Size([2, 3]), torch.Size([4])]
    assert isinstance(a.shape, TensorList)
    _assert_tl_equal(a.clamp(min=0.9), [x.clamp(min=0.9) for x in a])
    # TensorList arguments are zipped into the forwarded method.
    _assert_tl_equal(a.add(b, alpha=2), [x.add(y, alpha=2) for x, y in zip(a, b, strict=True)])
    # Nested lists forward recursively.
    nested = TensorList([a, b])
    assert nested.numel() == [[6, 4], [6, 4]]
    with pytest.raises(AttributeError):
        _ = a.not_a_tensor_method
    # Dunder names are never forwarded; torch must not see the list as tensor-like.
    assert not hasattr(a, "__torch_function__")
    with pytest.raises(AttributeError):
        _ = a.__array_interface__


def test_setattr_forwards_tensor_attributes() -> None:
    a, _ = _pair()
    a.requires_grad = True
    assert all(x.requires_grad for x in a)
    a.requires_grad_(False)
    assert not any(x.requires_grad for x in a)
    a.my_tag = "kept on the list"
    assert a.my_tag == "kept on the list"


def test_autograd_grad_with_tensorlist_arguments() -> None:
    """d/dx sum(u * x^3) = 3 u x^2, and its derivative wrt u (create_graph) is 3 x^2."""
    g = torch.Generator().manual_seed(1)
    x = TensorList([torch.rand(3, generator=g), torch.rand(2, 2, generator=g)])
    x.requires_grad_(True)
    u = TensorList([torch.rand(3, generator=g), torch.rand(2, 2, generator=g)])
    u.requires_grad_(True)
    y = x**3
    gx = TensorList(torch.autograd.grad(y, x, grad_outputs=u, create_graph=True))
    _assert_tl_equal(gx.detach(), [3 * ui.detach() * xi.detach() ** 2 for ui, xi in zip(u, x, strict=True)])
    ones = TensorList([torch.ones_like(t) for t in gx])
    gu = TensorList(torch.autograd.grad(gx, u, grad_outputs=ones))
    _assert_tl_equal(gu, [3 * xi.detach() ** 2 for xi in x])


def test_torch_functions_accept_tensorlist() -> None:
    a = TensorList([torch.ones(2), torch.zeros(3)])
    torch.testing.assert_close(torch.cat(a), torch.tensor([1.0, 1.0, 0.0, 0.0, 0.0]))
    assert torch.stack(TensorList([torch.ones(2), torch.ones(2)])).shape == (2, 2)


def test_pickle_and_deepcopy() -> None:
    a, _ = _pair()
    for c in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        assert isinstance(c, TensorList)
        assert c[0] is not a[0]
        _assert_tl_equal(c, list(a))


def test_tensor_operation_decorator() -> None:
    calls = []

    @tensor_operation
    def affine(x: torch.Tensor, w: torch.Tensor, *, b: float = 0.0) -> torch.Tensor:
        calls.append(1)
        return x * w + b

    a, b = _pair()
    _assert_tl_equal(affine(a, b, b=1.0), [x * y + 1.0 for x, y in zip(a, b, strict=True)])
    _assert_tl_equal(affine(a, 3.0), [x * 3.0 for x in a])
    torch.testing.assert_close(affine(a[0], 2.0), a[0] * 2.0)  # plain tensors pass straight through
    nested = TensorList([a, TensorList([b[0]])])
    out = affine(nested, 2.0)
    assert isinstance(out[0], TensorList) and torch.equal(out[1][0], b[0] * 2.0)
    with pytest.raises(ValueError, match="different lengths"):
        affine(a, TensorList([b[0]]))
