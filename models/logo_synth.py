"""Procedural synthetic logos and realistic renders of them, for training the logo verifier.

Nothing here knows any real or demo brand: logos are random emblems (rings, gear rings,
polygons, badges, letters from the system Noto CJK font, stars, bars, swooshes), so the
verifier learns "is this crop the same mark as this reference", not one brand.

- `random_logo(rng)` -> `LogoSpec` (outer silhouette + inner parts, colours)
- `lookalike(spec, rng)` -> same outer silhouette and palette, different inner shape
- `partial(spec, rng)` -> the mark with a main part missing (ring only, inner only, ...)
- `draw_logo(spec, size)` -> HxWx4 uint8 RGBA artwork on a transparent canvas
- `render_crop(rgba, rng, out=128)` -> out x out x 3 uint8 RGB: the logo in a random material
  (flat print, chrome, brushed metal, 3D extrusion, lit acrylic at night, white), faded /
  dirty / occluded, on a random background, seen in perspective up to ~50 degrees, cropped
  the way a feature matcher's quad would crop it, then blurred, noised, JPEG'd, colour cast.
- `photo_reference(rgba, rng)` -> a rectified clean render (like a pack's photo_day/night).
- `background_crop(rng, out)` -> a patch with no logo (facade, windows, text, gradients).

Pure numpy / OpenCV / PIL; every function takes a `numpy.random.Generator`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
CANVAS = 256  # logos are drawn on a CANVAS x CANVAS RGBA square
RENDER = 160  # side the logo has in a rendered scene (the crop is at most 128 px anyway)
LATIN = "ABCDEFGHJKLMNOPRSTUVWXYZ0123456789"
CJK = ("汽车极光星龙华东南北中国安吉长城红旗福田江淮比亚迪奇瑞众泰海马宝骏五菱东风一汽上广"
       "新能源服务天地山水火金木云风雷电光明大小高远行路通达")

# colours logos are usually made of (sRGB)
PALETTE = np.array([
    (10, 77, 162), (23, 179, 163), (200, 16, 46), (0, 0, 0), (255, 255, 255), (192, 196, 200),
    (250, 200, 0), (0, 120, 60), (230, 110, 30), (90, 40, 140), (30, 30, 90), (120, 120, 125),
    (0, 160, 220), (150, 20, 30), (60, 60, 64), (210, 170, 90),
], np.uint8)


@dataclass
class Part:
    """One drawable element; `kind` picks the drawing routine, `p` its parameters."""

    kind: str
    p: dict
    colour: tuple[int, int, int]


@dataclass
class LogoSpec:
    outer: Part | None
    inner: list[Part] = field(default_factory=list)
    knockout: bool = False  # inner parts cut out of a filled outer badge


@lru_cache(maxsize=32)
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, px)


def _colour(rng: np.random.Generator, avoid: tuple | None = None) -> tuple[int, int, int]:
    for _ in range(10):
        c = tuple(int(v) for v in PALETTE[rng.integers(len(PALETTE))])
        if avoid is None or np.abs(np.subtract(c, avoid)).sum() > 120:
            return c
    return c


# --------------------------------------------------------------------------- shapes (masks)


def _poly_pts(cx, cy, r, n, rot, sx=1.0, sy=1.0):
    a = rot + np.arange(n) * 2 * np.pi / n
    return np.stack([cx + r * sx * np.cos(a), cy + r * sy * np.sin(a)], 1)


def _star_pts(cx, cy, r, n, inner, rot):
    a = rot + np.arange(2 * n) * np.pi / n
    rr = np.where(np.arange(2 * n) % 2 == 0, r, r * inner)
    return np.stack([cx + rr * np.cos(a), cy + rr * np.sin(a)], 1)


def _draw_part(part: Part, n: int) -> np.ndarray:
    """n x n uint8 mask (0/255) of one part; coordinates in p are fractions of n."""
    m = np.zeros((n, n), np.uint8)
    p, k = part.p, part.kind
    cx, cy = p.get("cx", 0.5) * n, p.get("cy", 0.5) * n
    sh = 4  # sub-pixel bits for anti-aliased cv2 drawing
    f = 1 << sh

    def pts(a):
        return [np.round(a * f).astype(np.int32)]

    if k in ("ring", "gear"):
        r, t = p["r"] * n, max(2, p["t"] * n)
        cv2.ellipse(m, (int(cx * f), int(cy * f)), (int((r - t / 2) * f), int((r - t / 2) * p.get("ey", 1) * f)),
                    0, 0, 360, 255, int(t), cv2.LINE_AA, sh)
        if k == "gear":
            for i in range(p["teeth"]):
                a = p["rot"] + i * 2 * np.pi / p["teeth"]
                c, s = np.cos(a), np.sin(a)
                w = p["tw"] * n
                q = np.array([[-w, r - t * 0.2], [w, r - t * 0.2], [w, r + p["th"] * n], [-w, r + p["th"] * n]])
                q = np.stack([cx + q[:, 0] * -s + q[:, 1] * c, cy + q[:, 0] * c + q[:, 1] * s], 1)
                cv2.fillPoly(m, pts(q), 255, cv2.LINE_AA, sh)
        if p.get("double"):
            cv2.ellipse(m, (int(cx * f), int(cy * f)), (int((r - 2.2 * t) * f),) * 2, 0, 0, 360, 255,
                        max(1, int(t / 2)), cv2.LINE_AA, sh)
        if p.get("gap"):  # a cut in the ring
            a0 = p["gap_at"]
            q = np.array([[cx, cy], [cx + 2 * r * np.cos(a0 - p["gap"]), cy + 2 * r * np.sin(a0 - p["gap"])],
                          [cx + 2 * r * np.cos(a0 + p["gap"]), cy + 2 * r * np.sin(a0 + p["gap"])]])
            cut = np.zeros_like(m)
            cv2.fillPoly(cut, pts(q), 255, cv2.LINE_AA, sh)
            m = np.minimum(m, 255 - cut)
    elif k in ("polygon", "badge"):
        q = _poly_pts(cx, cy, p["r"] * n, p["sides"], p["rot"], 1.0, p.get("ey", 1.0))
        if k == "badge":
            cv2.fillPoly(m, pts(q), 255, cv2.LINE_AA, sh)
        else:
            cv2.polylines(m, pts(q), True, 255, max(2, int(p["t"] * n)), cv2.LINE_AA, sh)
    elif k == "disc":
        cv2.ellipse(m, (int(cx * f), int(cy * f)), (int(p["r"] * n * f), int(p["r"] * p.get("ey", 1) * n * f)),
                    0, 0, 360, 255, -1, cv2.LINE_AA, sh)
    elif k == "shield":
        r = p["r"] * n
        q = np.array([[cx - r, cy - r], [cx + r, cy - r], [cx + r, cy + 0.1 * r], [cx, cy + 1.2 * r],
                      [cx - r, cy + 0.1 * r]])
        cv2.fillPoly(m, pts(q), 255, cv2.LINE_AA, sh) if p.get("filled") else \
            cv2.polylines(m, pts(q), True, 255, max(2, int(p["t"] * n)), cv2.LINE_AA, sh)
    elif k == "text":
        img = Image.new("L", (n, n), 0)
        d = ImageDraw.Draw(img)
        font = _font(max(8, int(p["size"] * n)))
        d.text((cx, cy), p["text"], fill=255, font=font, anchor="mm")
        m = np.array(img)
        if p.get("italic"):
            M = np.float32([[1, -p["italic"], p["italic"] * cy], [0, 1, 0]])
            m = cv2.warpAffine(m, M, (n, n))
    elif k == "star":
        q = _star_pts(cx, cy, p["r"] * n, p["points"], p["inner"], p["rot"])
        cv2.fillPoly(m, pts(q), 255, cv2.LINE_AA, sh)
    elif k == "bars":
        for i in range(p["count"]):
            y = cy + (i - (p["count"] - 1) / 2) * p["gap"] * n
            L = p["len"] * n * (1 - p.get("taper", 0) * i)
            x0 = cx - L / 2
            cv2.rectangle(m, (int(x0 * f), int((y - p["t"] * n / 2) * f)), (int((x0 + L) * f), int((y + p["t"] * n / 2) * f)),
                          255, -1, cv2.LINE_AA, sh)
    elif k == "swoosh":
        t = np.linspace(0, 1, 40)
        P0, P1, P2 = (np.array(p[q]) * n for q in ("p0", "p1", "p2"))
        c = ((1 - t) ** 2)[:, None] * P0 + (2 * (1 - t) * t)[:, None] * P1 + (t ** 2)[:, None] * P2
        w = p["w"] * n * np.sin(np.pi * t) + 1
        nrm = np.gradient(c, axis=0)
        nrm = np.stack([-nrm[:, 1], nrm[:, 0]], 1) / (np.linalg.norm(nrm, axis=1, keepdims=True) + 1e-6)
        q = np.concatenate([c + nrm * w[:, None] / 2, (c - nrm * w[:, None] / 2)[::-1]])
        cv2.fillPoly(m, pts(q), 255, cv2.LINE_AA, sh)
    elif k == "chevron":
        r, t = p["r"] * n, p["t"] * n
        for i in range(p["count"]):
            y = cy + (i - (p["count"] - 1) / 2) * t * 1.8
            q = np.array([[cx - r, y - r * 0.4], [cx, y + r * 0.4], [cx + r, y - r * 0.4]])
            cv2.polylines(m, pts(q), False, 255, max(2, int(t)), cv2.LINE_AA, sh)
    elif k == "wings":
        r = p["r"] * n
        for sgn in (-1, 1):
            for i in range(p["count"]):
                y = cy - r * 0.3 + i * r * 0.25
                q = np.array([[cx + sgn * r * 0.25, y], [cx + sgn * r * (1.2 - 0.2 * i), y - r * 0.1],
                              [cx + sgn * r * 0.25, y + r * 0.15]])
                cv2.fillPoly(m, pts(q), 255, cv2.LINE_AA, sh)
    else:
        raise ValueError(f"unknown part kind {k!r}")
    return m


# --------------------------------------------------------------------------- random specs


def _random_outer(rng: np.random.Generator, colour) -> Part | None:
    k = rng.choice(["ring", "gear", "polygon", "badge", "disc", "shield", "none"],
                   p=[0.22, 0.13, 0.13, 0.17, 0.12, 0.13, 0.10])
    if k == "none":
        return None
    p: dict = {"r": rng.uniform(0.36, 0.47), "t": rng.uniform(0.03, 0.09), "rot": rng.uniform(0, 2 * np.pi)}
    if k in ("ring", "gear"):
        p["ey"] = 1.0 if rng.random() < 0.75 else rng.uniform(0.6, 0.9)
        p["double"] = bool(rng.random() < 0.2)
        if rng.random() < 0.3:
            p["gap"], p["gap_at"] = rng.uniform(0.2, 0.5), rng.uniform(0, 2 * np.pi)
        if k == "gear":
            p.update(teeth=int(rng.integers(6, 20)), tw=rng.uniform(0.015, 0.035), th=rng.uniform(0.02, 0.05))
            p["r"] = min(p["r"], 0.43)
    elif k in ("polygon", "badge"):
        p["sides"] = int(rng.integers(3, 9))
        p["ey"] = 1.0 if rng.random() < 0.7 else rng.uniform(0.65, 0.9)
        if rng.random() < 0.5:
            p["rot"] = -np.pi / 2 if p["sides"] % 2 else 0.0
    elif k == "disc":
        p["ey"] = 1.0 if rng.random() < 0.6 else rng.uniform(0.55, 0.85)
    elif k == "shield":
        p["r"] = rng.uniform(0.3, 0.38)
        p["filled"] = bool(rng.random() < 0.5)
    return Part(str(k), p, colour)


def _random_inner(rng: np.random.Generator, colour, scale: float) -> Part:
    k = rng.choice(["text", "star", "bars", "swoosh", "chevron", "wings", "disc", "polygon"],
                   p=[0.42, 0.1, 0.09, 0.12, 0.08, 0.07, 0.06, 0.06])
    cx, cy = 0.5 + rng.uniform(-0.12, 0.12) * (scale < 0.8), 0.5 + rng.uniform(-0.1, 0.1) * (scale < 0.8)
    p: dict = {"cx": cx, "cy": cy}
    if k == "text":
        src = CJK if rng.random() < 0.35 else LATIN
        nchar = 1 if rng.random() < 0.6 else 2
        p.update(text="".join(rng.choice(list(src), nchar)), size=rng.uniform(0.35, 0.62) * scale / (1 + 0.45 * (nchar - 1)),
                 italic=float(rng.uniform(0.1, 0.3)) if rng.random() < 0.25 else 0.0)
    elif k == "star":
        p.update(r=rng.uniform(0.08, 0.3) * scale, points=int(rng.integers(4, 7)), inner=rng.uniform(0.35, 0.55),
                 rot=-np.pi / 2 + rng.uniform(-0.3, 0.3))
        if rng.random() < 0.4:
            p["cx"], p["cy"] = rng.uniform(0.3, 0.7), rng.uniform(0.25, 0.45)
    elif k == "bars":
        p.update(count=int(rng.integers(2, 5)), gap=rng.uniform(0.07, 0.12), t=rng.uniform(0.03, 0.05),
                 len=rng.uniform(0.3, 0.6) * scale, taper=rng.uniform(0, 0.2))
    elif k == "swoosh":
        a, b = rng.uniform(0.2, 0.4, 2), rng.uniform(0.6, 0.8, 2)
        p.update(p0=(a[0], b[1]), p1=(rng.uniform(0.3, 0.7), rng.uniform(0.2, 0.8)), p2=(b[0], a[1]),
                 w=rng.uniform(0.05, 0.13))
    elif k == "chevron":
        p.update(r=rng.uniform(0.15, 0.28) * scale, t=rng.uniform(0.04, 0.07), count=int(rng.integers(1, 4)))
    elif k == "wings":
        p.update(r=rng.uniform(0.25, 0.38) * scale, count=int(rng.integers(2, 4)))
    elif k == "disc":
        p.update(r=rng.uniform(0.08, 0.2) * scale, ey=1.0)
    elif k == "polygon":
        p.update(r=rng.uniform(0.12, 0.25) * scale, sides=int(rng.integers(3, 7)), rot=rng.uniform(0, 6.3),
                 t=rng.uniform(0.03, 0.06), ey=1.0)
    return Part(str(k), p, colour)


def _random_inners(rng, outer: Part | None, c_in) -> list[Part]:
    scale = 0.85 if outer is not None else 1.25
    parts = [_random_inner(rng, c_in, scale)]
    if rng.random() < 0.4:
        parts.append(_random_inner(rng, c_in if rng.random() < 0.5 else _colour(rng), scale * 0.6))
    return parts


def random_logo(rng: np.random.Generator) -> LogoSpec:
    """A random emblem: an outer silhouette (or none) with one or two inner parts."""
    c_out = _colour(rng)
    outer = _random_outer(rng, c_out)
    filled = outer is not None and (outer.kind in ("badge", "disc") or outer.p.get("filled"))
    c_in = _colour(rng, avoid=c_out if filled else None)
    return LogoSpec(outer, _random_inners(rng, outer, c_in), knockout=bool(filled and rng.random() < 0.5))


def lookalike(spec: LogoSpec, rng: np.random.Generator) -> LogoSpec:
    """Same outer silhouette and colours, a different inner shape (a different mark)."""
    new = copy.deepcopy(spec)
    c_in = spec.inner[0].colour if spec.inner else _colour(rng)
    for _ in range(5):
        new.inner = _random_inners(rng, spec.outer, c_in)
        if [p.kind for p in new.inner] != [p.kind for p in spec.inner] or new.inner[0].kind == "text":
            break
    if new.inner[0].kind == "text" and spec.inner and spec.inner[0].kind == "text":
        # keep the letter size and place: only the glyph differs, the hardest case
        src = CJK if any(ch in CJK for ch in spec.inner[0].p["text"]) else LATIN
        txt = spec.inner[0].p["text"]
        for _ in range(10):
            alt = "".join(rng.choice(list(src), len(txt)))
            if alt != txt:
                break
        new.inner[0] = Part("text", dict(spec.inner[0].p, text=alt), c_in)
    return new


def partial(spec: LogoSpec, rng: np.random.Generator) -> LogoSpec:
    """The mark with a main part missing: outer only, inner only, or one inner part dropped."""
    new = copy.deepcopy(spec)
    if spec.outer is not None and (len(spec.inner) < 2 or rng.random() < 0.6):
        if rng.random() < 0.5:
            new.inner = []
        else:
            new.outer, new.knockout = None, False
    elif len(spec.inner) >= 2:
        new.inner = [spec.inner[int(rng.integers(2))]]
    else:  # a single part: replace it by something else of the same size
        new.inner = [_random_inner(rng, spec.inner[0].colour, 1.2)]
    return new


def draw_logo(spec: LogoSpec, size: int = CANVAS) -> np.ndarray:
    """size x size x 4 uint8 RGBA artwork of the spec on a transparent background."""
    n = size
    rgb = np.zeros((n, n, 3), np.float32)
    alpha = np.zeros((n, n), np.float32)
    if spec.outer is not None:
        m = _draw_part(spec.outer, n).astype(np.float32) / 255
        rgb += m[..., None] * np.array(spec.outer.colour, np.float32)
        alpha = m
    for part in spec.inner:
        m = _draw_part(part, n).astype(np.float32) / 255
        if spec.knockout:
            alpha = alpha * (1 - m)
            rgb = rgb * (1 - m[..., None])
        else:
            rgb = rgb * (1 - m[..., None]) + m[..., None] * np.array(part.colour, np.float32)
            alpha = np.maximum(alpha, m)
    out = np.zeros((n, n, 4), np.uint8)
    # rgb is premultiplied by coverage; un-premultiply where visible
    out[..., :3] = np.clip(rgb / np.maximum(alpha, 1e-3)[..., None] * (alpha[..., None] > 0), 0, 255).astype(np.uint8)
    out[..., 3] = np.clip(alpha * 255, 0, 255).astype(np.uint8)
    if out[..., 3].max() == 0:  # degenerate (all cut out): draw the outer plainly
        return draw_logo(LogoSpec(spec.outer, spec.inner, False), size)
    return out


# --------------------------------------------------------------------------- backgrounds


def _noise(rng, h, w, scale, amp):
    s = max(2, int(max(h, w) / scale))
    z = rng.normal(0, 1, (s, s)).astype(np.float32)
    return cv2.resize(z, (w, h), interpolation=cv2.INTER_CUBIC) * amp


def background(rng: np.random.Generator, h: int, w: int, night: bool = False) -> np.ndarray:
    """h x w x 3 float32 (0..255) background: facade, panel, windows, brick, metal, text, sky."""
    kind = rng.choice(["wall", "panel", "windows", "brick", "metal", "text", "sky", "car"])
    base = np.array(rng.uniform(30, 235, 3) if rng.random() < 0.5 else [rng.uniform(40, 240)] * 3, np.float32)
    img = np.ones((h, w, 3), np.float32) * base
    img += _noise(rng, h, w, 8, rng.uniform(2, 14))[..., None]
    if kind == "panel":
        for _ in range(int(rng.integers(1, 4))):
            x0, y0 = rng.integers(0, w), rng.integers(0, h)
            img[y0:y0 + int(rng.integers(h // 6, h)), x0:x0 + int(rng.integers(w // 6, w))] = rng.uniform(20, 240, 3)
        step = int(rng.integers(h // 6, h // 2))
        img[::step, :] *= 0.6
    elif kind == "windows":
        sx, sy = int(rng.integers(w // 8, w // 3)), int(rng.integers(h // 8, h // 3))
        glass = rng.uniform(20, 120, 3)
        for y in range(int(rng.integers(0, sy // 2)), h, sy):
            for x in range(int(rng.integers(0, sx // 2)), w, sx):
                img[y + 3:y + sy - 3, x + 3:x + sx - 3] = glass + rng.uniform(-15, 40)
    elif kind == "brick":
        bh, bw = int(rng.integers(8, 20)), int(rng.integers(20, 50))
        for r, y in enumerate(range(0, h, bh)):
            img[y:y + 2] *= 0.7
            off = (bw // 2) * (r % 2)
            for x in range(off, w, bw):
                img[y:y + bh, x:x + 2] *= 0.7
    elif kind == "metal":
        streak = cv2.resize(rng.normal(0, 1, (h, 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        img = np.ones((h, w, 3), np.float32) * rng.uniform(120, 210) + streak[..., None] * 12
        img += np.linspace(-30, 30, w)[None, :, None] * rng.choice([-1, 1])
    elif kind == "text":
        pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
        d = ImageDraw.Draw(pil)
        col = tuple(int(v) for v in rng.uniform(0, 255, 3))
        for _ in range(int(rng.integers(1, 4))):
            src = CJK if rng.random() < 0.5 else LATIN + "abcdefghijkmnpqrstuvwxyz "
            d.text((int(rng.integers(-w // 4, w // 2)), int(rng.integers(-h // 8, h))),
                   "".join(rng.choice(list(src), int(rng.integers(3, 9)))), fill=col,
                   font=_font(int(rng.integers(h // 8, h // 2))))
        img = np.array(pil).astype(np.float32)
    elif kind == "sky":
        top, bot = rng.uniform(120, 255, 3), rng.uniform(150, 255, 3)
        t = np.linspace(0, 1, h)[:, None, None]
        img = top * (1 - t) + bot * t + np.zeros((h, w, 3))
    elif kind == "car":
        t = np.linspace(-1, 1, h)[:, None, None]
        col = rng.uniform(10, 240, 3)
        img = col * (0.6 + 0.4 * np.cos(t * rng.uniform(1, 3))) + np.zeros((h, w, 3))
        img += 120 * np.exp(-((t - rng.uniform(-0.5, 0.5)) ** 2) / 0.005)
    if night:
        img = img * rng.uniform(0.05, 0.25)
        for _ in range(int(rng.integers(0, 4))):  # street lights and lit windows
            cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.uniform(4, 30)
            yy, xx = np.mgrid[0:h, 0:w]
            img += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None] * rng.uniform(80, 255, 3)
    return img.astype(np.float32)


# --------------------------------------------------------------------------- materials


def _shade_bevel(alpha: np.ndarray, light: float, depth: float) -> np.ndarray:
    """-1..1 shading of a bevelled edge lit from angle `light` (radians)."""
    b = cv2.GaussianBlur(alpha, (0, 0), max(1.0, depth))
    gx, gy = cv2.Sobel(b, cv2.CV_32F, 1, 0), cv2.Sobel(b, cv2.CV_32F, 0, 1)
    s = -(gx * np.cos(light) + gy * np.sin(light))
    return np.clip(s / (np.abs(s).max() + 1e-6) * 2, -1, 1)


def _chrome(alpha, rng, brushed=False, tint=None):
    h, w = alpha.shape
    ang = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / max(h, w)
    proj = xx * np.cos(ang) + yy * np.sin(ang)
    lum = rng.uniform(0.35, 0.6) + rng.uniform(-0.3, 0.3) * proj
    for _ in range(int(rng.integers(1, 4))):  # specular bands
        c, wid = rng.uniform(0, 1.3), rng.uniform(0.02, 0.08)
        lum += rng.uniform(0.3, 0.7) * np.exp(-((proj - c) ** 2) / (2 * wid * wid))
    lum += 0.35 * _shade_bevel(alpha, rng.uniform(0, 2 * np.pi), rng.uniform(1.5, 4) * h / CANVAS)
    if brushed:
        streak = cv2.resize(rng.normal(0, 1, (h, 6)).astype(np.float32), (w, h))
        lum += 0.06 * streak
    tint = np.array(tint if tint is not None else (1.0, 1.0, 1.0) + rng.uniform(-0.06, 0.06, 3), np.float32)
    return np.clip(lum, 0.05, 1.2)[..., None] * 230 * tint


def _material(rgba: np.ndarray, rng: np.random.Generator, style: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(face rgb float 0..255, alpha float 0..1, glow rgb to add or None) of the logo in `style`."""
    rgb = rgba[..., :3].astype(np.float32)
    a = rgba[..., 3].astype(np.float32) / 255
    glow = None
    # inner parts of one-colour materials stay visible: by relief (bevel of a height map that
    # follows the artwork's colour boundaries) and by a trace of the artwork's luminance
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    lmean = (luma * a).sum() / max(a.sum(), 1.0)
    height = a * (0.5 + 0.5 * luma / 255)
    relief = (0.8 + 0.6 * (luma - lmean) / 255)[..., None] * (1 + 0.3 * _shade_bevel(height, rng.uniform(0, 6.3), 1.5))[..., None]
    if style == "flat":
        face = rgb
    elif style == "white":
        face = np.ones_like(rgb) * (np.array([255, 255, 255]) if rng.random() < 0.6 else _colour(rng))
        face = face * relief
    elif style in ("chrome", "brushed"):
        face = _chrome(a, rng, brushed=style == "brushed") * relief
        if rng.random() < 0.4:  # painted parts keep some colour
            face = face * 0.7 + rgb * 0.3
    elif style == "extruded":
        face = rgb if rng.random() < 0.6 else _chrome(a, rng)
        face = face * (1 + 0.25 * _shade_bevel(a, rng.uniform(0, 6.3), 2)[..., None])
        ang, depth = rng.uniform(0, 2 * np.pi), rng.uniform(3, 10) * a.shape[0] / CANVAS
        side = np.zeros_like(a)
        for k in np.linspace(1, depth, int(depth) + 1):
            M = np.float32([[1, 0, k * np.cos(ang)], [0, 1, k * np.sin(ang)]])
            side = np.maximum(side, cv2.warpAffine(a, M, a.shape[::-1]))
        side_col = face.mean((0, 1)) * rng.uniform(0.25, 0.55) + rng.uniform(0, 20)
        face = face * a[..., None] + side_col * (side * (1 - a))[..., None]
        a = np.maximum(a, side)
        face = face / np.maximum(a, 1e-3)[..., None]
    elif style == "lit":
        col = rgb if rng.random() < 0.5 else np.ones_like(rgb) * rng.uniform(200, 255, 3) * relief
        face = np.clip(col * rng.uniform(1.0, 1.6) + rng.uniform(40, 120), 0, 255)
        sig = rng.uniform(3, 12) * rgba.shape[0] / 256
        glow = cv2.GaussianBlur(a, (0, 0), sig)[..., None] * face.mean((0, 1)) * rng.uniform(0.5, 1.3)
    else:
        raise ValueError(f"unknown style {style!r}")
    return face, a, glow


STYLES = ("flat", "white", "chrome", "brushed", "extruded", "lit")


def _degrade_logo(face, a, rng):
    if rng.random() < 0.3:  # faded by sun
        k = rng.uniform(0.2, 0.6)
        face = face * (1 - k) + k * np.array(rng.uniform(170, 240), np.float32)
    if rng.random() < 0.25:  # dirt streaks
        dirt = np.clip(_noise(rng, *a.shape, 12, 1.0), 0, None)
        face = face * (1 - np.clip(dirt * rng.uniform(0.2, 0.6), 0, 0.7))[..., None]
    return face, a


# --------------------------------------------------------------------------- scene + camera


def _homography(rng: np.random.Generator, w: int, h: int, max_yaw_deg: float) -> np.ndarray:
    """3x3 homography of a plane seen by a pinhole camera turned by yaw/pitch/roll."""
    yaw = np.deg2rad(rng.uniform(-max_yaw_deg, max_yaw_deg))
    pitch = np.deg2rad(rng.uniform(-max_yaw_deg, max_yaw_deg) * 0.45)
    roll = np.deg2rad(rng.normal(0, 4))
    f = max(w, h) * rng.uniform(0.9, 1.6)
    K = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    R = (np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]]) @ np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
         @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]))
    # plane z=0 at distance f in front: X = R [x - w/2, y - h/2, 0] + [0, 0, f]
    T = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 0]], float)
    P = R @ T + np.array([[0, 0, 0], [0, 0, 0], [0, 0, f]])
    H = K @ P
    return H / H[2, 2]


def _finish(img: np.ndarray, rng: np.random.Generator, out: int) -> np.ndarray:
    """Camera degradations at a random effective resolution, then back to out x out uint8."""
    res = int(rng.choice([out, out, int(rng.uniform(22, out))]))
    if res != out:
        img = cv2.resize(img, (res, res), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.6) * res / 128)
    if rng.random() < 0.15:  # motion blur
        k = int(rng.integers(3, 9))
        ker = np.zeros((k, k), np.float32)
        ker[k // 2] = 1 / k
        ker = cv2.warpAffine(ker, cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1), (k, k))
        img = cv2.filter2D(img, -1, ker / max(ker.sum(), 1e-6))
    cast = rng.uniform(0.8, 1.2, 3) if rng.random() < 0.6 else np.ones(3)
    img = img * cast * rng.uniform(0.7, 1.3) + rng.uniform(-20, 20)
    if rng.random() < 0.3:
        img = 255 * (np.clip(img, 0, 255) / 255) ** rng.uniform(0.6, 1.6)
    img = img + rng.normal(0, rng.uniform(0, 8), img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 92))])
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if res != out:
        img = cv2.resize(img, (out, out), interpolation=cv2.INTER_LINEAR)
    return img


def render_crop(rgba: np.ndarray | None, rng: np.random.Generator, out: int = 128, style: str | None = None,
                max_yaw_deg: float = 50.0) -> np.ndarray:
    """out x out x 3 uint8 RGB crop of a photo around the logo `rgba` (None: a background patch).

    The logo is rendered in a material, placed on a background, seen in perspective, and
    cropped as a feature-matching quad would crop it: rectified with corner errors, or as the
    axis-aligned box of the perspective quad.
    """
    style = style or str(rng.choice(STYLES, p=[0.22, 0.13, 0.2, 0.1, 0.15, 0.2]))
    night = style == "lit" or (style == "white" and rng.random() < 0.3)
    R = RENDER
    C = 3 * R // 2  # scene canvas; logo box in its middle
    px = R / CANVAS  # pixel sizes below are given for a CANVAS-sized logo
    scene = background(rng, C, C, night=night)
    lo, hi = R // 4, R // 4 + R
    box = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]], np.float32)
    if rgba is not None:
        if rgba.shape[:2] != (R, R):
            rgba = cv2.resize(rgba, (R, R), interpolation=cv2.INTER_AREA)
        ys, xs = np.nonzero(rgba[..., 3] > 20)
        if len(xs):  # the quad a matcher reports covers the mark, not the empty canvas
            box = np.array([[xs.min(), ys.min()], [xs.max(), ys.min()], [xs.max(), ys.max()], [xs.min(), ys.max()]],
                           np.float32) + lo
        if rng.random() < 0.3:  # a backing plate behind the mark
            m = np.zeros((C, C), np.uint8)
            pad = rng.uniform(0, 20) * px
            if rng.random() < 0.5:
                cv2.rectangle(m, tuple(int(v) for v in box[0] - pad), tuple(int(v) for v in box[2] + pad), 255, -1)
            else:
                c = box.mean(0)
                cv2.circle(m, (int(c[0]), int(c[1])), int((box[2, 0] - box[0, 0]) / 2 * 1.45 + pad), 255, -1)
            plate = rng.uniform(10, 245, 3) * (0.2 if night else 1)
            scene = scene * (1 - m[..., None] / 255) + plate * (m[..., None] / 255)
        face, a, glow = _material(rgba, rng, style)
        face, a = _degrade_logo(face, a, rng)
        sl = (slice(lo, hi), slice(lo, hi))
        if glow is not None:
            scene[sl] = scene[sl] + glow
        if style in ("chrome", "brushed", "extruded") and rng.random() < 0.6:  # drop shadow
            sh = cv2.GaussianBlur(a, (0, 0), 3 * px)
            M = np.float32([[1, 0, rng.uniform(-6, 6) * px], [0, 1, rng.uniform(2, 8) * px]])
            sh = cv2.warpAffine(sh, M, a.shape[::-1])
            scene[sl] = scene[sl] * (1 - 0.5 * sh[..., None])
        scene[sl] = scene[sl] * (1 - a[..., None]) + face * a[..., None]
        if rng.random() < 0.2:  # occluder: pole, branch, cable across part of the mark
            m = np.zeros((C, C), np.uint8)
            p0 = box[int(rng.integers(4))] + rng.uniform(-20, 20, 2) * px
            p1 = box[int(rng.integers(4))] + rng.uniform(-20, 20, 2) * px
            cv2.line(m, tuple(int(v) for v in p0), tuple(int(v) for v in p1), 255, max(2, int(rng.uniform(6, 30) * px)))
            scene = scene * (1 - m[..., None] / 255) + rng.uniform(0, 200, 3) * (m[..., None] / 255)
    H = _homography(rng, C, C, max_yaw_deg)
    quad = cv2.perspectiveTransform(box[None], H)[0]
    size = np.linalg.norm(quad[2] - quad[0])
    quad = quad + rng.normal(0, 0.035, quad.shape) * size  # the matcher's corner error
    dst = np.array([[0, 0], [out - 1, 0], [out - 1, out - 1], [0, out - 1]], np.float32)
    if rng.random() < 0.6:  # rectified quad (homography found)
        M = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    else:  # axis-aligned box around the seen quad, with a loose margin
        x0, y0 = quad.min(0)
        x1, y1 = quad.max(0)
        mx, my = (x1 - x0) * rng.uniform(-0.05, 0.15), (y1 - y0) * rng.uniform(-0.05, 0.15)
        src = np.array([[x0 - mx, y0 - my], [x1 + mx, y0 - my], [x1 + mx, y1 + my], [x0 - mx, y1 + my]], np.float32)
        M = cv2.getPerspectiveTransform(src, dst)
    img = cv2.warpPerspective(np.clip(scene, 0, 255), M @ H, (out, out), flags=cv2.INTER_AREA,
                              borderMode=cv2.BORDER_REFLECT)
    return _finish(img, rng, out)


def background_crop(rng: np.random.Generator, out: int = 128) -> np.ndarray:
    """out x out x 3 uint8 RGB patch with no logo in it."""
    return render_crop(None, rng, out, style="lit" if rng.random() < 0.2 else "flat")


def photo_reference(rgba: np.ndarray, rng: np.random.Generator, out: int = 192) -> np.ndarray:
    """out x out x 4 uint8 opaque RGBA: a clean rectified photo of the installed mark (day or night)."""
    style = str(rng.choice(["chrome", "brushed", "lit", "extruded", "white"]))
    img = render_crop(rgba, np.random.default_rng(rng.integers(1 << 62)), out, style=style, max_yaw_deg=4)
    return np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])
