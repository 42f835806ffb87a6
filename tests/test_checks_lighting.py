"""Lighting checks on scenes drawn in the test: exposure, night vs day, signs lit at night."""
from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
import pytest

from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.ocr import TextLine
from auditor.types import ExifFacts, Photo, Region, Verdict


@pytest.fixture(scope="module")
def brand():
    return load_brand("demo")


def photo(rgb: np.ndarray, taken_at: datetime | None = None) -> Photo:
    return Photo(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], source="t.png", sha256="0" * 64,
                 phash="0" * 16, format="PNG", byte_size=1, exif=ExifFacts(taken_at=taken_at))


def context(brand, rgb, taken_at=None, text=(), logos=()):
    ctx = PhotoContext(photo(rgb, taken_at), brand, "facade")
    ctx.seed("text", tuple(text))
    ctx.seed("logo", tuple(logos))
    return ctx


def textured(h=480, w=640, mean=120.0, spread=40.0, seed=0) -> np.ndarray:
    """A daylight-like scene: smooth blobs of varied brightness around `mean`."""
    rng = np.random.default_rng(seed)
    noise = cv2.resize(rng.normal(0, 1, (12, 16)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    g = np.clip(mean + spread * noise, 0, 255)
    rgb = np.stack([g * 0.95, g, g * 1.05], -1)
    return np.clip(rgb + rng.normal(0, 3, rgb.shape), 0, 255).astype(np.uint8)


def night_street(sign_lit: bool = True, h=480, w=640) -> tuple[np.ndarray, Region]:
    """Black sky, dim street, a few lamps, and a sign panel that is lit or not."""
    rng = np.random.default_rng(1)
    rgb = np.zeros((h, w, 3), np.float32)
    rgb[: h // 3] = (8, 10, 22)  # night sky
    rgb[h // 3:] = (35, 32, 30)  # dim street
    for x in (80, 300, 560):  # street lamps
        cv2.circle(rgb, (x, h // 2), 9, (255, 240, 200), -1)
    x0, y0, x1, y1 = 200, 200, 440, 260
    if sign_lit:
        rgb[y0:y1, x0:x1] = (40, 90, 200)
        cv2.putText(rgb, "AURORA", (x0 + 20, y1 - 15), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (255, 255, 255), 3)
    else:
        rgb[y0:y1, x0:x1] = (20, 25, 40)
        cv2.putText(rgb, "AURORA", (x0 + 20, y1 - 15), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (45, 45, 50), 3)
    rgb = np.clip(rgb + rng.normal(0, 2, rgb.shape), 0, 255).astype(np.uint8)
    return rgb, Region.from_polygon([(x0 + 15, y0 + 10), (x1 - 15, y0 + 10), (x1 - 15, y1 - 8), (x0 + 15, y1 - 8)])


def dark_indoor(h=480, w=640) -> np.ndarray:
    """An underexposed room: dark everywhere, the ceiling no darker than the floor, no lamps."""
    rgb = textured(h, w, mean=28, spread=10, seed=3)
    rgb[: h // 4] = np.clip(rgb[: h // 4].astype(int) + 8, 0, 255)
    return rgb


# --------------------------------------------------------------------------- exposure


def test_normal_daylight_is_ok(brand):
    r = run_check("lighting.exposure", context(brand, textured()))
    assert r.verdict == Verdict.PASS and r.values["exposure"] == "ok"


def test_underexposed_is_dark(brand):
    r = run_check("lighting.exposure", context(brand, dark_indoor()))
    assert r.values["exposure"] == "dark" and r.verdict == Verdict.FAIL
    assert r.values["mean_luma"] < r.thresholds["dark_mean"]


def test_mostly_clipped_is_overexposed(brand):
    rgb = textured(mean=235, spread=30)
    r = run_check("lighting.exposure", context(brand, rgb))
    assert r.values["exposure"] == "overexposed"


def test_lit_night_scene_is_not_called_dark(brand):
    rgb, _ = night_street(True)
    rgb = np.clip(rgb.astype(int) + 35, 0, 255).astype(np.uint8)  # a correctly exposed night shot
    r = run_check("lighting.exposure", context(brand, rgb))
    assert r.values["exposure"] == "ok", r.message


# --------------------------------------------------------------------------- night


def test_night_street_is_night(brand):
    rgb, _ = night_street(True)
    assert run_check("lighting.night", context(brand, rgb)).values["night"] is True


def test_dark_indoor_frame_is_not_night(brand):
    r = run_check("lighting.night", context(brand, dark_indoor()))
    assert r.values["night"] is False, r.message


def test_daylight_is_not_night(brand):
    assert run_check("lighting.night", context(brand, textured())).values["night"] is False


def twilight_or_signboard(signboard: bool, lamps: bool, h=480, w=640) -> np.ndarray:
    """A deep blue top third over a dim street: a smooth dusk sky, or a blue signboard with white letters."""
    rgb = textured(h, w, mean=70 if signboard else 40, spread=15, seed=5).astype(np.float32)
    top = h // 3
    ramp = np.linspace(0.6, 1.0, top, dtype=np.float32)[:, None, None]
    rgb[:top] = np.array([20, 45, 110], np.float32) * ramp  # deep blue, OpenCV hue ~110
    if signboard:
        for i, x in enumerate(range(20, w - 80, 90)):
            cv2.putText(rgb, "AURORA"[i % 6], (x, top - 40), cv2.FONT_HERSHEY_SIMPLEX, 3, (245, 245, 245), 9)
    if lamps:
        for x in (120, 520):
            cv2.circle(rgb, (x, h // 2), 18, (255, 235, 190), -1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def test_smooth_blue_dusk_sky_with_lamps_is_night(brand):
    r = run_check("lighting.night", context(brand, twilight_or_signboard(signboard=False, lamps=True)))
    assert r.values["night"] is True and "twilight" in r.message, r.message


@pytest.mark.parametrize("signboard, lamps", [(True, True), (False, False)])
def test_a_blue_signboard_or_an_unlit_blue_top_is_not_twilight(brand, signboard, lamps):
    r = run_check("lighting.night", context(brand, twilight_or_signboard(signboard, lamps)))
    assert "twilight" not in r.message, r.message


def test_exif_time_decides_when_present(brand):
    rgb = dark_indoor()
    late = run_check("lighting.night", context(brand, rgb, taken_at=datetime(2026, 1, 5, 22, 30)))
    noon = run_check("lighting.night", context(brand, night_street()[0], taken_at=datetime(2026, 1, 5, 12, 0)))
    assert late.values["night"] is True and late.values["exif_hour"] == 22
    assert noon.values["night"] is False


# --------------------------------------------------------------------------- signs lit


def test_lit_sign_at_night_passes(brand):
    rgb, region = night_street(True)
    r = run_check("lighting.signs_lit", context(brand, rgb, text=[TextLine("AURORA", 0.99, region)]))
    assert r.verdict == Verdict.PASS and r.values["signs_lit"] is True
    assert r.findings[0].kind == "lit_sign" and r.findings[0].region == region


def test_dark_sign_at_night_fails_with_contrast(brand):
    rgb, region = night_street(False)
    r = run_check("lighting.signs_lit", context(brand, rgb, text=[TextLine("AURORA", 0.9, region)]))
    assert r.verdict == Verdict.FAIL and r.values["signs_lit"] is False
    assert r.values["worst_contrast"] < r.thresholds["min_contrast"]
    assert r.findings[0].kind == "dark_sign" and "contrast" in r.findings[0].measured


def test_signs_lit_not_applicable_by_day(brand):
    region = Region.from_xywh(100, 100, 200, 40)
    r = run_check("lighting.signs_lit", context(brand, textured(), text=[TextLine("AURORA", 0.99, region)]))
    assert r.verdict == Verdict.NOT_APPLICABLE and r.values["night"] is False


def test_signs_lit_unsure_without_signs(brand):
    """No legible sign at night: probably dark signs, but a person decides."""
    rgb, _ = night_street(True)
    r = run_check("lighting.signs_lit", context(brand, rgb))
    assert r.verdict == Verdict.UNSURE and r.values["signs_lit"] is False and r.values["signs"] == 0
