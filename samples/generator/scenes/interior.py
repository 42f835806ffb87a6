"""Inside the dealership: service reception, workshop, customer lounge (also the staff backdrop)."""
from __future__ import annotations

import numpy as np

from samples.generator import draw, textures
from samples.generator.brand import BrandStyle, rgb_to_lab
from samples.generator.camera import CameraView
from samples.generator.scene import Rect, Scene
from samples.generator.scenes import common
from samples.generator.scenes.marks import place_mark

WALLS = [(0.92, 0.91, 0.88), (0.85, 0.87, 0.9), (0.8, 0.8, 0.78), (0.95, 0.95, 0.95), (0.7, 0.74, 0.78)]


def _area_sign(scene: Scene, style: BrandStyle, area: str, x, y, w, rng, lit=True) -> Rect | None:
    texts = style.sign_texts("area_sign", area)
    if not texts:
        return None
    t = texts[0]
    lines = [(t.main, 1.0)] + ([(t.second, 0.5)] if t.second else [])
    bg = style.signboard_rgb[int(rng.integers(len(style.signboard_rgb)))]
    fg = (1, 1, 1) if rgb_to_lab(bg)[0] < 60 else (0.08, 0.12, 0.2)
    h = w * rng.uniform(0.22, 0.32)
    return common.sign_panel(scene, x, y, w, h, bg, lines, fg=fg, lit=lit)


def _room(scene: Scene, rng, wall_rgb, floor_tex_fn) -> tuple[float, float]:
    """Ceiling, back wall, floor. Returns (ceiling line y, floor line y)."""
    L = scene.layout
    W, H = scene.w, scene.h
    ceil_y = L.at(0, rng.uniform(-0.05, 0.12))[1]
    floor_y = L.at(0, rng.uniform(0.6, 0.75))[1]
    scene.fill(0, 0, W, max(1, ceil_y), textures.painted_wall(int(max(1, ceil_y)) + 1, W, (0.9, 0.9, 0.9), rng) * 0.9)
    wall = textures.painted_wall(int(floor_y - ceil_y) + 1, W, wall_rgb, rng)
    t = np.linspace(0, 1, wall.shape[0], dtype=np.float32)
    wall *= (1 - 0.12 * np.exp(-t * 25) - 0.18 * np.exp(-(1 - t) * 20))[:, None, None]  # corners catch less light
    skirting = max(2, int(L.h * 0.015))
    wall[-skirting:] = np.float32((0.3, 0.3, 0.32)) if rng.random() < 0.5 else wall[-skirting:] * 0.8
    scene.fill(0, ceil_y, W, floor_y, wall)
    common.floor(scene, floor_y, floor_tex_fn(int(H * 0.65), W // 2))
    scene.floor_y = floor_y
    common.ceiling_lights(scene, max(2, ceil_y - L.h * 0.03), int(rng.integers(2, 5)), rng)
    scene.ceiling_y = ceil_y
    scene.scale_at = common.scale_fn(floor_y, H, far=0.45)
    return ceil_y, floor_y


def _posters(scene: Scene, style: BrandStyle, rng, n=(0, 3)) -> None:
    """Notices and price boards on the back wall, where they leave signs alone."""
    L = scene.layout
    ceil_y, floor_y = scene.ceiling_y, scene.floor_y
    for _ in range(int(rng.integers(n[0], n[1] + 1))):
        w = L.w * rng.uniform(0.06, 0.12)
        h = w * rng.uniform(1.2, 1.5)
        x = L.at(rng.uniform(0.02, 0.9), 0)[0]
        y = ceil_y + (floor_y - ceil_y) * rng.uniform(0.15, 0.4)
        common.poster(scene, x, y, w, h, rng, style.signboard_rgb[int(rng.integers(len(style.signboard_rgb)))])


def _slogan(scene: Scene, style: BrandStyle, area: str, ceil_y: float, rng) -> None:
    """The brand's slogan lettered on the wall, sometimes."""
    slogans = style.sign_texts("slogan", area)
    if not slogans or rng.random() < 0.5:
        return
    L = scene.layout
    h = L.h * rng.uniform(0.035, 0.05)
    common.wall_text(scene, slogans[0].main, L.at(rng.uniform(0.05, 0.5), 0)[0], ceil_y + L.h * rng.uniform(0.02, 0.06),
                     h, style.signboard_rgb[0] if rgb_to_lab(style.signboard_rgb[0])[0] < 60 else (0.2, 0.2, 0.22))


def reflect_on_floor(scene: Scene, strength: float) -> None:
    """A polished floor mirrors what stands on the back wall, fading with distance."""
    fy = int(scene.floor_y or 0)
    depth = min(fy, scene.h - fy, int(scene.layout.h * 0.3))
    if depth < 4:
        return
    mirrored = scene.rgb[fy - depth:fy][::-1]
    fade = np.linspace(strength, 0, depth, dtype=np.float32)[:, None, None]
    region = scene.rgb[fy:fy + depth]
    region += (mirrored - region) * fade


def build_reception(scene: Scene, view: CameraView, style: BrandStyle, spec, rng) -> dict[str, Rect]:
    L = scene.layout
    floor_tex = lambda h, w: textures.tiles(h, w, int(w * rng.uniform(0.06, 0.1)), (0.85, 0.84, 0.82), (0.7, 0.7, 0.7),
                                            rng, 0.02, gloss=True)
    ceil_y, floor_y = _room(scene, rng, WALLS[int(rng.integers(len(WALLS)))], floor_tex)
    hosts: dict[str, Rect] = {"wall": Rect(L.x0, max(L.y0, ceil_y + 2), L.x1, floor_y - L.h * 0.3)}
    # backdrop wall panel in brand colour with the mark (reception logo wall)
    bg = style.signboard_rgb[int(rng.integers(len(style.signboard_rgb)))]
    if spec.logo_case == "wall" and spec.material in ("chrome", "brushed"):
        bg = min(style.signboard_rgb, key=lambda c: rgb_to_lab(c)[0])
    bw = L.w * rng.uniform(0.35, 0.5)
    bx = L.at(rng.uniform(0.05, 0.95 - bw / L.w), 0)[0]
    by0, by1 = ceil_y + L.h * 0.08, floor_y - L.h * 0.05
    scene.fill(bx, by0, bx + bw, by1, textures.painted_wall(int(by1 - by0) + 1, int(bw) + 1, bg, rng))
    on_dark = rgb_to_lab(bg)[0] < 60
    if spec.logo_case == "wall":
        size = min(bw * 0.3, (by1 - by0) * 0.45)
        place_mark(scene, style, "current", bx + bw / 2, by0 + (by1 - by0) * 0.33, size,
                   material=spec.material, on_dark=on_dark)
    # glass partition at one side
    gw = L.w * rng.uniform(0.15, 0.25)
    gx = L.x0 + L.w * 0.01 if bx - L.x0 > gw + L.w * 0.03 else L.x1 - gw - L.w * 0.01
    if not (gx + gw < bx or gx > bx + bw):
        gx = None
    if gx is not None or "glass" in spec.hosts:
        if gx is None:
            gx = L.x0 + L.w * 0.01
        hosts["glass"] = common.window(scene, gx, ceil_y + L.h * 0.1, gw, floor_y - ceil_y - L.h * 0.12, rng)
    # the area sign
    sw = L.w * rng.uniform(0.22, 0.3)
    sx = bx + (bw - sw) / 2 if spec.logo_case != "wall" else (L.x0 + L.w * 0.03 if bx - L.x0 > sw + L.w * 0.05 else bx + bw + L.w * 0.02)
    sx = min(max(sx, L.x0 + 2), L.x1 - sw - 2)
    sy = by0 + (by1 - by0) * (0.55 if spec.logo_case == "wall" else 0.12)
    if spec.logo_case == "wall" and sx < bx + bw and sx + sw > bx:
        sy = by0 + (by1 - by0) * 0.62
    _area_sign(scene, style, "reception", sx, sy, sw, rng)
    _slogan(scene, style, "reception", ceil_y, rng)
    _posters(scene, style, rng)
    reflect_on_floor(scene, rng.uniform(0.08, 0.3))
    # the counter in front
    cy0 = floor_y - L.h * rng.uniform(0.02, 0.06)
    ch = max(L.h * 0.06, min(L.h * rng.uniform(0.16, 0.22), L.y1 - L.h * 0.14 - cy0))
    cx0, cx1 = L.at(rng.uniform(0.1, 0.3), 0)[0], L.at(rng.uniform(0.7, 0.9), 0)[0]
    front = textures.wood(int(ch) + 1, int(cx1 - cx0) + 1, rng) if rng.random() < 0.4 else \
        textures.painted_wall(int(ch) + 1, int(cx1 - cx0) + 1, (0.95, 0.95, 0.95), rng)
    scene.fill(cx0, cy0, cx1, cy0 + ch, front)
    scene.fill(cx0 - L.w * 0.01, cy0 - L.h * 0.015, cx1 + L.w * 0.01, cy0, (0.3, 0.3, 0.32))
    scene.fill(cx0, cy0 + ch * 0.7, cx1, cy0 + ch * 0.78, style.signboard_rgb[0])
    hosts["floor"] = Rect(L.x0, cy0 + ch + 4, L.x1, L.y1 - 2)
    if rng.random() < 0.7:
        common.potted_plant(scene, L.at(rng.uniform(0.05, 0.95), 0)[0], floor_y + L.h * 0.05, L.w * 0.08, rng)
    if "green" in spec.hosts:
        hosts["green"] = common.planter(scene, L.at(0.02, 0)[0], floor_y - L.h * 0.02, L.w * 0.2, L.h * 0.12, rng)
    if "metal" in spec.hosts:
        hosts["metal"] = common.metal_panel(scene, L.x1 - L.w * 0.12, ceil_y + L.h * 0.15, L.w * 0.1,
                                            floor_y - ceil_y - L.h * 0.15, (0.55, 0.58, 0.6), rng)
    common.props(scene, cy0 + ch, rng, ("bin", "chair", "chair"), (0, 3))
    return hosts


def build_workshop(scene: Scene, view: CameraView, style: BrandStyle, spec, rng) -> dict[str, Rect]:
    L = scene.layout
    epoxy = [(0.45, 0.48, 0.5), (0.35, 0.45, 0.38), (0.55, 0.55, 0.52)][int(rng.integers(3))]

    def floor_tex(h, w):
        t = textures.concrete(h, w, epoxy, rng, 0.06)
        t[:, int(w * 0.3):int(w * 0.31)] = (0.9, 0.8, 0.1)
        t[:, int(w * 0.7):int(w * 0.71)] = (0.9, 0.8, 0.1)
        return t

    ceil_y, floor_y = _room(scene, rng, [(0.78, 0.8, 0.82), (0.85, 0.85, 0.83), (0.7, 0.72, 0.7)][int(rng.integers(3))],
                            floor_tex)
    hosts: dict[str, Rect] = {"wall": Rect(L.x0, max(L.y0, ceil_y + 2), L.x1, floor_y - L.h * 0.3)}
    # lift with a car, tool cabinets, tyre rack
    lift_x = L.at(rng.uniform(0.15, 0.4), 0)[0]
    lift_w = L.w * rng.uniform(0.35, 0.5)
    post_w = L.w * 0.025
    for px in (lift_x, lift_x + lift_w - post_w):
        scene.fill(px, ceil_y + L.h * 0.15, px + post_w, floor_y + L.h * 0.02, (0.15, 0.3, 0.6))
    car_y = floor_y - L.h * rng.uniform(0.0, 0.2)
    common.car(scene, lift_x + post_w, car_y, lift_w - 2 * post_w, rng)
    cab_rgb = [(0.7, 0.1, 0.1), (0.15, 0.25, 0.55), (0.2, 0.2, 0.22), (0.6, 0.6, 0.62)][int(rng.integers(4))]
    cab_w = L.w * rng.uniform(0.1, 0.16)
    cab_x = L.x1 - cab_w - L.w * rng.uniform(0.02, 0.1) if lift_x + lift_w < L.x1 - cab_w - L.w * 0.05 else L.x0 + L.w * 0.02
    cab_h = L.h * rng.uniform(0.15, 0.25)
    hosts["metal"] = common.metal_panel(scene, cab_x, floor_y - cab_h, cab_w, cab_h, cab_rgb, rng)
    for k in range(1, 5):  # drawers
        scene.fill(cab_x + 3, floor_y - cab_h + k * cab_h / 5, cab_x + cab_w - 3, floor_y - cab_h + k * cab_h / 5 + 2,
                   (0.1, 0.1, 0.1))
    # the area sign high on the wall
    sw = L.w * rng.uniform(0.2, 0.3)
    sx = L.at(rng.uniform(0.05, 0.95 - sw / L.w), 0)[0]
    _area_sign(scene, style, "workshop", sx, ceil_y + L.h * rng.uniform(0.01, 0.05), sw, rng)
    _posters(scene, style, rng, (0, 2))
    if "glass" in spec.hosts or rng.random() < 0.4:
        ww = L.w * 0.18
        wx = L.x0 + L.w * 0.02 if sx > L.x0 + ww + L.w * 0.05 else L.x1 - ww - L.w * 0.02
        hosts["glass"] = common.window(scene, wx, ceil_y + L.h * 0.2, ww, L.h * 0.18, rng)
    if "green" in spec.hosts:
        hosts["green"] = common.planter(scene, L.at(0.02, 0)[0], floor_y + L.h * 0.02, L.w * 0.2, L.h * 0.12, rng)
    common.props(scene, floor_y, rng, ("bin", "extinguisher", "bollard"), (0, 2))
    hosts["floor"] = Rect(L.x0, floor_y + L.h * 0.04, L.x1, L.y1 - 2)
    return hosts


def build_lounge(scene: Scene, view: CameraView, style: BrandStyle, spec, rng) -> dict[str, Rect]:
    L = scene.layout
    floor_tex = (lambda h, w: textures.wood(h, w, rng, (0.6, 0.45, 0.3))) if rng.random() < 0.5 else \
        (lambda h, w: textures.tiles(h, w, int(w * 0.08), (0.8, 0.78, 0.75), (0.65, 0.65, 0.65), rng, gloss=True))
    ceil_y, floor_y = _room(scene, rng, WALLS[int(rng.integers(len(WALLS)))], floor_tex)
    hosts: dict[str, Rect] = {"wall": Rect(L.x0, max(L.y0, ceil_y + 2), L.x1, floor_y - L.h * 0.3)}
    # big windows
    ww = L.w * rng.uniform(0.25, 0.4)
    wx = L.at(rng.uniform(0.0, 0.3), 0)[0] if rng.random() < 0.5 else L.at(rng.uniform(0.55, 1 - ww / L.w), 0)[0]
    hosts["glass"] = common.window(scene, wx, ceil_y + L.h * 0.08, ww, floor_y - ceil_y - L.h * 0.15, rng)
    # the area sign on the wall away from the window
    sw = L.w * rng.uniform(0.22, 0.3)
    sx = wx + ww + L.w * 0.05 if wx + ww + sw + L.w * 0.06 < L.x1 else max(L.x0 + 2, wx - sw - L.w * 0.05)
    _area_sign(scene, style, "lounge", sx, ceil_y + L.h * rng.uniform(0.05, 0.12), sw, rng)
    # a TV and a slogan
    if rng.random() < 0.5:
        tw = L.w * 0.15
        tx = min(L.x1 - tw - 2, sx + sw * 0.2)
        scene.fill(tx, ceil_y + L.h * 0.3, tx + tw, ceil_y + L.h * 0.3 + tw * 0.56, (0.05, 0.06, 0.08))
    _slogan(scene, style, "lounge", ceil_y, rng)
    _posters(scene, style, rng)
    if rng.random() < 0.5:
        reflect_on_floor(scene, rng.uniform(0.05, 0.2))
    # sofas and a table
    sofa_rgb = [(0.45, 0.45, 0.5), (0.6, 0.35, 0.2), (0.2, 0.3, 0.45), (0.8, 0.78, 0.72), (0.5, 0.55, 0.4)][int(rng.integers(5))]
    for k in range(int(rng.integers(1, 3))):
        sw2 = L.w * rng.uniform(0.22, 0.32)
        sx2 = L.at(rng.uniform(0.02, 0.98 - sw2 / L.w), 0)[0]
        sy2 = floor_y + L.h * rng.uniform(0.02, 0.15)
        sh2 = L.h * 0.16
        back = draw.solid(sh2 * 0.6, sw2, sofa_rgb)
        back[..., :3] *= (1 + 0.05 * textures.value_noise(back.shape[0], back.shape[1], 20, rng))[..., None]
        scene.paint(back, sx2, sy2 - sh2)
        seat = draw.solid(sh2 * 0.45, sw2 * 1.04, tuple(c * 0.85 for c in sofa_rgb))
        scene.paint(seat, sx2 - sw2 * 0.02, sy2 - sh2 * 0.45)
    if "green" in spec.hosts or rng.random() < 0.6:
        pw = L.w * rng.uniform(0.1, 0.18)
        hosts["green"] = common.planter(scene, L.at(rng.uniform(0.0, 1 - pw / L.w), 0)[0], floor_y - L.h * 0.06,
                                        pw, L.h * 0.14, rng)
    else:
        common.potted_plant(scene, L.at(rng.uniform(0.05, 0.95), 0)[0], floor_y + L.h * 0.05, L.w * 0.09, rng)
    if "metal" in spec.hosts:
        hosts["metal"] = common.railing(scene, L.at(0.55, 0)[0], floor_y - L.h * 0.1, L.w * 0.4, L.h * 0.12, rng)
    hosts["floor"] = Rect(L.x0, floor_y + L.h * 0.17, L.x1, L.y1 - 2)
    return hosts
