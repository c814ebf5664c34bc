"""Numeric annotation tables as benchmarks write them, read once for training readers and evaluation datasets.

Kept free of torch and image libraries so ``pytracking.evaluation`` (which scores results without torch) can use the
same parser as ``ltr.dataset``: one place decides which delimiters, blank lines and ``NaN`` entries are accepted.
"""

from __future__ import annotations

import os
import re

import numpy as np

__all__ = ["read_text_table"]

_SPLIT_RE = re.compile(r"[,;\s]+")


def read_text_table(
    path: str | os.PathLike, num_cols: int | None = None, dtype: type = float, min_cols: int | None = None
) -> np.ndarray:
    """Read a numeric text table with any mix of comma/tab/space/semicolon delimiters; 'nan' entries allowed.

    Benchmark annotation files mix delimiters (sometimes within one file) and may lack a trailing newline; empty lines
    are skipped. Every row must have as many values as the first one, exactly ``num_cols`` and at least ``min_cols``
    when those are given. Raises ValueError naming the file and line on a malformed row (FileNotFoundError if the
    file is absent); an empty file gives a ``[0, num_cols or min_cols or 0]`` array.
    """
    rows: list[list[float]] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                values = [float(p) for p in _SPLIT_RE.split(text) if p]
            except ValueError:
                raise ValueError(f"{path}:{line_no}: cannot parse numbers from {text!r}") from None
            if num_cols is not None and len(values) != num_cols:
                raise ValueError(f"{path}:{line_no}: expected {num_cols} values, found {len(values)} in {text!r}")
            if rows and len(values) != len(rows[0]):
                raise ValueError(
                    f"{path}:{line_no}: expected {len(rows[0])} values (as on the first row), found {len(values)}"
                )
            if min_cols is not None and len(values) < min_cols:
                raise ValueError(f"{path}:{line_no}: expected at least {min_cols} values, found {len(values)}")
            rows.append(values)
    if not rows:
        return np.zeros((0, num_cols or min_cols or 0), dtype=dtype)
    return np.asarray(rows, dtype=dtype)
