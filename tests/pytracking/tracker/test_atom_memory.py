"""Sample-memory weight rules, checked against weights computed by hand."""

from __future__ import annotations

import pytest
import torch

from pytracking.tracker.atom.memory import SampleMemory, update_sample_weights


def test_first_update_scales_by_one_minus_lr_and_gives_new_slot_lr():
    w = torch.tensor([1 / 3, 1 / 3, 1 / 3, 0, 0, 0], dtype=torch.float64)
    ind = update_sample_weights(w, None, num_stored=3, num_init=3, learning_rate=0.1, init_samples_minimum_weight=0.25)
    assert ind == 3
    total = 3 * (1 / 3) / 0.9 + 0.1
    expected = [(1 / 3) / 0.9 / total] * 3 + [0.1 / total, 0, 0]
    torch.testing.assert_close(w, torch.tensor(expected, dtype=torch.float64))
    # second update: next free slot, weight = previous new weight / (1 - lr), renormalised
    ind2 = update_sample_weights(w, 3, num_stored=4, num_init=3, learning_rate=0.1, init_samples_minimum_weight=0.25)
    assert ind2 == 4
    e = torch.tensor(expected, dtype=torch.float64)
    e[4] = e[3] / 0.9
    torch.testing.assert_close(w, e / e.sum())


def test_replaces_lowest_weight_non_initial_slot_and_keeps_init_minimum():
    # 2 init samples, capacity 4, lr 0.5, minimum init weight 0.25 -- every step worked out by hand
    w = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64)
    steps = []
    prev = None
    for n in range(2, 7):
        prev = update_sample_weights(w, prev, num_stored=n, num_init=2, learning_rate=0.5,
                                     init_samples_minimum_weight=0.25)
        steps.append((prev, w.clone()))
    inds = [s[0] for s in steps]
    assert inds == [2, 3, 2, 3, 2]
    torch.testing.assert_close(steps[0][1], torch.tensor([0.4, 0.4, 0.2, 0.0], dtype=torch.float64))
    torch.testing.assert_close(steps[1][1], torch.tensor([2 / 7, 2 / 7, 1 / 7, 2 / 7], dtype=torch.float64))
    torch.testing.assert_close(steps[2][1], torch.tensor([0.2, 0.2, 0.4, 0.2], dtype=torch.float64))
    torch.testing.assert_close(steps[3][1], torch.tensor([0.125, 0.125, 0.25, 0.5], dtype=torch.float64))
    # step 5: before the rule [1/14, 1/14, 8/14, 4/14] (init total 1/7 < 0.25) -> rest / (0.25 + 12/14), init 0.125
    d = 0.25 + 12 / 14
    torch.testing.assert_close(steps[4][1], torch.tensor([0.125, 0.125, (8 / 14) / d, (4 / 14) / d],
                                                         dtype=torch.float64))
    assert steps[4][1][:2].sum().item() == pytest.approx(0.25)


def test_without_minimum_initial_samples_can_be_replaced():
    w = torch.tensor([0.1, 0.6, 0.3], dtype=torch.float64)
    ind = update_sample_weights(w, 2, num_stored=3, num_init=2, learning_rate=0.2, init_samples_minimum_weight=None)
    assert ind == 0
    e = torch.tensor([0.3 / 0.8, 0.6, 0.3], dtype=torch.float64)
    torch.testing.assert_close(w, e / e.sum())


def test_empty_memory_or_lr_one_collapses_to_new_sample():
    w = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    assert update_sample_weights(w, 1, num_stored=3, num_init=1, learning_rate=1.0,
                                 init_samples_minimum_weight=0.25) == 0
    assert w.tolist() == [1.0, 0.0, 0.0]


def test_sample_memory_stores_samples_labels_in_order():
    mem = SampleMemory(capacity=5, learning_rate=0.01, init_samples_minimum_weight=0.25)
    mem.initialize(torch.ones(2, 3, 4, 4), torch.zeros(2, 1, 4, 4))
    assert mem.num_active == 2
    torch.testing.assert_close(mem.weights, torch.tensor([0.5, 0.5, 0, 0, 0]))
    for k in range(5):
        ind = mem.insert(torch.full((1, 3, 4, 4), float(k + 2)), torch.full((1, 1, 4, 4), float(k)), None)
        assert ind == min(k + 2, 4) if k < 3 else ind in (2, 3, 4)
    assert mem.num_active == 5
    assert mem.samples[2, 0, 0, 0].item() != 1.0
    assert mem.samples[:2].eq(1).all()  # initial samples never replaced
    assert mem.weights[:2].sum().item() >= 0.25 - 1e-6
    # hard-negative learning rate gives the new sample more weight than the regular one
    mem2 = SampleMemory(capacity=5, learning_rate=0.01, init_samples_minimum_weight=0.25)
    mem2.initialize(torch.ones(2, 1, 1, 1), torch.zeros(2, 1, 1, 1))
    mem2.insert(torch.ones(1, 1, 1, 1), torch.zeros(1, 1, 1, 1), 0.02)
    total = 1 / 0.98 + 0.02
    assert mem2.weights[2].item() == pytest.approx(0.02 / total, rel=1e-6)
    with pytest.raises(ValueError, match="sample_memory_size"):
        SampleMemory(1, 0.1, None).initialize(torch.ones(2, 1, 1, 1), torch.ones(2, 1, 1, 1))
