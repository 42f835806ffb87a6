"""Derived images (thumbnails, photos with findings drawn, evidence crops), cached in storage.

Derived keys are content hashes of what they are made from, so a re-analysed photo
gets a new annotated image and a stale one is never served.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

import numpy as np
from flask import current_app

from auditor.types import Region
from web import vision
from web.storage import get_storage

THUMB_SIDE = 320
VIEW_SIDE = 1600


def _derived(namespace: str, *parts: Any) -> str:
    h = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{namespace}/{h}"


def _cached(key: str, make) -> bytes:
    store = get_storage(current_app)
    if store.exists(key):
        return store.get(key)
    data = make()
    store.put_as(key, data)
    return data


def thumbnail(storage_key: str, sha256: str, name: str = "photo") -> bytes:
    def make() -> bytes:
        photo = vision.load_photo(get_storage(current_app).get(storage_key), name, max_side=THUMB_SIDE)
        return vision.encode_jpeg(photo.rgb, quality=80)

    return _cached(_derived("thumbs", sha256, THUMB_SIDE), make)


def prerender_thumbnail(sha256: str, rgb: np.ndarray) -> None:
    """Cache the thumbnail from an already decoded working copy (the analysis job has one)."""
    key = _derived("thumbs", sha256, THUMB_SIDE)
    store = get_storage(current_app)
    if store.exists(key):
        return
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    im.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.BILINEAR)
    store.put_as(key, vision.encode_jpeg(np.asarray(im), quality=80))


def view_image(storage_key: str, sha256: str, results: Sequence[Mapping] | None, name: str = "photo",
               overlay: bool = True) -> bytes:
    """The photo for the browser (longer side <= VIEW_SIDE), with the findings drawn when `overlay`."""
    results = list(results or [])

    def make() -> bytes:
        photo = vision.load_photo(get_storage(current_app).get(storage_key), name, max_side=VIEW_SIDE)
        rgb = photo.rgb
        if overlay and results:
            scale = photo.scale
            rs = [r.rescaled(scale) for r in vision.results_from_json(results)]
            rgb = vision.draw(np.ascontiguousarray(rgb), rs)
        return vision.encode_jpeg(rgb, quality=85)

    if overlay and results:
        return _cached(_derived("annotated", sha256, VIEW_SIDE, results), make)
    return _cached(_derived("views", sha256, VIEW_SIDE), make)


def crop(storage_key: str, sha256: str, region_xywh: Sequence[float] | None, name: str = "photo",
         results: Sequence[Mapping] | None = None) -> bytes:
    """The evidence region (original-photo pixels, xywh) with a margin, findings drawn; whole photo if None."""
    results = list(results or [])

    def make() -> bytes:
        photo = vision.load_photo(get_storage(current_app).get(storage_key), name, max_side=VIEW_SIDE)
        rgb = np.ascontiguousarray(photo.rgb)
        scale = photo.scale
        if results:
            rgb = vision.draw(rgb, [r.rescaled(scale) for r in vision.results_from_json(results)])
        if region_xywh:
            x0, y0, x1, y1 = Region.from_xywh(*region_xywh).scaled(scale).xyxy
            mx, my = 0.25 * (x1 - x0) + 16, 0.25 * (y1 - y0) + 16
            h, w = rgb.shape[:2]
            xa, ya = max(0, int(x0 - mx)), max(0, int(y0 - my))
            xb, yb = min(w, int(x1 + mx)), min(h, int(y1 + my))
            if xb - xa >= 8 and yb - ya >= 8:
                rgb = np.ascontiguousarray(rgb[ya:yb, xa:xb])
        small = rgb
        if max(small.shape[:2]) > 640:  # keep crops light: subsample to <= 640 px
            step = int(np.ceil(max(small.shape[:2]) / 640))
            small = np.ascontiguousarray(small[::step, ::step])
        return vision.encode_jpeg(small, quality=85)

    return _cached(_derived("crops", sha256, region_xywh, results), make)
