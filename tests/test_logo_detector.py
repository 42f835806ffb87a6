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


def test_training_scenes_are_the_same_rendered_in_a_worker_or_in_process():
    from models.logo_detector import _rendered_chunks, pack_artwork

    current, negatives = pack_artwork(load_brand("demo"))
    here, there = _rendered_chunks(5, current, negatives, 0), _rendered_chunks(5, current, negatives, 1)
    try:
        for _ in range(2):
            a, b = next(here), next(there)
            assert len(a) == len(b) > 0
            for (img_a, boxes_a), (img_b, boxes_b) in zip(a, b):
                assert np.array_equal(img_a, img_b)
                assert np.array_equal(np.reshape(boxes_a, (-1, 4)), np.reshape(boxes_b, (-1, 4)))
        assert not np.array_equal(a[0][0], a[1][0])  # each scene its own
    finally:
        here.close()
        there.close()


def test_cli_train_logo_for_an_unknown_brand_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from auditor.cli import cli

    result = CliRunner().invoke(cli, ["train", "--head", "logo", "--brand", "no-such-brand", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- marks 2-2.5% of the photo's width


def facade(w=1600, h=1200, seed=0) -> np.ndarray:
    """A building front: wall, windows, a door, some printed clutter (as in test_checks_logo)."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), (205, 200, 190), np.uint8)
    for i in range(6):
        x = 80 + i * 250
        cv2.rectangle(img, (x, int(h * 0.62)), (x + 160, int(h * 0.9)), (30, 40, 55), -1)
    cv2.rectangle(img, (int(w * 0.42), int(h * 0.55)), (int(w * 0.58), h), (80, 80, 90), -1)
    cv2.putText(img, "OPEN 8:00-18:00", (60, int(h * 0.58)), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (60, 60, 60), 2)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def _facade_with(brand, ref_id: str, style: str, seed: int, size: float):
    """A 1600 px facade with one mark `size` px wide on its upper part, the wall turned up to 30 degrees:
    (photo, mark box xyxy)."""
    scene = facade(seed=seed).astype(np.float32)
    rng = np.random.default_rng(seed)
    centre = (float(rng.uniform(300, 1300)), float(rng.uniform(150, 400)))
    box = put(scene, _ref(brand, ref_id), centre, size, style, seed=seed + 20, yaw=float(rng.uniform(-30, 30)))
    return finish(scene, blur=0.8, jpeg=80), box


def test_marks_two_and_a_half_percent_wide_are_found_and_boxed(brand):
    """40 px on a 1600 px photo (~16 px at the detector's input) in five materials: the weak heat is looked at
    again enlarged, and the verifier / edge templates confirm it. 11 of 15 were found before this change."""
    found = []
    for style in ("chrome", "lit", "extruded", "flat", "brushed"):
        for seed in range(3):
            img, box = _facade_with(brand, "aurora_colour", style, seed, 40)
            ious = [m.region.iou(box_region(box)) for m in current(find_logos(img, brand))]
            found.append(bool(ious) and max(ious) >= 0.5)
    assert sum(found) >= 13, found


def test_a_two_percent_lit_mark_is_found(brand):
    """32 px wide (2%): too small for the verifier to read; the detector and the edge templates carry it."""
    img, box = _facade_with(brand, "aurora_colour", "lit", 2, 32)
    r = run_check("logo.present", ctx(brand, img, "facade"))
    assert r.verdict == Verdict.PASS, r.message
    assert max(f.region.iou(box_region(box)) for f in r.findings) >= 0.5
    f = r.findings[0]
    assert {"detector_score", "verifier", "verifier_wrong"} <= set(f.measured)


def _assert_never_the_brand(brand, ref_id, seeded_sizes):
    """`ref_id` rendered in every material at each (seed, size) is never taken for the brand's current mark."""
    for style in ("chrome", "lit", "extruded", "flat", "brushed"):
        for seed, size in seeded_sizes:
            img, _ = _facade_with(brand, ref_id, style, seed, size)
            assert not current(find_logos(img, brand)), (ref_id, style, seed, size)


@pytest.mark.parametrize("ref_id", ["vega_lookalike", "aurora_old_2015"])
def test_tiny_lookalike_or_old_mark_is_never_the_brand(brand, ref_id):
    """The same 2-2.5% sizes and materials with Vega's look-alike or the deprecated 2015 mark: never the brand's."""
    _assert_never_the_brand(brand, ref_id, ((0, 32), (1, 40)))


def test_edge_templates_tell_the_mark_from_its_lookalike(brand):
    """template_scores on a clean 36 px render: each mark's own reference explains it best."""
    from auditor.checks.logo import reference_features, template_scores

    refs = {r.ref.id: r for r in reference_features(brand)}
    for ref_id, rival in (("aurora_colour", "vega_lookalike"), ("vega_lookalike", "aurora_colour")):
        scene = np.full((300, 300, 3), 200.0, np.float32)
        box = put(scene, _ref(brand, ref_id), (150, 150), 36, "flat", seed=3)
        gray = cv2.cvtColor(finish(scene, blur=0.6, jpeg=90), cv2.COLOR_RGB2GRAY)
        own, other = template_scores(gray, box, [refs[ref_id], refs[rival]])
        assert own > 0.7 and own - other > 0.1, (ref_id, own, other)


# --------------------------------------------------------------------------- marks under 2%, marks partly hidden


def test_a_mark_under_two_percent_that_the_verifier_cannot_read_is_found_on_its_edge_templates(brand):
    """A lit mark 26 px wide on a 1600 px facade: the verifier reads noise there (it sees neither the
    current nor a wrong mark); a very hot detector and the edge templates carry it."""
    img, box = _facade_with(brand, "aurora_colour", "lit", 1, 26)
    found = current(find_logos(img, brand))
    assert found and max(m.region.iou(box_region(box)) for m in found) >= 0.5
    assert found[0].accepted_by == "detector+template"


@pytest.mark.parametrize("ref_id", ["vega_lookalike", "aurora_old_2015"])
def test_a_lookalike_or_old_mark_under_two_percent_is_never_the_brand(brand, ref_id):
    _assert_never_the_brand(brand, ref_id, ((0, 22), (1, 26)))


def test_a_mark_partly_behind_a_person_is_boxed_on_the_mark_not_on_both(brand):
    """A generated staff photo (val split) where a person stands in front of the logo wall's mark: the
    verifier confirms a box spanning the mark and the person; the detector's hotter peak inside it is the mark."""
    from samples.generator import render_one
    from samples.generator.plan import plan_set

    spec = plan_set(150, 21, "val")[138]
    _, jpeg, entry = render_one(spec, 21, "val", (1280, 960))
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    (bx, by, bw, bh), = entry["truth"]["logo"]["boxes"]
    mark = Region.from_xywh(bx, by, bw, bh)
    people = [Region.from_xywh(*p["box"]) for p in entry["truth"]["people"]["persons"]]
    assert any(p.iou(mark) > 0.05 for p in people)  # the case itself: someone in front of the mark
    found = current(find_logos(rgb, brand))
    assert found and max(m.region.iou(mark) for m in found) >= 0.5, [m.region.xyxy for m in found]
