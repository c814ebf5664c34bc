"""A list of tensors that behaves like one tensor under arithmetic and tensor methods.

Online trackers optimise several parameter blocks at once (one filter per feature layer, a projection matrix, ...).
Writing the optimiser once for "a tensor" and running it on a list of blocks needs a container where ``a + b``,
``a * 0.5``, ``a.view(-1)`` or ``a.clamp(0)`` act on every block. :class:`TensorList` is that container.

Semantics in short:

* Arithmetic (``+ - * / // % ** @ & | ^``, their reflected and in-place forms, unary ``- + abs ~``) and the six
  comparisons act element-wise. The other operand may be a TensorList of the same length (zipped), or anything else
  (scalar, tensor), which is broadcast to every element. ``==`` therefore compares element-wise, as on tensors;
  use :meth:`TensorList.concat` to concatenate (``+`` never concatenates).
* In-place operators modify each element in place (the tensors keep their identity).
* Indexing with an int returns the element; with a slice or a list/tuple of ints it returns a TensorList.
* Unknown attributes are forwarded to the elements, but only names that exist on :class:`torch.Tensor` and are not
  dunder names: ``tl.view(-1)`` returns a TensorList of views (TensorList arguments are zipped), ``tl.shape`` a
  TensorList of sizes. List methods (``copy``, ``sort``, ``index``, ...) keep their list meaning; use
  :meth:`TensorList.apply` for those tensor methods. Dunder names are never forwarded: forwarding
  ``__torch_function__`` would make torch treat the list as a tensor-like object and break ``torch.autograd.grad``.
* Setting a :class:`torch.Tensor` attribute (``tl.requires_grad = True``) sets it on every element.

A TensorList is a plain ``list`` subclass, so it can be passed wherever torch expects a sequence of tensors
(``torch.autograd.grad``, ``torch.cat``, ``torch.stack``).
"""

from __future__ import annotations

import copy
import functools
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

__all__ = ["TensorList", "tensor_operation"]


def _tensor_has(name: str) -> bool:
    """True when ``name`` is a public (non-dunder) attribute of :class:`torch.Tensor`."""
    return not (name.startswith("__") and name.endswith("__")) and hasattr(torch.Tensor, name)


class TensorList(list):
    """List of tensors (or nested TensorLists) with element-wise tensor semantics; see the module docstring."""

    def __init__(self, list_of_tensors: Iterable[Any] | None = None) -> None:
        super().__init__(() if list_of_tensors is None else list_of_tensors)

    # ------------------------------------------------------------------ containers
    def __deepcopy__(self, memo: dict) -> TensorList:
        return TensorList(copy.deepcopy(list(self), memo))

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, int):
            return super().__getitem__(item)
        if isinstance(item, slice):
            return TensorList(super().__getitem__(item))
        if isinstance(item, (list, tuple)):
            return TensorList(super(TensorList, self).__getitem__(i) for i in item)
        if isinstance(item, torch.Tensor) and item.dim() == 0 and not item.is_floating_point():
            return super().__getitem__(int(item))
        if isinstance(item, torch.Tensor) and item.dim() == 1 and not item.is_floating_point():
            return self[item.tolist()]
        raise TypeError(f"TensorList indices must be int, slice or a list of ints, not {type(item).__name__}")

    def copy(self) -> TensorList:
        """Shallow copy (the tensors are shared); use ``clone()`` for copies of the tensors."""
        return TensorList(self)

    def concat(self, other: Iterable[Any]) -> TensorList:
        """Concatenation of the two lists (``+`` is element-wise addition, not concatenation)."""
        return TensorList(list(self) + list(other))

    def unroll(self) -> TensorList:
        """Flatten nested TensorLists into one flat TensorList of leaves."""
        out = TensorList()
        for e in self:
            if isinstance(e, TensorList):
                out.extend(e.unroll())
            else:
                out.append(e)
        return out

    def list(self) -> list:
        """Plain (nested) Python list with the same elements."""
        return [e.list() if isinstance(e, TensorList) else e for e in self]

    def attribute(self, name: str, *default: Any) -> TensorList:
        """``getattr(e, name, *default)`` for every element."""
        return TensorList(getattr(e, name, *default) for e in self)

    def apply(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> TensorList:
        """``fn(e, *args, **kwargs)`` for every element."""
        return TensorList(fn(e, *args, **kwargs) for e in self)

    # ------------------------------------------------------------------ element-wise helpers
    def _other(self, other: Any) -> Callable[[int], Any]:
        """Picker for the i-th operand: zips TensorLists of equal length, broadcasts anything else."""
        if isinstance(other, TensorList):
            if len(other) != len(self):
                raise ValueError(f"TensorList length mismatch: {len(self)} vs {len(other)}")
            return other.__getitem__
        return lambda i: other

    def _binary(self, other: Any, fn: Callable[[Any, Any], Any]) -> TensorList:
        pick = self._other(other)
        return TensorList(fn(e, pick(i)) for i, e in enumerate(self))

    def _inplace(self, other: Any, fn: Callable[[Any, Any], Any]) -> TensorList:
        pick = self._other(other)
        for i, e in enumerate(self):
            # fn is an in-place operator (operator.iadd, ...): tensors are modified in place and returned; immutable
            # elements (python numbers) come back as new objects and are stored.
            list.__setitem__(self, i, fn(e, pick(i)))
        return self

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a + b)

    def __radd__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b + a)

    def __iadd__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["add"])

    def __sub__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a - b)

    def __rsub__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b - a)

    def __isub__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["sub"])

    def __mul__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a * b)

    def __rmul__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b * a)

    def __imul__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["mul"])

    def __truediv__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a / b)

    def __rtruediv__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b / a)

    def __itruediv__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["truediv"])

    def __floordiv__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a // b)

    def __rfloordiv__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b // a)

    def __ifloordiv__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["floordiv"])

    def __mod__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a % b)

    def __rmod__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b % a)

    def __imod__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["mod"])

    def __pow__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a**b)

    def __rpow__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b**a)

    def __ipow__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["pow"])

    def __matmul__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a @ b)

    def __rmatmul__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b @ a)

    def __imatmul__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["matmul"])

    def __and__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a & b)

    def __rand__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b & a)

    def __iand__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["and"])

    def __or__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a | b)

    def __ror__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b | a)

    def __ior__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["or"])

    def __xor__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: a ^ b)

    def __rxor__(self, other: Any) -> TensorList:
        return self._binary(other, lambda a, b: b ^ a)

    def __ixor__(self, other: Any) -> TensorList:
        return self._inplace(other, _iops["xor"])

    def __neg__(self) -> TensorList:
        return TensorList(-e for e in self)

    def __pos__(self) -> TensorList:
        return TensorList(+e for e in self)

    def __abs__(self) -> TensorList:
        return TensorList(abs(e) for e in self)

    def __invert__(self) -> TensorList:
        return TensorList(~e for e in self)

    # ------------------------------------------------------------------ comparisons (element-wise, like tensors)
    def __lt__(self, other: Any) -> TensorList:  # type: ignore[override]
        return self._binary(other, lambda a, b: a < b)

    def __le__(self, other: Any) -> TensorList:  # type: ignore[override]
        return self._binary(other, lambda a, b: a <= b)

    def __gt__(self, other: Any) -> TensorList:  # type: ignore[override]
        return self._binary(other, lambda a, b: a > b)

    def __ge__(self, other: Any) -> TensorList:  # type: ignore[override]
        return self._binary(other, lambda a, b: a >= b)

    def __eq__(self, other: Any) -> TensorList:  # type: ignore[override]
        return self._binary(other, lambda a, b: a == b)

    def __ne__(self, other: Any) -> TensorList:  # type: ignore[override]
        return self._binary(other, lambda a, b: a != b)

    __hash__ = None  # type: ignore[assignment]  # lists are unhashable; keep it explicit since __eq__ is overridden

    # ------------------------------------------------------------------ tensor-method forwarding
    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails. Never forward dunder names (see the module docstring).
        if not _tensor_has(name):
            raise AttributeError(f"'TensorList' object has no attribute '{name}' (not a torch.Tensor attribute)")
        if not callable(getattr(torch.Tensor, name)):
            return TensorList(getattr(e, name) for e in self)

        def forwarded(*args: Any, **kwargs: Any) -> TensorList:
            n = len(self)
            per_element = _per_element_arguments(
                n, args, kwargs, lambda m: f"TensorList.{name}: argument list has length {m}, expected {n}"
            )
            return TensorList(getattr(e, name)(*a, **kw) for e, (a, kw) in zip(self, per_element, strict=True))

        forwarded.__name__ = name
        return forwarded

    def __setattr__(self, name: str, value: Any) -> None:
        if _tensor_has(name):
            pick = self._other(value)
            for i, e in enumerate(self):
                setattr(e, name, pick(i))
        else:
            super().__setattr__(name, value)

    def __repr__(self) -> str:
        return f"TensorList({list.__repr__(self)})"


_iops: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.iadd,
    "sub": operator.isub,
    "mul": operator.imul,
    "truediv": operator.itruediv,
    "floordiv": operator.ifloordiv,
    "mod": operator.imod,
    "pow": operator.ipow,
    "matmul": operator.imatmul,
    "and": operator.iand,
    "or": operator.ior,
    "xor": operator.ixor,
}


def _per_element_arguments(
    n: int, args: tuple[Any, ...], kwargs: dict[str, Any], mismatch: Callable[[int], str]
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The arguments of each of ``n`` element-wise calls: a TensorList argument gives its i-th element, anything else
    is passed unchanged. Lengths are checked now, before any call (``mismatch(length)`` is the error message)."""
    for a in (*args, *kwargs.values()):
        if isinstance(a, TensorList) and len(a) != n:
            raise ValueError(mismatch(len(a)))

    def pick(a: Any, i: int) -> Any:
        return a[i] if isinstance(a, TensorList) else a

    return ((tuple(pick(a, i) for a in args), {k: pick(v, i) for k, v in kwargs.items()}) for i in range(n))


def tensor_operation(op: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: when the first argument is a TensorList, apply ``op`` element-wise and return a TensorList.

    Other TensorList arguments (positional or keyword) are zipped with the first one and must have its length; all
    remaining arguments are passed unchanged to every call. Nested TensorLists recurse.
    """

    @functools.wraps(op)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not args or not isinstance(args[0], TensorList):
            return op(*args, **kwargs)
        n = len(args[0])
        per_element = _per_element_arguments(
            n, args, kwargs, lambda m: f"{op.__name__}: TensorList arguments of different lengths ({n} vs {m})"
        )
        return TensorList(wrapper(*a, **kw) for a, kw in per_element)

    return wrapper
