"""Cleanliness defects drawn on their host surfaces, each labelled with a box; and decoys.

Defect kinds (spec/labels.md): litter, clutter, stain, rust, damage, dirty_glass,
dead_greenery. Every `draw_<kind>` paints onto `scene.rgb` inside a host rectangle and adds
an Item of kind "defect" with meta {"defect": kind}. Decoys (`draw_decoy`) are clean things
in rust-like colours (orange plaques, brick, wood, autumn decor) that must not be called rust.
"""
from __future__ import annotations

import cv2
import numpy as np

from samples.generator import draw, textures
from samples.generator.scene import Rect, Scene

DEFECT_KINDS = ("litter", "clutter", "stain", "rust", "damage", "dirty_glass", "dead_greenery")
HOST_OF = {  # which surface each defect needs
    "litter": "floor", "clutter": "floor", "stain": "floor", "rust": "metal",
    "damage": "wall", "dirty_glass": "glass", "dead_greenery": "green",
}


def _sub_rect(host: Rect, rng, fw: tuple[float, float], fh: tuple[float, float], scene: Scene | None = None) -> Rect:
    """A random part of `host`, clear of signs and marks when `scene` is given (best of 12 tries)."""
    r = None
    for attempt in range(20):
        shrink = (1.0, 0.7, 0.5, 0.35)[attempt // 5]
        w = host.w * rng.uniform(*fw) * shrink
        h = host.h * rng.uniform(*fh) * shrink
        x = host.x0 + rng.uniform(0, max(1.0, host.w - w))
        y = host.y0 + rng.uniform(0, max(1.0, host.h - h))
        r = Rect(x, y, x + w, y + h)
        if scene is None or scene.is_free(r):
            return r
    return r


# --- litter ---------------------------------------------------------------------------

LITTER_COLOURS = [(0.85, 0.1, 0.1), (0.1, 0.4, 0.8), (0.95, 0.95, 0.95), (0.2, 0.6, 0.25), (0.9, 0.75, 0.1),
                  (0.45, 0.3, 0.15), (0.7, 0.7, 0.72), (0.95, 0.5, 0.1), (0.1, 0.1, 0.1)]


def litter_sprite(size: float, rng: np.random.Generator) -> np.ndarray:
    """One piece of litter lying on the floor, about `size` px long (RGBA float)."""
    s = int(max(8, size))
    kind = rng.integers(0, 5)
    col = LITTER_COLOURS[int(rng.integers(len(LITTER_COLOURS)))]
    c = np.zeros((s, s, 4), np.float32)
    m = np.zeros((s, s), np.float32)
    if kind == 0:  # bottle lying down (translucent body, cap)
        body = draw.ellipse_mask(s, s, (s * .45, s * .5), (s * .38, s * .13), rng.uniform(-40, 40))
        m = body
        col = [(0.75, 0.85, 0.9), (0.3, 0.55, 0.3), (0.45, 0.3, 0.15)][int(rng.integers(3))]
        c[..., :3] = col
        c[..., 3] = body * 0.85
        cap = draw.ellipse_mask(s, s, (s * .86, s * .5), (s * .06, s * .07))
        c[..., :3] = c[..., :3] * (1 - cap[..., None]) + np.asarray(LITTER_COLOURS[int(rng.integers(4))]) * cap[..., None]
        c[..., 3] = np.maximum(c[..., 3], cap)
        hl = draw.ellipse_mask(s, s, (s * .45, s * .44), (s * .3, s * .03), 0)
        c[..., :3] += hl[..., None] * 0.4
        return np.clip(c, 0, 1)
    if kind == 1:  # can
        m = draw.poly_mask(s, s, [(s * .2, s * .3), (s * .8, s * .25), (s * .85, s * .6), (s * .25, s * .65)])
        grad = np.linspace(0.7, 1.2, s, dtype=np.float32)[:, None, None]
        c[..., :3] = np.asarray(col) * grad
        c[..., 3] = m
        rim = draw.ellipse_mask(s, s, (s * .82, s * .43), (s * .05, s * .17))
        c[..., :3] = c[..., :3] * (1 - rim[..., None]) + 0.75 * rim[..., None]
        return np.clip(c, 0, 1)
    if kind == 2:  # crumpled paper
        n = int(rng.integers(7, 12))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = s * rng.uniform(0.25, 0.45, n)
        pts = np.stack([s / 2 + r * np.cos(ang), s / 2 + r * np.sin(ang) * 0.8], 1)
        m = draw.poly_mask(s, s, pts)
        shade = 0.85 + 0.15 * textures.value_noise(s, s, max(2, s / 5), rng)
        base = (0.93, 0.93, 0.9) if rng.random() < 0.7 else col
        c[..., :3] = np.asarray(base) * shade[..., None]
        c[..., 3] = m
        return np.clip(c, 0, 1)
    if kind == 3:  # plastic bag (translucent blob)
        n = int(rng.integers(6, 10))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = s * rng.uniform(0.3, 0.5, n)
        pts = np.stack([s / 2 + r * np.cos(ang), s / 2 + r * np.sin(ang) * 0.7], 1)
        m = draw.poly_mask(s, s, pts, blur=1.0)
        base = [(0.95, 0.95, 0.95), (0.3, 0.45, 0.8), (0.85, 0.2, 0.2), (0.15, 0.15, 0.15)][int(rng.integers(4))]
        wr = 0.8 + 0.3 * textures.value_noise(s, s, max(2, s / 6), rng)
        c[..., :3] = np.asarray(base) * wr[..., None]
        c[..., 3] = m * 0.8
        return np.clip(c, 0, 1)
    # cup (paper/plastic) lying on its side
    m = draw.poly_mask(s, s, [(s * .15, s * .35), (s * .75, s * .25), (s * .75, s * .75), (s * .15, s * .62)])
    c[..., :3] = (0.96, 0.96, 0.94) if rng.random() < 0.6 else col
    band = draw.poly_mask(s, s, [(s * .4, s * .31), (s * .55, s * .29), (s * .55, s * .71), (s * .4, s * .68)])
    c[..., :3] = c[..., :3] * (1 - band[..., None]) + np.asarray(col) * band[..., None]
    c[..., 3] = m
    lid = draw.ellipse_mask(s, s, (s * .75, s * .5), (s * .07, s * .25))
    c[..., :3] = c[..., :3] * (1 - lid[..., None]) + 0.3 * lid[..., None]
    c[..., 3] = np.maximum(c[..., 3], lid)
    return np.clip(c, 0, 1)


def _shadow_under(scene: Scene, x, y, w, h, strength=0.35):
    m = draw.ellipse_mask(int(h * 0.6) + 4, int(w * 1.2) + 4, (w * 0.6 + 2, h * 0.3 + 2), (w * 0.55, h * 0.22))
    scene.paint_mask(cv2.GaussianBlur(m, (0, 0), max(1.0, w / 15)), (0, 0, 0), x - w * 0.1, y + h * 0.6, strength)


def draw_litter(scene: Scene, host: Rect, rng, scale_at) -> None:
    """1-4 pieces of litter scattered on the floor; one box each."""
    for _ in range(int(rng.integers(1, 5))):
        y = rng.uniform(host.y0 + host.h * 0.1, host.y1 - 4)
        size = max(18.0, scale_at(y) * rng.uniform(0.035, 0.07) * scene.layout.w)
        x = rng.uniform(host.x0, max(host.x0 + 1, host.x1 - size))
        sp = litter_sprite(size, rng)
        _shadow_under(scene, x, y - size * 0.2, size, size * 0.5, 0.25)
        scene.paint(sp, x, y - size)
        ys, xs = np.nonzero(sp[..., 3] > 0.3)
        if len(xs):
            scene.add_box("defect", x + xs.min(), y - size + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1,
                          defect="litter")


# --- clutter --------------------------------------------------------------------------

def _carton(w, h, rng) -> np.ndarray:
    base = np.array((0.66, 0.50, 0.32), np.float32) * rng.uniform(0.8, 1.1)
    c = draw.solid(h, w, base)
    top = max(2, int(h * 0.18))
    c[:top, :, :3] *= 1.15
    c[:, int(w * 0.7):, :3] *= 0.85
    tape_x = int(w * rng.uniform(0.3, 0.5))
    c[:, tape_x:tape_x + max(1, w // 12), :3] = (0.75, 0.65, 0.45)
    c[..., :3] *= (1 + 0.05 * textures.value_noise(h, w, max(2, w / 4), rng))[..., None]
    return np.clip(c, 0, 1)


def _tyre(d, rng) -> np.ndarray:
    d = int(max(8, d))
    c = np.zeros((int(d * 0.5), d, 4), np.float32)
    outer = draw.ellipse_mask(c.shape[0], d, (d / 2, c.shape[0] / 2), (d * 0.49, c.shape[0] * 0.48))
    inner = draw.ellipse_mask(c.shape[0], d, (d / 2, c.shape[0] * 0.42), (d * 0.25, c.shape[0] * 0.18))
    c[..., :3] = 0.07 + 0.04 * textures.value_noise(c.shape[0], d, 3, rng)[..., None]
    c[..., 3] = np.clip(outer - inner * 0.9, 0, 1)
    return c


def draw_clutter(scene: Scene, host: Rect, rng, scale_at) -> None:
    """A pile of cartons or a stack of tyres standing on the floor; one box for the pile."""
    y_base = rng.uniform(host.y0 + host.h * 0.4, host.y1 - 2)
    k = scale_at(y_base) * scene.layout.w
    x = rng.uniform(host.x0, max(host.x0 + 1, host.x1 - k * 0.25))
    x0, y0, x1, y1 = x, y_base, x, y_base
    if rng.random() < 0.55:
        cols = int(rng.integers(2, 4))
        for col in range(cols):
            hgt = int(rng.integers(1, 4))
            cx = x + col * k * 0.07
            yy = y_base
            for _ in range(hgt):
                w, h = k * rng.uniform(0.06, 0.09), k * rng.uniform(0.04, 0.07)
                sp = _carton(int(w), int(h), rng)
                px = cx + rng.uniform(-0.01, 0.01) * k
                scene.paint(sp, px, yy - h)
                x0, y0, x1 = min(x0, px), min(y0, yy - h), max(x1, px + w)
                yy -= h * rng.uniform(0.95, 1.0)
    else:
        for s in range(int(rng.integers(1, 3))):
            d = k * rng.uniform(0.07, 0.10)
            cx = x + s * d * 1.05
            yy = y_base
            for _ in range(int(rng.integers(2, 6))):
                sp = _tyre(d, rng)
                scene.paint(sp, cx, yy - sp.shape[0])
                x0, y0, x1 = min(x0, cx), min(y0, yy - sp.shape[0]), max(x1, cx + sp.shape[1])
                yy -= sp.shape[0] * 0.42
    scene.add_box("defect", x0, y0, x1 - x0, y1 - y0, defect="clutter")


# --- stains ---------------------------------------------------------------------------

def draw_stain(scene: Scene, host: Rect, rng, scale_at) -> None:
    """A water puddle or an oil stain on the floor (flattened blob)."""
    y = rng.uniform(host.y0 + host.h * 0.2, host.y1 - 4)
    k = scale_at(y) * scene.layout.w
    w = k * rng.uniform(0.08, 0.2)
    h = w * rng.uniform(0.2, 0.4)
    x = rng.uniform(host.x0, max(host.x0 + 1, host.x1 - w))
    y = min(y, host.y1 - h)
    ih, iw = int(h) + 2, int(w) + 2
    n = textures.fractal(ih, iw, max(3, iw / 4), rng, 3)
    yy, xx = np.mgrid[0:ih, 0:iw].astype(np.float32)
    r = ((xx - iw / 2) / (iw / 2)) ** 2 + ((yy - ih / 2) / (ih / 2)) ** 2
    m = np.clip((1 - r + 0.5 * n) * 3, 0, 1)
    if rng.random() < 0.5:  # oil: dark with a faint rainbow sheen
        sheen = np.stack([np.sin(xx / 5 + n * 4), np.sin(xx / 5 + n * 4 + 2), np.sin(xx / 5 + n * 4 + 4)], -1) * 0.06
        scene.paint_mask(m, np.clip(0.08 + sheen, 0, 1), x, y, rng.uniform(0.6, 0.85))
    else:  # water: darker floor, a bright reflection streak
        region = scene.rgb[int(y):int(y) + ih, int(x):int(x) + iw]
        if region.shape[:2] == (ih, iw):
            wet = region * 0.6 + 0.05 * (1 + n[..., None])
            scene.paint_mask(m, wet, x, y, 0.9)
        hl = draw.ellipse_mask(ih, iw, (iw * 0.6, ih * 0.4), (iw * 0.25, ih * 0.08), 5) * m
        scene.paint_mask(hl, (0.95, 0.95, 0.95), x, y, 0.5)
    scene.add_box("defect", x, y, w, h, defect="stain")


# --- rust -----------------------------------------------------------------------------

def draw_rust(scene: Scene, host: Rect, rng, scale_at=None) -> None:
    """Rust patches (several tones, streaks) over part of a metal host (railing, panel, door)."""
    r = _sub_rect(host, rng, (0.25, 0.7), (0.4, 1.0), scene)
    ih, iw = max(4, int(r.h)), max(4, int(r.w))
    col, a = textures.rust_layer(ih, iw, rng, coverage=rng.uniform(0.35, 0.7))
    host_mask = scene.metal_mask[int(r.y0):int(r.y0) + ih, int(r.x0):int(r.x0) + iw] \
        if scene.metal_mask is not None else None
    if host_mask is not None and host_mask.shape == a.shape:
        a = a * host_mask
    scene.paint_mask(a, col, r.x0, r.y0, 1.0)
    ys, xs = np.nonzero(a > 0.4)
    if len(xs) < 20:
        return
    scene.add_box("defect", r.x0 + xs.min(), r.y0 + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1,
                  defect="rust")


# --- damage ---------------------------------------------------------------------------

def draw_damage(scene: Scene, host: Rect, rng, scale_at=None) -> None:
    """Cracks (branching dark polylines) or spalling (a broken-off patch with a shadowed edge)."""
    r = _sub_rect(host, rng, (0.15, 0.4), (0.2, 0.6), scene)
    ih, iw = max(8, int(r.h)), max(8, int(r.w))
    m = np.zeros((ih, iw), np.uint8)
    if rng.random() < 0.5:
        for _ in range(int(rng.integers(1, 4))):
            p = np.array([rng.uniform(0, iw), rng.uniform(0, ih * 0.3)])
            d = rng.uniform(0.5, 2.6)
            for _ in range(int(rng.integers(8, 25))):
                d += rng.uniform(-0.6, 0.6)
                step = rng.uniform(3, 12) * max(1, iw / 150)
                q = p + step * np.array([np.cos(d), np.sin(d)])
                cv2.line(m, tuple(int(v) for v in p), tuple(int(v) for v in q), 255,
                         int(rng.integers(1, 3)), cv2.LINE_AA)
                p = np.clip(q, 0, [iw - 1, ih - 1])
        a = m.astype(np.float32) / 255.0
        scene.paint_mask(a, (0.12, 0.11, 0.10), r.x0, r.y0, 0.9)
    else:  # spalling: the surface broke off, showing rough concrete inside a ragged edge
        n = textures.fractal(ih, iw, max(3, iw / 3), rng, 3)
        yy, xx = np.mgrid[0:ih, 0:iw].astype(np.float32)
        rr = ((xx - iw / 2) / (iw / 2)) ** 2 + ((yy - ih / 2) / (ih / 2)) ** 2
        a = np.clip((0.7 - rr + 0.6 * n) * 8, 0, 1)
        grey = rng.uniform(0.4, 0.6)
        rough = textures.fractal(ih, iw, 3, rng, 2)
        speck = (rng.random((ih, iw)) < 0.08).astype(np.float32) * rng.uniform(-0.2, 0.2)
        core = np.float32((grey, grey * 0.98, grey * 0.94)) * (1 + 0.3 * rough + speck)[..., None]
        scene.paint_mask(a, np.clip(core, 0, 1), r.x0, r.y0, 1.0)
        # lit upper-left rim of broken paint, shadowed lower-right inner edge
        shift_a = np.roll(np.roll(a, 2, 0), 2, 1)
        rim = np.clip(a - shift_a, 0, 1)
        shadow = np.clip(a - np.roll(np.roll(a, -2, 0), -2, 1), 0, 1)
        scene.paint_mask(rim, (0.92, 0.92, 0.9), r.x0, r.y0, 0.8)
        scene.paint_mask(shadow, (0.08, 0.08, 0.08), r.x0, r.y0, 0.6)
        cm = np.zeros((ih, iw), np.uint8)
        for _ in range(int(rng.integers(2, 5))):  # hairline cracks running out of the patch
            p = np.array([iw / 2, ih / 2]) + rng.uniform(-0.2, 0.2, 2) * [iw, ih]
            d = rng.uniform(0, 2 * np.pi)
            for _ in range(10):
                d += rng.uniform(-0.5, 0.5)
                q = np.clip(p + rng.uniform(3, 8) * max(1, iw / 120) * np.array([np.cos(d), np.sin(d)]), 0, [iw - 1, ih - 1])
                cv2.line(cm, tuple(int(v) for v in p), tuple(int(v) for v in q), 255, 1, cv2.LINE_AA)
                p = q
        scene.paint_mask(cm.astype(np.float32) / 255.0, (0.12, 0.11, 0.1), r.x0, r.y0, 0.8)
        a = np.maximum(a, cm.astype(np.float32) / 255.0)
    ys, xs = np.nonzero(a > 0.3)
    if len(xs) < 10:
        return
    scene.add_box("defect", r.x0 + xs.min(), r.y0 + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1,
                  defect="damage")


# --- dirty glass ----------------------------------------------------------------------

def draw_dirty_glass(scene: Scene, host: Rect, rng, scale_at=None) -> None:
    """Streaks, drips and smudges on a glass panel."""
    r = _sub_rect(host, rng, (0.35, 0.9), (0.35, 0.9), scene)
    ih, iw = max(8, int(r.h)), max(8, int(r.w))
    n = textures.fractal(ih, iw, max(3, iw / 5), rng, 4)
    a = np.clip(n * 1.5 + rng.uniform(0.0, 0.4), 0, 1) * 0.45
    streaks = cv2.resize(rng.uniform(0, 1, (max(2, ih // 8), max(2, iw // 3))).astype(np.float32), (iw, ih))
    a = a + (streaks > 0.8) * 0.3 * np.linspace(0.3, 1, ih, dtype=np.float32)[:, None]
    for _ in range(int(rng.integers(3, 10))):  # hand smudges
        cx, cy = rng.uniform(0, iw), rng.uniform(0, ih)
        a += draw.ellipse_mask(ih, iw, (cx, cy), (iw * 0.05, ih * 0.06), rng.uniform(0, 180)) * 0.35
    a = cv2.GaussianBlur(np.clip(a, 0, 0.85), (0, 0), 1.2)
    tint = (0.75, 0.72, 0.66) if rng.random() < 0.6 else (0.5, 0.47, 0.42)
    scene.paint_mask(a, tint, r.x0, r.y0, 1.0)
    scene.add_box("defect", r.x0, r.y0, iw, ih, defect="dirty_glass")


# --- dead greenery --------------------------------------------------------------------

DEAD_TONES = [(0.55, 0.45, 0.25), (0.62, 0.52, 0.30), (0.45, 0.33, 0.20), (0.50, 0.48, 0.36), (0.66, 0.58, 0.34)]


def draw_dead_greenery(scene: Scene, host: Rect, rng, scale_at=None) -> None:
    """Brown, straw-yellow, grey or bare patches in a planter or lawn, big enough to see."""
    # a patch under ~4 % of the photo's width is invisible at the head's input size: a small
    # planter dies as a whole rather than in a speck
    small = host.w < 0.12 * scene.layout.w
    r = _sub_rect(host, rng, (0.7, 1.0) if small else (0.3, 0.7), (0.7, 1.0) if small else (0.6, 1.0), scene)
    ih, iw = max(6, int(r.h)), max(6, int(r.w))
    tex = textures.grass(ih, iw, rng, health=rng.uniform(0.0, 0.25))
    tone = np.asarray(DEAD_TONES[int(rng.integers(len(DEAD_TONES)))], np.float32)
    tex = np.clip(tex * (tone / np.float32((0.55, 0.45, 0.25)))[None, None, :], 0, 1)
    if rng.random() < 0.4:  # bare soil showing
        soil = textures.concrete(ih, iw, (0.38, 0.28, 0.18) if rng.random() < 0.6 else (0.30, 0.26, 0.22), rng, 0.2)
        bare = (textures.fractal(ih, iw, max(3, iw / 4), rng, 2) > rng.uniform(-0.2, 0.3)).astype(np.float32)
        tex = tex * (1 - bare[..., None]) + soil * bare[..., None]
    if rng.random() < 0.4:  # a few surviving green tufts
        alive = textures.grass(ih, iw, rng, health=1.0)
        tufts = (textures.fractal(ih, iw, max(3, iw / 6), rng, 2) > 0.45).astype(np.float32)
        tex = tex * (1 - tufts[..., None]) + alive * tufts[..., None]
    n = textures.fractal(ih, iw, max(3, iw / 3), rng, 3)
    yy, xx = np.mgrid[0:ih, 0:iw].astype(np.float32)
    rr = ((xx - iw / 2) / (iw / 2)) ** 2 + ((yy - ih / 2) / (ih / 2)) ** 2
    a = np.clip((0.9 - rr + 0.6 * n) * 5, 0, 1)
    scene.paint_mask(a, tex, r.x0, r.y0, 1.0)
    ys, xs = np.nonzero(a > 0.4)
    if len(xs) < 10:
        return
    scene.add_box("defect", r.x0 + xs.min(), r.y0 + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1,
                  defect="dead_greenery")


DRAWERS = {
    "litter": draw_litter, "clutter": draw_clutter, "stain": draw_stain, "rust": draw_rust,
    "damage": draw_damage, "dirty_glass": draw_dirty_glass, "dead_greenery": draw_dead_greenery,
}


def draw_defect(kind: str, scene: Scene, host: Rect, rng, scale_at) -> None:
    DRAWERS[kind](scene, host, rng, scale_at)


# --- clean glass: reflections and sheen are not dirt -----------------------------------

def draw_glass_reflection(scene: Scene, host: Rect, rng) -> None:
    """A clean pane's look (no label): specular sheen, reflected buildings or trees, a glare spot."""
    r = _sub_rect(host, rng, (0.4, 1.0), (0.4, 1.0))
    ih, iw = max(8, int(r.h)), max(8, int(r.w))
    yy, xx = np.mgrid[0:ih, 0:iw].astype(np.float32)
    kind = rng.integers(0, 3)
    if kind == 0:  # diagonal specular band
        slope = rng.uniform(0.3, 1.5) * (1 if rng.random() < 0.5 else -1)
        c = rng.uniform(0, iw)
        width = iw * rng.uniform(0.04, 0.15)
        a = np.exp(-((xx - c - (yy - ih / 2) * slope) / width) ** 2) * rng.uniform(0.25, 0.6)
        scene.paint_mask(a.astype(np.float32), (0.97, 0.98, 1.0), r.x0, r.y0, 1.0)
    elif kind == 1:  # reflected skyline or tree line: soft dark shapes from below
        a = np.zeros((ih, iw), np.float32)
        x = 0.0
        while x < iw:
            w = iw * rng.uniform(0.08, 0.3)
            top = ih * rng.uniform(0.2, 0.8)
            a[int(top):, int(x):int(x + w)] = rng.uniform(0.15, 0.4)
            x += w + iw * rng.uniform(0.0, 0.1)
        a = cv2.GaussianBlur(a, (0, 0), max(1.0, iw / 80))
        col = (0.15, 0.2, 0.22) if rng.random() < 0.5 else (0.12, 0.22, 0.12)
        scene.paint_mask(a, col, r.x0, r.y0, 1.0)
    else:  # glare of a lamp or the sun, with a soft halo
        cx, cy = rng.uniform(0, iw), rng.uniform(0, ih)
        rad = min(iw, ih) * rng.uniform(0.1, 0.3)
        a = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * rad ** 2)) * rng.uniform(0.4, 0.8)
        scene.paint_mask(a.astype(np.float32), (1.0, 0.98, 0.92), r.x0, r.y0, 1.0)


# --- decoys: rust-coloured but clean ---------------------------------------------------

def _free_spot(scene: Scene, host: Rect, w: float, h: float, rng) -> tuple[float, float] | None:
    for _ in range(10):
        x = rng.uniform(host.x0, max(host.x0 + 1, host.x1 - w))
        y = rng.uniform(host.y0, max(host.y0 + 1, host.y1 - h))
        if scene.is_free(Rect(x, y, x + w, y + h)):
            return x, y
    return None


def draw_decoy(scene: Scene, host: Rect, rng, scale_at) -> None:
    """Something orange/brown that is not a defect: a plaque, brick, wood, autumn decor, a terracotta pot."""
    kind = rng.integers(0, 5)
    k = scene.layout.w
    if kind == 0:  # orange plaque / notice board with text
        w, h = k * rng.uniform(0.06, 0.12), k * rng.uniform(0.03, 0.06)
        spot = _free_spot(scene, host, w, h, rng)
        if spot is None:
            return
        x, y = spot
        col = [(0.85, 0.42, 0.12), (0.72, 0.35, 0.15), (0.80, 0.50, 0.20)][int(rng.integers(3))]
        scene.paint(draw.solid(h, w, col), x, y)
        lines = ["安全出口", "请勿吸烟", "消防通道", "小心地滑", "No Smoking"]
        t = draw.text_sprite(lines[int(rng.integers(len(lines)))], h * 0.45, (1, 1, 1))
        if t.shape[1] < w:
            scene.paint(t, x + (w - t.shape[1]) / 2, y + (h - t.shape[0]) / 2)
    elif kind == 1 and host is scene.wall_host:  # a brick pillar, the wall's full height
        w = k * rng.uniform(0.05, 0.12)
        y1 = float(scene.floor_y if scene.floor_y is not None else host.y1)
        y0 = min(host.y0, y1 - 4)
        spot = _free_spot(scene, Rect(host.x0, y0, host.x1, y0 + 1), w, y1 - y0, rng)
        if spot is None:
            return
        x = spot[0]
        scene.fill(x, y0, x + w, y1, textures.brick(int(y1 - y0) + 1, int(w) + 1, rng, max(5, int(k / 60))))
    elif kind == 1:  # a low brick planter standing on the floor
        w, h = k * rng.uniform(0.12, 0.25), k * rng.uniform(0.03, 0.06)
        spot = _free_spot(scene, host, w, h, rng)
        if spot is None:
            return
        x, y = spot
        scene.fill(x, y, x + w, y + h, textures.brick(int(h) + 1, int(w) + 1, rng, max(4, int(h / 4))))
        top = textures.grass(max(2, int(h * 0.3)), int(w) + 1, rng)
        scene.fill(x, y - top.shape[0], x + w, y, top)
    elif kind == 2:  # wooden bench / panel
        w, h = k * rng.uniform(0.08, 0.2), k * rng.uniform(0.02, 0.05)
        spot = _free_spot(scene, host, w, h, rng)
        if spot is None:
            return
        x, y = spot
        scene.fill(x, y, x + w, y + h, textures.wood(int(h) + 1, int(w) + 1, rng))
    elif kind == 3:  # autumn-coloured healthy decor: orange flowers in a pot
        d = k * rng.uniform(0.04, 0.08)
        spot = _free_spot(scene, host, d, d * 1.1, rng)
        if spot is None:
            return
        x, y = spot
        pot = draw.solid(d * 0.5, d * 0.6, (0.25, 0.25, 0.27))
        scene.paint(pot, x + d * 0.2, y + d * 0.55)
        for _ in range(int(rng.integers(8, 18))):
            fx, fy = rng.uniform(0, d), rng.uniform(0, d * 0.6)
            col = [(0.95, 0.55, 0.1), (0.85, 0.35, 0.1), (0.95, 0.75, 0.2), (0.2, 0.5, 0.2)][int(rng.integers(4))]
            r = d * rng.uniform(0.05, 0.1)
            scene.paint_mask(draw.ellipse_mask(int(2 * r) + 2, int(2 * r) + 2, (r + 1, r + 1), (r, r)), col, x + fx, y + fy)
    else:  # terracotta pot with a plant
        w, h = k * rng.uniform(0.03, 0.05), k * rng.uniform(0.04, 0.07)
        spot = _free_spot(scene, host, w * 1.6, h * 1.8, rng)
        if spot is None:
            return
        x, y = spot[0] + w * 0.3, spot[1] + h * 0.8
        pot = draw.poly_mask(int(h) + 1, int(w) + 1, [(0, 0), (w, 0), (w * 0.8, h), (w * 0.2, h)])
        scene.paint_mask(pot, (0.72, 0.38, 0.2), x, y)
        leaves = draw.ellipse_mask(int(h) + 1, int(w * 1.6) + 1, (w * 0.8, h * 0.5), (w * 0.75, h * 0.5))
        scene.paint_mask(leaves, (0.18, 0.42, 0.16), x - w * 0.3, y - h * 0.8)
