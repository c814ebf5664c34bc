"""Actors: the glue between a network, its training objective and a batch of data.

Why: networks stay pure functions of their inputs (so the tracker can use them unchanged), and the loss definition
for each training family lives in one place the trainer can call uniformly: ``loss, stats = actor(data)``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["BaseActor"]


class BaseActor:
    """Holds ``net`` and ``objective``; subclasses implement ``__call__(data) -> (loss, stats)``."""

    def __init__(self, net: nn.Module, objective: Any) -> None:
        self.net = net
        self.objective = objective

    def __call__(self, data: Any) -> tuple[torch.Tensor, dict[str, float]]:
        raise NotImplementedError

    def to(self, device: torch.device | str) -> BaseActor:
        """Move the network (and an ``nn.Module`` objective) to ``device``."""
        self.net.to(device)
        if isinstance(self.objective, nn.Module):
            self.objective.to(device)
        return self

    def train(self, mode: bool = True) -> BaseActor:
        """Training / evaluation mode of the network."""
        self.net.train(mode)
        return self

    def eval(self) -> BaseActor:
        return self.train(False)
