"""The per-brand learned logo detector (models/logo_detector.py) and how logo.present uses it.

The hard cases are the ones local features miss: marks made of chrome, brushed metal and 3D
letters, lit at night next to a floodlight, 2% of the photo's width, seen at a strong angle.
A look-alike mark (same notched ring, another letter) must never be taken for the brand's.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.logo import artwork_sha256, current_artwork, find_logos
from auditor.types import Photo, Region, Verdict

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "models" / "weights" / "logo_detector_demo.pt"


@pytest.fixture(scope="module")
def brand():
    return load_brand("demo")


@pytest.fixture(scope="module")
def detector():
    from models.logo_detector import LogoDetector

    return LogoDetector.load(WEIGHTS)


def _ref(brand, ref_id: str) -> np.ndarray:
    return next(r.rgba for r in brand.logos if r.id == ref_id)


def interior(w=1600, h=1200, seed=0, night=False) -> np.ndarray:
    """A reception wall: plaster, a glass partition, a counter, a printed notice; dark at night."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), (40, 42, 50) if night else (214, 210, 200), np.float32)
    img[:, : w // 5] = (90, 110, 125) if not night else (25, 30, 38)  # glass partition
    cv2.rectangle(img, (w // 3, int(h * 0.68)), (w - 120, h), (120, 80, 50) if not night else (30, 22, 16), -1)
    cv2.putText(img, "SERVICE 8:00-18:00", (w // 3, int(h * 0.62)), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (70, 70, 70), 3)
    img += rng.normal(0, 4, img.shape)
    return img


def put(scene: np.ndarray, rgba: np.ndarray, centre, size_px: float, style: str, seed: int = 0,
        yaw: float = 0.0) -> tuple[float, float, float, float]:
    """Render `rgba` in a logo_synth material onto `scene` (float32, in place): the mark box xyxy.

    yaw: degrees the wall is turned away from the camera (0 = frontal).
    """
    from models.logo_detector import paste_mark

    box = paste_mark(scene, rgba, np.random.default_rng(seed), size_px, centre, style, view=(yaw, 0.0, 0.0))
    return tuple(float(v) for v in box)


def finish(scene: np.ndarray, blur: float = 0.8, jpeg: int = 70) -> np.ndarray:
    img = cv2.GaussianBlur(np.clip(scene, 0, 255).astype(np.uint8), (0, 0), blur)
    _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, jpeg])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def ctx(brand, rgb, area="reception") -> PhotoContext:
    photo = Photo(rgb=rgb, width=rgb.shape[1], height=rgb.shape[0], source="t.png", sha256="0" * 64,
                  phash="0" * 16, format="PNG", byte_size=1)
    return PhotoContext(photo, brand, area)


def box_region(box) -> Region:
    return Region(tuple(box))


def current(matches):
    return [m for m in matches if m.current]


# --------------------------------------------------------------------------- the trained detector itself


def test_shipped_detector_matches_the_demo_pack(detector, brand):
    assert detector.meta["artwork_sha256"] == artwork_sha256(brand)
    assert WEIGHTS.stat().st_size < 20e6 and WEIGHTS.with_suffix(".md").is_file()


def test_detector_finds_chrome_and_3d_marks_and_ignores_the_wrong_ones(detector, brand):
    """Trained only on renders of the pack's artwork: it must box the current mark in materials
    it never saw as such (this wall, these sizes) and stay silent on the old and foreign marks."""
    scene = interior(seed=1)
    art = _ref(brand, "aurora_colour")
    truth = [put(scene, art, (450, 300), 150, "chrome", seed=1),
             put(scene, art, (1200, 330), 110, "extruded", seed=2)]
    put(scene, _ref(brand, "vega_lookalike"), (800, 850), 140, "chrome", seed=3)
    put(scene, _ref(brand, "aurora_old_2015"), (1300, 850), 140, "flat", seed=4)
    img = finish(scene)
    dets = detector.detect(img, threshold=0.3)
    for t in truth:
        assert any(Region(d.box_xyxy).iou(box_region(t)) >= 0.5 for d in dets), (t, dets)
    wrong = [Region((700, 750, 900, 950)), Region((1200, 750, 1400, 950))]
    assert not [d for d in dets if d.score >= 0.5 and any(Region(d.box_xyxy).iou(w) > 0.2 for w in wrong)], dets


def test_detector_is_silent_on_an_empty_wall(detector):
    img = finish(interior(seed=5))
    assert [d for d in detector.detect(img, threshold=0.5)] == []


def test_stale_weights_are_refused(brand, tmp_path):
    """A pack whose artwork changed must not run the old detector (it would look for the old mark)."""
    from auditor.inference import detect_logos

    with pytest.raises(ValueError, match="other artwork"):
        detect_logos(np.zeros((64, 64, 3), np.uint8), brand.id, "0" * 64, 0.3)


# --------------------------------------------------------------------------- logo.present with the detector


def test_3d_chrome_emblem_on_a_wall_is_found_and_boxed(brand):
    scene = interior(seed=2)
    box = put(scene, current_artwork(brand)[0], (800, 330), 120, "extruded", seed=7)
    img = finish(scene, blur=1.5)
    r = run_check("logo.present", ctx(brand, img))
    assert r.verdict == Verdict.PASS, r.message
    f = r.findings[0]
    assert f.region.iou(box_region(box)) >= 0.5
    assert len(f.region.polygon) == 4 and f.measured["accepted_by"].startswith(("detector", "geometry"))
    assert 0.0 <= f.confidence <= 1.0


def test_tiny_chrome_logo_found(brand):
    """2.5% of the photo's width: too few pixels for local features at the matching resolution."""
    scene = interior(seed=3)
    box = put(scene, current_artwork(brand)[0], (600, 260), 40, "chrome", seed=8)
    found = current(find_logos(finish(scene, blur=0.6), brand))
    assert found and max(m.region.iou(box_region(box)) for m in found) >= 0.5


def test_strong_perspective_brushed_logo_found(brand):
    scene = interior(seed=4)
    box = put(scene, current_artwork(brand)[0], (900, 320), 220, "brushed", seed=9, yaw=50.0)
    found = current(find_logos(finish(scene), brand))
    assert found and max(m.region.iou(box_region(box)) for m in found) >= 0.5


def test_lit_logo_at_night_next_to_a_floodlight_found(brand):
    scene = interior(seed=6, night=True)
    box = put(scene, current_artwork(brand)[0], (800, 300), 160, "lit", seed=10)
    glare = np.zeros(scene.shape[:2], np.float32)
    cv2.circle(glare, (1010, 260), 80, 1.0, -1)
    scene += 240 * cv2.GaussianBlur(glare, (0, 0), 35)[..., None]
    found = current(find_logos(finish(scene), brand))
    assert found and max(m.region.iou(box_region(box)) for m in found) >= 0.5


@pytest.mark.parametrize("style", ["chrome", "extruded", "flat"])
def test_lookalike_in_any_material_is_never_the_brand(brand, style):
    """Vega's mark shares Aurora's notched ring: neither the detector nor the verifier may call it Aurora."""
    scene = interior(seed=11)
    put(scene, _ref(brand, "vega_lookalike"), (800, 320), 160, style, seed=12)
    c = ctx(brand, finish(scene))
    assert run_check("logo.present", c).verdict != Verdict.PASS
    assert not current(c.get("logo"))


def test_without_a_detector_local_features_still_work(brand, monkeypatch):
    """No weights for a brand: the check falls back to local features and says nothing is wrong."""
    from auditor.inference import use_logo_detector

    use_logo_detector(brand.id, ROOT / "no-such-detector.pt")
    try:
        scene = interior(seed=13)
        box = put(scene, current_artwork(brand)[0], (800, 330), 300, "flat", seed=14)
        found = current(find_logos(finish(scene, blur=0.5, jpeg=90), brand))
        assert found and found[0].accepted_by.startswith("geometry") and found[0].detector_score is None
        assert found[0].region.iou(box_region(box)) >= 0.5
    finally:
        use_logo_detector(brand.id, None)


# --------------------------------------------------------------------------- training


def test_train_logo_writes_loadable_weights_and_a_model_card(tmp_path):
    """The `auditor train --head logo` path end to end, on a tiny budget (the shipped run takes ~15 min)."""
    from auditor.training import train_logo
    from models.logo_detector import LogoDetector

    report = train_logo("demo", tmp_path, minutes=0.1, threads=1, command="pytest")
    weights = Path(report["logo"]["weights"])
    assert weights == tmp_path / "logo_detector_demo.pt" and weights.is_file()
    card = weights.with_suffix(".md").read_text(encoding="utf-8")
    assert "pytest" in card and "recall at IoU 0.5" in card
    det = LogoDetector.load(weights)
    assert det.meta["artwork_sha256"] == artwork_sha256(load_brand("demo"))
    assert isinstance(det.detect(np.zeros((300, 400, 3), np.uint8)), list)


def test_cli_train_logo_for_an_unknown_brand_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from auditor.cli import cli

    result = CliRunner().invoke(cli, ["train", "--head", "logo", "--brand", "no-such-brand", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert not list(tmp_path.iterdir())
