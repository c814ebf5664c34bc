"""ltr_collate / LTRLoader: stacking axis, metadata lists, recursion, epochs and worker-count independence."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch

from ltr.data.loader import LTRLoader, ltr_collate
from ltr.data.sampler import ATOMSampler
from ltr.dataset.synthetic import SyntheticVideo
from pytracking.libs.tensordict import TensorDict


def test_collate_stack_dims_and_types() -> None:
    samples = [
        TensorDict({"img": torch.full((2, 3, 5), float(i)), "name": f"s{i}", "n": i, "x": 0.5 * i,
                    "arr": np.full((4,), i, np.float32), "meta": {"cls": None, "box": torch.ones(4) * i},
                    "pair": (torch.zeros(2), "a")})
        for i in range(3)
    ]
    b0 = ltr_collate(samples, stack_dim=0)
    assert isinstance(b0, TensorDict)
    assert b0["img"].shape == (3, 2, 3, 5)
    torch.testing.assert_close(b0["img"][:, 0, 0, 0], torch.tensor([0.0, 1.0, 2.0]))
    assert b0["name"] == ["s0", "s1", "s2"]
    assert b0["n"].dtype == torch.int64 and b0["n"].tolist() == [0, 1, 2]
    assert b0["x"].dtype == torch.float64 and b0["x"].tolist() == [0.0, 0.5, 1.0]
    assert b0["arr"].shape == (3, 4) and b0["arr"][2, 0] == 2
    assert b0["meta"]["cls"] == [None, None, None] and b0["meta"]["box"].shape == (3, 4)
    assert b0["pair"][0].shape == (3, 2) and b0["pair"][1] == ["a", "a", "a"]

    b1 = ltr_collate(samples, stack_dim=1)
    assert b1["img"].shape == (2, 3, 3, 5)  # [frames, batch, ...]
    torch.testing.assert_close(b1["img"][1, :, 0, 0], torch.tensor([0.0, 1.0, 2.0]))
    assert b1["arr"].shape == (4, 3)

    od = ltr_collate([OrderedDict(a=torch.zeros(1)), OrderedDict(a=torch.ones(1))])
    assert isinstance(od, OrderedDict) and od["a"].tolist() == [[0.0], [1.0]]
    point = namedtuple("point", "x y")
    p = ltr_collate([point(1, torch.zeros(2)), point(2, torch.ones(2))])
    assert isinstance(p, point) and p.x.tolist() == [1, 2] and p.y.shape == (2, 2)
    assert ltr_collate([[1, 2], [3]]) == [[1, 2], [3]]  # ragged lists stay per sample
    with pytest.raises(ValueError, match="different shapes"):
        ltr_collate([torch.zeros(2), torch.zeros(3)])


class _Squares(torch.utils.data.Dataset):
    def __init__(self) -> None:
        self.epochs: list[int] = []

    def __len__(self) -> int:
        return 10

    def set_epoch(self, epoch: int) -> None:
        self.epochs.append(epoch)

    def __getitem__(self, i: int) -> dict:
        return {"v": torch.tensor([i, i * i]), "tag": "sq"}


def test_loader_batches_and_epoch_calls() -> None:
    ds = _Squares()
    loader = LTRLoader("val", ds, training=False, batch_size=4, stack_dim=1, drop_last=False, epoch_interval=2)
    assert loader.name == "val" and not loader.training and loader.epoch_interval == 2
    batches = list(loader)
    assert [b["v"].shape for b in batches] == [(2, 4), (2, 4), (2, 2)]
    assert batches[1]["v"][1].tolist() == [16, 25, 36, 49] and batches[0]["tag"] == ["sq"] * 4
    list(loader)
    loader.set_epoch(7)
    list(loader)
    assert ds.epochs == [0, 1, 7]
    assert len(LTRLoader("t", ds, batch_size=4, drop_last=True)) == 2
    with pytest.raises(ValueError, match="persistent_workers"):
        LTRLoader("t", ds, num_workers=1, persistent_workers=True)


def test_same_batches_with_0_and_2_workers() -> None:
    ds = SyntheticVideo(num_sequences=4, seq_len=24, image_size=(48, 64), seed=0)
    sampler = ATOMSampler([ds], None, 8, 8, seed=11)

    def run(workers: int) -> list[torch.Tensor]:
        loader = LTRLoader("train", sampler, batch_size=4, num_workers=workers, stack_dim=1, shuffle=True, seed=3)
        return [torch.stack([torch.stack(list(a)) for a in b["test_anno"]]) for b in loader]

    zero, two = run(0), run(2)
    assert len(zero) == 2
    for a, b in zip(zero, two, strict=True):
        torch.testing.assert_close(a, b)
    assert not torch.equal(zero[0], zero[1])
