"""Image decoding for dataset readers: every loader returns an ``HxWx3`` ``uint8`` RGB numpy array or raises.

Why this module exists: training reads millions of frames, so decoding speed matters (libjpeg-turbo through
``jpeg4py`` is the fastest), but ``jpeg4py`` is often installed without its shared library, and OpenCV/Pillow silently
return half-grey images for truncated JPEGs. ``default_image_loader`` therefore

* picks the fastest backend that actually works on this machine (``jpeg4py`` only after a test decode succeeded,
  then OpenCV, then Pillow), warning once when ``jpeg4py`` is installed but unusable;
* checks that a JPEG file is complete before decoding it (a truncated file would otherwise decode "successfully");
* raises :class:`ImageLoadError` naming the file for anything missing, empty, truncated or undecodable, so a broken
  frame can never reach the network as garbage or as a black image.
"""

from __future__ import annotations

import io
import os
import threading
import warnings

import numpy as np

from ltr.admin.errors import UserError

__all__ = [
    "ImageLoadError",
    "ImageBackendUnavailableError",
    "default_image_loader",
    "opencv_loader",
    "jpeg4py_loader",
    "pil_loader",
    "image_backend",
]

PathLike = str | os.PathLike


class ImageLoadError(UserError, OSError):
    """An image file is missing, unreadable, truncated or cannot be decoded. ``path`` names the file."""

    def __init__(self, path: PathLike, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot load image '{self.path}': {reason}")


class ImageBackendUnavailableError(UserError, RuntimeError):
    """A specific decoder (e.g. jpeg4py without libturbojpeg) was requested but cannot run on this machine."""


_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = b"\xff\xd9"
_JPEG_SOS = 0xDA
# Markers that stand alone (no length field): TEM, RST0-7, SOI, EOI.
_STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD8), 0xD8, 0xD9}


def _read_bytes(path: PathLike) -> bytes:
    """Read the whole file, turning every OS-level failure into an ImageLoadError that names the file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ImageLoadError(path, "file does not exist") from None
    except IsADirectoryError:
        raise ImageLoadError(path, "path is a directory, not an image file") from None
    except OSError as err:
        raise ImageLoadError(path, f"cannot read file ({err.strerror or err})") from err
    if not data:
        raise ImageLoadError(path, "file is empty")
    return data


def _first_scan_offset(data: bytes) -> int | None:
    """Offset just after the first start-of-scan header, walking the length-prefixed segments from SOI.

    Returns None when the header structure is broken (truncated inside the headers). Walking the segments, rather
    than searching bytes, skips embedded EXIF thumbnails whose own end-of-image marker would fool a plain search.
    """
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE_MARKERS:
            pos += 2
            continue
        seg_len = (data[pos + 2] << 8) | data[pos + 3]
        if seg_len < 2:
            return None
        end = pos + 2 + seg_len
        if marker == _JPEG_SOS:
            return end if end <= n else None
        pos = end
    return None


def _check_jpeg_complete(path: PathLike, data: bytes) -> None:
    """Raise ImageLoadError if a JPEG has no end-of-image marker after its first scan (i.e. it was truncated).

    Inside entropy-coded data a 0xFF byte is always stuffed (0xFF00) or followed by a restart marker, so the first
    0xFFD9 after the first scan header is the real end of image; progressive files keep it at the end as well.
    """
    scan = _first_scan_offset(data)
    if scan is None:
        raise ImageLoadError(path, "JPEG headers are truncated or malformed")
    if data.find(_JPEG_EOI, scan) < 0:
        raise ImageLoadError(path, "JPEG data is truncated (no end-of-image marker)")


def _as_rgb(path: PathLike, image: np.ndarray | None, backend: str) -> np.ndarray:
    """Validate a decoder's output: HxWx3 uint8, non-empty."""
    if image is None:
        raise ImageLoadError(path, f"{backend} could not decode the file (unsupported format or corrupt data)")
    if image.dtype != np.uint8:
        raise ImageLoadError(path, f"{backend} decoded dtype {image.dtype}, expected 8-bit images")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] == 0 or image.shape[1] == 0:
        raise ImageLoadError(path, f"{backend} decoded an unexpected shape {image.shape}")
    return np.ascontiguousarray(image)


# --------------------------------------------------------------------------------------------------------------------
# Decoders working on in-memory bytes (the file has already been read and, for JPEGs, checked for truncation).


def _decode_opencv(path: PathLike, data: bytes) -> np.ndarray:
    import cv2

    buf = np.frombuffer(data, dtype=np.uint8)
    bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if bgr is None:
        return _as_rgb(path, None, "OpenCV")
    return _as_rgb(path, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), "OpenCV")


def _decode_pil(path: PathLike, data: bytes) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            rgb = np.asarray(img.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise ImageLoadError(path, f"Pillow could not decode the file ({err})") from err
    return _as_rgb(path, rgb, "Pillow")


def _decode_jpeg4py(path: PathLike, data: bytes) -> np.ndarray:
    import jpeg4py

    try:
        rgb = jpeg4py.JPEG(np.frombuffer(data, dtype=np.uint8).copy()).decode()
    except (jpeg4py.JPEGRuntimeError, ValueError) as err:
        raise ImageLoadError(path, f"jpeg4py could not decode the file ({err})") from err
    return _as_rgb(path, rgb, "jpeg4py")


# --------------------------------------------------------------------------------------------------------------------
# Backend selection: done once per process, lazily (DataLoader workers inherit the answer after a fork).

_backend_lock = threading.Lock()
_jpeg_backend: str | None = None


def _probe_jpeg4py() -> str | None:
    """Return None if jpeg4py decodes a known image correctly here, otherwise the reason it cannot be used."""
    try:
        import jpeg4py
    except ImportError:
        return "not installed"
    try:
        jpeg4py.initialize()  # loads libturbojpeg; raises OSError when the shared library is missing
        import cv2

        probe = np.zeros((16, 16, 3), dtype=np.uint8)
        probe[:, :8] = (255, 0, 0)  # RGB red left half
        ok, enc = cv2.imencode(".jpg", cv2.cvtColor(probe, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            return "could not encode a probe image"
        decoded = jpeg4py.JPEG(enc.reshape(-1)).decode()
        reference = cv2.cvtColor(cv2.imdecode(enc, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    except (OSError, RuntimeError, ValueError, AttributeError, ImportError) as err:
        return f"{type(err).__name__}: {err}"
    if decoded.shape != reference.shape or np.abs(decoded.astype(int) - reference.astype(int)).max() > 8:
        return "test decode returned wrong pixels"
    return None


_UNPROBED = "unprobed"
_jpeg4py_status: str | None = _UNPROBED


def _jpeg4py_problem() -> str | None:
    """Cached result of :func:`_probe_jpeg4py` (the probe decodes an image, too slow to repeat per frame)."""
    global _jpeg4py_status
    if _jpeg4py_status == _UNPROBED:
        _jpeg4py_status = _probe_jpeg4py()
    return _jpeg4py_status


def _opencv_available() -> bool:
    try:
        import cv2  # noqa: F401
    except ImportError:
        return False
    return True


def image_backend() -> str:
    """Name of the JPEG decoder ``default_image_loader`` uses in this process: 'jpeg4py', 'opencv' or 'pillow'."""
    global _jpeg_backend
    if _jpeg_backend is None:
        with _backend_lock:
            if _jpeg_backend is None:
                reason = _jpeg4py_problem()
                if reason is None:
                    _jpeg_backend = "jpeg4py"
                else:
                    fallback = "opencv" if _opencv_available() else "pillow"
                    if reason != "not installed":
                        warnings.warn(
                            f"jpeg4py is installed but unusable ({reason}); decoding JPEGs with {fallback} instead. "
                            "Install libturbojpeg (e.g. apt-get install libturbojpeg) for faster loading.",
                            RuntimeWarning,
                            stacklevel=2,
                        )
                    _jpeg_backend = fallback
    return _jpeg_backend


def _reset_backend_choice() -> None:
    """Forget the chosen backend (tests use this to re-run the probe)."""
    global _jpeg_backend, _jpeg4py_status
    with _backend_lock:
        _jpeg_backend = None
        _jpeg4py_status = _UNPROBED


_DECODERS = {"jpeg4py": _decode_jpeg4py, "opencv": _decode_opencv, "pillow": _decode_pil}


def default_image_loader(path: PathLike) -> np.ndarray:
    """Load an image as ``HxWx3`` uint8 RGB with the fastest working decoder; raise ImageLoadError naming the file.

    JPEGs go through the backend chosen by :func:`image_backend` after a truncation check; other formats (PNG, BMP,
    ...) go through OpenCV, or Pillow if OpenCV is missing.
    """
    data = _read_bytes(path)
    if data.startswith(_JPEG_SOI):
        _check_jpeg_complete(path, data)
        backend = image_backend()
        if backend != "jpeg4py":
            return _DECODERS[backend](path, data)
        try:
            return _decode_jpeg4py(path, data)
        except ImageLoadError as first:
            # libturbojpeg rejects a few valid files (e.g. CMYK JPEGs in ImageNet); only fail if OpenCV does too.
            try:
                return _decode_opencv(path, data)
            except ImageLoadError as second:
                raise ImageLoadError(path, f"{first.reason}; {second.reason}") from second
    if _opencv_available():
        return _decode_opencv(path, data)
    return _decode_pil(path, data)


def opencv_loader(path: PathLike) -> np.ndarray:
    """Load with OpenCV (BGR converted to RGB). Same checks and errors as :func:`default_image_loader`."""
    data = _read_bytes(path)
    if data.startswith(_JPEG_SOI):
        _check_jpeg_complete(path, data)
    return _decode_opencv(path, data)


def pil_loader(path: PathLike) -> np.ndarray:
    """Load with Pillow (converted to RGB). Same checks and errors as :func:`default_image_loader`."""
    data = _read_bytes(path)
    if data.startswith(_JPEG_SOI):
        _check_jpeg_complete(path, data)
    return _decode_pil(path, data)


def jpeg4py_loader(path: PathLike) -> np.ndarray:
    """Load a JPEG with jpeg4py/libturbojpeg.

    Raises ImageBackendUnavailableError if jpeg4py cannot run on this machine (use :func:`default_image_loader` to
    fall back automatically) and ImageLoadError for a bad file.
    """
    reason = _jpeg4py_problem()
    if reason is not None:
        raise ImageBackendUnavailableError(f"jpeg4py_loader cannot be used: jpeg4py {reason}")
    data = _read_bytes(path)
    if not data.startswith(_JPEG_SOI):
        raise ImageLoadError(path, "not a JPEG file (jpeg4py decodes JPEG only)")
    _check_jpeg_complete(path, data)
    return _decode_jpeg4py(path, data)
