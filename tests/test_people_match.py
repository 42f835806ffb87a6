"""Role matching by hue and chroma as well as CIEDE2000: a red, a tan or a brown jacket is no
safety orange, an orange in the shade still is, and trousers are judged a little looser."""
import numpy as np

import scenes_vision2 as scenes
from auditor.brandpack import load_brand
from auditor.checks import PhotoContext, run_check
from auditor.checks.netsignal import NetOutputs
from auditor.checks.people import LEGS_TOLERANCE, _hue_fits, light_range, match_role, palette_under_light
from auditor.colour import ciede2000, hex_to_lab, srgb_to_lab
from auditor.ingest import encode_png, load_photo

BRAND = load_brand("demo")
NORMAL = light_range(scenes.wall(640, 480, 3))  # a normally exposed photo: a quarter stop down to one up
DARK_TROUSERS = (10.0, 0.5, -3.0)


def _shade(rgb, gain):
    """sRGB 0..255 of a cloth of colour `rgb` lit `gain` times (linear light)."""
    lin = (np.asarray(rgb, float) / 255) ** 2.2 * gain
    return tuple(int(v) for v in np.clip(lin ** (1 / 2.2) * 255, 0, 255))


def test_red_tan_and_brown_jackets_are_no_safety_orange():
    # measured on generated staff: CIEDE2000 (lightness at half weight) put all of these within
    # the orange's tolerance of 18 once the palette was seen a quarter stop darker
    for torso in ((33.0, 52.0, 36.0), (50.0, 8.0, 20.0), (57.0, 9.0, 24.0)):
        m = match_role(torso, DARK_TROUSERS, BRAND, None, NORMAL)
        assert m.nearest == "inspector" and m.role is None, (torso, m)


def test_orange_in_shade_or_light_is_still_an_inspector():
    orange = (232, 112, 42)
    for gain in (0.35, 0.6, 1.0, 1.6):
        torso = tuple(float(v) for v in srgb_to_lab(np.array(_shade(orange, gain), np.uint8)))
        m = match_role(torso, (27.0, -0.5, -4.0), BRAND, None, NORMAL)
        assert m.role == "inspector", (gain, torso, m)


def test_hue_rule_leaves_neutral_colours_to_ciede2000():
    charcoal = np.array([hex_to_lab("#2B2E33")])
    assert _hue_fits((20.0, 3.0, -1.0), charcoal).all()  # grey cloth: its hue angle means nothing
    teal = palette_under_light(BRAND.palette["foreman_teal"].lab, (1.0,))
    assert _hue_fits((45.0, -30.0, -2.0), teal).all()
    assert not _hue_fits((45.0, -30.0, 15.0), teal).any()  # a green jacket


def test_trousers_a_little_off_their_colour_still_match():
    grey = np.array(hex_to_lab("#3A3F45"))
    tol = BRAND.palette["dark_grey"].tolerance
    teal = tuple(float(v) for v in palette_under_light(BRAND.palette["foreman_teal"].lab, (1.0,))[0])
    legs = None
    for dl in np.arange(0, 40, 0.5):  # lighter trousers, as washed out by glare or the floor's light
        cand = grey + [dl, 0, 0]
        d = float(ciede2000(cand, grey, kL=2.0))
        if tol * 1.05 < d < tol * LEGS_TOLERANCE * 0.95:
            legs = tuple(float(v) for v in cand)
            break
    assert legs is not None
    assert match_role(teal, legs, BRAND, None, (1.0,)).role == "foreman"


def test_a_tan_jacket_on_a_drawn_photo_fails_the_uniform_check():
    img = scenes.wall(640, 480, 5)
    tan = _shade((178, 140, 102), 0.8)
    boxes = [scenes.draw_person(img, 80, 100, 320, *scenes.UNIFORMS["inspector"], False),
             scenes.draw_person(img, 330, 100, 320, tan, (30, 30, 36), False)]
    ctx = PhotoContext(load_photo(encode_png(img), "drawn.png"), BRAND)
    ctx.seed("net", NetOutputs((640, 480), person_boxes_xyxy=np.asarray(boxes, np.float32),
                               person_scores=np.full(2, 0.9, np.float32)))
    res = run_check("people.uniform", ctx)
    assert res.values["roles"] == ["inspector", None], res.message
    assert res.values["uniform_ok"] is False and len(res.findings) == 1
    assert "hue" in res.findings[0].message or "ΔE" in res.findings[0].message
