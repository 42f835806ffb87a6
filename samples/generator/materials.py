"""How a logo looks when it is made of something: print, chrome, extruded letters, lit acrylic.

Each function takes the artwork (HxWx4 uint8 RGBA) and returns a `Rendered` mark: an RGBA
sprite (float32 0..1) to composite on the wall, an optional light sprite (HxWx3, added to the
scene's emit layer), and where the artwork's own box sits inside the sprite.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MATERIALS = ("flat", "chrome", "brushed", "extruded", "acrylic")


@dataclass(frozen=True)
class Rendered:
    sprite: np.ndarray  # HxWx4 float32
    light: np.ndarray | None  # HxWx3 float32 emitted light, same size as sprite
    face_xywh: tuple[int, int, int, int]  # the artwork's box inside the sprite


def _pad(rgba: np.ndarray, pad: int) -> np.ndarray:
    return cv2.copyMakeBorder(rgba, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)


def _normals(alpha: np.ndarray, soft: float) -> tuple[np.ndarray, np.ndarray]:
    a = cv2.GaussianBlur(alpha, (0, 0), soft)
    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3)
    return gx, gy


def flat(art: np.ndarray, rng: np.random.Generator) -> Rendered:
    s = art.astype(np.float32) / 255.0
    sheen = 1 + 0.05 * np.linspace(1, -1, s.shape[0], dtype=np.float32)[:, None]
    s[..., :3] = np.clip(s[..., :3] * sheen[..., None], 0, 1)
    h, w = s.shape[:2]
    return Rendered(s, None, (0, 0, w, h))


def metal(art: np.ndarray, rng: np.random.Generator, brushed: bool = False) -> Rendered:
    """Chrome (mirror-like bands of sky and ground) or brushed metal, tinted by the artwork."""
    s = art.astype(np.float32) / 255.0
    h, w = s.shape[:2]
    alpha = s[..., 3]
    gx, gy = _normals(alpha, max(1.0, h / 40))
    v = np.linspace(0, 1, h, dtype=np.float32)[:, None] + 2.5 * gy - 0.8 * gx
    # environment: bright sky, dark horizon band, mid ground
    env = 0.55 + 0.4 * np.cos(v * np.pi * rng.uniform(1.5, 3.0) + rng.uniform(0, 6))
    if brushed:
        streak = rng.normal(0, 1, (h, max(2, w // 6))).astype(np.float32)
        streak = cv2.resize(streak, (w, h), interpolation=cv2.INTER_LINEAR)
        env = 0.62 + 0.12 * env + 0.06 * streak
    tint = rng.uniform(0.15, 0.4)
    col = env[..., None] * np.array((0.93, 0.95, 1.0), np.float32)
    col = col * (1 - tint) + s[..., :3] * tint * (0.6 + 0.6 * env[..., None])
    edge = np.clip(np.hypot(gx, gy) * 3, 0, 1)
    col = col + edge[..., None] * 0.35
    out = np.dstack([np.clip(col, 0, 1), alpha]).astype(np.float32)
    return Rendered(out, None, (0, 0, w, h))


def extruded(art: np.ndarray, rng: np.random.Generator) -> Rendered:
    """3D letters standing off the wall: shaded sides, lit face, soft drop shadow."""
    h, w = art.shape[:2]
    depth = max(2, int(max(h, w) * rng.uniform(0.04, 0.09)))
    ang = rng.uniform(0, 2 * np.pi)
    dx, dy = np.cos(ang), np.sin(ang)
    pad = depth * 2 + 4
    face = _pad(art, pad).astype(np.float32) / 255.0
    H, W = face.shape[:2]
    out = np.zeros((H, W, 4), np.float32)
    # drop shadow on the wall
    shadow_a = cv2.GaussianBlur(face[..., 3], (0, 0), depth * 0.8)
    M = np.float32([[1, 0, dx * depth * 1.6], [0, 1, dy * depth * 1.6]])
    shadow_a = cv2.warpAffine(shadow_a, M, (W, H)) * 0.45
    out[..., 3] = shadow_a
    side_col = face[..., :3] * rng.uniform(0.35, 0.6)
    for i in range(depth, 0, -1):
        M = np.float32([[1, 0, dx * i], [0, 1, dy * i]])
        a = cv2.warpAffine(face[..., 3], M, (W, H))
        c = cv2.warpAffine(side_col, M, (W, H)) * (0.8 + 0.2 * i / depth)
        out[..., :3] = out[..., :3] * (1 - a[..., None]) + c * a[..., None]
        out[..., 3] = np.maximum(out[..., 3], a)
    light = 0.85 + 0.3 * np.linspace(1, -1, H, dtype=np.float32)[:, None] * rng.uniform(0.3, 1)
    fa = face[..., 3:4]
    out[..., :3] = out[..., :3] * (1 - fa) + np.clip(face[..., :3] * light[..., None], 0, 1) * fa
    out[..., 3] = np.maximum(out[..., 3], face[..., 3])
    return Rendered(out, None, (pad, pad, w, h))


def acrylic(art: np.ndarray, rng: np.random.Generator, lit: bool) -> Rendered:
    """Back-lit acrylic: bright face and a halo when lit; a milky face when off."""
    h, w = art.shape[:2]
    pad = max(4, int(max(h, w) * 0.25))
    face = _pad(art, pad).astype(np.float32) / 255.0
    H, W = face.shape[:2]
    a = face[..., 3]
    base = face[..., :3] * 0.75 + 0.2
    sprite = np.dstack([np.clip(base, 0, 1) * (1.0 if not lit else 0.5), a]).astype(np.float32)
    if not lit:
        return Rendered(sprite, None, (pad, pad, w, h))
    glow = cv2.GaussianBlur(face[..., :3] * a[..., None], (0, 0), max(2.0, max(h, w) * 0.06))
    strength = rng.uniform(2.0, 4.0)  # like a lit sign face (scenes.common.SIGN_GLOW)
    light = face[..., :3] * a[..., None] * strength + glow * rng.uniform(0.3, 0.7) + a[..., None] * 0.15
    return Rendered(sprite, light.astype(np.float32), (pad, pad, w, h))


def render(art: np.ndarray, material: str, rng: np.random.Generator, *, lit: bool = False) -> Rendered:
    if material == "chrome":
        return metal(art, rng, brushed=False)
    if material == "brushed":
        return metal(art, rng, brushed=True)
    if material == "extruded":
        return extruded(art, rng)
    if material == "acrylic":
        return acrylic(art, rng, lit)
    return flat(art, rng)
