"""Drawing primitives: sprites (HxWx4 float32 RGBA, 0..1), text, masks, compositing.

Colours are RGB floats in 0..1. Coordinates are (x, y) pixels of the target array.
"""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
_CJK_FILES = {("sans", False): "NotoSansCJK-Regular.ttc", ("sans", True): "NotoSansCJK-Bold.ttc",
              ("serif", False): "NotoSerifCJK-Regular.ttc", ("serif", True): "NotoSerifCJK-Bold.ttc"}
_SC_INDEX = 2  # "Noto Sans/Serif CJK SC" inside the .ttc collections
# Latin-only lines may use another face, when the system has it (Debian fonts-dejavu-core)
_LATIN_FILES = {"condensed": Path("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf")}
FAMILIES = ("sans", "serif", "condensed")


@functools.lru_cache(maxsize=256)
def font(size_px: int, bold: bool = False, family: str = "sans", latin_only: bool = False) -> ImageFont.FreeTypeFont:
    """A system font at `size_px` (em size): Noto Sans/Serif CJK SC, or a Latin face for Latin-only text."""
    if latin_only and family in _LATIN_FILES and _LATIN_FILES[family].exists():
        return ImageFont.truetype(str(_LATIN_FILES[family]), int(size_px))
    path = FONT_DIR / _CJK_FILES[("serif" if family == "serif" else "sans", bold)]
    if not path.exists():
        raise FileNotFoundError(f"CJK font missing: {path} (install Debian fonts-noto-cjk)")
    return ImageFont.truetype(str(path), int(size_px), index=_SC_INDEX)


def text_sprite(text: str, height_px: float, rgb=(1, 1, 1), bold: bool = True,
                spacing: float = 0.0, family: str = "sans") -> np.ndarray:
    """`text` on a transparent sprite, cropped to the ink; the ink is about `height_px` tall.

    family: "sans", "serif" or "condensed" (the last only changes Latin-only text).
    Returns HxWx4 float32 RGBA in 0..1.
    """
    size = max(6, int(round(height_px * 1.15)))
    f = font(size, bold, family, all(ord(c) < 0x2E80 for c in text))
    left, top, right, bottom = f.getbbox(text)
    extra = int(spacing * size * max(0, len(text) - 1))
    w, h = right - left + 4 + extra, bottom - top + 4
    img = Image.new("L", (max(1, w), max(1, h)), 0)
    d = ImageDraw.Draw(img)
    if spacing:
        x = 2 - left
        for ch in text:
            d.text((x, 2 - top), ch, font=f, fill=255)
            x += f.getlength(ch) + spacing * size
    else:
        d.text((2 - left, 2 - top), text, font=f, fill=255)
    a = np.asarray(img, np.float32) / 255.0
    out = np.empty(a.shape + (4,), np.float32)
    out[..., :3] = np.asarray(rgb, np.float32)
    out[..., 3] = a
    return out


def solid(h: int, w: int, rgb, alpha: float = 1.0) -> np.ndarray:
    out = np.empty((max(1, int(h)), max(1, int(w)), 4), np.float32)
    out[..., :3] = np.asarray(rgb, np.float32)
    out[..., 3] = alpha
    return out


def rgba_from_uint8(rgba: np.ndarray) -> np.ndarray:
    return rgba.astype(np.float32) / 255.0


def poly_mask(h: int, w: int, pts, blur: float = 0.0) -> np.ndarray:
    """HxW float32 mask (0..1) of a filled polygon, anti-aliased."""
    m = np.zeros((h, w), np.uint8)
    cv2.fillPoly(m, [np.round(np.asarray(pts) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    out = m.astype(np.float32) / 255.0
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    return out


def ellipse_mask(h: int, w: int, center, axes, angle: float = 0.0) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (int(center[0] * 16), int(center[1] * 16)), (max(1, int(axes[0] * 16)), max(1, int(axes[1] * 16))),
                angle, 0, 360, 255, -1, cv2.LINE_AA, shift=4)
    return m.astype(np.float32) / 255.0


def composite(dst: np.ndarray, sprite: np.ndarray, x: float, y: float) -> tuple[slice, slice, np.ndarray] | None:
    """Alpha-blend RGBA `sprite` onto HxWx3 `dst` in place with its top-left at (x, y).

    Returns the destination slices and the alpha actually used (for masks), or None when
    the sprite falls outside.
    """
    x, y = int(round(x)), int(round(y))
    h, w = sprite.shape[:2]
    H, W = dst.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return None
    sp = sprite[y0 - y:y1 - y, x0 - x:x1 - x]
    a = sp[..., 3:4]
    region = dst[y0:y1, x0:x1]
    region *= 1.0 - a
    region += sp[..., :3] * a
    return slice(y0, y1), slice(x0, x1), a[..., 0]


def add_into(dst: np.ndarray, src: np.ndarray, x: float, y: float, weight: np.ndarray | float = 1.0) -> None:
    """Add HxWxC `src` (times weight) into `dst` at (x, y), clipped to the target."""
    x, y = int(round(x)), int(round(y))
    h, w = src.shape[:2]
    H, W = dst.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    s = src[y0 - y:y1 - y, x0 - x:x1 - x]
    if not np.isscalar(weight):
        weight = weight[y0 - y:y1 - y, x0 - x:x1 - x]
        if s.ndim == 3 and weight.ndim == 2:
            weight = weight[..., None]
    dst[y0:y1, x0:x1] += s * weight


def rotate_sprite(sprite: np.ndarray, angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate an RGBA sprite about its centre (canvas grows to fit).

    Returns (rotated sprite, 2x3 affine that maps original sprite coords to rotated coords).
    """
    h, w = sprite.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos) + 2, int(h * cos + w * sin) + 2
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    out = cv2.warpAffine(sprite, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out, m


def jitter(rgb, rng: np.random.Generator, amount: float = 0.05):
    """A colour near `rgb` (each channel moved by up to `amount`)."""
    return tuple(float(np.clip(c + rng.uniform(-amount, amount), 0, 1)) for c in rgb)
