"""Dataset registry: ``get_dataset('otb')`` -> :class:`SequenceList`.

Each name maps to a descriptor module/class plus constructor arguments; descriptors are imported only when asked for.
``folder:<path>`` builds a :class:`FolderDataset` over any directory. Register your own with
:func:`register_dataset`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from pytracking.evaluation.data import SequenceList

__all__ = ["get_dataset", "load_dataset", "register_dataset", "dataset_names", "DatasetInfo"]


class DatasetInfo(NamedTuple):
    module: str  # module under pytracking.evaluation (or a full dotted path)
    class_name: str
    kwargs: dict[str, Any]


_REGISTRY: dict[str, DatasetInfo] = {
    "otb": DatasetInfo("otbdataset", "OTBDataset", {}),
    "nfs": DatasetInfo("nfsdataset", "NFSDataset", {}),
    "uav": DatasetInfo("uavdataset", "UAVDataset", {}),
    "uav10fps": DatasetInfo("uavdataset", "UAV10fpsDataset", {}),
    "lasot": DatasetInfo("lasotdataset", "LaSOTDataset", {"subset": "test"}),
    "got10k_test": DatasetInfo("got10kdataset", "GOT10kDataset", {"split": "test"}),
    "got10k_val": DatasetInfo("got10kdataset", "GOT10kDataset", {"split": "val"}),
    "trackingnet": DatasetInfo("trackingnetdataset", "TrackingNetDataset", {}),
    "vot": DatasetInfo("votdataset", "VOTDataset", {}),
    "synthetic": DatasetInfo("syntheticdataset", "SyntheticDataset", {}),
}
_ALIASES = {"otb100": "otb", "uav123": "uav", "uav_10fps": "uav10fps", "uav123_10fps": "uav10fps"}


def register_dataset(name: str, module: str, class_name: str, **kwargs: Any) -> None:
    """Make ``get_dataset(name)`` build ``module.class_name(**kwargs)`` (module: full dotted path or a module name
    inside ``pytracking.evaluation``)."""
    _REGISTRY[name] = DatasetInfo(module, class_name, kwargs)


def dataset_names() -> list[str]:
    return sorted(_REGISTRY) + ["folder:<path>"]


def load_dataset(name: str, **overrides: Any):
    """The descriptor object for ``name`` (constructor ``overrides`` e.g. ``root=...`` take precedence)."""
    if name.startswith("folder:"):
        from pytracking.evaluation.folderdataset import FolderDataset

        return FolderDataset(name.split(":", 1)[1], **overrides)
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _REGISTRY:
        from pytracking.evaluation.data import did_you_mean

        raise ValueError(f"unknown dataset {name!r}{did_you_mean(name.lower(), list(_REGISTRY) + list(_ALIASES))}; "
                         f"known: {', '.join(dataset_names())}")
    info = _REGISTRY[key]
    module_name = info.module if "." in info.module else f"pytracking.evaluation.{info.module}"
    cls = getattr(importlib.import_module(module_name), info.class_name)
    return cls(**{**info.kwargs, **overrides})


def get_dataset(
    *names: str,
    sequences: Iterable[str | int] | None = None,
    allow_missing: bool = False,
    report: Callable[[str], None] | None = print,
    **overrides: Any,
) -> SequenceList:
    """Sequences of one or more datasets, concatenated in the given order.

    Args:
        names: registered dataset names ('otb', 'uav', 'lasot', ...) or ``folder:<path>``.
        sequences: optional subset, by name or index (applied to each dataset; unknown names are an error).
        allow_missing: skip sequences whose files are absent (their names are reported) instead of raising
            :class:`~pytracking.evaluation.data.MissingSequencesError` naming them all.
        report: where the "skipping ..." message goes (``print`` by default).
        overrides: constructor arguments for the descriptor(s), e.g. ``root=...``.
    """
    if not names:
        raise ValueError("get_dataset needs at least one dataset name")
    out = SequenceList()
    for name in names:
        dataset = load_dataset(name, **overrides)
        out += dataset.get_sequence_list(sequences=sequences, allow_missing=allow_missing, report=report)
    return out
