"""Per-sequence challenge attributes (for per-attribute success plots): OTB-100's built in, others from files.

OTB-100's table is part of the package (:mod:`pytracking.analysis.otb100_attributes`, generated from the list the
OTB toolkit releases), so ``evaluate --dataset otb --attributes`` needs no extra file: :func:`builtin_attributes`.
For other datasets (LaSOT: 14 attributes), point :func:`load_attributes` at the files the benchmarks distribute:

* a folder with one file per sequence, ``<Seq>.txt`` (or ``<seq>.txt``), holding one 0/1 flag per attribute in the
  benchmark's order (:data:`OTB_ATTRIBUTES`, :data:`LASOT_ATTRIBUTES`), separated by commas or whitespace - the
  layout of the OTB toolkit's ``anno/att`` and the LaSOT toolkit's attribute folder;
* a CSV file with a header ``sequence,IV,SV,...`` and 0/1 values;
* a JSON file ``{"Basketball": ["IV", "OCC", ...], ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["OTB_ATTRIBUTES", "OTB_ATTRIBUTE_NAMES", "LASOT_ATTRIBUTES", "load_attributes", "sequences_with",
           "builtin_attributes", "otb100_attributes"]

OTB_ATTRIBUTES = ("IV", "SV", "OCC", "DEF", "MB", "FM", "IPR", "OPR", "OV", "BC", "LR")
OTB_ATTRIBUTE_NAMES = {
    "IV": "Illumination Variation", "SV": "Scale Variation", "OCC": "Occlusion", "DEF": "Deformation",
    "MB": "Motion Blur", "FM": "Fast Motion", "IPR": "In-Plane Rotation", "OPR": "Out-of-Plane Rotation",
    "OV": "Out-of-View", "BC": "Background Clutters", "LR": "Low Resolution",
}
LASOT_ATTRIBUTES = ("IV", "POC", "DEF", "MB", "CM", "ROT", "BC", "VC", "SV", "FOC", "FM", "OV", "LR", "ARC")

PathLike = str | Path


def _flags_to_set(values: Sequence[float], names: Sequence[str], where: str) -> set[str]:
    if len(values) != len(names):
        raise ValueError(f"{where}: expected {len(names)} attribute flags ({', '.join(names)}), found {len(values)}")
    return {n for n, v in zip(names, values, strict=True) if float(v) > 0}


def load_attributes(source: PathLike, sequences: Sequence[str],
                    names: Sequence[str] = OTB_ATTRIBUTES) -> dict[str, set[str]]:
    """``{sequence: {attribute, ...}}`` for ``sequences`` from a folder, CSV or JSON (module doc).

    Sequence files are looked up as ``<name>.txt`` then ``<lower-case name>.txt``; for OTB's two-target folders the
    base name is tried too (``Jogging_1`` -> ``Jogging.txt``). A sequence without an entry raises
    FileNotFoundError / KeyError naming it (no silent gaps in a per-attribute plot).
    """
    src = Path(source)
    if src.is_dir():
        out = {}
        for seq in sequences:
            candidates = [seq, seq.lower(), seq.split("_")[0], seq.split("_")[0].lower()]
            f = next((src / f"{c}.txt" for c in candidates if (src / f"{c}.txt").is_file()), None)
            if f is None:
                raise FileNotFoundError(f"attribute file for sequence {seq} not found in {src} (tried "
                                        f"{', '.join(c + '.txt' for c in candidates)})")
            values = np.array(f.read_text().replace(",", " ").split(), dtype=np.float64)
            out[seq] = _flags_to_set(values, names, str(f))
        return out
    if src.suffix.lower() == ".json":
        data = json.loads(src.read_text())
        missing = [s for s in sequences if s not in data]
        if missing:
            raise KeyError(f"{src}: no attributes for {', '.join(missing)}")
        return {s: set(data[s]) for s in sequences}
    import pandas as pd

    frame = pd.read_csv(src, dtype={"sequence": str}).set_index("sequence")
    table = {str(seq): {n for n in names if n in frame.columns and float(row[n] or 0) > 0}
             for seq, row in frame.fillna(0).iterrows()}
    missing = [s for s in sequences if s not in table]
    if missing:
        raise KeyError(f"{src}: no attributes for {', '.join(missing)}")
    return {s: table[s] for s in sequences}


def sequences_with(attributes: dict[str, set[str]], attribute: str) -> list[str]:
    """Sequences (in the mapping's order) annotated with ``attribute``."""
    return [s for s, attrs in attributes.items() if attribute in attrs]


def otb100_attributes() -> dict[str, set[str]]:
    """The built-in OTB-100 table: ``{sequence: {attribute, ...}}`` for the 100 targets (descriptor order)."""
    from pytracking.analysis.otb100_attributes import OTB100_ATTRIBUTE_TABLE

    out: dict[str, set[str]] = {}
    for line in OTB100_ATTRIBUTE_TABLE.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, *flags = line.split()
        out[name] = {a for a, f in zip(OTB_ATTRIBUTES, flags, strict=True) if f == "x"}
    return out


def builtin_attributes(dataset: str, sequences: Sequence[str]) -> dict[str, set[str]]:
    """Attributes of ``sequences`` from the built-in table of ``dataset`` (OTB-100 only: ``otb``).

    Raises ValueError for a dataset without a built-in table (give the benchmark's attribute files) and KeyError
    naming the sequences the table does not know.
    """
    if dataset.lower() not in ("otb", "otb100", "otb2015"):
        raise ValueError(f"no built-in attribute table for dataset {dataset!r} (only OTB-100 has one); pass the "
                         f"benchmark's attribute files: --attributes PATH")
    table = otb100_attributes()
    missing = [s for s in sequences if s not in table]
    if missing:
        raise KeyError(f"the built-in OTB-100 attribute table has no sequence(s) {', '.join(missing)}")
    return {s: table[s] for s in sequences}
