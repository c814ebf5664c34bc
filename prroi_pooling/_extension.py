"""Loader for the optional compiled CUDA kernel ``prroi_pooling._C``.

The extension exists only where ``setup.py`` could build it (CUDA-enabled torch + nvcc). When it was never built,
``load_extension()`` returns ``None`` quietly; when a built module exists but fails to load (e.g. built against another
torch), it warns once with the reason and returns ``None`` so the pure-PyTorch path is used.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import warnings
from types import ModuleType

__all__ = ["FORCE_REFERENCE_ENV", "kernel_disabled_by_env", "load_extension"]

#: Set this environment variable to ``1`` to ignore the compiled kernel and always use the reference path.
FORCE_REFERENCE_ENV = "PRROI_POOL_FORCE_REFERENCE"


def kernel_disabled_by_env() -> bool:
    """True when ``PRROI_POOL_FORCE_REFERENCE`` asks for the pure-PyTorch path."""
    return os.environ.get(FORCE_REFERENCE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@functools.cache
def load_extension() -> ModuleType | None:
    """Return the compiled ``prroi_pooling._C`` module, or ``None`` when it is not built or cannot be loaded."""
    if importlib.util.find_spec("prroi_pooling._C") is None:
        return None
    try:
        return importlib.import_module("prroi_pooling._C")
    except (ImportError, OSError) as exc:
        warnings.warn(
            f"prroi_pooling: the compiled CUDA kernel prroi_pooling._C exists but failed to load ({exc}); "
            "using the pure-PyTorch implementation. Rebuild with `pip install -e . --no-build-isolation`.",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
