"""Whether a generated mark counts as visible in its photo's truth: the contrast of its strokes
against their own panel on the developed photo (samples/generator/photo.py), not the spread of its box."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from samples.generator import camera
from samples.generator.brand import load_style
from samples.generator.photo import (MIN_MARK_CONTRAST, StrokeMasks, _luma_std, mark_contrast, mark_visible,
                                     stroke_masks)
from samples.generator.scene import Rect, Scene
from samples.generator.scenes.marks import place_mark

ROOT = Path(__file__).resolve().parents[1]


def _ring(size: int = 120, width: int = 2) -> np.ndarray:
    """hxw bool: a thin ring and a bar, the strokes of a mark on a plain panel."""
    m = np.zeros((size, size), np.uint8)
    cv2.circle(m, (size // 2, size // 2), size // 2 - 12, 1, width)
    cv2.line(m, (size // 2, 20), (size // 2, size - 20), 1, width)
    return m.astype(bool)


def _photo(strokes: np.ndarray, panel_rgb, ink_rgb, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.empty(strokes.shape + (3,), np.float32)
    img[:] = panel_rgb
    img[strokes] = ink_rgb
    img += rng.normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _masks(strokes: np.ndarray) -> StrokeMasks:
    return StrokeMasks(0, 0, strokes, ~cv2.dilate(strokes.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool))


def test_a_dim_unlit_mark_of_thin_strokes_is_visible_though_its_box_barely_varies():
    # samples/demo test_00032: an unlit mark at night, strokes ~11 luma levels over a panel at ~20
    strokes = _ring()
    img = _photo(strokes, (20, 19, 18), (32, 31, 29), noise=3.0)
    ys, xs = np.nonzero(strokes)
    box = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
    assert _luma_std(img, box) < 6.0  # the old rule's measure: "shows nothing"
    contrast, n = mark_contrast(img, _masks(strokes))
    assert contrast > MIN_MARK_CONTRAST and n > 500
    assert mark_visible(img, _masks(strokes))


def test_a_mark_as_dark_as_its_panel_is_not_visible_whatever_the_noise():
    strokes = _ring(width=3)
    for noise in (1.0, 4.0, 8.0):
        img = _photo(strokes, (12, 12, 12), (13, 13, 13), noise=noise)
        assert not mark_visible(img, _masks(strokes)), noise


def test_a_washed_out_mark_shows_by_its_most_distinct_strokes():
    # an overexposed pale mark on a clipped white panel: most strokes white, a third still pink
    strokes = _ring(width=4)
    img = _photo(strokes, (255, 255, 255), (255, 255, 255), noise=0.0)
    ys, xs = np.nonzero(strokes)
    pink = ys < np.percentile(ys, 40)
    img[ys[pink], xs[pink]] = (245, 200, 215)
    contrast, _ = mark_contrast(img, _masks(strokes))
    assert contrast > 2 * MIN_MARK_CONTRAST


def test_a_few_stroke_pixels_are_not_a_visible_mark():
    strokes = np.zeros((40, 40), bool)
    strokes[18:22, 18:23] = True  # 20 px, however contrasted
    img = _photo(strokes, (200, 200, 200), (20, 20, 20), noise=1.0)
    assert mark_contrast(img, _masks(strokes))[0] > 50
    assert not mark_visible(img, _masks(strokes))


def test_stroke_masks_follow_the_camera_and_leave_out_what_covers_the_mark():
    rng = np.random.default_rng(3)
    view = camera.make_view(rng, 320, 240)
    scene = Scene(view.canvas_w, view.canvas_h, view.layout, rng)
    scene.rgb[:] = 0.8
    cx, cy = view.canvas_w / 2, view.canvas_h / 2
    place_mark(scene, load_style("demo"), "current", cx, cy, 80)
    item = next(i for i in scene.items if i.kind == "logo")
    whole = stroke_masks(item.meta["_strokes"], scene, view)
    quad = view.project(item.points)
    ys, xs = np.nonzero(whole.strokes)
    assert len(xs) > 200
    assert xs.min() + whole.x0 >= quad[:, 0].min() - 2 and xs.max() + whole.x0 <= quad[:, 0].max() + 2
    assert not (whole.strokes & whole.panel).any()
    # a person in front of the right half: its pixels are neither strokes nor panel
    scene.fill(cx, 0, view.canvas_w, view.canvas_h, (0.9, 0.25, 0.1))
    half = stroke_masks(item.meta["_strokes"], scene, view)
    cut = view.project(np.float32([[cx, cy]]))[0, 0] - half.x0
    ys, xs = np.nonzero(half.strokes)
    assert 0.3 * whole.strokes.sum() < len(xs) < 0.7 * whole.strokes.sum()
    assert xs.max() <= cut + 1
    assert not half.panel[:, int(cut) + 2:].any()


def test_the_committed_demo_set_labels_its_dim_unlit_logos():
    labels = json.loads((ROOT / "samples" / "demo" / "labels.json").read_text(encoding="utf-8"))
    photo = {p["file"]: p for p in labels["photos"]}["facade/test_00032.jpg"]
    assert photo["truth"]["logo"]["present"] and len(photo["truth"]["logo"]["boxes"]) == 1
    assert "logo_not_visible" not in photo["case"]
