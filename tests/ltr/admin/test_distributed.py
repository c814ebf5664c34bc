"""Collectives of ``ltr.admin.distributed``: the tensor goes where the group's backend can reduce it.

NCCL reduces only CUDA tensors; the trainer's epoch statistics are CPU scalars, so ``all_reduce_mean`` must move them
(found on a GPU machine: every epoch ended in "No backend type associated with device type cpu")."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist

from ltr.admin import distributed


def test_collective_device_per_backend() -> None:
    assert distributed.collective_device("nccl", 3) == torch.device("cuda", 3)
    assert distributed.collective_device("NCCL", 0) == torch.device("cuda", 0)
    assert distributed.collective_device("gloo") == torch.device("cpu")


def test_all_reduce_mean_sums_on_the_backend_device_and_divides(monkeypatch) -> None:
    seen = {}

    def fake_all_reduce(t, op=None):  # two ranks holding 3.0 and 5.0
        seen["device"] = t.device
        t.add_(5.0)

    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_backend", lambda: "gloo")
    monkeypatch.setattr(dist, "get_world_size", lambda: 2)
    monkeypatch.setattr(dist, "all_reduce", fake_all_reduce)
    value = torch.tensor(3.0, dtype=torch.float64)
    out = distributed.all_reduce_mean(value)
    assert seen["device"] == torch.device("cpu")
    assert out.item() == 4.0 and out.device == value.device
    assert value.item() == 3.0  # the input is not reduced in place


def test_all_reduce_mean_without_group_returns_input() -> None:
    value = torch.tensor([1.5, 2.5])
    assert distributed.all_reduce_mean(value) is value


@pytest.mark.cuda
@pytest.mark.skipif(not (torch.cuda.is_available() and dist.is_nccl_available()), reason="needs CUDA and NCCL")
def test_all_reduce_mean_of_cpu_scalar_under_nccl(tmp_path) -> None:
    store = dist.FileStore(str(tmp_path / "store"), 1)
    dist.init_process_group("nccl", store=store, rank=0, world_size=1, device_id=torch.device("cuda", 0))
    try:
        out = distributed.all_reduce_mean(torch.tensor(2.25, dtype=torch.float64))
        assert out.device.type == "cpu" and out.item() == 2.25
    finally:
        dist.destroy_process_group()
