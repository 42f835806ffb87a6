"""Procedural surface textures, cheap to make: HxWx3 float32 RGB in 0..1 unless stated.

Noise is random values on a coarse grid resized up (value noise); octaves are summed for
fractal detail. Every function takes the random generator it draws from.
"""
from __future__ import annotations

import cv2
import numpy as np


def value_noise(h: int, w: int, cell: float, rng: np.random.Generator) -> np.ndarray:
    """HxW float32 noise in about -1..1 with features `cell` pixels wide."""
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    g = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    big = cv2.resize(g, (int(gw * cell), int(gh * cell)), interpolation=cv2.INTER_CUBIC)
    oy = int(rng.integers(0, max(1, big.shape[0] - h + 1)))
    ox = int(rng.integers(0, max(1, big.shape[1] - w + 1)))
    out = big[oy:oy + h, ox:ox + w]
    if out.shape != (h, w):
        out = cv2.resize(out, (w, h))
    return out


def fractal(h: int, w: int, cell: float, rng: np.random.Generator, octaves: int = 3) -> np.ndarray:
    """HxW float32 fractal noise in about -1..1 (computed at reduced size when it is smooth)."""
    finest = cell / 2 ** (octaves - 1)
    shrink = int(np.clip(finest // 3, 1, 4))
    if shrink > 1 and h > 8 and w > 8:
        small = fractal(max(2, h // shrink + 1), max(2, w // shrink + 1), cell / shrink, rng, octaves)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        out += amp * value_noise(h, w, max(1.5, cell), rng)
        total += amp
        amp *= 0.5
        cell /= 2.0
    return out / total


def tint(base, h: int, w: int) -> np.ndarray:
    out = np.empty((h, w, 3), np.float32)
    out[:] = np.asarray(base, np.float32)
    return out


def concrete(h, w, base, rng, rough: float = 0.08) -> np.ndarray:
    n = fractal(h, w, max(h, w) / 6, rng, 3)
    grain = rng.standard_normal((h // 2 + 1, w // 2 + 1), dtype=np.float32)
    grain = cv2.resize(grain, (w, h), interpolation=cv2.INTER_NEAREST)
    shade = 1.0 + rough * n + 0.02 * grain
    return np.clip(tint(base, h, w) * shade[..., None], 0, 1)


def painted_wall(h, w, base, rng) -> np.ndarray:
    n = fractal(h, w, max(h, w) / 3, rng, 2)
    g = np.linspace(1.03, 0.95, h, dtype=np.float32)[:, None]
    return np.clip(tint(base, h, w) * ((1.0 + 0.025 * n) * g)[..., None], 0, 1)


def tiles(h, w, tile: int, base, grout, rng, vary: float = 0.04, gloss: bool = False) -> np.ndarray:
    tile = max(4, int(tile))
    ny, nx = h // tile + 2, w // tile + 2
    per = rng.uniform(-vary, vary, (ny, nx, 1)).astype(np.float32)
    grid = cv2.resize(per, (nx * tile, ny * tile), interpolation=cv2.INTER_NEAREST)[:h, :w]
    out = tint(base, h, w) * (1.0 + grid[..., None] if grid.ndim == 2 else 1.0 + grid)
    g = max(1, tile // 24)
    yy = (np.arange(h) % tile) < g
    xx = (np.arange(w) % tile) < g
    out[yy, :, :] = grout
    out[:, xx, :] = grout
    if gloss:
        out += 0.08 * (1 + fractal(h, w, w / 3, rng, 1))[..., None] * 0.5
    return np.clip(out, 0, 1)


def brick(h, w, rng, brick_h: int = 18, base=(0.62, 0.30, 0.20)) -> np.ndarray:
    """Red-brown brick in running bond (a rust-coloured surface that is not rust)."""
    brick_h = max(5, int(brick_h))
    brick_w = brick_h * 2.2
    out = np.empty((h, w, 3), np.float32)
    mortar = np.array((0.72, 0.70, 0.66), np.float32)
    out[:] = mortar
    base = np.asarray(base, np.float32)
    rows = h // brick_h + 1
    for r in range(rows):
        y0 = r * brick_h
        off = (brick_w / 2) * (r % 2)
        x = -off
        while x < w:
            col = base * rng.uniform(0.8, 1.15) + rng.uniform(-0.03, 0.03, 3)
            xa, xb = int(max(0, x + 1)), int(min(w, x + brick_w - 1))
            ya, yb = y0 + 1, min(h, y0 + brick_h - 1)
            if xb > xa and yb > ya:
                out[ya:yb, xa:xb] = col
            x += brick_w
    n = fractal(h, w, 8, rng, 2)
    return np.clip(out * (1 + 0.07 * n)[..., None], 0, 1)


def wood(h, w, rng, base=(0.55, 0.33, 0.17), vertical: bool = False) -> np.ndarray:
    """Wood grain (another rust-coloured surface that is not rust)."""
    hh, ww = (w, h) if vertical else (h, w)
    grain = value_noise(hh, max(4, ww // 40), 2.0, rng)
    grain = cv2.resize(grain, (ww, hh), interpolation=cv2.INTER_LINEAR)
    rings = np.sin(np.linspace(0, rng.uniform(20, 60), hh, dtype=np.float32)[:, None] + 3 * grain)
    out = tint(base, hh, ww) * (1 + 0.12 * rings + 0.06 * grain)[..., None]
    if vertical:
        out = np.ascontiguousarray(out.transpose(1, 0, 2))
    return np.clip(out, 0, 1)


def sky(h, w, rng, night: bool) -> np.ndarray:
    """Sky gradient with clouds (day) or dark city sky (night)."""
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    if night:
        top = np.array((0.01, 0.015, 0.05), np.float32) * rng.uniform(0.6, 1.4)
        bot = np.array((0.06, 0.05, 0.09), np.float32) * rng.uniform(0.6, 1.6)
        out = top * (1 - t) + bot * t
        return np.broadcast_to(out, (h, w, 3)).copy()
    kind = rng.integers(0, 3)
    if kind == 0:  # clear blue
        top, bot = (0.25, 0.48, 0.85), (0.70, 0.82, 0.95)
    elif kind == 1:  # hazy
        top, bot = (0.58, 0.66, 0.78), (0.85, 0.87, 0.88)
    else:  # overcast
        top, bot = (0.68, 0.70, 0.74), (0.85, 0.86, 0.87)
    top, bot = np.asarray(top, np.float32), np.asarray(bot, np.float32)
    out = np.broadcast_to(top * (1 - t) + bot * t, (h, w, 3)).copy()
    clouds = np.clip(fractal(h, w, w / 4, rng, 4) * 1.6 - rng.uniform(0.0, 0.6), 0, 1)
    out += (np.float32(0.95) - out) * clouds[..., None] * 0.8
    return out


def asphalt(h, w, rng, base=None) -> np.ndarray:
    base = base or (0.30, 0.30, 0.31)
    n = fractal(h, w, 30, rng, 3)
    grain = cv2.resize(rng.standard_normal((h // 2 + 1, w // 2 + 1), dtype=np.float32) * np.float32(0.035), (w, h),
                       interpolation=cv2.INTER_NEAREST)
    return np.clip(tint(base, h, w) * (1 + 0.12 * n + grain)[..., None], 0, 1)


def grass(h, w, rng, health: float = 1.0) -> np.ndarray:
    """Healthy (health=1) to dead-looking (0) grass; HxWx3."""
    green = np.array((0.20, 0.45, 0.14), np.float32) * rng.uniform(0.8, 1.2)
    dead = np.array((0.55, 0.45, 0.25), np.float32)
    base = green * health + dead * (1 - health)
    blades = cv2.resize(rng.uniform(-1, 1, (max(2, h // 3), max(2, w))).astype(np.float32), (w, h),
                        interpolation=cv2.INTER_LINEAR)
    n = fractal(h, w, 12, rng, 2)
    return np.clip(tint(base, h, w) * (1 + 0.25 * blades + 0.2 * n)[..., None], 0, 1)


def glass_panel(h, w, rng, sky_rgb, tint_rgb=(0.35, 0.5, 0.55), night: bool = False) -> np.ndarray:
    """Curtain-wall glass: tinted, reflecting the sky, a diagonal sheen and the street."""
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    tint_rgb = np.asarray(tint_rgb, np.float32)
    sky_rgb = np.asarray(sky_rgb, np.float32)
    if night:
        out = np.broadcast_to(tint_rgb * 0.25, (h, w, 3)).copy()
    else:
        out = np.broadcast_to(sky_rgb * (1 - 0.5 * t) * 0.7 + tint_rgb * 0.4, (h, w, 3)).copy()
        refl = fractal(h, w, w / 2, rng, 3)
        out *= (1 + 0.15 * refl)[..., None]
        # diagonal sheen
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        k = rng.uniform(0.3, 1.2)
        c = rng.uniform(0, w + h * k)
        band = np.exp(-((xx + yy * k - c) / (w * rng.uniform(0.05, 0.2))) ** 2)
        out += band[..., None] * rng.uniform(0.1, 0.3)
        # dark reflected buildings at the bottom
        for _ in range(int(rng.integers(0, 4))):
            bx, bw = int(rng.uniform(0, w)), int(rng.uniform(w * .1, w * .4))
            bh = int(rng.uniform(h * .1, h * .4))
            out[h - bh:, bx:bx + bw] *= 0.7
    return np.clip(out, 0, 1)


def rust_layer(h, w, rng, coverage: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Rust of mixed tones: (HxWx3 colour, HxW alpha) with `coverage` about the rusty share."""
    tones = np.array([(0.72, 0.36, 0.12), (0.50, 0.22, 0.09), (0.35, 0.15, 0.07), (0.62, 0.28, 0.14),
                      (0.78, 0.48, 0.20), (0.42, 0.26, 0.16), (0.58, 0.40, 0.26), (0.66, 0.30, 0.10)], np.float32)
    pick = rng.choice(len(tones), 3, replace=False)
    mix = (fractal(h, w, max(3, min(h, w) / 5), rng, 3) + 1) / 2
    mix2 = (fractal(h, w, 4, rng, 2) + 1) / 2
    col = tones[pick[0]] * (1 - mix)[..., None] + tones[pick[1]] * mix[..., None]
    col = col * (1 - 0.4 * mix2[..., None]) + tones[pick[2]] * 0.4 * mix2[..., None]
    col *= (1 + 0.25 * rng.normal(0, 1, (h, w)).astype(np.float32))[..., None] * 0.9
    n = fractal(h, w, max(3, min(h, w) / 4), rng, 4)
    thr = np.quantile(n, 1 - coverage)
    alpha = np.clip((n - thr) * 6 + 0.5, 0, 1)
    # drip streaks down from the patches
    k = max(3, h // 4)
    drip = cv2.blur(alpha, (1, k), anchor=(0, k - 1))
    alpha = np.maximum(alpha, drip * 0.6)
    return np.clip(col, 0, 1), alpha.astype(np.float32)
