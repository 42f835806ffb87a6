"""Training samples, augmentation and dense targets for the heads.

A `Sample` is one labelled photo: a loader for its pixels plus the labels each head
reads (None where the photo is not labelled for that head). Boxes are xyxy in the
pixels of the image the loader returns.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np
from PIL import Image

from models.backbone import DENSE_STRIDE, input_size_for
from models.heads import AREAS, DEFECT_KINDS

BoxXYXY = tuple[float, float, float, float]


@dataclass(frozen=True)
class Sample:
    """One labelled photo.

    load: () -> (HxWx3 uint8 RGB, scale): scale = rgb pixels per label pixel (labels are in the
        original photo's pixels; the loader may decode smaller).
    area: one of AREAS or None.
    defects: ((kind, box_xyxy), ...) for a photo labelled for cleanliness (() = clean), None if not
        labelled or if some defect has no box (dense targets need every box).
    persons: (box_xyxy, ...) where person boxes are labelled (() = nobody), else None.
    """

    name: str
    load: Callable[[], tuple[np.ndarray, float]]
    area: str | None = None
    defects: tuple[tuple[str, BoxXYXY], ...] | None = None
    persons: tuple[BoxXYXY, ...] | None = None


@dataclass(frozen=True)
class Targets:
    area: int  # index in AREAS, -1 = not labelled
    defects: np.ndarray | None  # (7, gh, gw) float32 coverage in [0, 1]
    person_heat: np.ndarray | None  # (gh, gw) float32 in [0, 1]
    person_ltrb: np.ndarray | None  # (4, gh, gw) float32 log distances in cells
    person_mask: np.ndarray | None  # (gh, gw) bool: cells whose box regression is trained
    persons_xyxy: np.ndarray | None  # (N, 4) boxes in backbone input pixels


# ---------------------------------------------------------------- augmentation

def scale_labels(defects, persons, s: float):
    """Boxes of a sample's labels multiplied by `s` (label pixels -> rgb pixels)."""
    if s == 1.0:
        return defects, persons
    sc = lambda b: tuple(v * s for v in b)  # noqa: E731
    return (None if defects is None else tuple((k, sc(b)) for k, b in defects),
            None if persons is None else tuple(sc(b) for b in persons))


CLOSEUP_ZOOM = (0.4, 0.62)  # share of the photo's sides a close-up crop keeps (the check's 2x look is 0.5)


def augment(rgb: np.ndarray, defects, persons, rng: np.random.Generator, strong: bool = True,
            closeup: bool = False):
    """Random crop, flip, photometric changes, blur, noise and JPEG, at the backbone's input size.

    Returns (rgb resized to the input size, defects, persons) with boxes in its pixels.
    Hue changes are kept small: colour carries meaning (rust, uniforms).
    closeup: crop CLOSEUP_ZOOM of the photo (half the time along its bottom edge, where the floor
    is), so that the defect head also learns the scale of the clean check's closer look.
    """
    H, W = rgb.shape[:2]
    x0 = y0 = 0
    x1, y1 = W, H
    if closeup or (strong and rng.random() < 0.7):
        # a zoom of 0.7..1 with a little aspect change: a landscape photo stays landscape
        zoom = rng.uniform(*CLOSEUP_ZOOM) if closeup else rng.uniform(0.7, 1.0)
        cw, ch = int(W * min(1.0, zoom * rng.uniform(0.93, 1.07))), int(H * zoom)
        x0, y0 = int(rng.integers(0, W - cw + 1)), int(rng.integers(0, H - ch + 1))
        if closeup and rng.random() < 0.5:
            y0 = max(0, H - ch - int(rng.integers(0, max(1, H // 20))))
        x1, y1 = x0 + cw, y0 + ch
    crop = rgb[y0:y1, x0:x1]
    flip = strong and rng.random() < 0.5
    if flip:
        crop = crop[:, ::-1]
    ch_, cw_ = crop.shape[:2]
    w, h = input_size_for(cw_, ch_)
    sx, sy = w / cw_, h / ch_
    small = cv2.resize(np.ascontiguousarray(crop), (w, h), interpolation=cv2.INTER_AREA)

    def move(box, min_keep):
        bx0, by0, bx1, by1 = box
        area = max(1e-6, (bx1 - bx0) * (by1 - by0))
        cx0, cy0, cx1, cy1 = max(bx0, x0), max(by0, y0), min(bx1, x1), min(by1, y1)
        if cx1 <= cx0 or cy1 <= cy0 or (cx1 - cx0) * (cy1 - cy0) / area < min_keep:
            return None
        cx0, cx1 = cx0 - x0, cx1 - x0
        cy0, cy1 = cy0 - y0, cy1 - y0
        if flip:
            cx0, cx1 = cw_ - cx1, cw_ - cx0
        return (cx0 * sx, cy0 * sy, cx1 * sx, cy1 * sy)

    new_defects = None
    if defects is not None:
        new_defects = tuple((k, b) for k, b in ((k, move(b, 0.25)) for k, b in defects) if b is not None)
    new_persons = None
    if persons is not None:
        new_persons = tuple(b for b in (move(b, 0.5) for b in persons) if b is not None)
    if strong and rng.random() < 0.4:
        small, new_defects, new_persons = perspective(small, new_defects, new_persons, rng)
    if strong:
        small = photometric(small, rng)
    return small, new_defects, new_persons


def perspective(rgb: np.ndarray, defects, persons, rng: np.random.Generator, jitter: float = 0.08):
    """A random mild perspective warp (each corner moves up to `jitter` of the side); boxes follow.

    A box becomes the bounding box of its warped corners, clipped to the image; boxes left
    smaller than 2 px on a side are dropped. Uncovered borders are filled by reflection.
    """
    h, w = rgb.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + rng.uniform(-jitter, jitter, (4, 2)).astype(np.float32) * np.float32([w, h])
    m = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)

    def move(box):
        x0, y0, x1, y1 = box
        pts = cv2.perspectiveTransform(np.float32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]]), m)[0]
        nx0, ny0 = max(0.0, float(pts[:, 0].min())), max(0.0, float(pts[:, 1].min()))
        nx1, ny1 = min(float(w), float(pts[:, 0].max())), min(float(h), float(pts[:, 1].max()))
        return (nx0, ny0, nx1, ny1) if nx1 - nx0 >= 2 and ny1 - ny0 >= 2 else None

    if defects is not None:
        defects = tuple((k, b) for k, b in ((k, move(b)) for k, b in defects) if b is not None)
    if persons is not None:
        persons = tuple(b for b in (move(b) for b in persons) if b is not None)
    return out, defects, persons


def photometric(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exposure, contrast, saturation, white balance, slight hue, blur, noise, JPEG (HxWx3 uint8)."""
    img = rgb.astype(np.float32)
    img *= rng.uniform(0.55, 1.45)  # exposure
    mean = img.mean()
    img = (img - mean) * rng.uniform(0.65, 1.35) + mean  # contrast
    img *= rng.uniform(0.88, 1.12, size=3)[None, None, :]  # white balance
    gray = img.mean(axis=2, keepdims=True)
    img = gray + (img - gray) * rng.uniform(0.65, 1.35)  # saturation
    if rng.random() < 0.3:  # uneven light: a smooth brightness gradient across the frame
        h, w = img.shape[:2]
        g = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * rng.uniform(-0.25, 0.25) \
            + np.linspace(-1, 1, h, dtype=np.float32)[:, None] * rng.uniform(-0.25, 0.25)
        img *= (1 + g)[..., None]
    if rng.random() < 0.5:
        g = rng.uniform(0.75, 1.33)
        img = 255.0 * (np.clip(img, 0, 255) / 255.0) ** g
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + int(rng.integers(-3, 4))) % 180).astype(np.uint8)
        img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    if rng.random() < 0.35:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.6))
    elif rng.random() < 0.15:  # a little camera shake: motion blur along a random direction
        k = int(rng.integers(3, 8))
        kern = np.zeros((k, k), np.float32)
        cv2.line(kern, (0, int(rng.integers(0, k))), (k - 1, int(rng.integers(0, k))), 1.0, 1)
        img = cv2.filter2D(img, -1, kern / max(1.0, float(kern.sum())))
    if rng.random() < 0.35:
        noise = rng.normal(0, rng.uniform(2, 9), img.shape)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=int(rng.integers(35, 95)))
        img = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return img


# ---------------------------------------------------------------- dense targets

def make_targets(input_wh: tuple[int, int], area: str | None, defects, persons) -> Targets:
    """Grid targets for an image of `input_wh` (boxes xyxy in its pixels)."""
    gw, gh = input_wh[0] // DENSE_STRIDE, input_wh[1] // DENSE_STRIDE
    cell_w, cell_h = input_wh[0] / gw, input_wh[1] / gh
    area_idx = AREAS.index(area) if area in AREAS else -1

    defect_map = None
    if defects is not None:
        defect_map = np.zeros((len(DEFECT_KINDS), gh, gw), np.float32)
        for kind, (bx0, by0, bx1, by1) in defects:
            if kind not in DEFECT_KINDS:
                continue
            cov = _coverage(bx0 / cell_w, by0 / cell_h, bx1 / cell_w, by1 / cell_h, gw, gh)
            k = DEFECT_KINDS.index(kind)
            # relative to the box's best-covered cell: a small defect still makes its cell positive
            cov = cov / max(float(cov.max()), 1e-6)
            defect_map[k] = np.maximum(defect_map[k], np.clip(cov * 1.5, 0, 1))

    heat = ltrb = mask = boxes = None
    if persons is not None:
        heat = np.zeros((gh, gw), np.float32)
        ltrb = np.zeros((4, gh, gw), np.float32)
        mask = np.zeros((gh, gw), bool)
        best = np.full((gh, gw), np.inf, np.float32)  # smaller boxes win shared cells
        yy, xx = np.mgrid[0:gh, 0:gw]
        ccx, ccy = xx + 0.5, yy + 0.5
        for bx0, by0, bx1, by1 in persons:
            x0c, y0c, x1c, y1c = bx0 / cell_w, by0 / cell_h, bx1 / cell_w, by1 / cell_h
            cx, cy = (x0c + x1c) / 2, (y0c + y1c) / 2
            sig_x = max(0.5, 0.18 * (x1c - x0c))
            sig_y = max(0.5, 0.12 * (y1c - y0c))
            g = np.exp(-((ccx - cx) ** 2 / (2 * sig_x ** 2) + (ccy - cy) ** 2 / (2 * sig_y ** 2)))
            heat = np.maximum(heat, g)
            pos = (g > 0.4) & ((x1c - x0c) * (y1c - y0c) < best)
            if not pos.any():
                iy, ix = min(gh - 1, int(cy)), min(gw - 1, int(cx))
                pos[iy, ix] = True
            best[pos] = (x1c - x0c) * (y1c - y0c)
            d = np.stack([ccx - x0c, ccy - y0c, x1c - ccx, y1c - ccy])
            ltrb[:, pos] = np.log(np.clip(d[:, pos], 0.25, None))
            mask |= pos
        boxes = np.array(persons, np.float32).reshape(-1, 4)
    return Targets(area_idx, defect_map, heat, ltrb, mask, boxes)


def _coverage(x0, y0, x1, y1, gw, gh) -> np.ndarray:
    """(gh, gw) share of each unit cell covered by the box (grid units)."""
    xs = np.arange(gw)
    ys = np.arange(gh)
    ox = np.clip(np.minimum(xs + 1, x1) - np.maximum(xs, x0), 0, 1)
    oy = np.clip(np.minimum(ys + 1, y1) - np.maximum(ys, y0), 0, 1)
    return (oy[:, None] * ox[None, :]).astype(np.float32)
