"""The front of the dealership: sky, cladding, the signboard with the brand mark, showroom glass,
the forecourt. The mark is placed where the photo's case wants it (inside the brand's
placement zone, too low, too small, tilted), computed in photo coordinates through the camera.
"""
from __future__ import annotations

import numpy as np

from samples.generator import draw, textures
from samples.generator.brand import FOREIGN_NAME, BrandStyle, rgb_to_lab
from samples.generator.camera import CameraView
from samples.generator.scene import Rect, Scene
from samples.generator.scenes import common
from samples.generator.scenes.marks import place_mark

CLADDING = [(0.78, 0.79, 0.80), (0.88, 0.88, 0.86), (0.62, 0.64, 0.66), (0.92, 0.92, 0.93), (0.55, 0.55, 0.57)]


def _photo_to_canvas(view: CameraView, fx: float, fy: float, width_frac: float) -> tuple[float, float, float]:
    """Centre (canvas px) and width (canvas px) of something at photo fractions (fx, fy), width_frac wide."""
    c = view.unproject([(fx * view.out_w, fy * view.out_h)])[0]
    p = view.project([c, c + np.float32([10, 0])])
    mag = float(np.linalg.norm(p[1] - p[0])) / 10.0
    return float(c[0]), float(c[1]), width_frac * view.out_w / max(mag, 1e-6)


def _mark_target(case: str, style: BrandStyle, rng, aspect: float) -> tuple[float, float, float, float]:
    """(centre x, centre y, width) in photo fractions and tilt (deg) for a placement case."""
    z = style.placement
    zx0, zy0, zx1, zy1 = z.xyxy
    if case == "small":
        wf = rng.uniform(max(0.016, z.min_width * 0.35), z.min_width * 0.7)
    else:
        wf = rng.uniform(max(z.min_width * 1.5, 0.07), min(z.max_width * 0.7, 0.22))
    hf = wf * aspect
    m = 0.03
    if case == "low":
        y_lo = zy1 + hf / 2 + 0.06
        cy = rng.uniform(y_lo, max(y_lo, 0.9 - hf / 2))
    else:
        cy = rng.uniform(zy0 + hf / 2 + m + 0.03, max(zy0 + hf / 2 + m + 0.03, zy1 - hf / 2 - m))
    cx = rng.uniform(zx0 + wf / 2 + m, max(zx0 + wf / 2 + m, zx1 - wf / 2 - m))
    tilt = 0.0
    if case == "tilted":
        tilt = float(rng.choice([-1, 1]) * rng.uniform(max(12.0, z.max_tilt_deg * 3), 28.0))
    return cx, cy, wf, tilt


def _is_dark(rgb) -> bool:
    return rgb_to_lab(rgb)[0] < 60


def build(scene: Scene, view: CameraView, style: BrandStyle, spec, rng) -> dict[str, Rect]:
    L = scene.layout
    W, H = scene.w, scene.h
    ground_y = L.at(0, rng.uniform(0.8, 0.92))[1]
    lit = bool(spec.signs_lit) if scene.night else True
    case = spec.logo_case
    bg = style.signboard_rgb[int(rng.integers(len(style.signboard_rgb)))]
    if spec.material in ("chrome", "brushed") and case != "none":  # metal marks are mounted on dark panels
        bg = min(style.signboard_rgb, key=lambda c: rgb_to_lab(c)[0])
    dark_bg = _is_dark(bg)
    fg = (1, 1, 1) if dark_bg else (style.signboard_rgb[0] if _is_dark(style.signboard_rgb[0]) else (0.1, 0.1, 0.12))

    # -- the mark's place decides the signboard's place -----------------------------------
    variant = {"deprecated": "deprecated", "foreign": "foreign"}.get(case, "current")
    mark = None
    if case != "none":
        mcx, mcy, mw, tilt = _mark_target(case, style, rng, view.out_w / view.out_h)
        cx, cy, size = _photo_to_canvas(view, mcx, mcy, mw)
        mark = (cx, cy, size, tilt)
    if mark is not None and case != "low":
        band_cy = mark[1]
        band_h = mark[2] * (rng.uniform(3.0, 4.5) if case == "small" else rng.uniform(1.3, 1.7))
    else:
        band_cy = L.at(0, rng.uniform(0.12, 0.3))[1]
        band_h = L.h * rng.uniform(0.1, 0.16)
    band_top = band_cy - band_h / 2
    building_top = min(band_top - band_h * rng.uniform(0.3, 1.5), L.at(0, rng.uniform(0.0, 0.15))[1])
    scene.paint_sky(max(1, building_top))
    clad = CLADDING[int(rng.integers(len(CLADDING)))]
    if scene.night:
        clad = tuple(c * 0.8 for c in clad)
    upper = textures.concrete(int(ground_y - building_top) + 2, W, clad, rng, 0.05)
    panel_w = int(rng.uniform(0.08, 0.2) * L.w)
    upper[:, ::max(2, panel_w)] *= 0.85
    scene.fill(0, building_top, W, ground_y, upper)
    scene.fill(0, building_top, W, building_top + max(2, L.h * 0.012), tuple(c * 0.75 for c in clad))  # parapet edge
    hosts: dict[str, Rect] = {}
    hosts["wall"] = Rect(L.x0, max(L.y0, building_top), L.x1, max(L.y0 + 2, band_top - 2))

    # -- showroom glass below the signboard ------------------------------------------------
    glass_top = band_cy + band_h / 2 + band_h * rng.uniform(0.3, 0.8)
    if mark is not None and case == "low":
        glass_top = min(glass_top, mark[1] - mark[2])
    glass_top = min(glass_top, ground_y - L.h * 0.15)
    gx0 = L.x0 + L.w * rng.uniform(-0.1, 0.15)
    gx1 = L.x1 - L.w * rng.uniform(-0.1, 0.2)
    gh = int(ground_y - glass_top)
    glass = textures.glass_panel(gh + 1, int(gx1 - gx0) + 1, rng, scene.sky_rgb, night=scene.night)
    scene.fill(gx0, glass_top, gx1, ground_y, glass)
    if scene.night and rng.random() < 0.8:  # the showroom is lit inside: bright under its ceiling lights
        gw = int(gx1 - gx0) + 1
        fall = np.linspace(1.0, 0.45, gh + 1, dtype=np.float32)[:, None, None]
        inside = np.ones((gh + 1, gw, 3), np.float32) * fall * np.float32((0.55, 0.5, 0.4)) * rng.uniform(0.25, 0.55)
        inside *= (1 + 0.25 * textures.fractal(gh + 1, gw, max(4, gw / 6), rng, 2))[..., None]
        scene.glow(np.clip(inside, 0, None), gx0, glass_top)
    mull = max(2, int(L.w * 0.006))
    step = L.w * rng.uniform(0.1, 0.18)
    x = gx0
    while x <= gx1:
        scene.fill(x, glass_top, x + mull, ground_y, (0.35, 0.36, 0.38))
        x += step
    scene.fill(gx0, glass_top, gx1, glass_top + mull, (0.35, 0.36, 0.38))
    hosts["glass"] = Rect(max(L.x0, gx0 + mull), max(L.y0, glass_top + mull), min(L.x1, gx1 - mull), min(L.y1, ground_y - 2))
    # a pillar of another material at one side (tiles or brick: rust-coloured but clean)
    if rng.random() < 0.5:
        px = gx1 if rng.random() < 0.5 else max(0, gx0 - L.w * 0.12)
        pw = L.w * rng.uniform(0.06, 0.12)
        tex = textures.brick(int(ground_y - glass_top) + 1, int(pw) + 1, rng, max(6, int(L.h * 0.02))) \
            if rng.random() < 0.5 else textures.tiles(int(ground_y - glass_top) + 1, int(pw) + 1, int(L.h * 0.05),
                                                      (0.8, 0.78, 0.74), (0.6, 0.6, 0.6), rng)
        scene.fill(px, glass_top, px + pw, ground_y, tex)

    # -- the signboard ----------------------------------------------------------------------
    name_zh, name_en = (FOREIGN_NAME if case == "foreign" else (style.name_zh, style.name_en))
    full_band = rng.random() < 0.5
    text_h = band_h * 0.36
    family = ("sans", "serif")[int(rng.random() < 0.25)]
    zh = draw.text_sprite(name_zh, text_h, fg, family=family)
    en = draw.text_sprite(name_en, text_h * 0.5, fg, family="condensed" if rng.random() < 0.3 else family)
    text_w = max(zh.shape[1], en.shape[1])
    if mark is not None and case != "low":
        mark_w = mark[2]
        gap = band_h * 0.25
        right = mark[0] + mark_w / 2 + gap
        text_x = right if right + text_w < L.x1 or mark[0] - mark_w / 2 - gap - text_w < L.x0 else mark[0] - mark_w / 2 - gap - text_w
        px0 = min(mark[0] - mark_w / 2, text_x) - band_h * 0.3
        px1 = max(mark[0] + mark_w / 2, text_x + text_w) + band_h * 0.3
    else:
        text_x = L.x0 + rng.uniform(0.1, max(0.11, 0.9 - text_w / L.w)) * L.w
        px0, px1 = text_x - band_h * 0.4, text_x + text_w + band_h * 0.4
    if full_band:
        px0, px1 = min(px0, 0), max(px1, W)
    scene.paint(draw.solid(band_h * 1.08, px1 - px0 + band_h * 0.08, (0.5, 0.52, 0.55)), px0 - band_h * 0.04, band_top - band_h * 0.04)
    panel = draw.solid(band_h, px1 - px0, bg)
    panel[..., :3] *= (1 + 0.05 * np.linspace(1, -1, panel.shape[0], dtype=np.float32))[:, None, None]
    scene.paint(panel, px0, band_top)
    zh_y = band_cy - (zh.shape[0] + en.shape[0] * 1.2) / 2
    en_y = zh_y + zh.shape[0] + en.shape[0] * 0.2
    scene.paint(zh, text_x + (text_w - zh.shape[1]) / 2, zh_y)
    scene.paint(en, text_x + (text_w - en.shape[1]) / 2, en_y)
    for spr, tx, ty, text in ((zh, text_x + (text_w - zh.shape[1]) / 2, zh_y, name_zh),
                              (en, text_x + (text_w - en.shape[1]) / 2, en_y, name_en)):
        scene.add("text", [(tx, ty), (tx + spr.shape[1], ty), (tx + spr.shape[1], ty + spr.shape[0]), (tx, ty + spr.shape[0])],
                  text=text, lit=lit, foreign=case == "foreign")
    if scene.night and lit:
        face = panel.copy()
        draw.composite(face[..., :3], zh, text_x + (text_w - zh.shape[1]) / 2 - px0, zh_y - band_top)
        draw.composite(face[..., :3], en, text_x + (text_w - en.shape[1]) / 2 - px0, en_y - band_top)
        common.emit_sign(scene, face[..., :3], px0, band_top, bg, rng)
    scene.add("sign", [(px0, band_top), (px1, band_top), (px1, band_top + band_h), (px0, band_top + band_h)], lit=lit)

    # -- the mark ---------------------------------------------------------------------------
    if mark is not None:
        cx, cy, size, tilt = mark
        if case == "low":  # on a low plate by the entrance, with its own backing
            plate = size * rng.uniform(1.2, 1.5)
            plate_rgb = bg if rng.random() < 0.6 or spec.material in ("chrome", "brushed") else (0.85, 0.86, 0.87)
            scene.paint(draw.solid(plate, plate, plate_rgb), cx - plate / 2, cy - plate / 2)
            on_dark = _is_dark(plate_rgb)
            scene.add("sign", [(cx - plate / 2, cy - plate / 2), (cx + plate / 2, cy - plate / 2),
                               (cx + plate / 2, cy + plate / 2), (cx - plate / 2, cy + plate / 2)], lit=lit)
        else:
            on_dark = dark_bg
        material = spec.material
        if scene.night and lit:
            material = "acrylic"
        place_mark(scene, style, variant, cx, cy, size, material=material, angle=tilt, lit=lit, on_dark=on_dark)

    # -- the service brand on a smaller panel by the entrance, sometimes --
    service = style.sign_texts("service_brand", "facade")
    if service and case not in ("low", "foreign") and rng.random() < 0.4:
        t = service[0]
        sw = L.w * rng.uniform(0.16, 0.24)
        sx = L.at(rng.uniform(0.05, 0.95 - sw / L.w), 0)[0]
        sy = glass_top + (ground_y - glass_top) * rng.uniform(0.05, 0.2)
        if scene.is_free(Rect(sx, sy, sx + sw, sy + sw * 0.3)):
            lines = [(t.main, 1.0)] + ([(t.second, 0.5)] if t.second else [])
            common.sign_panel(scene, sx, sy, sw, sw * 0.3, bg, lines, fg=fg, lit=lit)

    # -- forecourt --------------------------------------------------------------------------
    paving = textures.tiles(int(H * 0.6), W // 2, int(W / 2 * rng.uniform(0.05, 0.1)), (0.62, 0.61, 0.58), (0.5, 0.5, 0.5), rng, 0.05) \
        if rng.random() < 0.5 else textures.asphalt(int(H * 0.6), W // 2, rng)
    common.floor(scene, ground_y, paving)
    scale_at = common.scale_fn(ground_y, H)
    scene.floor_y = ground_y
    hosts["floor"] = Rect(L.x0, ground_y + 2, L.x1, L.y1 - 2)
    if scene.night:
        for i in range(int(rng.integers(1, 4))):
            # canopy downlights: the building's lights, on whether or not its signs are
            common.lamp(scene, L.at(rng.uniform(0.05, 0.95), 0)[0], glass_top - band_h * 0.2, L.w * 0.01, True)
    if rng.random() < 0.6:
        common.car(scene, L.at(rng.uniform(-0.1, 0.6), 0)[0], ground_y + (L.y1 - ground_y) * rng.uniform(0.3, 0.9),
                   L.w * rng.uniform(0.25, 0.4), rng)
    for _ in range(int(rng.integers(0, 3))):
        tx = L.at(rng.choice([rng.uniform(-0.05, 0.12), rng.uniform(0.88, 1.05)]), 0)[0]
        ty = ground_y + (L.y1 - ground_y) * rng.uniform(0.0, 0.3)
        if scene.is_free(Rect(tx - L.h * 0.2, ty - L.h * 0.55, tx + L.h * 0.2, ty)):
            common.tree(scene, tx, ty, L.h * rng.uniform(0.35, 0.55), rng)
    common.props(scene, ground_y, rng, ("bin", "bollard"), (0, 2))
    if "green" in spec.hosts or rng.random() < 0.4:
        pw, ph = L.w * rng.uniform(0.15, 0.3), L.h * rng.uniform(0.1, 0.16)
        px = L.at(rng.uniform(0.0, 1 - pw / L.w), 0)[0]
        hosts["green"] = common.planter(scene, px, ground_y - ph * 0.2, pw, ph, rng)
    if "metal" in spec.hosts or rng.random() < 0.35:
        rw, rh = L.w * rng.uniform(0.3, 0.6), L.h * rng.uniform(0.08, 0.14)
        rx = L.at(rng.uniform(0.0, 1 - rw / L.w), 0)[0]
        ry = ground_y + (L.y1 - ground_y) * rng.uniform(0.0, 0.3) - rh
        hosts["metal"] = common.railing(scene, rx, ry, rw, rh, rng)
    scene.scale_at = scale_at
    return hosts
