"""Per-sequence challenge attributes (for per-attribute success plots), read from the benchmarks' attribute files.

No attribute table is built in: the per-sequence OTB/LaSOT annotations are data of the benchmarks, and this project
does not ship a copy it could not verify. Point :func:`load_attributes` at the files the benchmarks distribute:

* a folder with one file per sequence, ``<Seq>.txt`` (or ``<seq>.txt``), holding one 0/1 flag per attribute in the
  benchmark's order (:data:`OTB_ATTRIBUTES`, :data:`LASOT_ATTRIBUTES`), separated by commas or whitespace - the
  layout of the OTB toolkit's ``anno/att`` and the LaSOT toolkit's attribute folder;
* a CSV file with a header ``sequence,IV,SV,...`` and 0/1 values;
* a JSON file ``{"Basketball": ["IV", "OCC", ...], ...}``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["OTB_ATTRIBUTES", "OTB_ATTRIBUTE_NAMES", "LASOT_ATTRIBUTES", "load_attributes", "sequences_with"]

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
    with open(src, newline="") as fh:
        rows = list(csv.DictReader(fh))
    table = {r["sequence"]: {n for n in names if float(r.get(n, 0) or 0) > 0} for r in rows}
    missing = [s for s in sequences if s not in table]
    if missing:
        raise KeyError(f"{src}: no attributes for {', '.join(missing)}")
    return {s: table[s] for s in sequences}


def sequences_with(attributes: dict[str, set[str]], attribute: str) -> list[str]:
    """Sequences (in the mapping's order) annotated with ``attribute``."""
    return [s for s, attrs in attributes.items() if attribute in attrs]
