"""Per-run training settings handed to a train-settings module's ``run(settings)``.

Why a separate object from the path settings (:func:`ltr.admin.environment.env_settings`): paths describe the
machine, these describe one run (which setup, device, seed, overrides from the command line, logging and checkpoint
policy). Train-settings modules add their own hyper-parameters as attributes. The whole object is stored in every
checkpoint as plain data (see :func:`ltr.admin.checkpoint.to_plain`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ltr.admin.distributed import DistInfo
from ltr.admin.errors import UserError

__all__ = ["Settings", "TrainingSetupError"]


class TrainingSetupError(UserError, RuntimeError):
    """A training setup cannot start (missing data, weights, bad option); the message lists every problem."""


class Settings:
    """Attribute bag with the run-level defaults every trainer relies on.

    Attributes (defaults):
        module_name, script_name: the train setup (``bbreg``, ``atom``); ``project_path`` = ``ltr/<module>/<name>``.
        env: :class:`ltr.admin.environment.LtrSettings` (paths), set by ``run_training``.
        device: ``'auto'`` (CUDA when available, else CPU), ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
        seed: run seed; samplers derive per-rank / per-epoch / per-sample streams from it.
        print_interval: console line every N iterations (1).
        progress_bar: None = a tqdm bar when stdout is a terminal; True/False force it.
        checkpoint_keep_last: keep only the newest N checkpoints (None = keep every epoch, the original behaviour).
        checkpoint_keep_epochs: epochs always kept besides the newest ones.
        fail_safe_max_retries: how often an epoch that raised is retried from the latest checkpoint.
        tensorboard_iteration_loss: also log ``Loss/total`` every iteration.
        backbone_bn_eval: keep the frozen backbone's BatchNorm in eval mode while training. Default False = the
            original ATOM behaviour (frozen weights, but BatchNorm uses batch statistics and its running statistics
            drift with the training data).
        dist: :class:`ltr.admin.distributed.DistInfo` of this process.
        overrides: the command-line overrides that were given (for the record).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.module_name = ""
        self.script_name = ""
        self.env: Any = None
        self.device = "auto"
        self.seed = 0
        self.print_interval = 1
        self.progress_bar: bool | None = None
        self.checkpoint_keep_last: int | None = None
        self.checkpoint_keep_epochs: tuple[int, ...] = ()
        self.fail_safe_max_retries = 3
        self.tensorboard_iteration_loss = False
        self.backbone_bn_eval = False
        self.use_tensorboard = True
        self.dist = DistInfo()
        self.overrides: dict[str, Any] = {}
        for k, v in kwargs.items():
            setattr(self, k, v)

    @property
    def project_path(self) -> str:
        """``ltr/<module>/<name>``: the sub-path of checkpoints and TensorBoard logs."""
        return f"ltr/{self.module_name}/{self.script_name}"

    @property
    def checkpoint_dir(self) -> Path:
        """``<workspace_dir>/checkpoints/ltr/<module>/<name>``."""
        if self.env is None:
            raise RuntimeError("Settings.env is not set (run_training sets it from env_settings())")
        return Path(self.env.workspace_dir) / "checkpoints" / self.project_path

    @property
    def tensorboard_dir(self) -> Path:
        """``<tensorboard_dir>/ltr/<module>/<name>`` (with ``train``/``val`` below)."""
        if self.env is None:
            raise RuntimeError("Settings.env is not set (run_training sets it from env_settings())")
        return Path(self.env.tensorboard_dir) / self.project_path

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)

    def __repr__(self) -> str:
        return f"Settings({self.project_path}, device={self.device!r}, seed={self.seed})"
