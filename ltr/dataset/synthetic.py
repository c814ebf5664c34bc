"""Procedural tracking videos that need no files: the offline dataset for tests, smoke training and demos.

Every sequence is a pure function of ``(seed, seq_id)``: a textured object (random polygonal shape with its own
texture) moves with changing scale and aspect ratio over a textured background that itself drifts, among distractor
objects (some of the same shape and a similar texture), with occluders passing in front of it and, in some videos, an
excursion partly or fully out of the frame. Frames are rendered on demand in :meth:`get_frames`, so a dataset of
thousands of sequences costs nothing until it is sampled.

Ground truth is exact by construction. The annotated box is the *full* object box ``[x, y, w, h]`` (integer pixel
positions, the object's pixels are columns ``x .. x+w-1`` and rows ``y .. y+h-1``), as benchmarks annotate it, even
where the object is occluded or leaves the image; every shape touches all four sides of its box, so an unoccluded,
fully in-frame object's mask has exactly this bounding box. ``visible_ratio`` is the fraction of the object's pixels
that are inside the image and not covered by an occluder; ``visible = visible_ratio >= visibility_threshold``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import torch

from ltr.dataset.base_image_dataset import BaseImageDataset
from ltr.dataset.base_video_dataset import BaseVideoDataset, make_object_meta

__all__ = ["SyntheticVideo", "SyntheticImages", "SHAPES"]

#: Object shapes; the target's shape is its object class.
SHAPES = ("ellipse", "rectangle", "triangle", "diamond", "star", "hexagon", "cross")
MOTIONS = ("linear", "wavy", "circular")


# --------------------------------------------------------------------------------------------------------------------
# Shapes: polygons in normalised coordinates whose bounding box is exactly [0, 1] x [0, 1].


def _normalise(points: np.ndarray) -> np.ndarray:
    lo = points.min(axis=0)
    span = points.max(axis=0) - lo
    return (points - lo) / span


def _shape_polygon(shape: str, rng: np.random.Generator) -> np.ndarray:
    if shape == "rectangle":
        pts = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float64)
    elif shape == "ellipse":
        ang = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        pts = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    elif shape == "triangle":
        apex = rng.uniform(0.0, 1.0)
        pts = np.array([[apex, 0.0], [1.0, 1.0], [0.0, 1.0]])
    elif shape == "diamond":
        pts = np.array([[0.5, 0.0], [1.0, 0.5], [0.5, 1.0], [0.0, 0.5]])
    elif shape == "star":
        inner = rng.uniform(0.35, 0.6)
        ang = np.linspace(0, 2 * np.pi, 10, endpoint=False) - np.pi / 2
        rad = np.where(np.arange(10) % 2 == 0, 1.0, inner)
        pts = np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1)
    elif shape == "hexagon":
        ang = np.linspace(0, 2 * np.pi, 6, endpoint=False)
        pts = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    elif shape == "cross":
        a = rng.uniform(0.25, 0.4)
        b = 1 - a
        pts = np.array([[a, 0], [b, 0], [b, a], [1, a], [1, b], [b, b], [b, 1], [a, 1], [a, b], [0, b], [0, a], [a, a]])
    else:
        raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")
    return _normalise(pts.astype(np.float64))


def rasterize_polygon(poly: np.ndarray, h: int, w: int) -> np.ndarray:
    """Binary mask (h x w, uint8 0/1) of a normalised polygon scaled so its extreme vertices hit the border pixels."""
    pts = np.round(poly * np.array([w - 1, h - 1])).astype(np.int32)
    mask = np.zeros((h, w), dtype=np.uint8)
    cv2.fillPoly(mask, [pts], 1)
    cv2.polylines(mask, [pts], True, 1, thickness=1)  # keep thin spikes' tips (the box-defining vertices)
    return mask


# --------------------------------------------------------------------------------------------------------------------
# Textures.


def _random_colour(rng: np.random.Generator, sat: tuple[float, float] = (0.4, 1.0)) -> np.ndarray:
    hsv = np.uint8([[[rng.integers(0, 180), rng.uniform(*sat) * 255, rng.uniform(0.35, 1.0) * 255]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: tuple[int, int], channels: int = 3) -> np.ndarray:
    """Noise in [0, 1] with about ``cells`` independent values per axis, bicubically upsampled to h x w."""
    grid = rng.random((cells[0], cells[1], channels)).astype(np.float32)
    up = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(up.reshape(h, w, channels), 0.0, 1.0)


def _object_texture(rng: np.random.Generator, size: int = 32) -> np.ndarray:
    c0, c1 = _random_colour(rng), _random_colour(rng)
    kind = rng.integers(0, 4)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if kind == 0:  # stripes
        ang = rng.uniform(0, np.pi)
        freq = rng.uniform(1.5, 4.0)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (np.cos(ang) * xx + np.sin(ang) * yy))
    elif kind == 1:  # checker
        n = rng.integers(2, 5)
        t = ((np.floor(xx * n) + np.floor(yy * n)) % 2).astype(np.float32)
    elif kind == 2:  # blotches
        t = _smooth_noise(rng, size, size, (4, 4), 1)[:, :, 0]
    else:  # radial gradient
        t = np.clip(np.hypot(xx - 0.5, yy - 0.5) * 2.0, 0, 1)
    tex = c0[None, None, :] * (1 - t[:, :, None]) + c1[None, None, :] * t[:, :, None]
    tex += 6.0 * rng.standard_normal(tex.shape, dtype=np.float32)
    return np.clip(tex, 0, 255).astype(np.uint8)


def _perturbed_texture(rng: np.random.Generator, tex: np.ndarray) -> np.ndarray:
    """A look-alike of ``tex`` (hard distractor): small colour shift and mirrored pattern."""
    shift = rng.normal(0, 18.0, 3).astype(np.float32)
    out = tex.astype(np.float32)[:, ::-1] + shift
    return np.clip(out, 0, 255).astype(np.uint8)


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = _smooth_noise(rng, h, w, (max(2, h // 48), max(2, w // 48)))
    mid = _smooth_noise(rng, h, w, (max(3, h // 12), max(3, w // 12)))
    c0, c1 = _random_colour(rng, (0.1, 0.6)), _random_colour(rng, (0.1, 0.6))
    img = c0 * (1 - base) + c1 * base + (mid - 0.5) * 70.0
    # Clutter: random filled shapes and lines, so the background has edges like real scenes.
    for _ in range(int(rng.integers(6, 16))):
        colour = _random_colour(rng, (0.0, 0.7)).tolist()
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        s = int(rng.integers(max(2, min(h, w) // 20), max(3, min(h, w) // 5)))
        if rng.random() < 0.5:
            cv2.ellipse(
                img, (cx, cy), (s, int(s * rng.uniform(0.4, 1.5))), float(rng.uniform(0, 180)), 0, 360, colour, -1
            )
        else:
            cv2.line(img, (cx, cy), (int(rng.integers(0, w)), int(rng.integers(0, h))), colour, int(rng.integers(1, 4)))
    img += 4.0 * rng.standard_normal(img.shape, dtype=np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------------------------
# Motion.


def _fold(p: np.ndarray, lo: float | np.ndarray, hi: float | np.ndarray) -> np.ndarray:
    """Reflect positions into [lo, hi] (a bouncing path), elementwise."""
    span = np.maximum(np.asarray(hi, dtype=np.float64) - lo, 1e-6)
    q = np.mod(p - lo, 2 * span)
    return lo + np.where(q <= span, q, 2 * span - q)


@dataclass
class _Track:
    """Per-frame integer boxes of one object."""

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    h: np.ndarray


@dataclass
class _Object:
    poly: np.ndarray
    texture: np.ndarray
    track: _Track


@dataclass
class _Plan:
    background: np.ndarray | None  # made on first render
    bg_offset: np.ndarray  # [T, 2] (oy, ox) into background
    gain: np.ndarray  # [T] illumination factor
    target: _Object
    distractors: list[_Object]
    occluders: list[_Object]
    visible_ratio: np.ndarray  # [T]
    margin: int = 0


def _sizes(rng: np.random.Generator, T: int, base: float, min_size: int, scale_var: bool = True) -> tuple:
    t = np.arange(T, dtype=np.float64)
    ar0 = np.exp(rng.uniform(-0.6, 0.6))
    if scale_var:
        s_amp, s_per, s_ph = rng.uniform(0.1, 0.4), rng.uniform(0.5, 2.0) * max(T, 8), rng.uniform(0, 2 * np.pi)
        a_amp, a_per, a_ph = rng.uniform(0.0, 0.25), rng.uniform(0.5, 2.0) * max(T, 8), rng.uniform(0, 2 * np.pi)
    else:
        s_amp = a_amp = 0.0
        s_per = a_per = 1.0
        s_ph = a_ph = 0.0
    scale = base * np.exp(s_amp * (np.sin(2 * np.pi * t / s_per + s_ph) - np.sin(s_ph)))
    ar = ar0 * np.exp(a_amp * (np.sin(2 * np.pi * t / a_per + a_ph) - np.sin(a_ph)))
    w = np.maximum(min_size, np.round(scale * np.sqrt(ar))).astype(np.int64)
    h = np.maximum(min_size, np.round(scale / np.sqrt(ar))).astype(np.int64)
    return w, h


def _centres(
    rng: np.random.Generator, T: int, H: int, W: int, w: np.ndarray, h: np.ndarray, motion: str, speed: float
) -> tuple[np.ndarray, np.ndarray]:
    """Centre path (float) kept inside the frame by bouncing off margins of half the largest object size."""
    t = np.arange(T, dtype=np.float64)
    lo_x, lo_y = min(w.max() / 2 + 1, W / 2), min(h.max() / 2 + 1, H / 2)
    hi_x, hi_y = W - lo_x, H - lo_y
    cx0, cy0 = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
    ang = rng.uniform(0, 2 * np.pi)
    if motion == "circular":
        radius = rng.uniform(0.15, 0.35) * min(H, W)
        omega = speed / radius * rng.choice([-1.0, 1.0])
        cx = cx0 + radius * (np.cos(omega * t + ang) - np.cos(ang))
        cy = cy0 + radius * (np.sin(omega * t + ang) - np.sin(ang))
    else:
        cx = cx0 + speed * np.cos(ang) * t
        cy = cy0 + speed * np.sin(ang) * t
        if motion == "wavy":
            amp, per, ph = rng.uniform(3, 10), rng.uniform(8, 25), rng.uniform(0, 2 * np.pi)
            wave = amp * (np.sin(2 * np.pi * t / per + ph) - np.sin(ph))
            cx = cx - np.sin(ang) * wave
            cy = cy + np.cos(ang) * wave
    return _fold(cx, lo_x, hi_x), _fold(cy, lo_y, hi_y)


def _to_track(cx: np.ndarray, cy: np.ndarray, w: np.ndarray, h: np.ndarray) -> _Track:
    x = np.round(cx - w / 2.0).astype(np.int64)
    y = np.round(cy - h / 2.0).astype(np.int64)
    return _Track(x=x, y=y, w=w.astype(np.int64), h=h.astype(np.int64))


def _paste(
    canvas: np.ndarray, obj: _Object, t: int, cover: np.ndarray | None = None, origin: tuple[int, int] = (0, 0)
) -> None:
    """Draw object ``obj`` at frame ``t`` into ``canvas`` (clipped); mark its pixels in the bool map ``cover``.

    ``origin`` is the image position ``(x, y)`` of the canvas's top-left pixel (for drawing into a window).
    """
    H, W = canvas.shape[:2]
    x, y, w, h = (int(v[t]) for v in (obj.track.x, obj.track.y, obj.track.w, obj.track.h))
    x, y = x - origin[0], y - origin[1]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x0 >= x1 or y0 >= y1:
        return
    mask = rasterize_polygon(obj.poly, h, w)[y0 - y : y1 - y, x0 - x : x1 - x].astype(bool)
    if canvas.ndim == 3:
        tex = cv2.resize(obj.texture, (w, h), interpolation=cv2.INTER_LINEAR)[y0 - y : y1 - y, x0 - x : x1 - x]
        region = canvas[y0:y1, x0:x1]
        region[mask] = tex[mask]
    else:
        canvas[y0:y1, x0:x1] |= mask
    if cover is not None:
        cover[y0:y1, x0:x1] |= mask


class SyntheticVideo(BaseVideoDataset):
    """Deterministic procedural tracking videos (see module docstring).

    Args:
        num_sequences: number of videos.
        seq_len: frames per video.
        image_size: ``(H, W)`` of every frame.
        seed: base seed; sequence ``i`` depends only on ``(seed, i)`` (not on ``num_sequences``), so the pytracking
            evaluation set simply uses another seed.
        num_distractors: inclusive ``(min, max)`` number of distractor objects per video.
        p_occlusion: probability that a video has an occluder crossing the target.
        p_out_of_frame: probability that the target makes one excursion partly or fully out of the frame.
        visibility_threshold: ``visible`` is ``visible_ratio >= visibility_threshold``.
        name: dataset name reported by :meth:`get_name`.
    """

    def __init__(
        self,
        num_sequences: int = 100,
        seq_len: int = 40,
        image_size: tuple[int, int] = (160, 224),
        seed: int = 0,
        num_distractors: tuple[int, int] = (1, 3),
        p_occlusion: float = 0.5,
        p_out_of_frame: float = 0.3,
        visibility_threshold: float = 0.5,
        name: str = "synthetic",
    ) -> None:
        super().__init__(name, None, image_loader=None)
        if int(num_sequences) < 1:
            raise ValueError(f"num_sequences must be >= 1, got {num_sequences}")
        if int(seq_len) < 1:
            raise ValueError(f"seq_len must be >= 1, got {seq_len}")
        H, W = (int(v) for v in image_size)
        if H < 16 or W < 16:
            raise ValueError(f"image_size must be at least (16, 16), got {image_size}")
        if int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        lo, hi = (int(v) for v in num_distractors)
        if not 0 <= lo <= hi:
            raise ValueError(f"num_distractors must be (min, max) with 0 <= min <= max, got {num_distractors}")
        for arg, val in (
            ("p_occlusion", p_occlusion),
            ("p_out_of_frame", p_out_of_frame),
            ("visibility_threshold", visibility_threshold),
        ):
            if not 0.0 <= float(val) <= 1.0:
                raise ValueError(f"{arg} must be in [0, 1], got {val}")
        self.seq_len = int(seq_len)
        self.image_size = (H, W)
        self.seed = int(seed)
        self.num_distractors = (lo, hi)
        self.p_occlusion = float(p_occlusion)
        self.p_out_of_frame = float(p_out_of_frame)
        self.visibility_threshold = float(visibility_threshold)
        self.sequence_list = [f"{name}_{self.seed}_{i:05d}" for i in range(int(num_sequences))]
        self.class_list = list(SHAPES)
        self._plans: OrderedDict[int, _Plan] = OrderedDict()
        self._plan_cache_size = 128  # plans with rendered backgrounds are ~0.2 MB each at 160x224

    def has_class_info(self) -> bool:
        return True

    def has_occlusion_info(self) -> bool:
        return True

    # ---------------------------------------------------------------------------------------------- generation
    def _identity(self, seq_id: int) -> dict[str, Any]:
        """Cheap per-sequence choices (class, motion) from their own stream, so class lookups need no rendering."""
        rng = np.random.default_rng([self.seed, seq_id, 0])
        shape = SHAPES[int(rng.integers(0, len(SHAPES)))]
        motion = MOTIONS[int(rng.integers(0, len(MOTIONS)))]
        speed = float(rng.uniform(0.3, 3.0)) * min(self.image_size) / 160.0
        return {"shape": shape, "motion": motion, "speed": speed}

    def _sequence_class(self, seq_id: int) -> str:
        return self._identity(seq_id)["shape"]

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        ident = self._identity(self._check_seq_id(seq_id))
        rel_speed = ident["speed"] / (min(self.image_size) / 160.0)
        adverb = "slowly" if rel_speed < 1.0 else ("steadily" if rel_speed < 2.0 else "quickly")
        return make_object_meta(
            object_class_name=ident["shape"],
            motion_class=ident["motion"],
            major_class="shape",
            root_class="object",
            motion_adverb=adverb,
        )

    def _plan(self, seq_id: int) -> _Plan:
        plan = self._plans.get(seq_id)
        if plan is not None:
            self._plans.move_to_end(seq_id)
            return plan
        plan = self._make_plan(seq_id)
        self._plans[seq_id] = plan
        while len(self._plans) > self._plan_cache_size:
            self._plans.popitem(last=False)
        return plan

    def _make_plan(self, seq_id: int) -> _Plan:
        ident = self._identity(seq_id)
        rng = np.random.default_rng([self.seed, seq_id, 1])
        T, (H, W) = self.seq_len, self.image_size
        short = min(H, W)
        min_size = max(4, short // 20)

        # Background larger than the frame by a margin it drifts within (bouncing), plus slow illumination change.
        # Its texture is drawn from a separate stream only when a frame is rendered (annotations do not need it).
        margin = max(4, short // 8)
        t = np.arange(T, dtype=np.float64)
        v_bg = rng.uniform(-1.0, 1.0, 2) * short / 160.0
        start = rng.uniform(0, 2 * margin, 2)
        bg_offset = np.stack([_fold(start[i] + v_bg[i] * t, 0, 2 * margin) for i in range(2)], axis=1)
        bg_offset = np.round(bg_offset).astype(np.int64)
        g_amp, g_per, g_ph = rng.uniform(0.0, 0.15), rng.uniform(10, 60), rng.uniform(0, 2 * np.pi)
        gain = 1.0 + g_amp * np.sin(2 * np.pi * t / g_per + g_ph)

        # Target.
        base = rng.uniform(0.15, 0.32) * short
        w, h = _sizes(rng, T, base, min_size)
        cx, cy = _centres(rng, T, H, W, w, h, ident["motion"], ident["speed"])
        if T >= 6 and rng.random() < self.p_out_of_frame:
            cx, cy = self._excursion(rng, T, H, W, cx, cy, w, h)
        target = _Object(_shape_polygon(ident["shape"], rng), _object_texture(rng), _to_track(cx, cy, w, h))

        # Distractors (drawn behind the target); some look like the target.
        distractors = []
        for _ in range(int(rng.integers(self.num_distractors[0], self.num_distractors[1] + 1))):
            look_alike = rng.random() < 0.4
            shape = ident["shape"] if look_alike else SHAPES[int(rng.integers(0, len(SHAPES)))]
            tex = _perturbed_texture(rng, target.texture) if look_alike else _object_texture(rng)
            dw, dh = _sizes(rng, T, rng.uniform(0.1, 0.3) * short, min_size)
            motion = MOTIONS[int(rng.integers(0, len(MOTIONS)))]
            dcx, dcy = _centres(rng, T, H, W, dw, dh, motion, float(rng.uniform(0.3, 3.0)) * short / 160.0)
            distractors.append(_Object(_shape_polygon(shape, rng), tex, _to_track(dcx, dcy, dw, dh)))

        # Occluder crossing the target at a chosen moment (drawn in front of it).
        occluders = []
        if rng.random() < self.p_occlusion:
            occluders.append(self._occluder(rng, T, H, W, target.track))

        visible_ratio = self._visible_ratio(target, occluders, H, W)
        return _Plan(None, bg_offset, gain, target, distractors, occluders, visible_ratio, margin=margin)

    @staticmethod
    def _excursion(rng, T, H, W, cx, cy, w, h):
        """Push the centre beyond one image border around a peak frame with a smooth bump."""
        t = np.arange(T, dtype=np.float64)
        t_peak = rng.uniform(0.3, 0.85) * (T - 1)
        dur = rng.uniform(4, max(5.0, T / 4))
        bump = np.where(np.abs(t - t_peak) < dur / 2, np.cos(np.pi * (t - t_peak) / dur) ** 2, 0.0)
        k = int(np.argmax(bump))
        depth = rng.uniform(-0.2, 0.9)  # how far the centre goes past the border, in object sizes (>0.5: fully out)
        side = int(rng.integers(0, 4))
        cx, cy = cx.copy(), cy.copy()
        if side == 0:
            cx += (-depth * w[k] - cx[k]) * bump
        elif side == 1:
            cx += (W + depth * w[k] - cx[k]) * bump
        elif side == 2:
            cy += (-depth * h[k] - cy[k]) * bump
        else:
            cy += (H + depth * h[k] - cy[k]) * bump
        return cx, cy

    @staticmethod
    def _occluder(rng, T, H, W, track: _Track) -> _Object:
        t_occ = int(rng.integers(0, T))
        tcx = track.x[t_occ] + track.w[t_occ] / 2.0
        tcy = track.y[t_occ] + track.h[t_occ] / 2.0
        tex = _object_texture(rng)
        if rng.random() < 0.5:
            # A pole: a long bar, static or slowly sliding, that covers part of the target at t_occ.
            vertical = rng.random() < 0.5
            along = H if vertical else W
            thick = max(3, int(round(rng.uniform(0.3, 0.9) * (track.w[t_occ] if vertical else track.h[t_occ]))))
            length = int(round(rng.uniform(0.6, 1.2) * along))
            start = int(round(rng.uniform(-0.2, 0.4) * along))
            drift = rng.uniform(-0.5, 0.5) * (np.arange(T) - t_occ)
            off = rng.uniform(-0.5, 0.5) * (track.w[t_occ] if vertical else track.h[t_occ])
            across = (tcx if vertical else tcy) + off + drift - thick / 2.0
            pos = np.round(across).astype(np.int64)
            fixed = np.full(T, start, dtype=np.int64)
            tw = np.full(T, thick if vertical else length, dtype=np.int64)
            th = np.full(T, length if vertical else thick, dtype=np.int64)
            tr = _Track(x=pos if vertical else fixed, y=fixed if vertical else pos, w=tw, h=th)
            return _Object(_shape_polygon("rectangle", rng), tex, tr)
        # A blob passing through the target's position at t_occ.
        size = rng.uniform(0.5, 1.1) * np.sqrt(track.w[t_occ] * track.h[t_occ])
        ow, oh = _sizes(rng, T, size, 4, scale_var=False)
        ang = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(1.0, 4.0)
        t = np.arange(T) - t_occ
        off = rng.uniform(-0.3, 0.3, 2) * np.array([track.w[t_occ], track.h[t_occ]])
        ocx = tcx + off[0] + speed * np.cos(ang) * t
        ocy = tcy + off[1] + speed * np.sin(ang) * t
        shape = SHAPES[int(rng.integers(0, len(SHAPES)))]
        return _Object(_shape_polygon(shape, rng), tex, _to_track(ocx, ocy, ow, oh))

    @staticmethod
    def _visible_ratio(target: _Object, occluders: list[_Object], H: int, W: int) -> np.ndarray:
        T = len(target.track.x)
        ratio = np.zeros(T, dtype=np.float64)
        for t in range(T):
            x, y, w, h = (int(v[t]) for v in (target.track.x, target.track.y, target.track.w, target.track.h))
            full = rasterize_polygon(target.poly, h, w).astype(bool)
            area = int(full.sum())
            x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
            if x0 >= x1 or y0 >= y1 or area == 0:
                continue
            inside = full[y0 - y : y1 - y, x0 - x : x1 - x]
            if occluders:
                cover = np.zeros((y1 - y0, x1 - x0), dtype=bool)  # only the target's in-image window matters
                for occ in occluders:
                    _paste(cover, occ, t, origin=(x0, y0))
                inside = inside & ~cover
            ratio[t] = inside.sum() / area
        return ratio

    # ---------------------------------------------------------------------------------------------- contract
    def _read_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        plan = self._plan(seq_id)
        tr = plan.target.track
        bbox = torch.tensor(np.stack([tr.x, tr.y, tr.w, tr.h], axis=1), dtype=torch.float32)
        ratio = torch.tensor(plan.visible_ratio, dtype=torch.float32)
        valid = (bbox[:, 2] > 0) & (bbox[:, 3] > 0)
        visible = valid & (ratio >= self.visibility_threshold)
        return {"bbox": bbox, "valid": valid, "visible": visible, "visible_ratio": ratio}

    def render_frame(self, seq_id: int, frame_id: int, return_masks: bool = False):
        """Render one frame. With ``return_masks`` also return ``{'target': in-image target pixels (ignoring
        occluders), 'target_visible': target pixels not covered by occluders}`` as HxW bool arrays."""
        seq_id = self._check_seq_id(seq_id)
        if not 0 <= int(frame_id) < self.seq_len:
            raise IndexError(f"frame id {frame_id} out of range for synthetic sequence of {self.seq_len} frames")
        plan = self._plan(seq_id)
        t = int(frame_id)
        H, W = self.image_size
        if plan.background is None:
            bg_rng = np.random.default_rng([self.seed, seq_id, 2])
            plan.background = _background(bg_rng, H + 2 * plan.margin, W + 2 * plan.margin)
        oy, ox = (int(v) for v in plan.bg_offset[t])
        canvas = plan.background[oy : oy + H, ox : ox + W].copy()
        for obj in plan.distractors:
            _paste(canvas, obj, t)
        target_mask = np.zeros((H, W), dtype=bool)
        _paste(canvas, plan.target, t, cover=target_mask)
        occ_mask = np.zeros((H, W), dtype=bool)
        for obj in plan.occluders:
            _paste(canvas, obj, t, cover=occ_mask)
        frame = cv2.convertScaleAbs(canvas, alpha=float(plan.gain[t]))
        if not return_masks:
            return frame
        return frame, {"target": target_mask, "target_visible": target_mask & ~occ_mask}

    def _load_frame(self, seq_id: int, frame_id: int) -> np.ndarray:
        return self.render_frame(seq_id, frame_id)

    def get_frames(self, seq_id: int, frame_ids: Iterable[int], anno: dict[str, Any] | None = None):
        """Render the requested frames (see :meth:`BaseVideoDataset.get_frames`)."""
        return super().get_frames(seq_id, frame_ids, anno)


class SyntheticImages(BaseImageDataset):
    """Still-image variant: each item is the first frame of a :class:`SyntheticVideo` without out-of-frame moments.

    Args are as for :class:`SyntheticVideo` (``num_images`` instead of ``num_sequences``).
    """

    def __init__(
        self,
        num_images: int = 100,
        image_size: tuple[int, int] = (160, 224),
        seed: int = 0,
        num_distractors: tuple[int, int] = (1, 3),
        p_occlusion: float = 0.2,
        visibility_threshold: float = 0.5,
        name: str = "synthetic_images",
    ) -> None:
        super().__init__(name, None, image_loader=None)
        self._video = SyntheticVideo(
            num_sequences=num_images,
            seq_len=1,
            image_size=image_size,
            seed=seed,
            num_distractors=num_distractors,
            p_occlusion=p_occlusion,
            p_out_of_frame=0.0,
            visibility_threshold=visibility_threshold,
            name=name,
        )
        self.sequence_list = list(self._video.sequence_list)
        self.class_list = list(SHAPES)

    def has_class_info(self) -> bool:
        return True

    def has_occlusion_info(self) -> bool:
        return True

    def _sequence_class(self, seq_id: int) -> str:
        return self._video._sequence_class(seq_id)

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        return self._video.get_object_meta(seq_id)

    def _read_image_info(self, image_id: int) -> dict[str, torch.Tensor]:
        return {k: v[0] for k, v in self._video.get_sequence_info(image_id).items()}

    def _load_image(self, image_id: int) -> np.ndarray:
        return self._video.render_frame(image_id, 0)

    def render_frame(self, image_id: int, return_masks: bool = False):
        return self._video.render_frame(image_id, 0, return_masks=return_masks)
