"""Per-run training settings handed to a train-settings module's ``run(settings)``.

Why a separate object from the path settings (:func:`ltr.admin.environment.env_settings`): paths describe the
machine, these describe one run (which setup, device, seed, overrides from the command line, logging and checkpoint
policy) and the hyper-parameters of the training setup. The whole object is stored in every checkpoint as plain data
(see :func:`ltr.admin.checkpoint.to_plain`).

Typed like the trackers' parameters: a training setup declares its hyper-parameters once, as a :class:`TrainingParams`
dataclass whose field defaults are the only defaults (e.g. ``ltr.trainers.pipelines.atom.AtomTrainingParams``), and
its ``run(settings)`` starts with ``apply_training_params(settings, MyParams, __file__)``: every hyper-parameter
already set on ``settings`` (by a test, a script or the command line) must be a declared field, otherwise the run
stops with an error naming the settings file, the bad name and the closest valid names; unset ones get the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ltr.admin.distributed import DistInfo
from ltr.admin.errors import UserError
from pytracking.utils.params import Params

__all__ = ["Settings", "TrainingParams", "TrainingSetupError", "apply_training_params"]

T = TypeVar("T", bound="TrainingParams")


class TrainingSetupError(UserError, RuntimeError):
    """A training setup cannot start (missing data, weights, bad option); the message lists every problem."""


@dataclass(eq=False)
class Settings:
    """The run: run-level fields every trainer relies on (declared here, the only place their defaults live), plus
    the hyper-parameters of the training setup, which that setup declares as a :class:`TrainingParams` subclass and
    applies with :func:`apply_training_params` (unknown names are then an error naming the settings file).

    Attributes (defaults):
        module_name, script_name: the train setup (``bbreg``, ``atom``); ``project_path`` = ``ltr/<module>/<name>``.
        env: :class:`ltr.admin.environment.LtrSettings` (paths), set by ``run_training``.
        device: ``'auto'`` (CUDA when available, else CPU), ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
        seed: run seed; samplers derive per-rank / per-epoch / per-sample streams from it.
        print_interval: console line every N iterations (1).
        progress_bar: None = a tqdm bar when stdout is a terminal; True/False force it.
        checkpoint_keep_last: keep only the newest N checkpoints (None = keep every epoch, the original behaviour).
        checkpoint_keep_epochs: epochs always kept besides the newest ones.
        checkpoint_dir_override: write checkpoints here instead of ``checkpoint_dir`` (None = the default layout).
        fail_safe_max_retries: how often an epoch that raised is retried from the latest checkpoint.
        tensorboard_iteration_loss: also log ``Loss/total`` every iteration.
        use_tensorboard: write TensorBoard logs (when ``env`` is set).
        backbone_bn_eval: keep the frozen backbone's BatchNorm in eval mode while training. Default False = the
            original ATOM behaviour (frozen weights, but BatchNorm uses batch statistics and its running statistics
            drift with the training data).
        visdom: ``{'server', 'port'[, 'env']}`` from ``--visdom`` to log to visdom, or None.
        dist: :class:`ltr.admin.distributed.DistInfo` of this process.
        overrides: the command-line overrides that were given (for the record).
    """

    module_name: str = ""
    script_name: str = ""
    env: Any = None
    device: str = "auto"
    seed: int = 0
    print_interval: int = 1
    progress_bar: bool | None = None
    checkpoint_keep_last: int | None = None
    checkpoint_keep_epochs: tuple[int, ...] = ()
    checkpoint_dir_override: str | None = None
    fail_safe_max_retries: int = 3
    tensorboard_iteration_loss: bool = False
    use_tensorboard: bool = True
    backbone_bn_eval: bool = False
    visdom: dict[str, Any] | None = None
    dist: DistInfo = field(default_factory=DistInfo)
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def run_level_names(cls) -> list[str]:
        """The declared run-level fields (everything else on a Settings is a hyper-parameter of the setup)."""
        return [f.name for f in fields(cls)]

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

    def __repr__(self) -> str:
        return f"Settings({self.project_path}, device={self.device!r}, seed={self.seed})"


@dataclass(eq=False)
class TrainingParams(Params):
    """Base of a training setup's declared hyper-parameters (see the module docstring). ``OVERRIDES`` maps
    ``run_training`` command-line override names to the field they set."""

    OVERRIDES: ClassVar[dict[str, str]] = {}


def apply_training_params(settings: Settings, params_cls: type[T], source: str) -> T:
    """Check and complete ``settings`` with the hyper-parameters declared by ``params_cls``.

    Every attribute of ``settings`` that is not a run-level field must be a field of ``params_cls`` (the error names
    ``source``, the settings file); fields not set yet get their declared defaults; then the command-line overrides
    (``settings.overrides``, names mapped through ``params_cls.OVERRIDES``) are applied. Returns the typed
    hyper-parameters (their values are also attributes of ``settings``, which trainers read).

    Raises:
        UnknownParameterError: a hyper-parameter name that ``params_cls`` does not declare.
    """
    run_level = set(Settings.run_level_names())
    given = {k: v for k, v in vars(settings).items() if k not in run_level}
    params = params_cls()
    params.set(f"{source} (training setting of {settings.project_path})", **given)
    for name, value in settings.overrides.items():
        target = params_cls.OVERRIDES.get(name)
        if target is not None and value is not None:
            setattr(params, target, value)
    for name in params_cls.field_names():
        setattr(settings, name, getattr(params, name))
    return params
