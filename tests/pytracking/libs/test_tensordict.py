"""TensorDict: forwarding over tensor values, non-tensor values kept, dict helpers."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

from pytracking.libs.tensordict import TensorDict
from pytracking.libs.tensorlist import TensorList


def _sample() -> TensorDict:
    return TensorDict(
        images=torch.arange(6, dtype=torch.int64).view(2, 3),
        boxes=TensorList([torch.tensor([1, 2, 3, 4])]),
        dataset="lasot",
        frame_ids=[3, 7],
    )


def test_method_forwarding_keeps_non_tensor_values() -> None:
    s = _sample()
    f = s.float()
    assert isinstance(f, TensorDict) and list(f.keys()) == list(s.keys())
    assert f["images"].dtype == torch.float32 and torch.equal(f["images"], s["images"].float())
    assert f["boxes"][0].dtype == torch.float32  # TensorList values forward too
    assert f["dataset"] == "lasot" and f["frame_ids"] is s["frame_ids"]
    moved = s.to("cpu", dtype=torch.float64)
    assert moved["images"].dtype == torch.float64 and moved["dataset"] == "lasot"


def test_non_callable_attribute_only_for_values_that_have_it() -> None:
    s = _sample()
    shapes = s.shape
    assert dict(shapes) == {"images": torch.Size([2, 3]), "boxes": [torch.Size([4])]}


def test_unknown_and_dunder_attributes_raise() -> None:
    s = _sample()
    with pytest.raises(AttributeError):
        _ = s.not_a_tensor_method
    assert not hasattr(s, "__torch_function__")


def test_concat_copy_attribute_apply() -> None:
    s = _sample()
    c = s.concat({"extra": torch.ones(1), "dataset": "got10k"})
    assert isinstance(c, TensorDict) and list(c.keys())[-1] == "extra" and c["dataset"] == "got10k"
    assert s["dataset"] == "lasot"
    d = s.copy()
    assert isinstance(d, TensorDict) and d is not s and d["images"] is s["images"]
    assert s.attribute("ndim", None) == {"images": 2, "boxes": [1], "dataset": None, "frame_ids": None}
    lengths = s.apply(len)
    assert lengths == {"images": 2, "boxes": 1, "dataset": 5, "frame_ids": 2}


def test_deepcopy_and_pickle() -> None:
    s = _sample()
    for c in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert isinstance(c, TensorDict)
        assert c["images"] is not s["images"] and torch.equal(c["images"], s["images"])
        assert c["dataset"] == "lasot" and c["frame_ids"] == [3, 7]
