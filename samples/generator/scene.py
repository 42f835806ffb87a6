"""The scene being drawn: a flat canvas (the frontal view of the site) plus what it holds.

A scene has three layers of HxW(x3) float32:
- `rgb`: surface colours as seen under daylight or indoor light (0..1),
- `emit`: light the scene gives off itself (lit signs, lamps, the night sky), added on top,
- `light`: how much ambient light falls on each pixel (1 by day, low at night, pools near lamps).
The rendered frame is `rgb * light + emit`. Labelled things are kept as polygons in canvas
pixels and mapped through the camera afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from samples.generator import draw, textures


KEEP_CLEAR = ("sign", "logo", "wrong_mark", "text", "sign_arrow")
SNAPSHOT = ("logo", "wrong_mark", "text")  # checked for being painted over before they are labelled
UNLIT_FACE = 1.5  # light on an unlit sign at night: at most this many times the ambient (floodlight spill)


@dataclass
class Item:
    """Something the labels describe: its kind, polygon (Nx2 canvas px) and facts."""

    kind: str  # "logo", "wrong_mark", "defect", "person", "text", "obstacle", "sign"
    points: np.ndarray
    meta: dict = field(default_factory=dict)


@dataclass
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    def at(self, fx: float, fy: float) -> tuple[float, float]:
        """The point at fractions (fx, fy) of this rectangle."""
        return self.x0 + fx * self.w, self.y0 + fy * self.h

    def px(self, f: float) -> float:
        """A length as a fraction of the rectangle's width."""
        return f * self.w


class Scene:
    def __init__(self, width: int, height: int, layout: Rect, rng: np.random.Generator, *,
                 night: bool = False, indoor: bool = False):
        self.w, self.h = int(width), int(height)
        self.layout = layout
        self.rng = rng
        self.night = night
        self.indoor = indoor
        self.rgb = np.zeros((self.h, self.w, 3), np.float32)
        self.emit = np.zeros((self.h, self.w, 3), np.float32)
        self.light = np.full((self.h, self.w), 1.0, np.float32)
        self.person_ids = np.zeros((self.h, self.w), np.int16)
        self.items: list[Item] = []
        self.keepout: list[Rect] = []  # signs and marks: defects and decoys are not drawn over them
        self.ambient = 1.0
        self.sky_rgb = (0.6, 0.7, 0.85)
        # set by the scene builders for what is drawn afterwards (defects, decoys, people):
        self.floor_y: float | None = None  # canvas row where the floor/ground meets the back wall
        self.scale_at = lambda y: 1.0  # size factor of things standing on the floor at row y
        self.metal_mask: np.ndarray | None = None  # HxW 0..1 where railings and metal panels are
        self.wall_host: Rect | None = None  # the main wall area
        self.ceiling_y: float | None = None  # interiors: where the back wall meets the ceiling
        if night and not indoor:
            # the city's glow; the site's own lights add pools on top (scenes.common.night_lighting)
            self.ambient = float(rng.uniform(0.025, 0.05))
            self.light[:] = self.ambient

    # -- painting -------------------------------------------------------------------
    def fill(self, x0, y0, x1, y1, tex: np.ndarray | tuple) -> None:
        """Fill a box (canvas px, clipped) with a colour or a texture of the box's size."""
        x0, y0 = max(0, int(x0)), max(0, int(y0))
        x1, y1 = min(self.w, int(x1)), min(self.h, int(y1))
        if x1 <= x0 or y1 <= y0:
            return
        if isinstance(tex, np.ndarray):
            self.rgb[y0:y1, x0:x1] = tex[:y1 - y0, :x1 - x0]
        else:
            self.rgb[y0:y1, x0:x1] = np.asarray(tex, np.float32)
        self.person_ids[y0:y1, x0:x1] = 0

    def paint(self, sprite: np.ndarray, x: float, y: float, person_id: int = 0):
        """Alpha-composite an RGBA sprite with its top-left at (x, y).

        What it covers hides people behind it (their visible extent shrinks); a person's own
        sprite marks its pixels with `person_id`.
        """
        res = draw.composite(self.rgb, sprite, x, y)
        if res is not None:
            ys, xs, a = res
            ids = self.person_ids[ys, xs]
            ids[a > 0.5] = person_id
        return res

    def paint_mask(self, mask: np.ndarray, colour_or_tex, x: float = 0, y: float = 0, opacity: float = 1.0):
        """Blend a colour/texture through an HxW mask placed at (x, y)."""
        h, w = mask.shape
        sprite = np.empty((h, w, 4), np.float32)
        if isinstance(colour_or_tex, np.ndarray) and colour_or_tex.ndim == 3:
            sprite[..., :3] = colour_or_tex[:h, :w]
        else:
            sprite[..., :3] = np.asarray(colour_or_tex, np.float32)
        sprite[..., 3] = mask * opacity
        return self.paint(sprite, x, y)

    def glow(self, rgb_mask: np.ndarray, x: float, y: float, strength: float = 1.0) -> None:
        """Add light (HxWx3) to the emit layer at (x, y)."""
        draw.add_into(self.emit, rgb_mask, x, y, strength)

    def light_pool(self, cx: float, cy: float, radius: float, strength: float) -> None:
        """Brighten the ambient light around a lamp (night scenes)."""
        r = int(radius * 2)
        x0, y0 = int(cx - r), int(cy - r)
        yy, xx = np.mgrid[0:2 * r, 0:2 * r].astype(np.float32)
        g = np.exp(-((xx - r) ** 2 + (yy - r) ** 2) / (2 * radius ** 2)) * strength
        draw.add_into(self.light, g, x0, y0)

    def paint_sky(self, y_horizon: float) -> None:
        """Sky above `y_horizon`: painted by day, light-emitting dark sky at night."""
        yh = int(max(1, min(self.h, y_horizon)))
        sky = textures.sky(yh, self.w, self.rng, self.night)
        if self.night:
            self.rgb[:yh] = 0
            self.emit[:yh] += sky
        else:
            self.rgb[:yh] = sky
            self.sky_rgb = tuple(float(v) for v in sky[yh // 2, self.w // 2])

    # -- labels ---------------------------------------------------------------------
    def add(self, kind: str, points, **meta) -> Item:
        item = Item(kind, np.asarray(points, np.float32).reshape(-1, 2), dict(meta))
        self.items.append(item)
        if kind in KEEP_CLEAR:
            (x0, y0), (x1, y1) = item.points.min(axis=0), item.points.max(axis=0)
            self.keepout.append(Rect(float(x0), float(y0), float(x1), float(y1)))
        if kind in SNAPSHOT:
            item.meta["_snapshot"] = self._crop(item).copy()
        return item

    def _crop(self, item: Item) -> np.ndarray:
        (x0, y0), (x1, y1) = item.points.min(axis=0), item.points.max(axis=0)
        return self.rgb[max(0, int(y0)):max(0, int(y1)), max(0, int(x0)):max(0, int(x1))]

    def changed_share(self, item: Item) -> float:
        """Share of an item's pixels painted over since it was drawn (0 = intact, 1 = all)."""
        snap = item.meta.get("_snapshot")
        now = self._crop(item)
        if snap is None or snap.size == 0 or snap.shape != now.shape:
            return 0.0
        return float((np.abs(now - snap).max(axis=2) > 0.08).mean())

    def is_free(self, r: Rect, margin: float = 4.0) -> bool:
        """True when `r` overlaps no sign or mark."""
        return not any(r.x0 < k.x1 + margin and r.x1 > k.x0 - margin and r.y0 < k.y1 + margin and r.y1 > k.y0 - margin
                       for k in self.keepout)

    def darken_unlit_signs(self) -> None:
        """At night an unlit sign is dark: mounted above the floodlights and out of the lamps' pools,
        it gets the city's ambient glow and a little spill (at most UNLIT_FACE x the ambient)."""
        if not self.night:
            return
        for item in self.items:
            if item.kind == "sign" and not item.meta.get("lit", True):
                (x0, y0), (x1, y1) = item.points.min(axis=0), item.points.max(axis=0)
                region = self.light[max(0, int(y0)):max(0, int(y1) + 1), max(0, int(x0)):max(0, int(x1) + 1)]
                np.minimum(region, self.ambient * UNLIT_FACE, out=region)

    def add_box(self, kind: str, x: float, y: float, w: float, h: float, **meta) -> Item:
        return self.add(kind, [(x, y), (x + w, y), (x + w, y + h), (x, y + h)], **meta)

    def compose(self) -> np.ndarray:
        """The frame as light would show it: HxWx3 float32 (may exceed 1 where lights are)."""
        return self.rgb * self.light[..., None] + self.emit
