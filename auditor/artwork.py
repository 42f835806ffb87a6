"""The demo brand's marks, drawn by code: the fictional "Aurora Motors / 极光汽车".

No real trademark is involved. The emblem is a ring broken at the bottom, holding a
tall "A" whose crossbar is replaced by an aurora swoosh rising to the right and a
four-point star off-centre: many corners and an asymmetric layout, so local features
(SIFT and friends) have something to match and a mirror image does not fit.

Variants (`draw_logo(size_px, variant)`, all HxWx4 uint8 RGBA, alpha 0 off the mark):
- ``colour``      the artwork in brand blue and aurora teal
- ``white``       all white, for dark panels
- ``night``       the white mark with a blue-white glow, as a lit sign looks at night
- ``deprecated``  the OLD Aurora mark: a hexagonal badge with a block "A" and speed lines
- ``foreign``     "Vega Auto", another fictional brand: the same ring, a "V" chevron inside
- ``photo_day``   a render of the installed sign by day: chrome emblem on a brushed-metal panel
- ``photo_night`` a render of the installed sign at night: lit acrylic on a dark facade

`python -m auditor.artwork checklists/brands/demo/logos` writes the PNGs the demo
brand pack references.
"""
from __future__ import annotations

import math
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

BRAND_BLUE = (10, 77, 162)  # #0A4DA2
AURORA_TEAL = (23, 179, 163)  # #17B3A3
SILVER = (192, 196, 200)  # #C0C4C8
DARK_GREY = (58, 63, 69)  # #3A3F45
WHITE = (255, 255, 255)
VEGA_RED = (178, 34, 52)
OLD_BLUE = (30, 60, 130)

VARIANTS = ("colour", "white", "night", "deprecated", "foreign", "photo_day", "photo_night")

# file name -> (variant, kind, deprecated, foreign): what `main` writes for the brand pack
PACK_FILES = {
    "aurora_colour.png": ("colour", "artwork", False, False),
    "aurora_white.png": ("white", "artwork", False, False),
    "aurora_night.png": ("night", "artwork", False, False),
    "aurora_photo_day.png": ("photo_day", "photo_day", False, False),
    "aurora_photo_night.png": ("photo_night", "photo_night", False, False),
    "aurora_old_2015.png": ("deprecated", "artwork", True, False),
    "vega_lookalike.png": ("foreign", "artwork", False, True),
}

_SS = 4  # supersampling factor for anti-aliased edges
_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"


# --------------------------------------------------------------------------- shapes (unit square)


_AURORA_NOTCHES = (-150, -110, -70, -30, 10, 145, 170)


def _ring_mask(n: int, gap_deg: float = 44.0, gap_at_deg: float = 90.0,
               notches: tuple[float, ...] = _AURORA_NOTCHES, inner: float = 0.405) -> Image.Image:
    """A thick ring with a gap (at `gap_at_deg`, 90 = bottom) and square notches on its outer edge."""
    m = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(m)
    c = n / 2
    r_out, r_in = 0.485 * n, inner * n
    d.ellipse((c - r_out, c - r_out, c + r_out, c + r_out), fill=255)
    d.ellipse((c - r_in, c - r_in, c + r_in, c + r_in), fill=0)
    # the gap (at the bottom for Aurora, where the A's legs pass)
    half = math.radians(gap_deg / 2)
    a0, a1 = math.radians(gap_at_deg) - half, math.radians(gap_at_deg) + half
    d.polygon([(c, c), (c + 2 * n * math.cos(a0), c + 2 * n * math.sin(a0)),
               (c + 2 * n * math.cos(a1), c + 2 * n * math.sin(a1))], fill=0)
    # notches: small squares bitten out of the outer rim (not symmetric)
    for k, deg in enumerate(notches):
        a = math.radians(deg)
        s = 0.028 * n * (1.3 if k % 3 == 0 else 1.0)
        px, py = c + r_out * math.cos(a), c + r_out * math.sin(a)
        d.polygon(_square(px, py, s, a), fill=0)
    return m


def _square(cx: float, cy: float, s: float, angle: float) -> list[tuple[float, float]]:
    ca, sa = math.cos(angle), math.sin(angle)
    pts = [(-s, -s), (s, -s), (s, s), (-s, s)]
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in pts]


def _scale(pts, n):
    return [(x * n, y * n) for x, y in pts]


def _a_mask(n: int) -> Image.Image:
    """The tall 'A' (no crossbar), with a notched apex and cut feet."""
    m = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(m)
    outer = [(0.47, 0.10), (0.53, 0.10), (0.80, 0.86), (0.66, 0.86), (0.60, 0.70),
             (0.40, 0.70), (0.34, 0.86), (0.20, 0.86)]
    d.polygon(_scale(outer, n), fill=255)
    hole = [(0.50, 0.33), (0.575, 0.60), (0.425, 0.60)]
    d.polygon(_scale(hole, n), fill=0)
    # apex notch: a small V cut, a distinctive corner pair
    d.polygon(_scale([(0.485, 0.10), (0.515, 0.10), (0.50, 0.15)], n), fill=0)
    return m


def _swoosh_mask(n: int, grow: float = 0.0) -> Image.Image:
    """The aurora band: a curved stroke rising from lower left to upper right, tapering.

    `grow` widens the band (unit fraction), for cutting a gap around it.
    """
    m = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(m)
    top, bottom = [], []
    for i in range(41):
        t = i / 40
        x = 0.13 + 0.76 * t
        y = 0.70 - 0.30 * t - 0.10 * math.sin(math.pi * t)
        w = 0.012 + 0.05 * math.sin(math.pi * min(1.0, t * 1.15)) ** 0.8 + grow
        top.append((x, y - w))
        bottom.append((x, y + w))
    d.polygon(_scale(top + bottom[::-1], n), fill=255)
    return m


def _star_mask(n: int, cx: float = 0.67, cy: float = 0.30, r: float = 0.075) -> Image.Image:
    """A four-point star, slightly rotated."""
    m = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(m)
    pts = []
    for k in range(8):
        a = math.radians(12 + 45 * k)
        rr = r if k % 2 == 0 else r * 0.32
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    d.polygon(_scale(pts, n), fill=255)
    return m


def _gap(mask: Image.Image, cut: Image.Image) -> Image.Image:
    """`mask` minus `cut`: a visible gap where two parts cross."""
    return Image.fromarray(np.minimum(np.asarray(mask), 255 - np.asarray(cut)))


@lru_cache(maxsize=16)
def _emblem_parts(n: int) -> dict[str, np.ndarray]:
    """Masks (n x n, float 0..1) of the current emblem's parts at supersampled size n."""
    ring, a, swoosh, star = _ring_mask(n), _a_mask(n), _swoosh_mask(n), _star_mask(n)
    wide = _swoosh_mask(n, grow=0.012)
    a = _gap(a, wide)
    ring = _gap(ring, wide)
    return {"ring": ring, "a": a, "swoosh": swoosh, "star": star}


@lru_cache(maxsize=16)
def _old_parts(n: int) -> dict[str, np.ndarray]:
    """The deprecated mark: hexagonal badge, block 'A' with crossbar knocked out, speed lines."""
    badge = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(badge)
    hexagon = [(0.5 + 0.47 * math.cos(math.radians(30 + 60 * k)), 0.5 + 0.47 * math.sin(math.radians(30 + 60 * k)))
               for k in range(6)]
    d.polygon(_scale(hexagon, n), fill=255)
    letter = Image.new("L", (n, n), 0)
    dl = ImageDraw.Draw(letter)
    dl.polygon(_scale([(0.42, 0.20), (0.58, 0.20), (0.74, 0.78), (0.61, 0.78), (0.57, 0.64),
                       (0.43, 0.64), (0.39, 0.78), (0.26, 0.78)], n), fill=255)
    dl.polygon(_scale([(0.47, 0.34), (0.53, 0.34), (0.555, 0.52), (0.445, 0.52)], n), fill=0)
    lines = Image.new("L", (n, n), 0)
    dd = ImageDraw.Draw(lines)
    for k, y in enumerate((0.40, 0.50, 0.60)):
        dd.rectangle(_scale([(0.10 + 0.03 * k, y), (0.30, y + 0.045)], n)[0] + _scale([(0.30, y + 0.045)], n)[0], fill=255)
    return {"badge": badge, "letter": letter, "lines": lines}


@lru_cache(maxsize=16)
def _foreign_parts(n: int) -> dict[str, np.ndarray]:
    """'Vega Auto': a broken ring of the same size (gap on top, other notches, thinner), a V inside."""
    ring = _ring_mask(n, gap_deg=30.0, gap_at_deg=-90.0, notches=(0, 60, 120, 180), inner=0.42)
    inner = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(inner)
    d.polygon(_scale([(0.20, 0.22), (0.34, 0.22), (0.50, 0.62), (0.66, 0.22), (0.80, 0.22),
                      (0.56, 0.84), (0.44, 0.84)], n), fill=255)
    d.rectangle(_scale([(0.18, 0.44), (0.82, 0.50)], n)[0] + _scale([(0.82, 0.50)], n)[0], fill=0)
    d.ellipse(_scale([(0.45, 0.10), (0.55, 0.20)], n)[0] + _scale([(0.55, 0.20)], n)[0], fill=255)
    return {"ring": ring, "inner": inner}


# --------------------------------------------------------------------------- compositing


def _compose(layers: list[tuple[Image.Image, tuple[int, int, int]]], n: int) -> Image.Image:
    """Paint (L mask, colour) layers in order onto a transparent n x n RGBA canvas."""
    canvas = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    for mask, colour in layers:
        canvas.paste(colour + (255,), (0, 0, n, n), mask)  # blends colour and alpha by the mask
    return canvas


def _downsample(img: Image.Image, size: int) -> np.ndarray:
    """Supersampled RGBA -> size x size uint8 RGBA (Pillow premultiplies alpha when resizing)."""
    return np.asarray(img.resize((size, size), Image.Resampling.BOX), np.uint8).copy()


def _emblem(variant: str, n: int) -> Image.Image:
    if variant == "deprecated":
        p = _old_parts(n)
        return _compose([(p["badge"], OLD_BLUE), (p["letter"], WHITE), (p["lines"], WHITE)], n)
    if variant == "foreign":
        p = _foreign_parts(n)
        return _compose([(p["ring"], VEGA_RED), (p["inner"], VEGA_RED)], n)
    p = _emblem_parts(n)
    if variant == "colour":
        return _compose([(p["ring"], BRAND_BLUE), (p["a"], BRAND_BLUE), (p["swoosh"], AURORA_TEAL),
                         (p["star"], AURORA_TEAL)], n)
    if variant in ("white", "night"):
        union = ImageChops.lighter(ImageChops.lighter(p["ring"], p["a"]), ImageChops.lighter(p["swoosh"], p["star"]))
        return _compose([(union, WHITE)], n)
    raise ValueError(f"unknown logo variant '{variant}' (known: {', '.join(VARIANTS)})")


def draw_logo(size_px: int, variant: str = "colour", wordmark: bool = False) -> np.ndarray:
    """The demo brand's mark as RGBA.

    Args:
        size_px: side of the square emblem in pixels (16..4096).
        variant: one of `VARIANTS`.
        wordmark: add "AURORA MOTORS / 极光汽车" (or "VEGA AUTO" for `foreign`) to the
            right of the emblem; the image is then wider than tall.
    Returns:
        HxWx4 uint8 RGBA; H = size_px, W = size_px (or more with a wordmark). Alpha is 0
        off the mark, except for `photo_day` / `photo_night`, which are opaque photographs
        of the installed sign.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown logo variant '{variant}' (known: {', '.join(VARIANTS)})")
    if not 16 <= int(size_px) <= 4096:
        raise ValueError(f"size_px must be 16..4096, got {size_px}")
    size = int(size_px)
    if variant == "photo_day":
        return _photo_day(size)
    if variant == "photo_night":
        return _photo_night(size)
    n = size * _SS
    rgba = _downsample(_emblem(variant, n), size)
    if variant == "night":
        rgba = _glow(rgba, size)
    if wordmark:
        rgba = _with_wordmark(rgba, variant)
    return rgba


def _glow(rgba: np.ndarray, size: int) -> np.ndarray:
    """A lit-sign halo: the mark's alpha blurred into a blue-white glow under a white core."""
    alpha = Image.fromarray(rgba[..., 3])
    halo = np.asarray(alpha.filter(ImageFilter.GaussianBlur(max(1.0, size / 40))), np.float32) / 255.0
    core = rgba[..., 3:].astype(np.float32) / 255.0
    glow_col = np.array([170, 215, 255], np.float32) / 255.0
    a_glow = np.clip(halo * 0.85, 0, 1)[..., None]
    rgb = glow_col * a_glow * (1 - core) + 1.0 * core
    a = np.clip(a_glow[..., 0] * (1 - core[..., 0]) + core[..., 0], 0, 1)
    rgb = np.where(a[..., None] > 1e-4, rgb / np.maximum(a[..., None], 1e-4), 0)
    return np.clip(np.concatenate([rgb, a[..., None]], axis=2) * 255 + 0.5, 0, 255).astype(np.uint8)


@lru_cache(maxsize=8)
def _font(px: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.truetype(_FONT, px)
    except OSError:
        return ImageFont.load_default(px)


def _with_wordmark(emblem: np.ndarray, variant: str) -> np.ndarray:
    size = emblem.shape[0]
    en, zh = ("VEGA AUTO", "维加汽车") if variant == "foreign" else ("AURORA MOTORS", "极光汽车")
    if variant == "deprecated":
        en = "AURORA AUTO"
    colour = {"colour": BRAND_BLUE, "deprecated": OLD_BLUE, "foreign": VEGA_RED}.get(variant, WHITE)
    f_en, f_zh = _font(max(8, int(size * 0.30))), _font(max(8, int(size * 0.26)))
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    w_en = probe.textlength(en, font=f_en)
    w_zh = probe.textlength(zh, font=f_zh)
    width = size + int(size * 0.15) + int(max(w_en, w_zh)) + int(size * 0.05)
    canvas = Image.new("RGBA", (width, size), (0, 0, 0, 0))
    canvas.paste(Image.fromarray(emblem, "RGBA"), (0, 0))
    d = ImageDraw.Draw(canvas)
    x = size + int(size * 0.15)
    d.text((x, int(size * 0.08)), en, font=f_en, fill=colour + (255,))
    d.text((x, int(size * 0.52)), zh, font=f_zh, fill=colour + (255,))
    return np.asarray(canvas, np.uint8).copy()


# --------------------------------------------------------------------------- "photos" of the installed sign


def _photo_canvas(size: int) -> tuple[int, int, int]:
    """(panel side, emblem side, offset): the emblem sits on a square panel with a margin."""
    emb = int(size * 0.74)
    return size, emb, (size - emb) // 2


def _photo_day(size: int) -> np.ndarray:
    """Chrome emblem on a brushed-metal panel in daylight: HxWx4 uint8, opaque."""
    rng = np.random.default_rng(7)
    side, emb, off = _photo_canvas(size)
    # brushed metal: horizontal streaks (noise blurred along x) over a soft vertical gradient
    noise = rng.normal(0, 1, (side, side)).astype(np.float32)
    k = max(3, side // 12)
    streaks = np.apply_along_axis(lambda r: np.convolve(r, np.ones(k) / k, mode="same"), 1, noise)
    grad = np.linspace(0.78, 0.62, side, dtype=np.float32)[:, None]
    panel = np.clip(grad + streaks * 0.05, 0, 1)
    rgb = np.stack([panel * 0.96, panel * 0.98, panel * 1.02], axis=2)
    # the emblem: chrome = bright/dark horizontal bands, with a bevel from the mask's gradient
    mask = _downsample(_emblem("white", emb * _SS), emb)[..., 3].astype(np.float32) / 255.0
    full = np.zeros((side, side), np.float32)
    full[off:off + emb, off:off + emb] = mask
    shadow = np.asarray(Image.fromarray((full * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(max(1.0, side / 90))), np.float32) / 255.0
    shadow = np.roll(np.roll(shadow, max(1, side // 80), 0), max(1, side // 120), 1)
    rgb *= (1 - 0.35 * shadow)[..., None]
    y = np.linspace(0, 1, side, dtype=np.float32)[:, None]
    chrome = 0.62 + 0.30 * np.cos(y * 9.0) ** 2 - 0.18 * y
    gy, gx = np.gradient(np.asarray(Image.fromarray((full * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(max(1.0, side / 160))), np.float32) / 255.0)
    bevel = np.clip(0.5 + 6.0 * (-gx - gy), 0, 1) - 0.5
    metal = np.clip(chrome + bevel * 0.6, 0, 1)
    metal_rgb = np.stack([metal * 0.97, metal * 0.99, metal * 1.0], axis=2)
    # the brand blue shows through on the A and ring edges as a tinted clear-coat
    tint = np.array(BRAND_BLUE, np.float32) / 255.0
    metal_rgb = metal_rgb * 0.8 + tint * 0.2
    rgb = rgb * (1 - full[..., None]) + metal_rgb * full[..., None]
    rgb = np.clip(rgb + rng.normal(0, 0.012, rgb.shape), 0, 1)
    out = np.concatenate([rgb, np.ones((side, side, 1), np.float32)], axis=2)
    return (out * 255 + 0.5).astype(np.uint8)


def _photo_night(size: int) -> np.ndarray:
    """Lit acrylic emblem on a dark facade at night: HxWx4 uint8, opaque."""
    rng = np.random.default_rng(11)
    side, emb, off = _photo_canvas(size)
    mask = _downsample(_emblem("white", emb * _SS), emb)[..., 3].astype(np.float32) / 255.0
    full = np.zeros((side, side), np.float32)
    full[off:off + emb, off:off + emb] = mask
    img = Image.fromarray((full * 255).astype(np.uint8))
    halo_wide = np.asarray(img.filter(ImageFilter.GaussianBlur(side / 18)), np.float32) / 255.0
    halo_near = np.asarray(img.filter(ImageFilter.GaussianBlur(side / 70)), np.float32) / 255.0
    base = np.array([0.05, 0.06, 0.09], np.float32)
    rgb = np.broadcast_to(base, (side, side, 3)).copy()
    rgb += rng.normal(0, 0.018, rgb.shape).astype(np.float32)  # sensor noise in the dark
    glow = np.array([0.45, 0.70, 1.00], np.float32)
    rgb += glow * (halo_wide * 0.55)[..., None] + glow * (halo_near * 0.6)[..., None]
    # the acrylic face: near-white, slightly blue, a little brighter in the middle (LED hot spot)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    hot = 0.9 + 0.1 * np.exp(-((xx - 0.5) ** 2 + (yy - 0.45) ** 2) / 0.08)
    face = np.stack([0.88 * hot, 0.94 * hot, 1.0 * hot], axis=2)
    rgb = rgb * (1 - full[..., None]) + face * full[..., None]
    rgb = np.clip(rgb, 0, 1)
    out = np.concatenate([rgb, np.ones((side, side, 1), np.float32)], axis=2)
    return (out * 255 + 0.5).astype(np.uint8)


# --------------------------------------------------------------------------- command


def write_pack_logos(folder: str | Path, size_px: int = 384) -> list[Path]:
    """Write every file of `PACK_FILES` into `folder` as PNG; returns the paths written."""
    from auditor.ingest import encode_png  # all codec use stays in the ingest module

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (variant, _kind, _dep, _foreign) in PACK_FILES.items():
        path = out / name
        path.write_bytes(encode_png(draw_logo(size_px, variant)))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m auditor.artwork OUTPUT_FOLDER\n"
              "Draws the fictional demo brand's logo variants as PNG files.")
        return 0 if args and args[0] in ("-h", "--help") else 2
    for p in write_pack_logos(args[0]):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
