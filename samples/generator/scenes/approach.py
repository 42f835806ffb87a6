"""Entrance (doors with the entrance sign) and driveway (vehicle entry/exit with signs, maybe obstacles)."""
from __future__ import annotations

import numpy as np

from samples.generator import draw, textures
from samples.generator.brand import BrandStyle, rgb_to_lab
from samples.generator.camera import CameraView
from samples.generator.scene import Rect, Scene
from samples.generator.scenes import common


def _pair(style: BrandStyle, group: str, area: str) -> list[tuple[str, float]]:
    texts = style.sign_texts(group, area) or style.sign_texts(group)
    if not texts:
        return []
    t = texts[0]
    lines = [(t.main, 1.0)]
    if t.second:
        lines.append((t.second, 0.55))
    return lines


def _sign_colours(style: BrandStyle, rng):
    bg = style.signboard_rgb[int(rng.integers(len(style.signboard_rgb)))]
    if rng.random() < 0.25:
        bg = (0.1, 0.45, 0.2)  # green wayfinding sign
    dark = rgb_to_lab(bg)[0] < 60
    fg = (1, 1, 1) if dark else (0.08, 0.1, 0.15)
    return bg, fg


def build_entrance(scene: Scene, view: CameraView, style: BrandStyle, spec, rng) -> dict[str, Rect]:
    L = scene.layout
    W, H = scene.w, scene.h
    lit = bool(spec.signs_lit) if scene.night else True
    ground_y = L.at(0, rng.uniform(0.78, 0.9))[1]
    top = L.at(0, rng.uniform(-0.1, 0.1))[1]
    scene.paint_sky(max(1, top))
    clad = [(0.8, 0.8, 0.8), (0.7, 0.71, 0.72), (0.9, 0.89, 0.86)][int(rng.integers(3))]
    scene.fill(0, top, W, ground_y, textures.concrete(int(ground_y - top) + 2, W, clad, rng))
    hosts: dict[str, Rect] = {}
    # canopy and doors
    door_w = L.w * rng.uniform(0.3, 0.45)
    door_x = L.at(rng.uniform(0.2, 0.8 - door_w / L.w), 0)[0]
    door_top = L.at(0, rng.uniform(0.35, 0.5))[1]
    glass = textures.glass_panel(int(ground_y - door_top) + 1, int(door_w) + 1, rng, scene.sky_rgb, night=scene.night)
    scene.fill(door_x, door_top, door_x + door_w, ground_y, glass)
    if scene.night:
        scene.glow(np.ones((int(ground_y - door_top) + 1, int(door_w) + 1, 3), np.float32) * 0.25, door_x, door_top)
    fw = max(2, L.w * 0.008)
    for fx in (door_x, door_x + door_w / 2 - fw / 2, door_x + door_w - fw):
        scene.fill(fx, door_top, fx + fw, ground_y, (0.3, 0.3, 0.32))
    scene.fill(door_x, door_top, door_x + door_w, door_top + fw, (0.3, 0.3, 0.32))
    hosts["glass"] = Rect(door_x + fw, door_top + fw, door_x + door_w - fw, ground_y - 2)
    canopy_y = door_top - L.h * rng.uniform(0.05, 0.1)
    scene.fill(door_x - L.w * 0.08, canopy_y, door_x + door_w + L.w * 0.08, canopy_y + L.h * 0.03, (0.55, 0.56, 0.58))
    hosts["wall"] = Rect(L.x0, max(L.y0, top), L.x1, canopy_y - 2)
    # the entrance sign: above the door, or on a post beside it
    bg, fg = _sign_colours(style, rng)
    lines = _pair(style, "entrance", "entrance")
    arrow = ["left", "right", "up", None][int(rng.integers(4))]
    sw = min(L.w * rng.uniform(0.22, 0.32), door_w * 1.1)
    sh = sw * rng.uniform(0.28, 0.38)
    if rng.random() < 0.6:
        sx, sy = door_x + (door_w - sw) / 2, canopy_y - sh - L.h * 0.03
    else:
        side = door_x - sw - L.w * 0.05 if door_x - sw - L.w * 0.05 > L.x0 else door_x + door_w + L.w * 0.05
        sx, sy = side, L.at(0, rng.uniform(0.3, 0.45))[1]
        scene.fill(sx + sw / 2 - L.w * 0.006, sy + sh, sx + sw / 2 + L.w * 0.006, ground_y, (0.45, 0.46, 0.48))
    common.sign_panel(scene, sx, sy, sw, sh, bg, lines, fg=fg, lit=lit, arrow=arrow)
    # the brand name lettered on the canopy, sometimes
    if rng.random() < 0.4:
        brand = style.sign_texts("brand", "entrance")
        if brand:
            t = draw.text_sprite(brand[0].main, L.h * 0.035, (0.15, 0.2, 0.35) if not scene.night else (0.9, 0.9, 0.9))
            tx, ty = door_x + (door_w - t.shape[1]) / 2, door_top + L.h * 0.03
            scene.paint(t, tx, ty)
            scene.add("text", [(tx, ty), (tx + t.shape[1], ty), (tx + t.shape[1], ty + t.shape[0]), (tx, ty + t.shape[0])],
                      text=brand[0].main, lit=lit)
    # ground
    paving = textures.tiles(int(H * 0.6), W // 2, int(W / 2 * rng.uniform(0.04, 0.09)), (0.6, 0.58, 0.55), (0.45, 0.45, 0.45), rng)
    common.floor(scene, ground_y, paving)
    scene.scale_at = common.scale_fn(ground_y, H)
    scene.floor_y = ground_y
    hosts["floor"] = Rect(L.x0, ground_y + 2, L.x1, L.y1 - 2)
    common.props(scene, ground_y, rng, ("bin", "bollard", "extinguisher"), (0, 2))
    if scene.night:
        common.lamp(scene, door_x + door_w / 2, canopy_y + L.h * 0.035, L.w * 0.012, True)
    if "green" in spec.hosts or rng.random() < 0.5:
        pw, ph = L.w * rng.uniform(0.12, 0.22), L.h * rng.uniform(0.08, 0.14)
        px = door_x - pw - L.w * 0.03 if door_x - pw - L.w * 0.03 > L.x0 else min(L.x1 - pw, door_x + door_w + L.w * 0.03)
        hosts["green"] = common.planter(scene, px, ground_y - ph * 0.5, pw, ph, rng)
    if "metal" in spec.hosts or rng.random() < 0.35:
        rw, rh = L.w * rng.uniform(0.2, 0.4), L.h * rng.uniform(0.1, 0.15)
        rx = L.x0 + L.w * 0.02 if rng.random() < 0.5 else L.x1 - rw - L.w * 0.02
        hosts["metal"] = common.railing(scene, rx, ground_y + (L.y1 - ground_y) * 0.3 - rh, rw, rh, rng)
    return hosts


def _cone(scene: Scene, x, y_ground, h, rng):
    w = h * 0.6
    m = draw.poly_mask(int(h) + 1, int(w) + 1, [(w * 0.4, 0), (w * 0.6, 0), (w * 0.95, h * 0.92), (w * 0.05, h * 0.92)])
    spr = np.zeros((int(h) + 1, int(w) + 1, 4), np.float32)
    spr[..., :3] = (0.95, 0.35, 0.05)
    band = slice(int(h * 0.35), int(h * 0.5))
    spr[band, :, :3] = 0.95
    spr[..., 3] = m
    spr[int(h * 0.9):, :, :3] = 0.15
    spr[int(h * 0.9):, :, 3] = 1
    scene.paint(spr, x, y_ground - h)
    scene.add_box("obstacle", x, y_ground - h, w, h, obstacle="cone")


def build_driveway(scene: Scene, view: CameraView, style: BrandStyle, spec, rng) -> dict[str, Rect]:
    L = scene.layout
    W, H = scene.w, scene.h
    lit = bool(spec.signs_lit) if scene.night else True
    horizon = L.at(0, rng.uniform(0.35, 0.5))[1]
    scene.paint_sky(horizon)
    hosts: dict[str, Rect] = {}
    # the dealership building in the distance
    bt = horizon - L.h * rng.uniform(0.12, 0.25)
    bx0, bx1 = L.at(rng.uniform(-0.2, 0.3), 0)[0], L.at(rng.uniform(0.7, 1.2), 0)[0]
    scene.fill(bx0, bt, bx1, horizon, textures.concrete(int(horizon - bt) + 1, int(bx1 - bx0) + 1, (0.8, 0.8, 0.82), rng))
    gl = textures.glass_panel(int((horizon - bt) * 0.5) + 1, int(bx1 - bx0) + 1, rng, scene.sky_rgb, night=scene.night)
    scene.fill(bx0, horizon - (horizon - bt) * 0.5, bx1, horizon, gl)
    hosts["wall"] = Rect(max(L.x0, bx0), max(L.y0, bt), min(L.x1, bx1), horizon - (horizon - bt) * 0.5)
    # asphalt with lane arrows
    RW = W // 2
    road = textures.asphalt(int(H * 0.75), RW, rng)
    lane = int(RW * 0.005) + 1
    road[:, RW // 2 - lane: RW // 2 + lane] = (0.85, 0.85, 0.8)
    for k in range(3):
        a = common.arrow_sprite(RW * 0.12, "up", (0.9, 0.9, 0.88))
        draw.composite(road, a, RW * 0.25 - a.shape[1] / 2, (k + 0.3) * road.shape[0] / 3)
        a2 = common.arrow_sprite(RW * 0.12, "down", (0.9, 0.9, 0.88))
        draw.composite(road, a2, RW * 0.75 - a2.shape[1] / 2, (k + 0.3) * road.shape[0] / 3)
    common.floor(scene, horizon, road)
    scale_at = common.scale_fn(horizon, H, far=0.2)
    scene.scale_at = scale_at
    scene.floor_y = horizon
    hosts["floor"] = Rect(L.x0, horizon + (L.y1 - horizon) * 0.15, L.x1, L.y1 - 2)
    # entry and exit signs on posts at both sides
    groups = [("entrance", "left"), ("exit", "right")]
    if rng.random() < 0.5:
        groups = groups[::-1]
    for i, (group, _side) in enumerate(groups):
        lines = _pair(style, group, "driveway")
        if not lines:
            continue
        bg, fg = _sign_colours(style, rng)
        sw = L.w * rng.uniform(0.16, 0.24)
        sh = sw * rng.uniform(0.35, 0.5)
        fx = rng.uniform(0.03, 0.15) if i == 0 else rng.uniform(0.85 - sw / L.w, 0.97 - sw / L.w)
        sx = L.at(fx, 0)[0]
        sy = L.at(0, rng.uniform(0.12, 0.3))[1]
        post_bottom = horizon + (L.y1 - horizon) * rng.uniform(0.3, 0.6)
        scene.fill(sx + sw / 2 - L.w * 0.005, sy + sh, sx + sw / 2 + L.w * 0.005, post_bottom, (0.5, 0.5, 0.52))
        arrow = ("up", "left", "right")[int(rng.integers(3))]
        common.sign_panel(scene, sx, sy, sw, sh, bg, lines, fg=fg, lit=lit, arrow=arrow)
    # roadside: lawn strip and fence
    if "green" in spec.hosts or rng.random() < 0.5:
        gy = horizon + (L.y1 - horizon) * rng.uniform(0.05, 0.2)
        gw = L.w * rng.uniform(0.2, 0.35)
        gx = L.x0 if rng.random() < 0.5 else L.x1 - gw
        gh = (L.y1 - gy) * 0.35
        scene.fill(gx, gy, gx + gw, gy + gh, textures.grass(int(gh) + 1, int(gw) + 1, rng))
        hosts["green"] = Rect(gx, gy, gx + gw, gy + gh)
    if "metal" in spec.hosts or rng.random() < 0.4:
        rw, rh = L.w * rng.uniform(0.25, 0.45), L.h * rng.uniform(0.07, 0.12)
        rx = L.at(rng.uniform(0.0, 1 - rw / L.w), 0)[0]
        hosts["metal"] = common.railing(scene, rx, horizon - rh * 0.3, rw, rh, rng)
    if rng.random() < 0.5:
        y = horizon + (L.y1 - horizon) * rng.uniform(0.1, 0.4)
        common.car(scene, L.at(rng.uniform(0.0, 0.6), 0)[0], y, L.w * 0.3 * scale_at(y), rng)
    # obstacles in the lane
    if spec.obstacles:
        for _ in range(int(rng.integers(1, 4))):
            y = horizon + (L.y1 - horizon) * rng.uniform(0.3, 0.9)
            _cone(scene, L.at(rng.uniform(0.15, 0.8), 0)[0], y, L.h * 0.12 * scale_at(y), rng)
    return hosts
