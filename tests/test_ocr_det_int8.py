"""The int8 text detector of the whole-photo OCR pass: built by setup, loaded, and finding what the float one finds."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from auditor import ocr

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def facade(rows, size=(1600, 1200), font_px=64, seed=0) -> np.ndarray:
    """A wall with a dark panel per row of text at varied places and sizes: HxWx3 uint8."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", size, (190, 186, 178))
    d = ImageDraw.Draw(img)
    y = 60
    for i, text in enumerate(rows):
        font = ImageFont.truetype(FONT, int(font_px * (1.0 - 0.25 * (i % 3))))
        b = d.textbbox((0, 0), text, font=font)
        x = 80 + int(rng.integers(0, 300))
        d.rectangle((x - 20, y - 16, x + b[2] - b[0] + 20, y + b[3] - b[1] + 16), fill=(20, 60, 140))
        d.text((x - b[0], y - b[1]), text, font=font, fill=(255, 255, 255))
        y += b[3] - b[1] + 90
    return np.clip(np.asarray(img, np.float32) + rng.normal(0, 3, (size[1], size[0], 3)), 0, 255).astype(np.uint8)


ROWS = ["欢迎光临", "Service Reception", "维修车间 Workshop", "客户休息区", "Parts 配件"]


def test_int8_detector_is_built_and_loaded_by_default(monkeypatch):
    monkeypatch.delenv("AUDITOR_OCR_DET", raising=False)
    assert ocr.DET_INT8.is_file(), "run scripts/setup: it derives the int8 detector from the rapidocr wheel"
    assert ocr.det_model_path() == ocr.DET_INT8
    assert ocr._models()[1] is not None
    monkeypatch.setenv("AUDITOR_OCR_DET", "float")
    assert ocr.det_model_path() is None


def test_int8_detector_finds_the_lines_the_float_one_finds():
    rgb = facade(ROWS)
    scale = float(np.sqrt(ocr.PASS1_PIXELS / (rgb.shape[0] * rgb.shape[1])))
    q_float, _, p_float = ocr._detect(rgb, scale, fast=False)
    q_int8, _, p_int8 = ocr._detect(rgb, scale, fast=True)
    assert len(q_float) >= len(ROWS)
    assert len(q_int8) == len(q_float)
    # every float line has an int8 line on it (boxes within a few pixels)
    for q in q_float:
        best = min(np.abs(q.mean(0) - o.mean(0)).max() for o in q_int8)
        assert best < 6.0
    # the probability maps agree closely (the quantised one is not the float one)
    assert not np.array_equal(p_float, p_int8)
    assert np.mean(np.abs(p_float - p_int8)) < 0.02


def test_dark_photos_keep_the_float_detector():
    rgb = (facade(ROWS).astype(np.float32) * 0.35).astype(np.uint8)  # mean luma ~65: a night frame
    scale = float(np.sqrt(ocr.PASS1_PIXELS / (rgb.shape[0] * rgb.shape[1])))
    q_float, _, p_float = ocr._detect(rgb, scale, fast=False)
    q_fast, _, p_fast = ocr._detect(rgb, scale, fast=True)
    assert len(q_float) >= len(ROWS)
    assert np.array_equal(p_float, p_fast) and np.array_equal(q_float, q_fast)


def test_read_text_reads_every_row_with_the_int8_pass():
    texts = [ocr.normalise(l.text) for l in ocr.read_text(facade(ROWS, seed=1))]
    for row in ROWS:
        for word in row.split():
            assert any(ocr.normalise(word) in t for t in texts), (word, texts)


@pytest.mark.parametrize("value", ["float", "fp32", "wheel"])
def test_float_choice_names(monkeypatch, value):
    monkeypatch.setenv("AUDITOR_OCR_DET", value)
    assert ocr.det_model_path() is None
