"""Procedural people: staff in uniform colours (or wrong ones), with or without a chest badge.

`person_sprite` draws a standing figure on an RGBA sprite (float32 0..1): legs, shoes, torso
with jacket/shirt or workwear, arms in one of several poses, neck, head with skin tone and
hair. Proportions follow a ~7.5-heads figure; views go from frontal to three-quarter.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from samples.generator import draw
from samples.generator.brand import RGB, BrandStyle, rgb_to_lab

SKIN_TONES = [(0.96, 0.80, 0.69), (0.90, 0.72, 0.58), (0.80, 0.60, 0.45), (0.65, 0.45, 0.32),
              (0.47, 0.32, 0.22), (0.93, 0.76, 0.64)]
HAIR = [(0.05, 0.04, 0.04), (0.12, 0.08, 0.05), (0.25, 0.17, 0.10), (0.45, 0.42, 0.40), (0.08, 0.08, 0.09)]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞"]
POSES = ("down", "clasped", "point", "hips", "holding")

# Colours no uniform uses: tried in a random order, kept when far from every role colour.
WRONG_COLOURS = [(0.80, 0.10, 0.12), (0.95, 0.82, 0.10), (0.55, 0.20, 0.60), (0.95, 0.45, 0.65),
                 (0.45, 0.75, 0.15), (0.55, 0.35, 0.15), (0.92, 0.92, 0.85), (0.10, 0.55, 0.30),
                 (0.35, 0.60, 0.85), (0.70, 0.55, 0.40), (0.98, 0.55, 0.05)]


@dataclass(frozen=True)
class Outfit:
    top: RGB
    bottom: RGB
    shirt: RGB | None
    role: str | None  # None when the colours belong to no role
    uniform_ok: bool


def wrong_outfit(style: BrandStyle, rng: np.random.Generator) -> Outfit:
    """Clothes whose colours match no role of the brand (CIE76 distance > 30)."""
    labs = style.role_colours_lab
    order = rng.permutation(len(WRONG_COLOURS))
    far = [WRONG_COLOURS[i] for i in order
           if labs.size == 0 or np.min(np.linalg.norm(labs - rgb_to_lab(WRONG_COLOURS[i]), axis=1)) > 30]
    top = far[0]
    bottom = far[1] if len(far) > 1 and rng.random() < 0.6 else (0.12, 0.12, 0.14)
    return Outfit(top, bottom, None, None, False)


def role_outfit(style: BrandStyle, role_index: int, season: str) -> Outfit:
    role = style.roles[role_index % len(style.roles)]
    top, bottom, shirt = role.outfit(season)
    return Outfit(top, bottom, shirt, role.id, True)


def _shade(rgb, k: float):
    return tuple(float(np.clip(c * k, 0, 1)) for c in rgb)


def _limb(canvas: np.ndarray, p0, p1, width: float, rgb, shade: float = 1.0) -> None:
    """A thick round-ended stroke from p0 to p1 (sprite px), painted in `rgb`."""
    h, w = canvas.shape[:2]
    r = width / 2 + 2
    x0, y0 = int(max(0, min(p0[0], p1[0]) - r)), int(max(0, min(p0[1], p1[1]) - r))
    x1, y1 = int(min(w, max(p0[0], p1[0]) + r + 1)), int(min(h, max(p0[1], p1[1]) + r + 1))
    if x1 <= x0 or y1 <= y0:
        return
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.line(m, (int((p0[0] - x0) * 8), int((p0[1] - y0) * 8)), (int((p1[0] - x0) * 8), int((p1[1] - y0) * 8)), 255,
             max(1, int(width)), cv2.LINE_AA, shift=3)
    a = m.astype(np.float32)[..., None] / 255.0
    region = canvas[y0:y1, x0:x1]
    region[..., :3] = region[..., :3] * (1 - a) + np.asarray(_shade(rgb, shade), np.float32) * a
    region[..., 3:] = np.maximum(region[..., 3:], a)


def _fill(canvas: np.ndarray, mask: np.ndarray, rgb, gradient: np.ndarray | None = None) -> None:
    """Paint `rgb` (times an optional HxW gradient) through a full-size mask, on its bounding box only."""
    rows = np.flatnonzero(mask.max(axis=1) > 0)
    if rows.size == 0:
        return
    cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].max(axis=0) > 0)
    ys, xs = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    a = mask[ys, xs, None]
    col = np.asarray(rgb, np.float32)
    if gradient is not None:
        col = col * gradient[ys, xs, None]
    region = canvas[ys, xs]
    region[..., :3] = region[..., :3] * (1 - a) + col * a
    region[..., 3:] = np.maximum(region[..., 3:], a)


@dataclass(frozen=True)
class PersonSprite:
    sprite: np.ndarray  # HxWx4 float32
    feet_xy: tuple[float, float]  # where the feet touch the floor, in sprite px
    badge_xywh: tuple[float, float, float, float] | None


def person_sprite(height: float, outfit: Outfit, badge: bool, rng: np.random.Generator,
                  style: BrandStyle | None = None, pose: str | None = None) -> PersonSprite:
    """A standing person `height` px tall (head to feet)."""
    H = int(max(40, height))
    u = H / 7.5  # one head
    turn = rng.uniform(0.6, 1.0)  # 1 frontal, smaller = turned
    W = int(u * 4.2)
    pad = int(u * 1.2)
    cw, ch = W + 2 * pad, H + int(u * 0.4)
    c = np.zeros((ch, cw, 4), np.float32)
    cx = cw / 2
    skin = SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]
    hair = HAIR[int(rng.integers(len(HAIR)))]
    pose = pose or POSES[int(rng.integers(len(POSES)))]
    sh_w = u * 1.0 * turn  # half shoulder width
    hip_w = u * 0.72 * turn
    y_sh, y_hip, y_knee, y_foot = u * 1.45, u * 3.9, u * 5.7, H - u * 0.15
    xx = np.linspace(-1, 1, cw, dtype=np.float32)[None, :]
    side_light = rng.uniform(-0.25, 0.25)
    grad = np.clip(1.0 + side_light * xx - 0.06 * np.abs(xx) * 3, 0.6, 1.3) * np.ones((ch, 1), np.float32)

    # legs (trousers) and shoes
    stance = rng.uniform(0.15, 0.45) * u
    for sgn in (-1, 1):
        hip = (cx + sgn * hip_w * 0.5, y_hip)
        foot = (cx + sgn * (hip_w * 0.5 + stance * 0.5), y_foot)
        _limb(c, hip, foot, u * 0.62 * turn + 2, outfit.bottom, 0.95 if sgn < 0 else 1.0)
        shoe = draw.ellipse_mask(ch, cw, (foot[0] + sgn * u * 0.08, foot[1] + u * 0.05), (u * 0.32, u * 0.14))
        _fill(c, shoe, (0.06, 0.06, 0.07))
    # torso
    torso = [(cx - sh_w, y_sh), (cx + sh_w, y_sh), (cx + hip_w * 1.02, y_hip + u * 0.2),
             (cx - hip_w * 1.02, y_hip + u * 0.2)]
    tm = draw.poly_mask(ch, cw, torso)
    folds = 1 + 0.05 * cv2.resize(rng.normal(0, 1, (6, 4)).astype(np.float32), (cw, ch))
    _fill(c, tm, outfit.top, grad * folds)
    if outfit.shirt is not None:  # suit: shirt in a V, and a tie
        v = [(cx - u * 0.32 * turn, y_sh), (cx + u * 0.32 * turn, y_sh), (cx, y_sh + u * 1.3)]
        _fill(c, draw.poly_mask(ch, cw, v), outfit.shirt)
        tie = [(cx - u * 0.07, y_sh + u * 0.1), (cx + u * 0.07, y_sh + u * 0.1), (cx + u * 0.1, y_sh + u * 1.1),
               (cx, y_sh + u * 1.25), (cx - u * 0.1, y_sh + u * 1.1)]
        _fill(c, draw.poly_mask(ch, cw, tie), _shade(outfit.top, 0.7))
    else:  # workwear: collar and a placket line
        _limb(c, (cx, y_sh + u * 0.2), (cx, y_hip), max(1, u * 0.05), _shade(outfit.top, 0.75))
        collar = [(cx - u * 0.35 * turn, y_sh - u * 0.05), (cx + u * 0.35 * turn, y_sh - u * 0.05), (cx, y_sh + u * 0.35)]
        _fill(c, draw.poly_mask(ch, cw, collar), _shade(outfit.top, 1.15))
    # arms
    arm_w = u * 0.42 + 1
    hand_r = u * 0.17
    for sgn in (-1, 1):
        sh = (cx + sgn * sh_w * 0.92, y_sh + u * 0.15)
        if pose == "clasped":
            elbow = (cx + sgn * sh_w * 1.05, y_sh + u * 1.4)
            hand = (cx + sgn * u * 0.12, y_hip - u * 0.1)
        elif pose == "point" and sgn > 0:
            elbow = (cx + sh_w * 1.6, y_sh + u * 0.6)
            hand = (cx + sh_w * 2.3, y_sh + u * 0.2)
        elif pose == "hips":
            elbow = (cx + sgn * sh_w * 1.7, y_sh + u * 1.3)
            hand = (cx + sgn * hip_w * 1.1, y_hip - u * 0.2)
        elif pose == "holding" and sgn < 0:
            elbow = (cx - sh_w * 1.1, y_sh + u * 1.45)
            hand = (cx - sh_w * 0.3, y_sh + u * 1.9)
        else:
            elbow = (cx + sgn * sh_w * 1.12, y_sh + u * 1.4)
            hand = (cx + sgn * sh_w * 1.12 + sgn * u * 0.05, y_sh + u * 2.7)
        shade = 0.85 if sgn * side_light < 0 else 1.0
        _limb(c, sh, elbow, arm_w, outfit.top, shade)
        _limb(c, elbow, hand, arm_w * 0.9, outfit.top, shade * 0.95)
        _fill(c, draw.ellipse_mask(ch, cw, hand, (hand_r, hand_r * 1.1)), skin)
        if pose == "holding" and sgn < 0:  # a tablet / clipboard
            board = [(hand[0] - u * 0.2, hand[1] - u * 0.6), (hand[0] + u * 0.5, hand[1] - u * 0.7),
                     (hand[0] + u * 0.55, hand[1] + u * 0.1), (hand[0] - u * 0.15, hand[1] + u * 0.2)]
            _fill(c, draw.poly_mask(ch, cw, board), (0.15, 0.15, 0.17))
    # neck and head
    _limb(c, (cx, y_sh - u * 0.4), (cx, y_sh + u * 0.1), u * 0.38, _shade(skin, 0.9))
    head_c = (cx + (1 - turn) * u * 0.3 * rng.choice([-1, 1]), u * 0.6)
    _fill(c, draw.ellipse_mask(ch, cw, head_c, (u * 0.40, u * 0.52)), skin)
    hair_style = rng.integers(0, 3)
    hm = draw.ellipse_mask(ch, cw, (head_c[0], head_c[1] - u * 0.16), (u * 0.43, u * 0.40))
    if hair_style == 2:  # long hair falls beside the face
        hm = np.maximum(hm, draw.poly_mask(ch, cw, [(head_c[0] - u * 0.45, head_c[1] - u * 0.1),
                                                     (head_c[0] + u * 0.45, head_c[1] - u * 0.1),
                                                     (head_c[0] + u * 0.5, head_c[1] + u * 0.85),
                                                     (head_c[0] - u * 0.5, head_c[1] + u * 0.85)]) * 0.95)
        hm = np.maximum(hm - draw.ellipse_mask(ch, cw, (head_c[0], head_c[1] + u * 0.12), (u * 0.32, u * 0.42)), 0)
    else:
        hm = hm * (np.arange(ch, dtype=np.float32)[:, None] < head_c[1] - u * 0.12 * (1 + hair_style))
    _fill(c, hm, hair)
    if u > 14:  # eyes and mouth
        for sgn in (-1, 1):
            _fill(c, draw.ellipse_mask(ch, cw, (head_c[0] + sgn * u * 0.15 * turn, head_c[1] + u * 0.02),
                                       (u * 0.05, u * 0.03)), (0.1, 0.08, 0.08))
        _fill(c, draw.ellipse_mask(ch, cw, (head_c[0], head_c[1] + u * 0.28), (u * 0.1, u * 0.025)), _shade(skin, 0.7))
    badge_xywh = None
    if badge:
        bw, bh = u * 0.5 * turn + 3, u * 0.32 + 2
        bx, by = cx + sh_w * 0.25, y_sh + u * 0.5
        card = draw.solid(bh, bw, (0.97, 0.97, 0.96))
        stripe_rgb = style.signboard_rgb[0] if style is not None else (0.1, 0.3, 0.6)
        card[: max(1, int(bh * 0.3)), :, :3] = stripe_rgb
        if bh >= 14:
            name = NAMES[int(rng.integers(len(NAMES)))]
            t = draw.text_sprite(name, bh * 0.32, (0.1, 0.1, 0.1))
            if t.shape[1] < bw:
                draw.composite(card[..., :3], t, (bw - t.shape[1]) / 2, bh * 0.38)
        else:
            card[int(bh * 0.5):int(bh * 0.5) + 1, 1:-1, :3] = 0.3
        draw.composite(c[..., :3], card, bx, by)
        badge_xywh = (bx, by, bw, bh)
    # round the figure: darker toward its outline (a cheap ambient occlusion), fabric grain
    a = c[..., 3]
    inner = cv2.GaussianBlur(a, (0, 0), max(1.0, u * 0.25))
    grain = 1 + 0.04 * cv2.resize(rng.standard_normal((max(2, ch // 3), max(2, cw // 3))).astype(np.float32), (cw, ch))
    c[..., :3] *= ((0.68 + 0.32 * np.clip(inner * 1.3, 0, 1)) * grain)[..., None]
    np.clip(c, 0, 1, out=c)
    return PersonSprite(c, (cx, y_foot + u * 0.1), badge_xywh)
