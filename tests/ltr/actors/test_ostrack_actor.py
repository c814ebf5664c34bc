"""CE keep-rate schedule and the actor's per-epoch keep rate reaching the network."""

from __future__ import annotations

import math

import pytest
import torch

from ltr.actors.ostrack import OSTrackActor, ce_keep_rate


@pytest.mark.parametrize(("epoch", "expected"), [
    (1, 1.0), (19, 1.0),                      # before CE_START_EPOCH: no elimination
    (20, 1.0),                                # start of the warm-up: cos(0) -> exactly 1
    (40, 0.7 + 0.3 * (math.cos(math.pi / 4) + 1) / 2),
    (60, 0.85),                               # middle: cos(pi/2) = 0 -> halfway between 1 and 0.7
    (99, 0.7 + 0.3 * (math.cos(math.pi * 79 / 80) + 1) / 2),
    (100, 0.7), (300, 0.7),                   # end of the warm-up and after
])
def test_published_keep_rate_schedule(epoch: int, expected: float) -> None:
    assert ce_keep_rate(epoch) == pytest.approx(expected, abs=1e-12)


def test_keep_rate_schedule_other_constants() -> None:
    assert ce_keep_rate(4, start_epoch=5, warm_epochs=10, base_keep_rate=0.5) == 1.0
    assert ce_keep_rate(10, start_epoch=5, warm_epochs=10, base_keep_rate=0.5) == pytest.approx(0.75)
    assert ce_keep_rate(15, start_epoch=5, warm_epochs=10, base_keep_rate=0.5) == 0.5


class _Recorder(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def forward(self, template, search, ce_template_mask=None, ce_keep_rate=None):
        self.calls.append((ce_template_mask, ce_keep_rate))
        b = template.shape[0]
        return {"pred_boxes": torch.full((b, 1, 4), 0.5), "score_map": torch.full((b, 1, 2, 2), 0.5)}


def test_actor_passes_epoch_keep_rate_and_mask() -> None:
    net = _Recorder()
    actor = OSTrackActor(net, template_mask_fn=lambda b, dev: torch.ones(b, 4, dtype=torch.bool, device=dev))
    data = {"template_images": torch.zeros(3, 3, 8, 8), "search_images": torch.zeros(3, 3, 16, 16),
            "search_anno": torch.full((3, 4), 0.25), "search_label": torch.zeros(3, 2, 2)}
    for epoch in (1, 60, 150):
        actor.set_epoch(epoch)
        _, stats = actor(data)
        assert stats["CE/keep_rate"] == pytest.approx(ce_keep_rate(epoch))
    assert [c[1] for c in net.calls] == [1.0, pytest.approx(0.85), 0.7]
    assert net.calls[0][0].shape == (3, 4)
