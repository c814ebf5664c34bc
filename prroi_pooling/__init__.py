"""Precise RoI Pooling (PrRoIPool): exact, differentiable bin averages of a bilinearly interpolated feature map.

``from prroi_pooling import PrRoIPool2D, prroi_pool2d``. The pure-PyTorch path works on every device; a compiled CUDA
kernel (``prroi_pooling._C``) is used for CUDA tensors when ``setup.py`` could build it. See ``README.md``.
"""

from prroi_pooling.functional import prroi_pool2d_reference
from prroi_pooling.prroi_pool import PrRoIPool2D, kernel_available, prroi_pool2d

__all__ = ["PrRoIPool2D", "kernel_available", "prroi_pool2d", "prroi_pool2d_reference"]
