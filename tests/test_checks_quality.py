"""The photo quality gate: blurred, too small and too dark photos fail; the pipeline then softens fails."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.quality import sharpness
from auditor.pipeline import PlannedCheck, analyse_photos
from auditor.types import Photo, Verdict


@pytest.fixture(scope="module")
def brand():
    return load_brand("demo")


def photo(rgb: np.ndarray, width=None, height=None) -> Photo:
    return Photo(rgb=rgb, width=width or rgb.shape[1], height=height or rgb.shape[0], source="t.png",
                 sha256="0" * 64, phash="0" * 16, format="PNG", byte_size=1)


def detailed_scene(h=768, w=1024, seed=0) -> np.ndarray:
    """Edges at many scales: rectangles, lines and printed text on a textured wall."""
    rng = np.random.default_rng(seed)
    rgb = np.full((h, w, 3), 170, np.uint8)
    for _ in range(60):
        x, y = int(rng.integers(0, w - 60)), int(rng.integers(0, h - 60))
        cv2.rectangle(rgb, (x, y), (x + int(rng.integers(10, 120)), y + int(rng.integers(10, 90))),
                      tuple(int(c) for c in rng.integers(0, 255, 3)), int(rng.choice([-1, 2])))
    for i in range(8):
        cv2.putText(rgb, "SERVICE 4S 0123", (20, 60 + i * 90), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 2)
    return rgb


def quality(brand, rgb, **kw):
    return run_check("quality.photo", PhotoContext(photo(rgb, **kw), brand, None))


def test_sharp_photo_passes(brand):
    r = quality(brand, detailed_scene())
    assert r.verdict == Verdict.PASS and r.values["ok"] is True
    assert r.values["sharpness"] > r.thresholds["min_sharpness"]


def test_blurred_photo_fails(brand):
    blurred = cv2.GaussianBlur(detailed_scene(), (0, 0), 4)
    r = quality(brand, blurred)
    assert r.verdict == Verdict.FAIL and r.values["ok"] is False
    assert "blurred" in r.message and r.values["sharpness"] < r.thresholds["min_sharpness"]


def test_sharpness_is_measured_at_a_normalised_size():
    """A large photo and its downscaled working copy measure alike; blur lowers it a lot."""
    big = cv2.cvtColor(detailed_scene(1536, 2048), cv2.COLOR_RGB2GRAY)
    half = cv2.resize(big, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert 0.7 < sharpness(half) / sharpness(big) < 1.4
    assert sharpness(cv2.GaussianBlur(half, (0, 0), 4)) < 0.1 * sharpness(half)


def test_too_small_photo_fails(brand):
    small = cv2.resize(detailed_scene(), (200, 150), interpolation=cv2.INTER_AREA)
    r = quality(brand, small)
    assert r.verdict == Verdict.FAIL and "too small" in r.message


def test_working_copy_size_does_not_count_as_small(brand):
    """The working copy is downscaled; the original's size decides 'too small'."""
    small = cv2.resize(detailed_scene(), (200, 150), interpolation=cv2.INTER_AREA)
    r = quality(brand, small, width=4000, height=3000)
    assert "too small" not in r.message


def test_too_dark_photo_fails(brand):
    dark = (detailed_scene() * 0.05).astype(np.uint8)
    r = quality(brand, dark)
    assert r.verdict == Verdict.FAIL and "too dark" in r.message


def test_pipeline_turns_fails_into_unsure_on_a_bad_photo(brand):
    blurred = cv2.GaussianBlur(detailed_scene(), (0, 0), 5)
    plan = [PlannedCheck("quality.photo", {}), PlannedCheck("logo.present", {})]
    (analysis,) = analyse_photos([(photo(blurred), "facade")], brand, plan=plan)
    assert analysis.result("quality.photo").verdict == Verdict.FAIL
    logo = analysis.result("logo.present")
    assert logo.verdict == Verdict.UNSURE and "retake" in logo.message
