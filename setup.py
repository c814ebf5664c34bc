"""Build hook for the optional PrRoIPool CUDA kernel (``prroi_pooling._C``); all metadata lives in pyproject.toml.

The kernel is built only when a CUDA-enabled torch is importable in the build environment (use
``pip install -e . --no-build-isolation``) and nvcc is found. Otherwise this is a plain pure-Python install: the
package then uses its exact pure-PyTorch implementation. A failing kernel compile only warns; the install goes on.
Set ``PRROI_POOL_BUILD_CUDA=0`` to skip the kernel even where it could be built.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from setuptools import setup

CSRC = Path("prroi_pooling") / "csrc"


def _note(message: str) -> None:
    print(f"prroi_pooling setup: {message}", file=sys.stderr)


def _nvcc_present() -> bool:
    """Cheap check before importing torch, so machines without a CUDA toolkit pay nothing."""
    homes = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"]
    return shutil.which("nvcc") is not None or any(h and Path(h, "bin", "nvcc").exists() for h in homes)


def _cuda_extension() -> tuple[list, dict]:
    if os.environ.get("PRROI_POOL_BUILD_CUDA", "1").strip().lower() in {"0", "false", "no", "off"}:
        _note("PRROI_POOL_BUILD_CUDA=0, skipping the CUDA kernel")
        return [], {}
    if not _nvcc_present():
        _note("nvcc not found, skipping the CUDA kernel (pure-PyTorch path only)")
        return [], {}
    try:
        import torch
        from torch.utils.cpp_extension import CUDA_HOME, BuildExtension, CUDAExtension
    except ImportError as exc:
        _note(f"torch not importable in the build environment ({exc}), skipping the CUDA kernel")
        return [], {}
    if torch.version.cuda is None or CUDA_HOME is None:
        _note(f"torch {torch.__version__} has no CUDA support or CUDA_HOME is unset, skipping the CUDA kernel")
        return [], {}

    class OptionalBuildExtension(BuildExtension):
        """Turns a failed kernel compile into a warning: the pure-PyTorch path still works."""

        def build_extension(self, ext) -> None:
            try:
                super().build_extension(ext)
            except Exception as exc:  # any compiler/toolchain failure must not break the install
                _note(f"WARNING: building {ext.name} failed ({exc}); installing without the CUDA kernel")

    extension = CUDAExtension(
        name="prroi_pooling._C",
        sources=[str(CSRC / "prroi_pool.cpp"), str(CSRC / "prroi_pool_cuda.cu")],
        extra_compile_args={"cxx": ["-O3"], "nvcc": ["-O3", "--expt-relaxed-constexpr"]},
    )
    return [extension], {"build_ext": OptionalBuildExtension}


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import it to check the decision above
    ext_modules, cmdclass = _cuda_extension()
    setup(ext_modules=ext_modules, cmdclass=cmdclass)
