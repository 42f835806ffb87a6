"""people.detect / people.uniform / people.badge on drawn staff."""
import numpy as np
import pytest

import scenes_vision2 as scenes
from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.netsignal import NetOutputs
from auditor.checks.people import dominant_colour, find_badge, match_role, _lab
from auditor.ingest import encode_png, load_photo
from auditor.types import Region, Verdict

BRAND = load_brand("demo")


def _ctx(img, boxes=None, scores=None):
    ctx = PhotoContext(load_photo(encode_png(img), "drawn.png"), BRAND)
    if boxes is not None:
        b = np.asarray(boxes, np.float32).reshape(-1, 4)
        s = np.asarray(scores if scores is not None else [0.9] * len(b), np.float32)
        ctx.seed("net", NetOutputs((img.shape[1], img.shape[0]), person_boxes_xyxy=b, person_scores=s))
    return ctx


def _staff(roles, badges, seed=0):
    img = scenes.wall(640, 480, seed)
    boxes = []
    for i, (role, badge) in enumerate(zip(roles, badges)):
        shirt, trousers = scenes.UNIFORMS[role] if role in scenes.UNIFORMS else role
        boxes.append(scenes.draw_person(img, 40 + 200 * i, 100, 320, shirt, trousers, badge))
    return img, boxes


def test_clothing_colour_ignores_skin_and_shadow():
    img, boxes = _staff(["technician"], [False])
    x0, y0, x1, y1 = boxes[0]
    lab = _lab(img)
    torso = dominant_colour(lab, img, (x0, y0 + 40, x1, y0 + 170))  # includes neck skin and the shaded seam
    from auditor.colour import ciede2000, srgb_to_lab

    assert float(ciede2000(np.array(torso), srgb_to_lab(np.array(scenes.UNIFORMS["technician"][0])))) < 3


def test_role_is_matched_by_colour():
    for role in ("technician", "foreman", "inspector", "advisor"):
        img, boxes = _staff([role], [False])
        res = run_check("people.uniform", _ctx(img, boxes))
        assert res.values["uniform_ok"] is True, (role, res.message)
        assert res.values["roles"] == [role]


def test_colour_of_no_role_fails_roles_mode_with_a_finding():
    img, boxes = _staff(["technician", ((200, 30, 160), (200, 30, 160))], [True, True])
    res = run_check("people.uniform", _ctx(img, boxes))
    assert res.verdict == Verdict.FAIL and res.values["uniform_ok"] is False
    assert res.values["roles"] == ["technician", None]
    assert len(res.findings) == 1 and res.findings[0].region.iou(Region(tuple(map(float, boxes[1])))) > 0.9


def test_consistency_mode_flags_a_different_shade_in_the_same_role():
    light_blue = ((90, 140, 200), scenes.UNIFORMS["technician"][1])
    img, boxes = _staff(["technician", "technician", light_blue], [True] * 3)
    same = run_check("people.uniform", _ctx(*_staff(["technician", "technician"], [True, True])), {"mode": "consistency"})
    assert same.values["uniform_ok"] is True
    mixed = run_check("people.uniform", _ctx(img, boxes), {"mode": "consistency"})
    assert mixed.values["uniform_ok"] is False and mixed.findings


def test_badge_present_and_absent():
    img, boxes = _staff(["technician", "foreman", "advisor"], [True, False, True])
    res = run_check("people.badge", _ctx(img, boxes))
    assert res.values["badge_visible"] is True
    assert res.values["with_badge"] == 2 and res.values["without_badge"] == 1
    assert res.verdict == Verdict.FAIL
    badges = [f for f in res.findings if f.kind == "badge"]
    for f in badges:  # each badge box lies on a chest
        cx, cy = f.region.center
        assert any(b[0] < cx < b[2] and b[1] < cy < b[1] + 0.5 * (b[3] - b[1]) for b in boxes)
    none = run_check("people.badge", _ctx(*_staff(["technician"], [False])))
    assert none.values["badge_visible"] is False


def test_nobody_means_not_applicable():
    img = scenes.wall(640, 480, 1)
    ctx = _ctx(img, [], [])
    assert run_check("people.detect", ctx).values["count"] == 0
    assert run_check("people.uniform", ctx).verdict == Verdict.NOT_APPLICABLE
    assert run_check("people.badge", ctx).values["badge_visible"] is None


def test_low_scores_are_not_people():
    img, boxes = _staff(["technician", "foreman"], [True, True])
    res = run_check("people.detect", _ctx(img, boxes, [0.9, 0.3]))
    assert res.values["count"] == 1 and res.findings[0].kind == "person"
    assert res.findings[0].measured["role"] == "technician"


@pytest.mark.slow
def test_people_are_counted_on_a_drawn_scene():
    from auditor import inference

    inference.use_weights(scenes.tiny_weights())
    try:
        for seed, n in ((31337, 3), (31338, 1), (31339, 0)):
            img, persons, _, _ = scenes.scene(seed, n_people=n, rust=False)
            res = run_check("people.detect", _ctx(img))
            assert res.values["count"] == n, (seed, res.message)
            for f, truth in zip(sorted(res.findings, key=lambda f: f.region.xyxy[0]), persons):
                assert f.region.iou(Region(tuple(map(float, truth)))) > 0.5
    finally:
        inference.reset_weights()


def test_a_skin_coloured_face_counts_and_a_face_on_rust_does_not(monkeypatch):
    import auditor.checks.people as people

    img, boxes = _staff(["technician"], [True])
    scenes.rust_patch(img, (400, 100, 520, 220), seed=2)
    x0, y0, x1, y1 = boxes[0]
    head_h = int(320 * 0.16)
    cx = (x0 + x1) // 2
    face = [cx - head_h * 0.4, y0 + head_h * 0.1, cx + head_h * 0.4, y0 + head_h * 0.95]
    rust_face = [430, 130, 490, 190]
    f = 1.0  # drawn photos are smaller than MEASURE_SIDE: no downscaling
    monkeypatch.setattr(people, "detect_faces", lambda gray: np.array([face, rust_face], np.float32) * f)
    res = run_check("people.detect", _ctx(img, [], []))
    assert res.values["count"] == 1, res.findings
    person = res.findings[0]
    assert person.measured["face"] is True
    assert person.region.iou(Region(tuple(map(float, boxes[0])))) > 0.3
