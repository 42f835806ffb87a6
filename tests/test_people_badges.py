"""Badges beside a shirt collar, hands and collars that are not badges, dark photos, half-length people."""
import cv2
import numpy as np

import scenes_vision2 as scenes
from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.netsignal import NetOutputs
from auditor.checks.people import body_frame, find_badge, _lab
from auditor.ingest import encode_png, load_photo

BRAND = load_brand("demo")
SUIT, SHIRT, SKIN = (43, 46, 51), (242, 243, 245), (205, 160, 130)


def _ctx(img, boxes):
    ctx = PhotoContext(load_photo(encode_png(img), "drawn.png"), BRAND)
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    ctx.seed("net", NetOutputs((img.shape[1], img.shape[0]), person_boxes_xyxy=b, person_scores=np.full(len(b), 0.9, np.float32)))
    return ctx


def _advisor(img, x0, y0, height, badge: bool, hands_on_chest: bool = False):
    """A suited figure: white shirt showing in a V between the lapels, a dark tie, and optionally a
    white card with a blue header band pinned right beside the V (where the generator and real
    dealership staff wear it); returns the person box."""
    w = int(height * 0.36)
    cx = x0 + w // 2
    head = int(height * 0.14)
    cv2.ellipse(img, (cx, y0 + head // 2), (int(w * 0.2), head // 2), 0, 0, 360, SKIN, -1)
    ty0, ty1 = y0 + head + 4, y0 + int(height * 0.55)
    cv2.rectangle(img, (x0, ty0), (x0 + w, ty1), SUIT, -1)
    v = np.array([[cx - w * 0.14, ty0], [cx + w * 0.14, ty0], [cx, ty0 + (ty1 - ty0) * 0.5]], np.int32)
    cv2.fillPoly(img, [v], SHIRT)
    cv2.line(img, (cx, ty0 + 2), (cx, int(ty0 + (ty1 - ty0) * 0.45)), (25, 25, 30), max(2, w // 20))
    cv2.rectangle(img, (x0 + int(w * 0.08), ty1), (x0 + w - int(w * 0.08), y0 + height), SUIT, -1)
    if badge:
        bw, bh = int(w * 0.2), int(w * 0.13)
        bx, by = cx + int(w * 0.16), ty0 + int((ty1 - ty0) * 0.22)
        cv2.rectangle(img, (bx, by), (bx + bw, by + bh), (247, 247, 245), -1)
        cv2.rectangle(img, (bx, by), (bx + bw, by + bh // 3), (10, 77, 162), -1)
        cv2.line(img, (bx + 3, by + 2 * bh // 3), (bx + bw - 4, by + 2 * bh // 3), (30, 30, 30), 1)
    if hands_on_chest:
        for dx in (-0.12, 0.12):
            cv2.circle(img, (cx + int(w * dx), ty0 + int((ty1 - ty0) * 0.35)), int(w * 0.09), SKIN, -1)
    return (x0, y0, x0 + w, y0 + height)


def test_a_badge_beside_the_shirt_collar_is_found_and_the_collar_alone_is_not_a_badge():
    img = scenes.wall(640, 480, 3)
    boxes = [_advisor(img, 60, 60, 400, badge=True), _advisor(img, 360, 60, 400, badge=False)]
    res = run_check("people.badge", _ctx(img, boxes))
    assert res.values["with_badge"] == 1 and res.values["without_badge"] == 1, res.message
    found = [f for f in res.findings if f.kind == "badge"][0]
    cx, cy = found.region.center
    x0, y0, x1, y1 = boxes[0]
    assert cx > (x0 + x1) / 2 and y0 + 0.15 * (y1 - y0) < cy < y0 + 0.4 * (y1 - y0)  # on the wearer's left chest


def test_hands_held_on_the_chest_are_not_a_badge():
    img = scenes.wall(640, 480, 4)
    boxes = [_advisor(img, 200, 60, 400, badge=False, hands_on_chest=True)]
    res = run_check("people.badge", _ctx(img, boxes))
    assert res.values["badge_visible"] is False, [f.region for f in res.findings]


def test_card_windows_need_garment_around_them():
    """The same light rectangle is a card on a jacket and no card on a wall of its own colour."""
    on_jacket = np.full((90, 160, 3), (19, 140, 128), np.uint8)
    cv2.rectangle(on_jacket, (95, 30), (125, 48), (245, 245, 245), -1)
    lab = _lab(on_jacket)
    jacket = tuple(float(v) for v in lab[5, 5])
    assert find_badge(lab, on_jacket, 160, jacket) is not None
    on_wall = on_jacket.copy()
    on_wall[:, 80:] = (245, 245, 245)  # the card's surroundings are the wall now
    on_wall[30:49, 95:126] = (250, 250, 250)
    assert find_badge(_lab(on_wall), on_wall, 160, jacket) is None


def _darken(img: np.ndarray, linear_gain: float) -> np.ndarray:
    from auditor.colour import apply_white_balance

    return apply_white_balance(img, (linear_gain,) * 3)


def test_roles_and_wrong_colours_are_told_apart_in_an_underexposed_photo():
    img = scenes.wall(640, 480, 5)
    boxes = [scenes.draw_person(img, 60 + 200 * i, 100, 320, *scenes.UNIFORMS[r], False)
             for i, r in enumerate(("foreman", "inspector"))]
    dark = _darken(img, 0.08)  # mean luma ~ 40: lighting.exposure calls it dark
    assert cv2.cvtColor(dark, cv2.COLOR_RGB2GRAY).mean() < 60
    res = run_check("people.uniform", _ctx(dark, boxes))
    assert res.values["roles"] == ["foreman", "inspector"] and res.values["uniform_ok"] is True, res.message

    img = scenes.wall(640, 480, 6)
    wrong = ((200, 30, 160), (200, 30, 160))
    boxes = [scenes.draw_person(img, 60, 100, 320, *scenes.UNIFORMS["foreman"], False),
             scenes.draw_person(img, 260, 100, 320, *wrong, False)]
    res = run_check("people.uniform", _ctx(_darken(img, 0.08), boxes))
    assert res.values["uniform_ok"] is False and res.values["roles"] == ["foreman", None], res.message


def test_a_box_cut_short_below_a_face_reaches_down_to_the_figure_a_face_that_size_has():
    face = (100.0, 50.0, 140.0, 90.0)  # 40 px face: a figure about 7 faces tall
    cut = (70.0, 40.0, 170.0, 200.0)  # a half-length shot: the box ends at the photo's edge
    x0, y0, x1, y1 = body_frame(cut, face)
    assert (x0, x1) == (70.0, 170.0) and y0 <= 40.0 and y1 >= 50 + 6.5 * 40
    full = (70.0, 40.0, 170.0, 340.0)
    assert body_frame(full, face) == full
    assert body_frame(cut, None) == cut
