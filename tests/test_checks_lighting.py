"""Lighting checks on scenes drawn in the test: exposure, night vs day, signs lit at night."""
from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
import pytest

from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.registry import CHECKS
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


def test_bright_all_over_without_much_clipping_is_overexposed(brand):
    # a washed-out frame: everything a stop too bright, but only a little of it clipped white
    rgb = textured(mean=205, spread=18)
    r = run_check("lighting.exposure", context(brand, rgb))
    assert r.values["clipped"] < r.thresholds["over_clipped"]
    assert r.values["exposure"] == "overexposed", r.message


def test_blown_sky_over_a_normal_foreground_is_not_overexposed(brand):
    # backlight: a quarter of the frame is clipped sky, the street below is exposed normally
    rgb = textured(mean=95, spread=25)
    rgb[: rgb.shape[0] // 4] = 255
    r = run_check("lighting.exposure", context(brand, rgb))
    assert r.values["clipped"] > r.thresholds["over_clipped"]
    assert r.values["exposure"] == "ok", r.message
    # the same clipped share over bright mid-tones is overexposure
    rgb = textured(mean=170, spread=25)
    rgb[: rgb.shape[0] // 4] = 255
    r = run_check("lighting.exposure", context(brand, rgb))
    assert r.values["exposure"] == "overexposed", r.message


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


# --------------------------------------------------------------------------- unlit main sign beside a lit decal


def night_entrance(panel_lit: bool, h=480, w=640) -> tuple[np.ndarray, Region, Region]:
    """Night entrance: black sky, a floodlit wall with a framed ENTRANCE sign board (lit or not), and a
    glass door under a lamp with the brand name lettered on it (a decal the lamp lights either way).

    Returns (rgb, the sign board's region, the decal's text region).
    """
    rng = np.random.default_rng(7)
    rgb = np.zeros((h, w, 3), np.float32)
    rgb[: h // 4] = (6, 8, 20)  # sky
    rgb[h // 4: int(h * 0.8)] = (96, 96, 100)  # floodlit wall
    rgb[int(h * 0.8):] = (40, 38, 36)  # forecourt
    bx0, by0, bx1, by1 = 60, 150, 300, 222  # the sign board
    cv2.rectangle(rgb, (bx0 - 4, by0 - 4), (bx1 + 4, by1 + 4), (150, 152, 156), -1)  # its frame
    if panel_lit:
        rgb[by0:by1, bx0:bx1] = (40, 170, 70)
        cv2.putText(rgb, "ENTRANCE", (bx0 + 16, by1 - 24), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (255, 255, 255), 3)
    else:
        rgb[by0:by1, bx0:bx1] = (14, 20, 15)
        cv2.putText(rgb, "ENTRANCE", (bx0 + 16, by1 - 24), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (40, 46, 42), 3)
    dx0, dy0, dx1, dy1 = 380, 230, 560, 384  # the glass door
    rgb[dy0:dy1, dx0:dx1] = (55, 62, 66)
    cv2.putText(rgb, "AURORA", (dx0 + 22, dy0 + 44), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (215, 215, 210), 2)
    cv2.circle(rgb, (470, 205), 12, (255, 244, 210), -1)  # the lamp over the door
    rgb = np.clip(rgb + rng.normal(0, 3, rgb.shape), 0, 255).astype(np.uint8)
    board = Region.from_polygon([(bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1)])
    decal = Region.from_polygon([(dx0 + 18, dy0 + 18), (dx0 + 150, dy0 + 18), (dx0 + 150, dy0 + 52), (dx0 + 18, dy0 + 52)])
    return rgb, board, decal


def test_unlit_board_is_found_as_a_panel():
    from auditor.checks.lighting import find_panels

    rgb, board, _ = night_entrance(False)
    panels = find_panels(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    best = max((p.region.iou(board) for p in panels), default=0.0)
    assert best > 0.7


def test_dim_panel_text_is_read_after_stretching():
    from auditor.ocr import normalise, read_dim_panel

    rgb, _, _ = night_entrance(False)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    win = gray[157:215, 67:293]
    assert np.percentile(win, 98) - np.percentile(win, 2) < 60  # dim: letters a few levels off the face
    assert any("entrance" in normalise(l.text) for l in read_dim_panel(win))


def test_dim_panels_are_remembered_per_parameters(brand):
    """Two signs_lit items with different settings on one photo each get their own re-read."""
    from auditor.checks.lighting import dim_sign_panels

    rgb, _ = night_street(False)
    ctx = context(brand, rgb)
    params = dict(CHECKS["lighting.signs_lit"].defaults)
    assert dim_sign_panels(ctx, {**params, "max_panels": 0}) == []
    read = dim_sign_panels(ctx, params)
    assert [text for _, text, _ in read] == ["AURORA"]


@pytest.mark.parametrize("panel_lit, verdict", [(False, Verdict.FAIL), (True, Verdict.PASS)])
def test_lit_decal_does_not_pass_an_unlit_main_sign(brand, panel_lit, verdict):
    """The first OCR pass read only the lamp-lit door decal (the brand name): the dark board must fail."""
    rgb, board, decal = night_entrance(panel_lit)
    text = [TextLine("AURORA", 0.95, decal)]
    if panel_lit:  # a lit board is legible as shot
        text.append(TextLine("ENTRANCE", 0.95, Region.from_polygon([(76, 168), (284, 168), (284, 200), (76, 200)])))
    ctx = context(brand, rgb, text=text)
    ctx.area = "entrance"
    r = run_check("lighting.signs_lit", ctx)
    assert r.values["night"] is True
    assert r.verdict == verdict, r.message
    assert r.values["signs_lit"] is panel_lit
    if not panel_lit:
        dark = [f for f in r.findings if f.kind == "dark_sign"]
        assert dark and dark[0].region.iou(board) > 0.6
        assert dark[0].measured["source"] == "panel" and dark[0].measured["contrast"] < 1.5
        assert "ENTRANCE" in r.message.upper()


def test_unlit_board_fails_with_the_real_ocr(brand):
    """End to end: the real text signal (no seeded lines) on the unlit entrance, whichever way its passes read it."""
    rgb, board, _ = night_entrance(False)
    ctx = PhotoContext(photo(rgb), brand, "entrance")
    ctx.seed("logo", ())
    r = run_check("lighting.signs_lit", ctx)
    assert r.verdict == Verdict.FAIL, r.message
    assert r.values["signs_lit"] is False


def test_dim_junk_text_does_not_fail_lit_brand_signs(brand):
    """A misread scrap of texture beside lit brand signs is not a sign: the brand's signs decide."""
    rgb, board, decal = night_entrance(True)
    junk = Region.from_polygon([(20, 400), (200, 400), (200, 440), (20, 440)])  # on the dim forecourt
    text = [TextLine("ENTRANCE", 0.95, Region.from_polygon([(76, 168), (284, 168), (284, 200), (76, 200)])),
            TextLine("RERAE", 0.6, junk)]
    r = run_check("lighting.signs_lit", context(brand, rgb, text=text))
    assert r.verdict == Verdict.PASS, r.message
    assert any(f.kind == "dark_sign" and f.measured["text"] == "RERAE" for f in r.findings)
