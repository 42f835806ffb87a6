"""Uniform colours under the photo's light, persons in front of others, faces shared in a group,
and what is not a chest badge (a watch on a wrist held across the body, a lapel pin)."""
import cv2
import numpy as np

import scenes_vision2 as scenes
from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.netsignal import NetOutputs
from auditor.checks.people import (_lab, assign_faces, badge_on_chest, face_fit, hidden_parts, light_range,
                                   match_role)
from auditor.colour import apply_white_balance, neutral_surface_gains, white_balance_gains
from auditor.ingest import load_photo

BRAND = load_brand("demo")
PURPLE = (140, 51, 153)  # a jacket of no role
SUIT, SHIRT, SKIN = (43, 46, 51), (242, 243, 245), (205, 160, 130)


def _jpeg_ctx(img, boxes, quality=80):
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    ctx = PhotoContext(load_photo(buf.tobytes(), "drawn.jpg"), BRAND)
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    ctx.seed("net", NetOutputs((img.shape[1], img.shape[0]), person_boxes_xyxy=b,
                               person_scores=np.full(len(b), 0.9, np.float32)))
    return ctx


def test_an_orange_uniform_in_a_dark_jpeg_matches_its_role_and_a_colour_of_no_role_does_not():
    img = scenes.wall(640, 480, 11)
    boxes = [scenes.draw_person(img, 80, 100, 320, *scenes.UNIFORMS["inspector"], False),
             scenes.draw_person(img, 330, 100, 320, PURPLE, scenes.UNIFORMS["inspector"][1], False)]
    dark = apply_white_balance(img, (0.04,) * 3)  # mean luma ~ 30: orange reads as dark brown, JPEG blurs its chroma
    assert cv2.cvtColor(dark, cv2.COLOR_RGB2GRAY).mean() < 40
    res = run_check("people.uniform", _jpeg_ctx(dark, boxes, quality=70))
    assert res.values["roles"] == ["inspector", None], res.message
    assert res.values["uniform_ok"] is False and len(res.findings) == 1


def test_an_overexposed_orange_is_matched_as_clipped_and_only_then():
    # an orange jacket photographed 2+ stops over: red clips, green follows, the jacket reads yellow-white
    img = np.full((480, 640, 3), 252, np.uint8)
    img[200:, :] = 235
    over = light_range(img)
    assert max(over) >= 6 and min(over) < 1.0
    torso, legs = (96.0, -16.3, 76.7), (56.0, -1.0, -3.0)  # dark grey trousers come out mid grey
    assert match_role(torso, legs, BRAND, None, over).role == "inspector"
    assert match_role(torso, legs, BRAND, None, light_range(scenes.wall(640, 480, 3))).role is None
    # a yellow jacket in a normal photo is no inspector, an orange one in the shade is
    normal = light_range(scenes.wall(640, 480, 3))
    assert max(normal) == 2.0
    assert match_role((84.2, -4.0, 81.8), legs, BRAND, None, normal).role is None
    assert match_role((50.0, 34.0, 46.0), (27.0, -0.5, -4.0), BRAND, None, normal).role == "inspector"


def test_the_person_in_front_does_not_colour_the_one_behind():
    img = scenes.wall(640, 480, 12)
    behind = scenes.draw_person(img, 200, 60, 300, *scenes.UNIFORMS["technician"], False)
    front = scenes.draw_person(img, 265, 120, 340, *scenes.UNIFORMS["foreman"], False)  # feet lower: nearer
    cover = hidden_parts([(behind, None, 0.9), (front, None, 0.9)])
    assert cover[1] == [] and len(cover[0]) == 1
    res = run_check("people.uniform", _jpeg_ctx(img, [behind, front], quality=90))
    assert res.values["roles"] == ["technician", "foreman"], res.message


def test_a_face_seen_on_a_torso_stands_in_front_whatever_the_feet_say():
    behind = (100.0, 50.0, 300.0, 700.0)  # its box runs to the photo's bottom edge
    front = (180.0, 120.0, 380.0, 650.0)
    front_face = (230.0, 190.0, 300.0, 260.0)  # inside the torso of the person behind
    cover = hidden_parts([(behind, (170.0, 60.0, 240.0, 130.0), 0.9), (front, front_face, 0.9)])
    assert len(cover[0]) == 1 and cover[1] == []


def test_two_overlapping_people_do_not_share_one_face():
    left = (240.0, 350.0, 540.0, 960.0)
    right = (380.0, 390.0, 630.0, 930.0)  # overlaps `left`; its own face was not detected
    face = np.array([[338.0, 408.0, 424.0, 494.0]])  # the face of `left`, at its box's top middle
    assert assign_faces([left, right], face) == [0, None]
    assert assign_faces([right, left], face) == [None, 0]
    # a face low in a box and far to its side is the head of someone standing behind
    assert face_fit((778.0, 265.0, 1047.0, 863.0), (968.0, 348.0, 1026.0, 405.0)) is None
    assert face_fit(left, face[0]) is not None


def _suited_torso(img, cx, chin, fh, fw):
    """A suit from the shoulders down (white shirt V), the face box above the chin; returns the body frame."""
    x0, x1 = int(cx - 1.6 * fw), int(cx + 1.6 * fw)
    cv2.ellipse(img, (int(cx), int(chin - fh / 2)), (int(fw / 2), int(fh / 2 * 1.2)), 0, 0, 360, SKIN, -1)
    cv2.rectangle(img, (x0, int(chin + 0.2 * fh)), (x1, img.shape[0]), SUIT, -1)
    v = np.array([[cx - 0.3 * fw, chin + 0.2 * fh], [cx + 0.3 * fw, chin + 0.2 * fh], [cx, chin + 1.3 * fh]], np.int32)
    cv2.fillPoly(img, [v], SHIRT)
    return (float(x0), float(chin - 1.35 * fh), float(x1), float(chin + 6.0 * fh))


def _card(img, x, y, w, h):
    cv2.rectangle(img, (x, y), (x + w, y + h), (247, 247, 245), -1)
    cv2.rectangle(img, (x, y), (x + w, y + h // 3), (10, 77, 162), -1)
    cv2.line(img, (x + 3, y + 2 * h // 3), (x + w - 4, y + 2 * h // 3), (30, 30, 30), 1)


FACE, CX, CHIN = 120, 320, 180  # face height = width (px), its centre x and its chin y in the scenes below


def _suited_person():
    """(image, torso frame, face box, the suit's Lab colour) of a suited person on a light wall."""
    img = np.full((900, 640, 3), 215, np.uint8)
    frame = _suited_torso(img, CX, CHIN, FACE, FACE)
    face = (CX - FACE / 2, CHIN - FACE, CX + FACE / 2, CHIN)
    suit = tuple(float(v) for v in _lab(np.array([[SUIT]], np.uint8))[0, 0])
    return img, frame, face, suit


def test_a_watch_on_a_wrist_across_the_body_is_not_a_badge_and_a_card_on_the_chest_is():
    fh, cx, chin = FACE, CX, CHIN
    img, frame, face, shirt = _suited_person()
    # arms crossed below the chest: a sleeve across the body, a white shirt cuff and a steel watch at the wrist
    y = int(chin + 1.55 * fh)
    cv2.rectangle(img, (cx - 170, y - 35), (cx + 170, y + 35), (30, 32, 36), -1)
    cv2.rectangle(img, (cx - 40, y - 22), (cx + 45, y + 22), SHIRT, -1)
    cv2.circle(img, (cx + 5, y), 17, (175, 178, 182), -1)
    cv2.circle(img, (cx + 5, y), 12, (40, 42, 46), -1)
    cv2.ellipse(img, (cx + 80, y), (35, 28), 0, 0, 360, SKIN, -1)
    assert badge_on_chest(img, frame, face, shirt) is None

    _card(img, cx + 40, int(chin + 0.6 * fh), 70, 40)  # a name card on the left breast
    b = badge_on_chest(img, frame, face, shirt)
    assert b is not None
    bx0, by0, bx1, by1 = b.box_xyxy
    assert cx + 25 <= (bx0 + bx1) / 2 <= cx + 125 and chin + 0.5 * fh <= (by0 + by1) / 2 <= chin + 1.1 * fh


def test_a_lapel_pin_is_not_a_name_badge():
    fh, cx, chin = FACE, CX, CHIN
    img, frame, face, shirt = _suited_person()
    cv2.rectangle(img, (cx + 60, int(chin + 0.6 * fh)), (cx + 80, int(chin + 0.6 * fh) + 12), (240, 240, 240), -1)
    cv2.line(img, (cx + 60, int(chin + 0.6 * fh) + 6), (cx + 80, int(chin + 0.6 * fh) + 6), (180, 30, 40), 2)
    assert badge_on_chest(img, frame, face, shirt) is None


def test_white_balance_from_neutral_surfaces_ignores_a_colourful_scene():
    img = np.empty((400, 600, 3), np.uint8)
    img[:, :] = (190, 190, 190)  # a grey wall ...
    img[:, 300:] = (20, 60, 200)  # ... and a big blue one
    img[300:, :] = (120, 120, 120)  # a grey floor
    cast = np.array([1.15, 1.0, 0.85])  # a warm lamp
    warm = apply_white_balance(img, cast)
    gains = neutral_surface_gains(warm)
    assert gains is not None and np.allclose(gains * cast, 1.0, atol=0.03)
    grey_world = white_balance_gains(warm)
    assert np.abs(grey_world * cast - 1.0).max() > 0.2  # the blue wall pulls grey world far off
    only_colour = np.zeros((200, 200, 3), np.uint8)
    only_colour[:, :] = (230, 110, 40)
    assert neutral_surface_gains(only_colour) is None
