"""Training-sample memory of the online classifier: fixed capacity, exponentially decaying sample weights.

Why: the filter is re-optimised over every stored sample, weighted so that recent frames count more (learning rate
``lr``), while the augmented first-frame samples never lose their influence entirely (they are never replaced and keep
at least ``init_samples_minimum_weight`` of the total weight).
"""

from __future__ import annotations

import torch

__all__ = ["SampleMemory", "update_sample_weights"]


def update_sample_weights(weights: torch.Tensor, previous_replace_ind: int | None, num_stored: int, num_init: int,
                          learning_rate: float, init_samples_minimum_weight: float | None) -> int:
    """Update ``weights`` in place for one new sample and return the slot it goes to.

    The published rule:

    * the new sample replaces the lowest-weight slot among the non-initial ones (among all slots when
      ``init_samples_minimum_weight`` is ``None``/0); ties go to the first such slot, so free (zero-weight) slots fill
      in order;
    * the first update scales all weights by ``1 / (1 - lr)`` and gives the new slot weight ``lr``; later updates give
      the new slot ``w[previous new slot] / (1 - lr)`` -- both make every older sample decay by ``(1 - lr)`` relative to
      the newest one; then the weights are normalised to sum 1;
    * if the initial samples then hold less than ``m = init_samples_minimum_weight``, all weights are divided by
      ``m + sum(non-initial weights)`` and each initial sample is set to ``m / num_init``. (As published, the total is
      then not exactly 1; kept so that results match the published tracker.)
    * with no stored sample, or ``lr == 1``, the memory collapses to the new sample in slot 0.
    """
    min_weight = init_samples_minimum_weight if init_samples_minimum_weight else None
    start = 0 if min_weight is None else num_init
    if num_stored == 0 or learning_rate == 1:
        weights.zero_()
        weights[0] = 1
        return 0
    replace_ind = int(torch.argmin(weights[start:]).item()) + start
    if previous_replace_ind is None:
        weights /= 1 - learning_rate
        weights[replace_ind] = learning_rate
    else:
        weights[replace_ind] = weights[previous_replace_ind] / (1 - learning_rate)
    weights /= weights.sum()
    if min_weight is not None and weights[:num_init].sum() < min_weight:
        weights /= min_weight + weights[num_init:].sum()
        weights[:num_init] = min_weight / num_init
    return replace_ind


class SampleMemory:
    """Stored projected samples ``[capacity, C, H, W]``, their labels ``[capacity, 1, H, W]`` and weights.

    Slots ``0 .. num_init-1`` hold the first-frame samples. Because free slots have weight 0 and ties are broken
    towards the lowest index, the filled slots are always ``0 .. num_active-1``; :attr:`num_active` lets the
    optimiser skip the empty tail (which contributes exactly zero).
    """

    def __init__(self, capacity: int, learning_rate: float, init_samples_minimum_weight: float | None) -> None:
        self.capacity = int(capacity)
        self.learning_rate = float(learning_rate)
        self.init_samples_minimum_weight = init_samples_minimum_weight
        self.samples: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        self.weights: torch.Tensor | None = None
        self.num_init = 0
        self.num_stored = 0
        self.previous_replace_ind: int | None = None

    def initialize(self, samples: torch.Tensor, labels: torch.Tensor) -> None:
        """Store the ``N`` first-frame samples in slots ``0..N-1`` with weight ``1/N`` each."""
        n = samples.shape[0]
        if n > self.capacity:
            raise ValueError(f"{n} initial samples exceed the memory capacity sample_memory_size={self.capacity}")
        if labels.shape[0] != n:
            raise ValueError(f"got {n} samples but {labels.shape[0]} labels")
        self.samples = samples.new_zeros((self.capacity, *samples.shape[1:]))
        self.labels = labels.new_zeros((self.capacity, *labels.shape[1:]))
        self.weights = samples.new_zeros(self.capacity)
        self.samples[:n] = samples
        self.labels[:n] = labels
        self.weights[:n] = 1.0 / n
        self.num_init = n
        self.num_stored = n
        self.previous_replace_ind = None

    @property
    def num_active(self) -> int:
        """Number of filled slots (``min(num_stored, capacity)``)."""
        return min(self.num_stored, self.capacity)

    def insert(self, sample: torch.Tensor, label: torch.Tensor, learning_rate: float | None = None) -> int:
        """Add one sample ``[1, C, H, W]`` with its label ``[1, 1, H, W]``; returns the slot used."""
        if self.weights is None or self.samples is None or self.labels is None:
            raise RuntimeError("SampleMemory.insert called before initialize")
        lr = self.learning_rate if learning_rate is None else float(learning_rate)
        ind = update_sample_weights(self.weights, self.previous_replace_ind, self.num_stored, self.num_init, lr,
                                    self.init_samples_minimum_weight)
        self.previous_replace_ind = ind
        self.samples[ind:ind + 1] = sample
        self.labels[ind:ind + 1] = label
        self.num_stored += 1
        return ind
