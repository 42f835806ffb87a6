"""Signage: tolerant text matching, required texts, signboard colour, directional arrows, and OCR itself."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from auditor import ocr
from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.signage import find_arrows, find_text, substring_distance
from auditor.ocr import TextLine
from auditor.types import Photo, Region, Verdict

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


@pytest.fixture(scope="module")
def brand():
    return load_brand("demo")


def photo(rgb: np.ndarray) -> Photo:
    return Photo(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], source="t.png", sha256="0" * 64,
                 phash="0" * 16, format="PNG", byte_size=1)


def line(text: str, xywh=(10, 10, 200, 40), conf=0.95) -> TextLine:
    x, y, w, h = xywh
    return TextLine(text, conf, Region.from_polygon([(x, y), (x + w, y), (x + w, y + h), (x, y + h)]))


def ctx_with_text(brand, area, texts, rgb=None):
    rgb = np.full((300, 400, 3), 128, np.uint8) if rgb is None else rgb
    ctx = PhotoContext(photo(rgb), brand, area)
    ctx.seed("text", tuple(texts))
    return ctx


def signboard(texts, panel=(10, 77, 162), ink=(255, 255, 255), size=(1200, 700), font_px=90, vertical=False):
    """A facade wall with a signboard panel carrying `texts` (one per row); returns (rgb, panel xyxy)."""
    w, h = size
    img = Image.new("RGB", size, (196, 190, 182))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, font_px)
    px0, py0 = 120, 80
    rows = [d.textbbox((0, 0), t, font=font) for t in texts]
    pw = max(b[2] - b[0] for b in rows) + 2 * font_px
    ph = sum(b[3] - b[1] for b in rows) + (len(rows) + 1) * font_px // 2
    d.rectangle((px0, py0, px0 + pw, py0 + ph), fill=panel)
    y = py0 + font_px // 2
    for t, b in zip(texts, rows):
        d.text((px0 + font_px, y - b[1]), t, font=font, fill=ink)
        y += b[3] - b[1] + font_px // 2
    rng = np.random.default_rng(0)
    rgb = np.clip(np.asarray(img, np.float32) + rng.normal(0, 3, (h, w, 3)), 0, 255).astype(np.uint8)
    return rgb, (px0, py0, px0 + pw, py0 + ph)


# --------------------------------------------------------------------------- matching


def test_substring_distance():
    assert substring_distance("aurora", "welcometoauroramotors") == 0
    assert substring_distance("aurora", "xxaur0raxx") == 1
    assert substring_distance("入口", "出口") == 1
    assert substring_distance("", "abc") == 0


def test_one_misread_character_in_a_long_name_passes():
    m = find_text(["AURORA MOTORS"], [line("AURORA M0TORS 4S")])
    assert m is not None and m.distance == 1
    assert find_text(["极光汽车"], [line("极光汽年")]) is not None


def test_a_different_word_fails():
    assert find_text(["AURORA MOTORS"], [line("VEGA AUTO SERVICE")]) is None
    assert find_text(["极光汽车"], [line("极光电器")]) is None


def test_short_texts_must_match_exactly():
    assert find_text(["入口"], [line("人口")]) is None
    assert find_text(["入口"], [line("入口 ENTRANCE")]) is not None


def test_matching_normalises_width_case_and_spaces():
    assert find_text(["AURORA MOTORS"], [line("ａｕｒｏｒａ  motors")]) is not None


def test_text_required_reports_found_and_missing_with_boxes(brand):
    texts = [line("极光汽车", (50, 40, 300, 60)), line("AURORA M0TORS", (50, 120, 300, 40))]
    r = run_check("signage.text_required", ctx_with_text(brand, "facade", texts), {"group": "brand"})
    assert r.verdict == Verdict.PASS and set(r.values["found"]) == {"极光汽车", "AURORA MOTORS"}
    assert all(f.kind == "text" and f.region is not None for f in r.findings)
    r = run_check("signage.text_required", ctx_with_text(brand, "facade", texts[:1]), {"group": "brand"})
    assert r.verdict == Verdict.FAIL and r.values["missing"] == ["AURORA MOTORS"]


def test_alternatives_count(brand):
    r = run_check("signage.text_required", ctx_with_text(brand, "entrance", [line("Entrance")]), {"group": "entrance"})
    assert r.verdict == Verdict.PASS


def test_no_required_text_is_not_applicable(brand):
    r = run_check("signage.text_required", ctx_with_text(brand, "workshop", []), {"group": "brand"})
    assert r.verdict == Verdict.NOT_APPLICABLE


# --------------------------------------------------------------------------- signboard colour


def test_brand_blue_panel_matches_palette(brand):
    rgb, (x0, y0, x1, y1) = signboard(["极光汽车"])
    text = [line("极光汽车", (x0 + 90, y0 + 40, x1 - x0 - 180, y1 - y0 - 80))]
    r = run_check("signage.colour", ctx_with_text(brand, "facade", text, rgb))
    assert r.verdict == Verdict.PASS, r.message
    assert r.values["palette_name"] == "aurora_blue" and r.values["delta_e"] < 5


def test_off_palette_panel_fails_with_measured_colour(brand):
    rgb, (x0, y0, x1, y1) = signboard(["极光汽车"], panel=(200, 40, 40))
    text = [line("极光汽车", (x0 + 90, y0 + 40, x1 - x0 - 180, y1 - y0 - 80))]
    r = run_check("signage.colour", ctx_with_text(brand, "facade", text, rgb))
    assert r.verdict == Verdict.FAIL
    assert r.values["delta_e"] > r.thresholds["tolerance"] and r.values["colour"].startswith("#")


def test_colour_cast_is_white_balanced(brand):
    rgb, (x0, y0, x1, y1) = signboard(["极光汽车"])
    warm = np.clip(rgb.astype(np.float32) * np.array([1.12, 1.0, 0.85]), 0, 255).astype(np.uint8)
    text = [line("极光汽车", (x0 + 90, y0 + 40, x1 - x0 - 180, y1 - y0 - 80))]
    r = run_check("signage.colour", ctx_with_text(brand, "facade", text, warm))
    assert r.verdict == Verdict.PASS, r.message


def test_colour_unsure_without_brand_text(brand):
    r = run_check("signage.colour", ctx_with_text(brand, "facade", [line("HELLO")]))
    assert r.verdict == Verdict.UNSURE


# --------------------------------------------------------------------------- arrows


def _arrow(img, x, y, s, colour=255):
    pts = np.array([[0, 0.35], [0.6, 0.35], [0.6, 0.1], [1.0, 0.5], [0.6, 0.9], [0.6, 0.65], [0, 0.65]]) * s + [x, y]
    cv2.fillPoly(img, [pts.astype(np.int32)], colour)


def test_find_arrows_finds_arrows_not_boxes_or_discs():
    g = np.full((300, 600), 30, np.uint8)
    _arrow(g, 40, 40, 120)
    cv2.rectangle(g, (250, 60), (380, 140), 255, -1)
    cv2.circle(g, (500, 100), 50, 255, -1)
    cv2.putText(g, "EXIT", (60, 260), cv2.FONT_HERSHEY_SIMPLEX, 2, 255, 5)
    arrows = find_arrows(g)
    assert len(arrows) == 1 and arrows[0].xyxy[0] < 200


def _chevron(img, x, y, s, colour=255, right=True):
    pts = np.array([[0, 0], [0.35, 0], [0.85, 0.5], [0.35, 1.0], [0, 1.0], [0.5, 0.5]])
    if not right:
        pts[:, 0] = 0.85 - pts[:, 0]
    cv2.fillPoly(img, [(pts * s + [x, y]).astype(np.int32)], colour)


def test_find_arrows_finds_left_and_right_chevrons_not_letters_v_or_a():
    g = np.full((320, 760), 30, np.uint8)
    _chevron(g, 40, 40, 110)
    _chevron(g, 200, 40, 110, right=False)
    cv2.putText(g, "V A", (380, 150), cv2.FONT_HERSHEY_SIMPLEX, 4, 255, 14)
    cv2.putText(g, "SERVICE", (40, 280), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 255, 8)
    arrows = find_arrows(g)
    assert sorted(round(a.xyxy[0], -1) for a in arrows) == [40, 200]


def test_directions_with_entrance_text_and_arrow(brand):
    rgb = np.full((400, 700, 3), 40, np.uint8)
    g = np.zeros((400, 700), np.uint8)
    _arrow(g, 420, 120, 140)
    rgb[g > 0] = 250
    r = run_check("signage.directions", ctx_with_text(brand, "entrance", [line("入口", (200, 150, 120, 80))], rgb))
    assert r.verdict == Verdict.PASS and r.values == {"arrow": True, "entrance_text": True}


def test_directions_fail_without_sign(brand):
    r = run_check("signage.directions", ctx_with_text(brand, "entrance", [line("洗车")]))
    assert r.verdict == Verdict.FAIL and r.values == {"arrow": False, "entrance_text": False}


# --------------------------------------------------------------------------- OCR (real models)


@pytest.mark.slow
def test_ocr_reads_chinese_and_english_signboard():
    rgb, _ = signboard(["极光汽车", "AURORA MOTORS"])
    lines = ocr.read_text(rgb)
    read = [ocr.normalise(l.text) for l in lines]
    assert any("极光汽车" in t for t in read) and any("auroramotors" in t for t in read)
    best = next(l for l in lines if "极光汽车" in l.text)
    x0, y0, x1, y1 = best.region.xyxy
    assert 150 < x0 < 400 and 80 < y0 < 250 and best.region.polygon is not None


@pytest.mark.slow
def test_ocr_reads_small_text_in_a_large_photo():
    """Text 1.2% of the photo's height: below what the whole-photo pass resolves alone."""
    rgb, _ = signboard(["服务接待 Service Reception"], size=(2048, 1536), font_px=22)
    read = " ".join(ocr.normalise(l.text) for l in ocr.read_text(rgb))
    assert "服务接待" in read


@pytest.mark.slow
def test_ocr_reads_vertical_chinese(brand):
    img = Image.new("RGB", (400, 700), (230, 230, 225))
    d = ImageDraw.Draw(img)
    d.rectangle((150, 60, 250, 520), fill=(10, 77, 162))
    font = ImageFont.truetype(FONT, 80)
    for i, ch in enumerate("客户休息区"):
        d.text((160, 70 + i * 88), ch, font=font, fill=(255, 255, 255))
    lines = ocr.read_text(np.asarray(img))
    assert any("休息区" in ocr.normalise(l.text) for l in lines), [l.text for l in lines]


@pytest.mark.slow
def test_required_text_end_to_end_with_ocr(brand):
    rgb, _ = signboard(["极光汽车"])
    ctx = PhotoContext(photo(rgb), brand, "facade")
    r = run_check("signage.text_required", ctx, {"group": "brand"})
    assert "极光汽车" in r.values["found"] and "AURORA MOTORS" in r.values["missing"]
    rgb, _ = signboard(["极光电器"])
    r = run_check("signage.text_required", PhotoContext(photo(rgb), brand, "facade"), {"group": "brand"})
    assert "极光汽车" in r.values["missing"]


def test_stacked_lines_with_overlapping_boxes_are_both_kept():
    """Loose detection boxes of a two-line sign overlap; the lines are different texts on different rows."""
    from auditor.ocr import TextLine, _dedupe

    zh = TextLine("极光关怀", 0.99, Region.from_polygon([(693, 465), (842, 465), (842, 516), (693, 516)]))
    en = TextLine("AURORACARE", 0.99, Region.from_polygon([(706, 490), (837, 490), (837, 534), (706, 534)]))
    kept = {l.text for l in _dedupe([zh, en])}
    assert kept == {"极光关怀", "AURORACARE"}


def test_the_same_line_read_twice_is_kept_once():
    from auditor.ocr import TextLine, _dedupe

    a = TextLine("AURORA MOTORS", 0.97, Region.from_polygon([(100, 50), (400, 50), (400, 90), (100, 90)]))
    b = TextLine("AURORA M0TORS", 0.80, Region.from_polygon([(104, 52), (398, 52), (398, 92), (104, 92)]))
    c = TextLine("维加", 0.70, Region.from_polygon([(102, 51), (399, 51), (399, 91), (102, 91)]))  # same place, same row
    kept = _dedupe([a, b, c])
    assert [l.text for l in kept] == ["AURORA MOTORS"]
