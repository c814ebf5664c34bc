"""Trainers: BaseTrainer (epochs, checkpoints, resume, fail-safe) and LTRTrainer (loop, stats, logging)."""

from ltr.trainers.base_trainer import BaseTrainer, resolve_device
from ltr.trainers.ltr_trainer import LTRTrainer

__all__ = ["BaseTrainer", "LTRTrainer", "resolve_device"]
