"""Putting a brand mark on a wall: material, rotation, glow, and its label."""
from __future__ import annotations

import numpy as np

from samples.generator import draw, materials
from samples.generator.brand import BrandStyle, mark_rgba
from samples.generator.scene import Scene


def place_mark(scene: Scene, style: BrandStyle, variant: str, cx: float, cy: float, size: float, *,
               material: str = "flat", angle: float = 0.0, lit: bool = False, on_dark: bool = False) -> np.ndarray:
    """Draw a mark with its artwork centred at (cx, cy), longer side `size` canvas px.

    variant: "current", "deprecated" or "foreign". Returns the artwork's quad (4x2, canvas px).
    Adds an Item "logo" (current mark) or "wrong_mark" (old or foreign mark).
    """
    art_variant = {"current": "white" if on_dark else "colour"}.get(variant, variant)
    if variant == "current" and lit and material == "acrylic" and not on_dark:
        art_variant = "colour"
    art = mark_rgba(style, art_variant, size)
    rendered = materials.render(art, material, scene.rng, lit=lit and scene.night)
    sprite, light = rendered.sprite, rendered.light
    fx, fy, fw, fh = rendered.face_xywh
    face = np.float32([[fx, fy], [fx + fw, fy], [fx + fw, fy + fh], [fx, fy + fh]])
    if abs(angle) > 0.01:
        sprite, M = draw.rotate_sprite(sprite, angle)
        if light is not None:
            light = draw.rotate_sprite(np.dstack([light, np.ones(light.shape[:2], np.float32)]), angle)[0][..., :3]
        face = (np.hstack([face, np.ones((4, 1), np.float32)]) @ M.T).astype(np.float32)
    centre = face.mean(axis=0)
    ox, oy = cx - centre[0], cy - centre[1]
    scene.paint(sprite, ox, oy)
    if light is not None:
        scene.glow(light, ox, oy)
        scene.light_pool(cx, cy, size * 0.8, 0.3)
    quad = face + np.float32([ox, oy])
    kind = "logo" if variant == "current" else "wrong_mark"
    scene.add(kind, quad, variant=variant, material=material, angle=angle, lit=lit)
    return quad
