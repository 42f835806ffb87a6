"""Pieces several scenes share: floors in perspective, signs, arrows, lamps, cars, plants, railings."""
from __future__ import annotations

import cv2
import numpy as np

from samples.generator import draw, textures
from samples.generator.scene import Rect, Scene

# Light given off at night, in the scene's units (a white wall in daylight = 1; the ground under
# the site's floodlights returns about 0.1-0.3): a lit sign face 10-20 times the lit ground, so it
# stands out in any exposure (a phone's night processing holds it under white, camera.NIGHT_HIGHLIGHT),
# and a lamp brighter still (white in every photo).
SIGN_GLOW = (2.0, 4.0)
LAMP_GLOW = 8.0


def floor(scene: Scene, y_top: float, tex: np.ndarray) -> None:
    """Lay texture `tex` (a top view, any size) on the floor from y_top to the canvas bottom in perspective."""
    W, H = scene.w, scene.h
    th, tw = tex.shape[:2]
    spread = W * scene.rng.uniform(0.8, 2.0)
    y0 = int(max(0, y_top))
    if y0 >= H:
        return
    src = np.float32([[0, 0], [tw, 0], [tw, th], [0, th]])
    dst = np.float32([[-spread, y_top - y0], [W + spread, y_top - y0], [W, H - y0], [0, H - y0]])
    M = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(tex, M, (W, H - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    scene.rgb[y0:] = warped
    # darker toward the back (less light reaches it)
    fade = np.linspace(0.85, 1.0, H - y0, dtype=np.float32)[:, None, None]
    scene.rgb[y0:] *= fade
    scene.person_ids[y0:] = 0


def scale_fn(y_top: float, y_bot: float, near: float = 1.0, far: float = 0.35):
    """Size factor of something standing on the floor at canvas row y (1 near, `far` at the back)."""
    def scale_at(y: float) -> float:
        t = np.clip((y - y_top) / max(1.0, y_bot - y_top), 0, 1)
        return float(far + (near - far) * t)
    return scale_at


def arrow_sprite(size: float, direction: str, rgb=(1, 1, 1)) -> np.ndarray:
    s = int(max(8, size))
    pts = np.float32([[0.1, 0.38], [0.55, 0.38], [0.55, 0.15], [0.92, 0.5], [0.55, 0.85], [0.55, 0.62], [0.1, 0.62]]) * s
    m = draw.poly_mask(s, s, pts)
    if direction == "left":
        m = m[:, ::-1]
    elif direction == "up":
        m = np.ascontiguousarray(np.rot90(m))
    elif direction == "down":
        m = np.ascontiguousarray(np.rot90(m, 3))
    out = np.empty((s, s, 4), np.float32)
    out[..., :3] = rgb
    out[..., 3] = m
    return out


def sign_panel(scene: Scene, x: float, y: float, w: float, h: float, bg, lines, *, fg=(1, 1, 1), lit: bool = True,
               arrow: str | None = None, frame_rgb=(0.55, 0.57, 0.6), sign_kind: str = "sign") -> Rect:
    """A rectangular sign with stacked text lines and an optional arrow.

    lines: [(text, relative height)] from top to bottom; each text is labelled as a "text"
    item. At night a lit sign glows (emit layer); an unlit one stays dark.
    Returns the panel rectangle.
    """
    rng = scene.rng
    fr = max(1.0, h * 0.04)
    scene.paint(draw.solid(h + 2 * fr, w + 2 * fr, frame_rgb), x - fr, y - fr)
    panel = draw.solid(h, w, bg)
    panel[..., :3] *= (1 + 0.04 * np.linspace(1, -1, int(h) if h >= 1 else 1, dtype=np.float32))[:panel.shape[0], None, None]
    text_area_x0, text_area_w = w * 0.06, w * 0.88
    if arrow:
        a = arrow_sprite(h * 0.7, arrow, fg)
        ax = w * 0.04 if arrow in ("left", "up") else w - h * 0.74
        draw.composite(panel[..., :3], a, ax, h * 0.15)
        if arrow in ("left", "up"):
            text_area_x0 = h * 0.8
        text_area_w = w - h * 0.8 - w * 0.06
        scene.add("sign_arrow", [(x + ax, y + h * .15), (x + ax + a.shape[1], y + h * .15),
                                 (x + ax + a.shape[1], y + h * .85), (x + ax, y + h * .85)], direction=arrow)
    texts = []
    family = draw.FAMILIES[int(rng.choice(len(draw.FAMILIES), p=(0.7, 0.15, 0.15)))]
    total = sum(r for _, r in lines) or 1
    cy = h * 0.12
    gap = h * 0.76 / total
    for text, rel in lines:
        th = rel * gap * 0.78
        t = draw.text_sprite(text, th, fg, family=family)
        if t.shape[1] > text_area_w:
            t = draw.text_sprite(text, th * text_area_w / t.shape[1] * 0.97, fg, family=family)
        tx = text_area_x0 + (text_area_w - t.shape[1]) / 2
        ty = cy + (rel * gap - t.shape[0]) / 2
        draw.composite(panel[..., :3], t, tx, ty)
        texts.append(([(x + tx, y + ty), (x + tx + t.shape[1], y + ty), (x + tx + t.shape[1], y + ty + t.shape[0]),
                       (x + tx, y + ty + t.shape[0])], text))
        cy += rel * gap
    scene.paint(panel, x, y)
    for quad, text in texts:
        scene.add("text", quad, text=text, lit=lit)
    if scene.night and lit:
        emit_sign(scene, panel[..., :3], x, y, bg, rng)
    scene.add(sign_kind, [(x, y), (x + w, y), (x + w, y + h), (x, y + h)], lit=lit)
    return Rect(x, y, x + w, y + h)


def emit_sign(scene: Scene, face_rgb: np.ndarray, x: float, y: float, bg, rng) -> None:
    """A lit sign face (HxWx3, text included) glows: the face itself plus a faint halo around it.

    The halo and the light the sign throws on the wall scale with its brightness: a small share
    of it, so the wall beside a lit sign stays far darker than the sign.
    """
    h, w = face_rgb.shape[:2]
    strength = rng.uniform(*SIGN_GLOW)
    scene.glow(face_rgb * strength, x, y)
    pad = int(max(4, h * 0.4))
    inside = np.zeros((h + 2 * pad, w + 2 * pad), np.float32)
    inside[pad:pad + h, pad:pad + w] = 1
    halo = cv2.GaussianBlur(inside, (0, 0), pad / 2) * (1 - inside)
    tint = np.asarray(bg, np.float32) * 0.6 + 0.4 * face_rgb.reshape(-1, 3).mean(axis=0)
    scene.glow(halo[..., None] * tint * strength * 0.12, x - pad, y - pad)
    scene.light_pool(x + w / 2, y + h * 1.2, min(w, 3 * h) * 0.5, 0.05 * strength)


def lamp(scene: Scene, x: float, y: float, r: float, on: bool) -> None:
    """A light fitting; at night (or indoors) `on` adds a glow and a pool of light."""
    scene.paint_mask(draw.ellipse_mask(int(2 * r) + 2, int(2 * r) + 2, (r + 1, r + 1), (r, r * 0.5)),
                     (0.9, 0.9, 0.85), x - r, y - r * 0.5)
    if on and scene.night:
        g = int(r * 2.5)
        m = draw.ellipse_mask(2 * g, 2 * g, (g, g), (g, g))
        m = cv2.GaussianBlur(m, (0, 0), g / 3)
        scene.glow(m[..., None] * np.float32((1.0, 0.85, 0.6)) * LAMP_GLOW, x - g, y - g)
        scene.light_pool(x, y + r * 6, r * 12, 0.5)


def street_lamp(scene: Scene, x: float, y_ground: float, height: float) -> bool:
    """A lamp post standing at (x, y_ground), lit (night); False when it would cover a sign."""
    pole_w = max(2.0, height * 0.025)
    head_y = y_ground - height
    if not scene.is_free(Rect(x - height * 0.12, head_y - height * 0.08, x + height * 0.12, y_ground)):
        return False
    scene.fill(x - pole_w / 2, head_y, x + pole_w / 2, y_ground, (0.3, 0.31, 0.33))
    lamp(scene, x, head_y, max(2.0, height * 0.06), True)
    return True


def night_lighting(scene: Scene, rng) -> None:
    """The site's own lights at night, beyond its signs: forecourt floodlights and lamp posts.

    Floodlights out of the frame light the ground and the lower walls in broad pools; signs,
    roofs and the sky above them get only the city's ambient glow. One or two lamp posts stand
    where they hide no sign.
    """
    if not scene.night or scene.indoor:
        return
    L = scene.layout
    ground = scene.floor_y if scene.floor_y is not None else L.y0 + L.h * 0.7
    for _ in range(int(rng.integers(2, 5))):  # on the ground
        scene.light_pool(L.at(rng.uniform(0.0, 1.0), 0)[0], ground + (L.y1 - ground) * rng.uniform(0.1, 0.8),
                         L.w * rng.uniform(0.2, 0.35), float(rng.uniform(0.25, 0.5)))
    for _ in range(int(rng.integers(1, 4))):  # washing the lower walls
        scene.light_pool(L.at(rng.uniform(0.0, 1.0), 0)[0], ground - L.h * rng.uniform(0.02, 0.15),
                         L.w * rng.uniform(0.12, 0.25), float(rng.uniform(0.15, 0.35)))
    scale_at = scene.scale_at
    for _ in range(int(rng.integers(1, 3))):
        for _try in range(4):
            y_g = ground + (L.y1 - ground) * rng.uniform(0.02, 0.3)
            height = L.h * rng.uniform(0.35, 0.55) * scale_at(y_g)
            if street_lamp(scene, L.at(rng.uniform(0.02, 0.98), 0)[0], y_g, height):
                break


def car(scene: Scene, x: float, y_ground: float, length: float, rng) -> Rect:
    """A parked car seen from the side (tidy, not clutter)."""
    L = int(length)
    H = int(L * 0.38)
    body_rgb = [(0.85, 0.86, 0.88), (0.08, 0.08, 0.1), (0.55, 0.05, 0.08), (0.25, 0.3, 0.4), (0.6, 0.62, 0.65),
                (0.95, 0.95, 0.95)][int(rng.integers(6))]
    c = np.zeros((H, L, 4), np.float32)
    body = [(0.02, 0.55), (0.08, 0.42), (0.28, 0.38), (0.40, 0.12), (0.72, 0.12), (0.86, 0.38), (0.98, 0.45),
            (0.99, 0.72), (0.02, 0.75)]
    bm = draw.poly_mask(H, L, [(px * L, py * H) for px, py in body])
    grad = np.linspace(1.2, 0.75, H, dtype=np.float32)[:, None]
    c[..., :3] = np.asarray(body_rgb, np.float32) * grad[..., None]
    c[..., 3] = bm
    win = draw.poly_mask(H, L, [(0.42 * L, 0.17 * H), (0.70 * L, 0.17 * H), (0.80 * L, 0.38 * H), (0.32 * L, 0.38 * H)])
    c[..., :3] = c[..., :3] * (1 - win[..., None]) + np.float32((0.15, 0.2, 0.25)) * win[..., None]
    for wx in (0.2, 0.8):
        wm = draw.ellipse_mask(H, L, (wx * L, 0.75 * H), (0.09 * L, 0.09 * L))
        c[..., :3] = c[..., :3] * (1 - wm[..., None]) + 0.05 * wm[..., None]
        c[..., 3] = np.maximum(c[..., 3], wm)
        hub = draw.ellipse_mask(H, L, (wx * L, 0.75 * H), (0.045 * L, 0.045 * L))
        c[..., :3] = c[..., :3] * (1 - hub[..., None]) + 0.6 * hub[..., None]
    if rng.random() < 0.5:
        c = np.ascontiguousarray(c[:, ::-1])
    scene.paint_mask(cv2.GaussianBlur(draw.ellipse_mask(int(H * .3) + 2, L + 2, (L / 2, H * .15), (L * .5, H * .12)),
                                      (0, 0), 3), (0, 0, 0), x, y_ground - H * 0.12, 0.5)
    scene.paint(c, x, y_ground - H * 0.86)
    return Rect(x, y_ground - H * 0.86, x + L, y_ground)


def window(scene: Scene, x, y, w, h, rng) -> Rect:
    """A framed glass pane (dirty-glass host)."""
    scene.fill(x - 3, y - 3, x + w + 3, y + h + 3, (0.4, 0.4, 0.42))
    scene.fill(x, y, x + w, y + h, textures.glass_panel(int(h) + 1, int(w) + 1, rng, (0.75, 0.82, 0.9), night=scene.night))
    return Rect(x, y, x + w, y + h)


def planter(scene: Scene, x: float, y: float, w: float, h: float, rng) -> Rect:
    """A raised planter with healthy plants; returns the green area (host for dead greenery)."""
    box_h = h * 0.45
    scene.fill(x, y + h - box_h, x + w, y + h, textures.concrete(int(box_h) + 1, int(w) + 1, (0.6, 0.6, 0.58), rng))
    gh = h - box_h
    g = textures.grass(int(gh) + 1, int(w) + 1, rng, health=1.0)
    top = textures.fractal(int(gh) + 1, int(w) + 1, max(3, w / 8), rng, 2)
    yy = np.linspace(0, 1, int(gh) + 1, dtype=np.float32)[:, None]
    m = np.clip((yy - 0.25 + 0.35 * top) * 6, 0, 1)
    scene.paint_mask(m, g, x, y)
    return Rect(x, y + gh * 0.3, x + w, y + h - box_h)


def railing(scene: Scene, x: float, y: float, w: float, h: float, rng) -> Rect:
    """A painted metal railing/fence; its bars are recorded in `scene.metal_mask`."""
    paint = [(0.2, 0.22, 0.24), (0.85, 0.86, 0.87), (0.15, 0.35, 0.25), (0.45, 0.47, 0.5)][int(rng.integers(4))]
    m = np.zeros((int(h) + 1, int(w) + 1), np.uint8)
    t = max(2, int(h * 0.05))
    for yy in (0, int(h * 0.5), int(h) - t):
        m[yy:yy + t] = 255
    gap = max(6, int(h * rng.uniform(0.1, 0.2)))
    for xx in range(0, int(w), gap):
        m[:, xx:xx + max(1, t // 2 + 1)] = 255
    mf = m.astype(np.float32) / 255.0
    scene.paint_mask(mf, paint, x, y)
    if scene.metal_mask is None:
        scene.metal_mask = np.zeros((scene.h, scene.w), np.float32)
    draw.add_into(scene.metal_mask, mf, x, y)
    np.clip(scene.metal_mask, 0, 1, out=scene.metal_mask)
    return Rect(x, y, x + w, y + h)


def metal_panel(scene: Scene, x: float, y: float, w: float, h: float, rgb, rng) -> Rect:
    """A painted metal panel / door / cabinet (rust host)."""
    tex = textures.painted_wall(int(h) + 1, int(w) + 1, rgb, rng)
    for k in range(1, 4):
        tex[:, int(w * k / 4):int(w * k / 4) + 1] *= 0.8
    scene.fill(x, y, x + w, y + h, tex)
    if scene.metal_mask is None:
        scene.metal_mask = np.zeros((scene.h, scene.w), np.float32)
    scene.metal_mask[int(max(0, y)):int(y + h), int(max(0, x)):int(x + w)] = 1
    return Rect(x, y, x + w, y + h)


def potted_plant(scene: Scene, x: float, y_ground: float, size: float, rng) -> None:
    pot_w, pot_h = size * 0.5, size * 0.45
    scene.paint(draw.solid(pot_h, pot_w, [(0.9, 0.9, 0.88), (0.2, 0.2, 0.22), (0.55, 0.5, 0.45)][int(rng.integers(3))]),
                x - pot_w / 2, y_ground - pot_h)
    for _ in range(int(rng.integers(6, 14))):
        a = rng.uniform(-2.6, -0.5)
        L = size * rng.uniform(0.4, 0.9)
        cx, cy = x + np.cos(a) * L * 0.5, y_ground - pot_h + np.sin(a) * L * 0.5
        m = draw.ellipse_mask(int(L) + 2, int(L) + 2, (L / 2 + 1, L / 2 + 1), (L * 0.45, L * 0.12), np.degrees(a))
        col = (0.12 + rng.uniform(0, .1), 0.38 + rng.uniform(0, .15), 0.12)
        scene.paint_mask(m, col, cx - L / 2, cy - L / 2)


def ceiling_lights(scene: Scene, y: float, n: int, rng, on: bool = True) -> None:
    for i in range(n):
        x = scene.layout.x0 + (i + 0.5) * scene.layout.w / n
        w, h = scene.layout.w * 0.08, max(3, scene.layout.w * 0.008)
        scene.paint(draw.solid(h, w, (1.0, 1.0, 0.97) if on else (0.75, 0.75, 0.75)), x - w / 2, y)


def waste_bin(scene: Scene, x: float, y_ground: float, h: float, rng) -> None:
    """A closed waste bin (tidy: not litter)."""
    w = h * 0.6
    col = [(0.5, 0.52, 0.55), (0.15, 0.35, 0.2), (0.2, 0.3, 0.5), (0.75, 0.76, 0.78)][int(rng.integers(4))]
    body = draw.solid(h, w, col)
    body[..., :3] *= np.linspace(0.75, 1.15, int(w) if w >= 1 else 1, dtype=np.float32)[None, :body.shape[1], None]
    scene.paint(body, x, y_ground - h)
    scene.paint(draw.solid(h * 0.08, w * 1.08, tuple(c * 0.7 for c in col)), x - w * 0.04, y_ground - h)


def chair(scene: Scene, x: float, y_ground: float, h: float, rng) -> None:
    col = [(0.15, 0.15, 0.17), (0.6, 0.62, 0.65), (0.55, 0.35, 0.2), (0.2, 0.35, 0.6)][int(rng.integers(4))]
    w = h * 0.55
    scene.paint(draw.solid(h * 0.5, w, col), x, y_ground - h)  # back
    scene.paint(draw.solid(h * 0.1, w * 1.05, tuple(c * 0.85 for c in col)), x - w * 0.02, y_ground - h * 0.5)
    for lx in (x + w * 0.05, x + w * 0.85):
        scene.paint(draw.solid(h * 0.42, max(2, w * 0.08), (0.25, 0.25, 0.27)), lx, y_ground - h * 0.42)


def extinguisher(scene: Scene, x: float, y_ground: float, h: float) -> None:
    """A red fire extinguisher (red, but not rust)."""
    w = h * 0.3
    body = draw.solid(h * 0.85, w, (0.8, 0.08, 0.06))
    body[..., :3] *= np.linspace(0.7, 1.2, body.shape[1], dtype=np.float32)[None, :, None]
    scene.paint(body, x, y_ground - h * 0.85)
    scene.paint(draw.solid(h * 0.15, w * 0.5, (0.15, 0.15, 0.15)), x + w * 0.25, y_ground - h)


def bollard(scene: Scene, x: float, y_ground: float, h: float) -> None:
    w = h * 0.25
    b = draw.solid(h, w, (0.3, 0.3, 0.32))
    b[int(h * 0.15):int(h * 0.25), :, :3] = (0.95, 0.8, 0.1)
    b[..., :3] *= np.linspace(0.7, 1.2, b.shape[1], dtype=np.float32)[None, :, None]
    scene.paint(b, x, y_ground - h)


def wall_text(scene: Scene, text: str, x: float, y: float, height: float, rgb, lit: bool = True) -> None:
    """Lettering fixed straight on a wall (slogans, brand names), labelled as text."""
    t = draw.text_sprite(text, height, rgb)
    if x + t.shape[1] > scene.layout.x1:
        x = max(scene.layout.x0 + 2, scene.layout.x1 - t.shape[1] - 2)
    if x + t.shape[1] > scene.layout.x1 or not scene.is_free(Rect(x, y, x + t.shape[1], y + t.shape[0])):
        return
    scene.paint(t, x, y)
    scene.add("text", [(x, y), (x + t.shape[1], y), (x + t.shape[1], y + t.shape[0]), (x, y + t.shape[0])],
              text=text, lit=lit)


def props(scene: Scene, floor_y: float, rng, kinds=("bin", "chair", "extinguisher", "bollard"), n=(0, 3)) -> None:
    """A few tidy everyday objects standing on the floor/ground."""
    L = scene.layout
    scale_at = scene.scale_at
    for _ in range(int(rng.integers(n[0], n[1] + 1))):
        kind = kinds[int(rng.integers(len(kinds)))]
        y = floor_y + (L.y1 - floor_y) * rng.uniform(0.05, 0.6)
        x = L.at(rng.uniform(0.02, 0.92), 0)[0]
        h = L.h * scale_at(y) * {"bin": 0.12, "chair": 0.2, "extinguisher": 0.1, "bollard": 0.1}[kind]
        if not scene.is_free(Rect(x, y - h, x + h, y)):
            continue
        if kind == "bin":
            waste_bin(scene, x, y, h, rng)
        elif kind == "chair":
            chair(scene, x, y, h, rng)
        elif kind == "extinguisher":
            extinguisher(scene, x, y, h)
        else:
            bollard(scene, x, y, h)


def tree(scene: Scene, x: float, y_ground: float, h: float, rng) -> None:
    """A street tree: trunk and a leafy crown of several greens (healthy greenery)."""
    tw = max(2, h * 0.06)
    scene.paint(draw.solid(h * 0.45, tw, (0.3, 0.22, 0.15)), x - tw / 2, y_ground - h * 0.45)
    r = h * 0.32
    for _ in range(int(rng.integers(5, 9))):
        cx, cy = x + rng.uniform(-r * 0.6, r * 0.6), y_ground - h * 0.6 + rng.uniform(-r * 0.5, r * 0.4)
        rr = r * rng.uniform(0.45, 0.7)
        size = int(2 * rr) + 2
        m = draw.ellipse_mask(size, size, (rr + 1, rr + 1), (rr, rr * 0.9))
        leaves = textures.grass(size, size, rng, health=1.0) * rng.uniform(0.7, 1.1)
        scene.paint_mask(m, leaves, cx - rr, cy - rr)


def poster(scene: Scene, x: float, y: float, w: float, h: float, rng, accent=(0.1, 0.3, 0.6)) -> None:
    """A framed notice or price board: coloured header, rows of small print, maybe a photo."""
    if not scene.is_free(Rect(x, y, x + w, y + h)):
        return
    p = draw.solid(h, w, (0.96, 0.96, 0.95))
    hh = max(2, int(h * 0.16))
    p[:hh, :, :3] = accent
    rows = int(rng.integers(3, 8))
    for i in range(rows):
        ry = int(h * (0.25 + 0.7 * i / rows))
        rw = int(w * rng.uniform(0.4, 0.9))
        p[ry:ry + max(1, int(h * 0.03)), int(w * 0.08):int(w * 0.08) + rw, :3] = 0.35
    if rng.random() < 0.5:  # a picture block
        px0, py0 = int(w * 0.55), int(h * 0.3)
        p[py0:py0 + int(h * 0.35), px0:px0 + int(w * 0.35), :3] = np.float32(rng.uniform(0.2, 0.8, 3))
    scene.paint(draw.solid(h + 4, w + 4, (0.25, 0.25, 0.27)), x - 2, y - 2)
    scene.paint(p, x, y)
