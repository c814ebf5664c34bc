"""Image loaders: RGB order, backend fallback with a single warning, and loud failures on bad files."""

from __future__ import annotations

import sys
import types
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from ltr.data import image_loader as il
from ltr.data.image_loader import (
    ImageBackendUnavailableError,
    ImageLoadError,
    default_image_loader,
    jpeg4py_loader,
    opencv_loader,
    pil_loader,
)


def _smooth_rgb(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 256, (4, 5, 3)).astype(np.float32)
    return np.clip(cv2.resize(grid, (w, h), interpolation=cv2.INTER_LINEAR), 0, 255).astype(np.uint8)


def _write(path: Path, rgb: np.ndarray, params: list[int] | None = None) -> Path:
    ok, enc = cv2.imencode(path.suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params or [])
    assert ok
    path.write_bytes(enc.tobytes())
    return path


@pytest.fixture(autouse=True)
def _fresh_backend():
    il._reset_backend_choice()
    yield
    il._reset_backend_choice()


@pytest.mark.parametrize("loader", [default_image_loader, opencv_loader, pil_loader])
def test_png_roundtrip_is_exact_rgb(tmp_path, loader):
    rgb = _smooth_rgb()
    rgb[0, 0] = (255, 0, 0)  # pure red pixel: catches BGR/RGB swaps
    out = loader(_write(tmp_path / "a.png", rgb))
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    np.testing.assert_array_equal(out, rgb)
    assert tuple(out[0, 0]) == (255, 0, 0)


@pytest.mark.parametrize("loader", [default_image_loader, opencv_loader, pil_loader])
def test_jpeg_decodes_close_to_source(tmp_path, loader):
    rgb = _smooth_rgb(seed=1)
    out = loader(_write(tmp_path / "a.jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 98]))
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - rgb).mean() < 2.0
    # Red stays in channel 0.
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    r = loader(_write(tmp_path / "red.jpg", red, [cv2.IMWRITE_JPEG_QUALITY, 98]))
    assert r[..., 0].min() > 240 and r[..., 1:].max() < 15


def test_progressive_jpeg_loads(tmp_path):
    rgb = _smooth_rgb(seed=2)
    path = _write(tmp_path / "p.jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 98, cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    assert np.abs(default_image_loader(path).astype(int) - rgb).mean() < 2.0


def test_grayscale_becomes_three_equal_channels(tmp_path):
    grey = _smooth_rgb()[..., 0]
    path = tmp_path / "g.png"
    cv2.imwrite(str(path), grey)
    for loader in (default_image_loader, pil_loader):
        out = loader(path)
        assert out.shape == grey.shape + (3,)
        for c in range(3):
            np.testing.assert_array_equal(out[..., c], grey)


def test_pillow_and_opencv_agree_on_jpeg(tmp_path):
    path = _write(tmp_path / "a.jpg", _smooth_rgb(seed=3), [cv2.IMWRITE_JPEG_QUALITY, 90])
    a, b = opencv_loader(path).astype(int), pil_loader(path).astype(int)
    assert np.abs(a - b).max() <= 3


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    good = _write(tmp_path / "good.jpg", _smooth_rgb(96, 128, seed=4), [cv2.IMWRITE_JPEG_QUALITY, 95]).read_bytes()
    files = {
        "missing": tmp_path / "missing.jpg",
        "empty": tmp_path / "empty.jpg",
        "garbage": tmp_path / "garbage.png",
        "truncated": tmp_path / "truncated.jpg",
        "header_only": tmp_path / "header_only.jpg",
        "directory": tmp_path / "adir.jpg",
    }
    files["empty"].write_bytes(b"")
    files["garbage"].write_bytes(np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8).tobytes())
    files["truncated"].write_bytes(good[: len(good) * 2 // 3])
    files["header_only"].write_bytes(good[:40])
    files["directory"].mkdir()
    return files


@pytest.mark.parametrize("loader", [default_image_loader, opencv_loader, pil_loader])
@pytest.mark.parametrize("kind", ["missing", "empty", "garbage", "truncated", "header_only", "directory"])
def test_bad_files_raise_naming_the_file(tmp_path, loader, kind):
    path = _bad_files(tmp_path)[kind]
    with pytest.raises(ImageLoadError) as info:
        loader(path)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)
    assert isinstance(info.value, OSError)


def _with_exif_thumbnail(jpeg: bytes, thumb: bytes) -> bytes:
    """Insert an APP1 segment that embeds a complete JPEG (with its own end-of-image marker) after SOI."""
    payload = b"Exif\x00\x00" + thumb
    seg = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + seg + jpeg[2:]


def test_truncation_detected_despite_embedded_thumbnail(tmp_path):
    main = _write(tmp_path / "m.jpg", _smooth_rgb(96, 128, seed=5), [cv2.IMWRITE_JPEG_QUALITY, 95]).read_bytes()
    thumb = _write(tmp_path / "t.jpg", _smooth_rgb(8, 8, seed=6)).read_bytes()
    full = _with_exif_thumbnail(main, thumb)
    ok = tmp_path / "ok.jpg"
    ok.write_bytes(full)
    np.testing.assert_array_equal(default_image_loader(ok), opencv_loader(tmp_path / "m.jpg"))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full[: len(full) - 200])
    assert b"\xff\xd9" in full[: len(full) - 200]  # a naive search would find the thumbnail's marker
    with pytest.raises(ImageLoadError, match="truncated"):
        default_image_loader(cut)


def _fake_jpeg4py(working: bool) -> types.ModuleType:
    mod = types.ModuleType("jpeg4py")

    class JPEGRuntimeError(RuntimeError):
        pass

    def initialize():
        if not working:
            raise OSError("Could not load libjpeg-turbo library")

    class JPEG:
        calls = 0

        def __init__(self, source):
            initialize()
            self.source = np.asarray(source, dtype=np.uint8)

        def decode(self):
            JPEG.calls += 1
            if mod.reject_all:
                raise JPEGRuntimeError("tjDecompress2() failed: Unsupported color conversion request")
            return cv2.cvtColor(cv2.imdecode(self.source, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    mod.JPEGRuntimeError = JPEGRuntimeError
    mod.reject_all = False
    mod.initialize = initialize
    mod.JPEG = JPEG
    return mod


def test_broken_jpeg4py_warns_once_and_falls_back(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "jpeg4py", _fake_jpeg4py(working=False))
    rgb = _smooth_rgb(seed=7)
    path = _write(tmp_path / "a.jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 98])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = default_image_loader(path)
        second = default_image_loader(path)
    msgs = [w for w in caught if "jpeg4py" in str(w.message)]
    assert len(msgs) == 1 and issubclass(msgs[0].category, RuntimeWarning)
    assert il.image_backend() == "opencv"
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, opencv_loader(path))
    with pytest.raises(ImageBackendUnavailableError, match="jpeg4py"):
        jpeg4py_loader(path)


def test_working_jpeg4py_is_preferred(tmp_path, monkeypatch):
    fake = _fake_jpeg4py(working=True)
    monkeypatch.setitem(sys.modules, "jpeg4py", fake)
    path = _write(tmp_path / "a.jpg", _smooth_rgb(seed=8), [cv2.IMWRITE_JPEG_QUALITY, 98])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = default_image_loader(path)
    assert il.image_backend() == "jpeg4py"
    calls_before = fake.JPEG.calls
    np.testing.assert_array_equal(jpeg4py_loader(path), out)
    assert fake.JPEG.calls == calls_before + 1
    # PNGs never go to jpeg4py.
    png = _write(tmp_path / "a.png", _smooth_rgb(seed=9))
    default_image_loader(png)
    assert fake.JPEG.calls == calls_before + 1
    with pytest.raises(ImageLoadError, match="not a JPEG"):
        jpeg4py_loader(png)


def test_absent_jpeg4py_is_silent(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "jpeg4py", None)  # makes `import jpeg4py` raise ImportError
    path = _write(tmp_path / "a.jpg", _smooth_rgb(seed=10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        default_image_loader(path)
    assert il.image_backend() == "opencv"


def test_file_rejected_by_jpeg4py_falls_back_to_opencv(tmp_path, monkeypatch):
    # libturbojpeg refuses some valid files (CMYK JPEGs); OpenCV decodes them, so the loader must not fail.
    fake = _fake_jpeg4py(working=True)
    monkeypatch.setitem(sys.modules, "jpeg4py", fake)
    path = _write(tmp_path / "a.jpg", _smooth_rgb(seed=11), [cv2.IMWRITE_JPEG_QUALITY, 98])
    assert il.image_backend() == "jpeg4py"
    fake.reject_all = True
    np.testing.assert_array_equal(default_image_loader(path), opencv_loader(path))
    # When both decoders fail, the error names the file and both reasons.
    data = bytearray(path.read_bytes())
    sof = bytes(data).find(b"\xff\xc0")
    data[sof + 4] = 7  # 7-bit sample precision: libjpeg refuses the frame header; the file is otherwise complete
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(bytes(data))
    with pytest.raises(ImageLoadError, match="Unsupported color conversion") as info:
        default_image_loader(bad)
    assert str(bad) in str(info.value) and "OpenCV" in str(info.value)
