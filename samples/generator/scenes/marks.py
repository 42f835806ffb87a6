"""Putting a brand mark on a wall: material, rotation, glow, and its label."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samples.generator import draw, materials
from samples.generator.brand import BrandStyle, mark_rgba
from samples.generator.scene import Scene


def place_mark(scene: Scene, style: BrandStyle, variant: str, cx: float, cy: float, size: float, *,
               material: str = "flat", angle: float = 0.0, lit: bool = False, on_dark: bool = False) -> np.ndarray:
    """Draw a mark with its artwork centred at (cx, cy), longer side `size` canvas px.

    variant: "current", "deprecated" or "foreign". Returns the artwork's quad (4x2, canvas px).
    Adds an Item "logo" (current mark) or "wrong_mark" (old or foreign mark), which keeps the
    mark's stroke layer (`_strokes`, a `StrokeLayer`) for the visibility rule of the labels.
    """
    art_variant = {"current": "white" if on_dark else "colour"}.get(variant, variant)
    if variant == "current" and lit and material == "acrylic" and not on_dark:
        art_variant = "colour"
    art = mark_rgba(style, art_variant, size)
    rendered = materials.render(art, material, scene.rng, lit=lit and scene.night)
    sprite, light = rendered.sprite, rendered.light
    fx, fy, fw, fh = rendered.face_xywh
    face = np.float32([[fx, fy], [fx + fw, fy], [fx + fw, fy + fh], [fx, fy + fh]])
    strokes = np.zeros(sprite.shape[:2], np.float32)  # the artwork's own ink, without extrusion or shadow
    strokes[fy:fy + fh, fx:fx + fw] = art[:fh, :fw, 3] / 255.0
    if abs(angle) > 0.01:
        strokes = draw.rotate_sprite(strokes, angle)[0]
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
    layer = stroke_layer(scene, strokes, sprite[..., 3], int(round(ox)), int(round(oy)), quad)
    scene.add(kind, quad, variant=variant, material=material, angle=angle, lit=lit, _strokes=layer)
    return quad


@dataclass(frozen=True)
class StrokeLayer:
    """A placed mark's strokes and the panel around them, in canvas px from (x0, y0).

    `canvas` is the scene's colour there just after the mark was painted: pixels that differ
    later (a person, a defect in front) belong to neither the strokes nor the panel.
    """

    x0: int
    y0: int
    strokes: np.ndarray  # hxw float32 0..1, the artwork's alpha
    panel: np.ndarray  # hxw bool, the wall or sign board around and inside the mark (not its sides or shadow)
    canvas: np.ndarray  # hxwx3 float32

    def intact(self, scene: Scene) -> np.ndarray:
        """hxw bool: pixels nothing has been painted over since the mark was placed."""
        h, w = self.strokes.shape
        now = scene.rgb[self.y0:self.y0 + h, self.x0:self.x0 + w]
        return np.abs(now - self.canvas).max(axis=2) <= 0.08


PANEL_MARGIN = 0.15  # the panel reaches this share of the mark's longer side beyond its box


def stroke_layer(scene: Scene, strokes: np.ndarray, sprite_alpha: np.ndarray, sx: int, sy: int,
                 quad: np.ndarray) -> StrokeLayer:
    """The stroke layer of a sprite just painted with its top-left at (sx, sy)."""
    (qx0, qy0), (qx1, qy1) = quad.min(axis=0), quad.max(axis=0)
    m = PANEL_MARGIN * max(qx1 - qx0, qy1 - qy0)
    x0, y0 = max(0, int(qx0 - m)), max(0, int(qy0 - m))
    x1, y1 = min(scene.w, int(qx1 + m) + 1), min(scene.h, int(qy1 + m) + 1)
    h, w = max(0, y1 - y0), max(0, x1 - x0)
    st = np.zeros((h, w), np.float32)
    sa = np.zeros((h, w), np.float32)
    # the sprite's overlap with the region
    ax0, ay0 = max(x0, sx), max(y0, sy)
    ax1, ay1 = min(x1, sx + strokes.shape[1]), min(y1, sy + strokes.shape[0])
    if ax1 > ax0 and ay1 > ay0:
        st[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0] = strokes[ay0 - sy:ay1 - sy, ax0 - sx:ax1 - sx]
        sa[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0] = sprite_alpha[ay0 - sy:ay1 - sy, ax0 - sx:ax1 - sx]
    return StrokeLayer(x0, y0, st, sa < 0.05, scene.rgb[y0:y1, x0:x1].copy())
