"""people.detect, people.uniform, people.badge: staff, their uniform colours and name badges.

Persons come from the learned person head (`net` signal), confirmed by OpenCV Haar
faces where a face is seen in the head part of the box (one face per box). For each
person the torso and leg colours are measured (k-means in Lab over the clothing, skin
and the persons standing in front removed, the largest cluster wins so shadows and
background slivers do not) after a white balance from the photo's neutral surfaces,
matched to the brand's uniform roles by CIEDE2000 with the palette seen under the
light the photo allows (brighter or darker, clipped when overexposed) and, for a colourful
palette colour, by its hue and chroma too (a red or a tan is no orange), and the chest is
searched for a badge: a small light card with straight edges that stands out from the
shirt, no lower than the chest and a good part of a face wide.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from auditor.checks import netsignal
from auditor.checks.context import signal
from auditor.checks.netsignal import NetOutputs
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Region, Verdict

_ = netsignal  # the `net` signal's providers register on import

MEASURE_SIDE = 1024  # colours, faces and badges are measured on the photo shrunk to this long side
CANDIDATE_SCORE = 0.2  # persons below this head score are not analysed at all
FACE_BOOST = 0.15  # added to a person's score when a face sits in the head part of its box
FACE_ONLY_SCORE = 0.5  # score of a skin-coloured Haar face that no person box explains ...
FACE_SUPPORT = 0.3  # ... plus this times the person head's centre probability below it
FACE_TOP = (-1.0, 2.5)  # a face's top lies this many face heights below (above) its person box's top ...
FACE_MAX_OFFSET = 0.25  # ... and its centre within this share of the box's width of the box's middle
FACE_MIN_SKIN = 0.3  # share of smooth skin pixels a face must show
SKIN_MAX_MOTTLING = 6.0  # grey-level spread (3x3) above which a skin-coloured pixel is texture, not skin

DARK_MEAN_LUMA = 60.0  # a photo with a mean luma (0..255) under this is underexposed ...
NORMAL_MEAN_LUMA = 110.0  # ... and is brightened toward this before colours and badges are measured
MAX_EXPOSURE_GAIN = 16.0  # linear-light gain, at most (4 stops)
WHITE_BALANCE = "neutral_or_grey"  # from the photo's neutral surfaces, else grey world ("neutral": else none;
#                                    "grey_world"; "none")
WHITE_BALANCE_RANGE = (0.75, 1.33)  # per-channel grey-world gains are clipped to this
MATCH_KL = 2.0  # CIEDE2000 lightness weight 1 / kL when a garment is matched to the palette
LEGS_TOLERANCE = 1.25  # the trousers are matched within this many times their colour's tolerance
HUE_MIN_CHROMA = 20.0  # a palette colour at least this chromatic (C*ab, as seen under the light) ...
MAX_HUE_SHIFT = 15.0  # ... is worn only by a garment within this many degrees of its hue (h_ab) ...
MIN_CHROMA_SHARE = 0.4  # ... and at least this share of its chroma (a brown is no orange)
LIGHT_STOPS = 1.0  # a garment may be lit this many stops above the photo's exposure ...
LIGHT_DOWN_STOPS = 0.25  # ... and this many below (further down, an orange is a brown) ...
OVER_LIGHT_STOPS = 3.0  # ... and this many above in an overexposed photo:
OVEREXPOSED_MEAN_LUMA = 180.0  # mean luma (0..255) at least this ...
OVEREXPOSED_CLIPPED = 0.1  # ... with at least this share of the pixels clipped (a channel >= 250)

# Parts of a person box (fractions of its width and height), standing pose.
TORSO_WIDE = (0.12, 0.20, 0.88, 0.52)
SIDE_WEIGHT_DROP = 0.6  # a torso pixel at the side of the window weighs 1 - this (1 on the middle line)
BACKGROUND_DISTANCE = 10.0  # Lab distance under which a torso pixel counts as the background beside the person
LEGS = (0.30, 0.60, 0.70, 0.92)
CHEST = (0.0, 0.17, 1.0, 0.48)  # searched for a badge (its ring must fit inside too): below the shoulders
CHEST_BELOW_FACE = (0.2, 2.0)  # ... or, below a face, this many face heights under its box (ring included)
OCCLUDER_SCORE = 0.45  # persons at least this sure hide the persons behind them ...
OCCLUDER_CORE = 0.45  # ... over this share of their box's width either side of their middle line
OCCLUDER_COLOUR_DISTANCE = 12.0  # Lab distance (lightness at half) to a clothes colour of a person in front
NEARER_BY = 0.05  # a figure ending this share of a person's height lower stands nearer the camera
FRONT_FACE_SIZE = 0.7  # a face seen on a torso is in front when at least this share of that person's head
FULL_FIGURE = 0.8  # a box shorter than this share of the figure its face implies is cut short


@dataclass(frozen=True)
class Badge:
    box_xyxy: tuple[float, float, float, float]
    contrast: float  # L* difference card - shirt
    fill: float  # share of the card's bounding box that is card
    text: str = ""


@dataclass(frozen=True)
class RoleMatch:
    role: str | None  # best role within tolerance, None when no role fits
    nearest: str | None  # nearest role whatever the distance
    distance: float  # CIEDE2000 of the worst-matching part to the nearest role's colours (trousers'
    #                  divided by LEGS_TOLERANCE)
    tolerance: float
    season: str | None
    light: float = 1.0  # the linear gain on the palette under which the role's colours fit best
    hue_shift: float = 0.0  # hue angle (degrees) of the upper garment from its role colour, under that light ...
    chroma_share: float = 1.0  # ... its chroma as a share of the colour's ...
    hue_ok: bool = True  # ... and whether both are within MAX_HUE_SHIFT and MIN_CHROMA_SHARE (`_hue_fits`)


@dataclass(frozen=True)
class PersonSeen:
    box_xyxy: tuple[float, float, float, float]
    score: float  # detector score in [0, 1], after face confirmation
    face: bool
    torso_lab: tuple[float, float, float] | None
    legs_lab: tuple[float, float, float] | None
    role: RoleMatch | None
    badge: Badge | None
    face_xyxy: tuple[float, float, float, float] | None = None
    light: tuple[float, ...] = (1.0,)  # linear gains the palette is compared under (`light_range`)


# ---------------------------------------------------------------- signal: persons of a photo

@signal("persons")
def persons_in_photo(ctx) -> tuple[PersonSeen, ...]:
    """Every candidate person (score >= CANDIDATE_SCORE) with colours, role and badge.

    Candidates are the person head's boxes, raised by FACE_BOOST when a Haar face sits
    in their head part, plus a body box extrapolated below each skin-coloured face that
    no box explains (the head, trained on generated people, misses many real ones;
    faces carry most of the real-photo recall).
    """
    net: NetOutputs = ctx.get("net")
    if net.person_boxes_xyxy is None:
        return ()
    H, W = ctx.photo.rgb.shape[:2]
    small, f = ctx.downscaled(MEASURE_SIDE)
    faces = detect_faces(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)) / f
    text_lines = ctx.get("text") if ctx.has("text") else ()
    candidates: list[tuple[tuple[float, float, float, float], float, np.ndarray | None]] = []
    used = np.zeros(len(faces), bool)
    boxes = [(tuple(float(v) for v in b), float(s)) for b, s in zip(net.person_boxes_xyxy, net.person_scores)
             if s >= CANDIDATE_SCORE]
    for (box, score), hit in zip(boxes, assign_faces([b for b, _ in boxes], faces)):
        if hit is not None:
            used[hit] = True
        candidates.append((box, min(1.0, score + (FACE_BOOST if hit is not None else 0.0)),
                           None if hit is None else faces[hit]))
    for i in np.nonzero(~used)[0]:
        if _skin_share(small, faces[i] * f) < FACE_MIN_SKIN:
            continue  # Haar fires on signs, grilles and rust textures: a face shows skin
        box = body_from_face(faces[i], (W, H))
        score = FACE_ONLY_SCORE + FACE_SUPPORT * _heat_support(net, box)
        if score >= CANDIDATE_SCORE:
            candidates.append((box, min(1.0, score), faces[i]))
    out = []
    if candidates:
        gain = photo_gains(small)
        seen = _brightened(small, gain)
        lab = _lab(seen)
        light = light_range(small)
    hidden, fronts = hidden_parts([(box, face, score) for box, score, face in candidates], with_index=True)
    measured: list = []
    measured2: list = []
    for (box, score, face), cover in zip(candidates, hidden):
        frame = body_frame(box, face)
        axis = None if face is None else (face[0] + face[2]) / 2 * f
        sframe = tuple(v * f for v in frame)
        cover = [tuple(v * f for v in r) for r in cover]
        torso = torso_colour(lab, seen, sframe, axis, cover)
        legs = legs_colour(lab, seen, sframe, axis, cover)
        measured.append((torso, legs))
    # a second look: of the boxes of the persons in front (arms and all, beyond their core),
    # the pixels of their clothes' colours are theirs too
    for k, ((box, score, face), front) in enumerate(zip(candidates, fronts)):
        if not front:
            measured2.append(measured[k])
            continue
        frame = body_frame(box, face)
        axis = None if face is None else (face[0] + face[2]) / 2 * f
        sframe = tuple(v * f for v in frame)
        cover = [tuple(v * f for v in r) for r in hidden[k]]
        cover += [(tuple(v * f for v in candidates[j][0]), [c for c in measured[j] if c is not None]) for j in front]
        measured2.append((torso_colour(lab, seen, sframe, axis, cover), legs_colour(lab, seen, sframe, axis, cover)))
    for (box, score, face), (torso, legs) in zip(candidates, measured2):
        frame = body_frame(box, face)
        badge = badge_on_chest(ctx.photo.rgb, frame, face, torso, gain)
        if badge is not None:
            badge = _badge_with_text(badge, text_lines)
        role = match_role(torso, legs, ctx.brand, None, light)
        out.append(PersonSeen(box, score, face is not None, torso, legs, role, badge,
                              None if face is None else tuple(float(v) for v in face), light))
    return tuple(sorted(out, key=lambda p: -p.score))


def _skin_share(rgb: np.ndarray, face_xyxy) -> float:
    """Share of smooth skin-coloured pixels in the middle of a face box (eyes to mouth).

    Rust and brown textures are skin-coloured too, but mottled: pixels whose 3x3
    lightness spread exceeds SKIN_MAX_MOTTLING do not count as skin.
    """
    x0, y0, x1, y1 = face_xyxy
    w, h = x1 - x0, y1 - y0
    cx0, cy0, cx1, cy1 = int(x0 + 0.25 * w), int(y0 + 0.3 * h), int(x1 - 0.25 * w), int(y1 - 0.15 * h)
    patch = np.ascontiguousarray(rgb[max(0, cy0):max(0, cy1), max(0, cx0):max(0, cx1)])
    if patch.size == 0:
        return 0.0
    L = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY).astype(np.float32)
    m = cv2.blur(L, (3, 3))
    spread = np.sqrt(np.maximum(cv2.blur(L * L, (3, 3)) - m * m, 0))
    return float((skin_mask(patch) & (spread <= SKIN_MAX_MOTTLING)).mean())


def body_from_face(face_xyxy, image_wh=None) -> tuple[float, float, float, float]:
    """A standing person's box extrapolated from a face box (head ~ 1/7 of the height), clipped
    to the image when `image_wh` is given."""
    fx0, fy0, fx1, fy1 = (float(v) for v in face_xyxy)
    fw, fh = fx1 - fx0, fy1 - fy0
    cx = (fx0 + fx1) / 2
    box = (cx - 1.6 * fw, fy0 - 0.35 * fh, cx + 1.6 * fw, fy0 + 7.0 * fh)
    if image_wh is None:
        return box
    W, H = image_wh
    return (max(0.0, box[0]), max(0.0, box[1]), min(float(W), box[2]), min(float(H), box[3]))


def body_frame(box, face) -> tuple[float, float, float, float]:
    """The standing figure that the parts' fractions (TORSO_WIDE, LEGS, CHEST) refer to.

    The person box itself, unless a face in its head shows the box is cut short (by the
    photo's bottom edge, or by something in front: a half-length shot, a counter): then
    it reaches down to where a figure with a head that size ends, so the torso is not
    measured on the face and the legs not on the torso.
    """
    if face is None:
        return tuple(float(v) for v in box)
    x0, y0, x1, y1 = (float(v) for v in box)
    _, fy0, _, fy1 = body_from_face(face)
    if y1 - y0 < FULL_FIGURE * (fy1 - fy0):
        y0, y1 = min(y0, fy0), max(y1, fy1)
    return (x0, y0, x1, y1)


def hidden_parts(people, with_index: bool = False):
    """For each person (box, face or None, score), the rectangles of the persons standing in front
    of it (photo pixels): their pixels are another person's clothes, not this one's.

    A person B stands in front of A when B's face is seen inside A's torso (a face cannot be
    seen through a body; the face must be about A's size, not a small face far behind), else,
    unless A's face is seen inside B's torso, when B's figure ends lower in the photo (feet
    nearer the camera; a figure cut by the photo's edge ends where its face says).
    The rectangle is the core of B's figure: OCCLUDER_CORE of its box width either side of
    its middle line, from its head down. Only persons scoring OCCLUDER_SCORE hide others.
    With `with_index`, also each person's list of the indices of those in front.
    """
    info = []
    for box, face, score in people:
        frame = body_frame(box, face)
        w = box[2] - box[0]
        axis = (box[0] + box[2]) / 2 if face is None else (face[0] + face[2]) / 2
        top = frame[1] if face is None else float(face[1])
        head = (frame[3] - frame[1]) / 7.5 if face is None else float(face[3] - face[1])
        core = (axis - OCCLUDER_CORE * w, top, axis + OCCLUDER_CORE * w, frame[3])
        info.append((frame, face, score, _part(frame, TORSO_WIDE, None if face is None else axis), core, head))

    def face_on(j, i) -> bool:  # j's face is seen on i's torso
        face = info[j][1]
        if face is None:
            return False
        c = ((face[0] + face[2]) / 2, (face[1] + face[3]) / 2)
        return _inside(c, info[i][3]) and face[3] - face[1] >= FRONT_FACE_SIZE * info[i][5]

    def in_front(j, i) -> bool:
        if face_on(j, i):
            return True
        if face_on(i, j):
            return False
        fi, fj = info[i][0], info[j][0]
        return fj[3] > fi[3] + NEARER_BY * (fi[3] - fi[1])

    out, fronts = [], []
    for i in range(len(info)):
        win = info[i][0]
        cover, idx = [], []
        for j in range(len(info)):
            core = info[j][4]
            if j == i or info[j][2] < OCCLUDER_SCORE or core[0] >= win[2] or core[2] <= win[0] \
                    or core[1] >= win[3] or core[3] <= win[1]:
                continue
            if in_front(j, i):
                cover.append(core)
                idx.append(j)
        out.append(cover)
        fronts.append(idx)
    return (out, fronts) if with_index else out


def _heat_support(net: NetOutputs, box) -> float:
    """Highest person-centre probability of the head around the middle of `box` (0 without a map)."""
    if net.person_heat is None:
        return 0.0
    gh, gw = net.person_heat.shape
    W, H = net.image_wh
    x0, y0, x1, y1 = box
    cx0, cx1 = int(x0 / W * gw), int(np.ceil(x1 / W * gw))
    cy0, cy1 = int((y0 + 0.25 * (y1 - y0)) / H * gh), int(np.ceil((y0 + 0.75 * (y1 - y0)) / H * gh))
    patch = net.person_heat[max(0, cy0):max(cy0 + 1, cy1), max(0, cx0):max(cx0 + 1, cx1)]
    return float(patch.max()) if patch.size else 0.0


def _persons(ctx, threshold: float) -> list[PersonSeen]:
    return [p for p in ctx.get("persons") if p.score >= threshold]


# ---------------------------------------------------------------- checks

@register("people.detect", title_en="People", title_zh="人员", defaults={"threshold": 0.45}, needs=("net",))
def detect_people(ctx, params: Mapping[str, Any]) -> CheckResult:
    net: NetOutputs = ctx.get("net")
    thr = float(params["threshold"])
    if net.person_boxes_xyxy is None:
        return CheckResult("people.detect", Verdict.UNSURE, 0.0, message="no weights for the person head (run `auditor train --head people`)",
                           values={"count": None}, thresholds={"threshold": thr})
    persons = _persons(ctx, thr)
    findings = tuple(_person_finding(p, thr) for p in persons)
    near = [float(s) for s in net.person_scores if thr * 0.6 <= s < thr]
    conf = min([p.score for p in persons], default=1.0 - max(near, default=0.0))
    values = {"count": len(persons), "faces": sum(p.face for p in persons),
              "roles": [p.role.role if p.role else None for p in persons],
              "badges": [p.badge is not None for p in persons]}
    return CheckResult("people.detect", Verdict.PASS, conf, message=f"{len(persons)} person(s) found",
                       findings=findings, values=values, thresholds={"threshold": thr})


def _person_finding(p: PersonSeen, thr: float) -> Finding:
    measured: dict[str, Any] = {"score": round(p.score, 3), "face": p.face,
                                "torso_hex": _hex(p.torso_lab), "legs_hex": _hex(p.legs_lab),
                                "torso_lab": _round(p.torso_lab), "legs_lab": _round(p.legs_lab),
                                "badge": p.badge is not None}
    if p.role is not None:
        measured.update(role=p.role.role, nearest_role=p.role.nearest, role_distance=round(p.role.distance, 2),
                        hue_shift=p.role.hue_shift, chroma_share=p.role.chroma_share)
    if p.badge is not None:
        measured.update(badge_text=p.badge.text, badge_contrast=round(p.badge.contrast, 1))
    role = p.role.role if p.role and p.role.role else "no role"
    return Finding("person", f"person ({role}{', badge' if p.badge else ''})", Region(p.box_xyxy), measured,
                   {"threshold": thr}, p.score)


@register(
    "people.uniform", title_en="Uniforms", title_zh="工作服",
    defaults={"mode": "roles", "threshold": 0.45, "season": None, "consistency_tolerance": 12.0},
    needs=("net",),
)
def check_uniforms(ctx, params: Mapping[str, Any]) -> CheckResult:
    mode = params["mode"]
    if mode not in ("roles", "palette", "consistency"):
        raise ValueError(f"people.uniform: mode must be roles, palette or consistency, got {mode!r}")
    net: NetOutputs = ctx.get("net")
    if net.person_boxes_xyxy is None:
        return CheckResult("people.uniform", Verdict.UNSURE, 0.0, message="no weights for the person head",
                           values={"uniform_ok": None, "roles": []})
    if not ctx.brand.roles:
        return CheckResult("people.uniform", Verdict.NOT_APPLICABLE, 1.0, message="the brand sets no uniform roles",
                           values={"uniform_ok": None, "roles": []})
    persons = [p for p in _persons(ctx, float(params["threshold"])) if p.torso_lab is not None]
    if not persons:
        return CheckResult("people.uniform", Verdict.NOT_APPLICABLE, 1.0, message="nobody in view",
                           values={"uniform_ok": None, "roles": []})
    season = params.get("season")
    matches = [match_role(p.torso_lab, p.legs_lab, ctx.brand, season, p.light) for p in persons]
    bad: list[Finding] = []
    tol_c = float(params["consistency_tolerance"])
    if mode == "consistency":
        groups: dict[str, list[int]] = {}
        for i, m in enumerate(matches):
            groups.setdefault(m.nearest or "?", []).append(i)
        for role, idx in groups.items():
            for a in idx:
                worst = max((_delta_e(persons[a].torso_lab, persons[b].torso_lab, kL=1.0) for b in idx if b != a), default=0.0)
                if worst > tol_c:
                    bad.append(_uniform_finding(persons[a], matches[a], f"wears different colours from other {role} staff "
                                                f"(ΔE {worst:.1f})", {"delta_e_to_peers": round(worst, 2)}, {"consistency_tolerance": tol_c}))
    else:
        for p, m in zip(persons, matches):
            ok = m.role is not None if mode == "roles" else _torso_in_palette(p.torso_lab, ctx.brand, season, p.light)
            if not ok:
                why = f"ΔE {m.distance:.1f} > {m.tolerance:.1f}" if m.hue_ok else \
                    f"ΔE {m.distance:.1f}, but hue {m.hue_shift:.0f}° off and {m.chroma_share:.0%} of its chroma"
                bad.append(_uniform_finding(p, m, f"clothing colour {_hex(p.torso_lab)} matches no uniform role "
                                            f"(nearest {m.nearest}, {why})",
                                            {"role_distance": round(m.distance, 2), "hue_shift": m.hue_shift,
                                             "chroma_share": m.chroma_share},
                                            {"tolerance": m.tolerance, "max_hue_shift": MAX_HUE_SHIFT,
                                             "min_chroma_share": MIN_CHROMA_SHARE, "legs_tolerance": LEGS_TOLERANCE}))
    roles = [m.role for m in matches]
    values = {"uniform_ok": not bad, "roles": roles, "mode": mode,
              "distances": [round(m.distance, 2) for m in matches]}
    if bad:
        return CheckResult("people.uniform", Verdict.FAIL, 0.8, message=f"{len(bad)} of {len(persons)} not in uniform",
                           findings=tuple(bad), values=values)
    return CheckResult("people.uniform", Verdict.PASS, 0.8, message=f"{len(persons)} in uniform: " + ", ".join(str(r) for r in roles),
                       values=values)


def _uniform_finding(p: PersonSeen, m: RoleMatch, msg: str, measured: dict, thresholds: dict) -> Finding:
    measured = {**measured, "torso_hex": _hex(p.torso_lab), "legs_hex": _hex(p.legs_lab), "nearest_role": m.nearest}
    return Finding("uniform", msg, Region(p.box_xyxy), measured, thresholds, 0.8)


@register("people.badge", title_en="Name badges", title_zh="胸卡", defaults={"threshold": 0.45}, needs=("net",))
def check_badges(ctx, params: Mapping[str, Any]) -> CheckResult:
    net: NetOutputs = ctx.get("net")
    if net.person_boxes_xyxy is None:
        return CheckResult("people.badge", Verdict.UNSURE, 0.0, message="no weights for the person head",
                           values={"badge_visible": None, "with_badge": 0, "without_badge": 0})
    persons = _persons(ctx, float(params["threshold"]))
    if not persons:
        return CheckResult("people.badge", Verdict.NOT_APPLICABLE, 1.0, message="nobody in view",
                           values={"badge_visible": None, "with_badge": 0, "without_badge": 0})
    with_b = [p for p in persons if p.badge is not None]
    without = [p for p in persons if p.badge is None]
    findings = [Finding("badge", "badge" + (f": {p.badge.text}" if p.badge.text else ""), Region(p.badge.box_xyxy),
                        {"contrast": round(float(p.badge.contrast), 1), "fill": round(float(p.badge.fill), 2), "text": p.badge.text},
                        {}, 0.7) for p in with_b]
    findings += [Finding("no_badge", "no name badge seen on this person", Region(p.box_xyxy), {}, {}, 0.6) for p in without]
    values = {"badge_visible": bool(with_b), "with_badge": len(with_b), "without_badge": len(without),
              "texts": [p.badge.text for p in with_b if p.badge.text]}
    verdict = Verdict.FAIL if without else Verdict.PASS
    return CheckResult("people.badge", verdict, 0.7, message=f"{len(with_b)} of {len(persons)} wear a badge",
                       findings=tuple(findings), values=values)


# ---------------------------------------------------------------- colour measurement

def exposure_gain(rgb: np.ndarray) -> float:
    """Linear-light gain that brings an underexposed photo to a normal exposure (1 otherwise).

    In a dark photo every garment drifts toward black (a teal jacket and a charcoal suit
    both measure L* ~ 10) and a badge's contrast shrinks. Mean luma (0..255) under
    DARK_MEAN_LUMA (the threshold of lighting.exposure) is lifted toward NORMAL_MEAN_LUMA,
    as a longer exposure would, by at most MAX_EXPOSURE_GAIN.
    """
    mean = float(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).mean())
    if mean >= DARK_MEAN_LUMA:
        return 1.0
    return float(min(MAX_EXPOSURE_GAIN, (NORMAL_MEAN_LUMA / max(mean, 1.0)) ** 2.2))  # sRGB ~ linear ** (1 / 2.2)



def photo_gains(rgb: np.ndarray) -> np.ndarray:
    """(3,) linear-light RGB gains that colours are measured under: the exposure gain times a
    white balance (a warm lamp makes a white card skin-coloured and shifts every garment).

    The balance comes from the photo's own near-neutral surfaces (`neutral_surface_gains`:
    walls, ceilings, floors); a photo without any is left as the camera balanced it unless
    WHITE_BALANCE is "grey_world" (grey world, clipped to WHITE_BALANCE_RANGE, is pulled
    far off by a colourful scene: a blue wall, a crowd in orange).
    """
    from auditor.colour import neutral_surface_gains, white_balance_gains

    small = rgb[::4, ::4]
    wb = neutral_surface_gains(small) if WHITE_BALANCE in ("neutral", "neutral_or_grey") else None
    if wb is None:
        wb = np.clip(white_balance_gains(small, "gray_world"), *WHITE_BALANCE_RANGE) \
            if WHITE_BALANCE in ("grey_world", "neutral_or_grey") else np.ones(3)
    return exposure_gain(rgb) * wb


def light_range(rgb: np.ndarray) -> tuple[float, ...]:
    """Linear gains (steps of a quarter stop) a garment's colour may show under in this photo,
    relative to its exposure after `photo_gains`: LIGHT_STOPS either way (a person nearer a
    lamp or in a shadow, a phone's metering), and up to OVER_LIGHT_STOPS brighter in an
    overexposed photo (mean luma at least OVEREXPOSED_MEAN_LUMA with OVEREXPOSED_CLIPPED of
    its pixels clipped), where colours are clipped toward white and `match_role` must
    compare with the palette clipped alike."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    over = gray.mean() >= OVEREXPOSED_MEAN_LUMA and (rgb.max(axis=2) >= 250).mean() >= OVEREXPOSED_CLIPPED
    top = OVER_LIGHT_STOPS if over else LIGHT_STOPS
    stops = np.arange(-LIGHT_DOWN_STOPS, top + 1e-6, 0.25)
    return tuple(float(v) for v in np.round(2.0 ** stops, 4))


def _brightened(rgb: np.ndarray, gains) -> np.ndarray:
    """`rgb` (uint8) with linear-light per-channel `gains` applied (through a lookup table)."""
    from auditor.colour import apply_white_balance

    gains = np.broadcast_to(np.asarray(gains, np.float64), (3,))
    if np.all(gains == 1.0):
        return rgb
    levels = np.arange(256, dtype=np.uint8)[:, None].repeat(3, axis=1)
    lut = apply_white_balance(levels, gains)  # 256 x 3: each channel's level mapped
    out = np.empty_like(rgb)
    for c in range(3):
        out[..., c] = cv2.LUT(rgb[..., c], lut[:, c])
    return out


def _lab(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float32 CIE Lab (L 0..100) of an sRGB uint8 image."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _part(box, frac, axis_x: float | None = None) -> tuple[int, int, int, int]:
    """A part of a person box by fractions (x0, y0, x1, y1); with `axis_x` (the face's centre)
    the part is centred on that vertical line instead (a raised arm widens a box to one side)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if axis_x is not None:
        x0 = axis_x - (frac[0] + frac[2]) / 2 * w
    return (int(x0 + frac[0] * w), int(y0 + frac[1] * h), int(np.ceil(x0 + frac[2] * w)), int(np.ceil(y0 + frac[3] * h)))


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    """HxW bool: skin-coloured pixels (YCrCb box rule) of an RGB uint8 image."""
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    return (cr >= 138) & (cr <= 173) & (cb >= 77) & (cb <= 127) & (ycc[..., 0] > 60)


def dominant_colour(lab: np.ndarray, rgb: np.ndarray, box_xyxy, k: int = 3,
                    exclude=()) -> tuple[float, float, float] | None:
    """Median Lab of the largest k-means cluster of a clothing region, skin excluded.

    Clustering weighs lightness at half so a shadowed fold joins its cloth, while a
    different garment or background stays apart. Pixels in the `exclude` rectangles (persons
    standing in front) are dropped unless that leaves too few. None when the region is empty.
    """
    H, W = lab.shape[:2]
    x0, y0, x1, y1 = max(0, box_xyxy[0]), max(0, box_xyxy[1]), min(W, box_xyxy[2]), min(H, box_xyxy[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    patch = lab[y0:y1, x0:x1].reshape(-1, 3)
    skin = skin_mask(np.ascontiguousarray(rgb[y0:y1, x0:x1])).reshape(-1)
    seen = _unhidden(x0, y0, x1, y1, exclude)
    if seen is not None:
        patch, skin = patch[seen], skin[seen]
    return _dominant(patch, skin, k)


def _unhidden(x0: int, y0: int, x1: int, y1: int, exclude, min_share: float = 0.25,
              lab: np.ndarray | None = None) -> np.ndarray | None:
    """Flat bool mask of the window's pixels outside every `exclude` item, or None when there is
    nothing to exclude or fewer than `min_share` of the pixels would stay. An item is a
    rectangle (x0, y0, x1, y1), or (rectangle, Lab colours): only its pixels within
    OCCLUDER_COLOUR_DISTANCE of one of the colours (`lab`: the window's HxWx3 Lab)."""
    if not exclude:
        return None
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5
    ys = np.arange(y0, y1, dtype=np.float32) + 0.5
    hidden = np.zeros((y1 - y0, x1 - x0), bool)
    for item in exclude:
        rect, colours = (item, None) if len(item) == 4 else item
        rx0, ry0, rx1, ry1 = rect
        inside = ((ys >= ry0) & (ys < ry1))[:, None] & ((xs >= rx0) & (xs < rx1))[None, :]
        if colours is not None:
            if lab is None or not colours:
                continue
            near = np.zeros_like(inside)
            for c in colours:
                near |= _near_colour(lab, c, OCCLUDER_COLOUR_DISTANCE)
            inside &= near
        hidden |= inside
    seen = ~hidden.reshape(-1)
    return seen if seen.mean() >= min_share else None


def _dominant(patch: np.ndarray, skin: np.ndarray, k: int = 3, weights: np.ndarray | None = None) -> tuple[float, float, float] | None:
    """Median of the heaviest k-means cluster of (N, 3) Lab pixels (each pixel weighs 1 or its
    `weights`), skin pixels dropped when few."""
    weights = np.ones(len(patch), np.float32) if weights is None else np.asarray(weights, np.float32)
    if len(patch) > 1500:
        pick = np.linspace(0, len(patch) - 1, 1500).astype(int)
        patch, skin, weights = patch[pick], skin[pick], weights[pick]
    if (~skin).sum() >= 0.3 * len(skin):
        patch, weights = patch[~skin], weights[~skin]
    if len(patch) < k:
        return tuple(float(v) for v in np.median(patch, axis=0)) if len(patch) else None
    feats = patch * np.array([0.5, 1.0, 1.0], np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)
    _, labels, _ = cv2.kmeans(feats.astype(np.float32), k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    biggest = np.bincount(labels.ravel(), weights=weights, minlength=k).argmax()
    return tuple(float(v) for v in np.median(patch[labels.ravel() == biggest], axis=0))


def torso_colour(lab: np.ndarray, rgb: np.ndarray, box, axis_x: float | None = None,
                 exclude=()) -> tuple[float, float, float] | None:
    """Dominant Lab colour of the upper garment (`garment_colour` over TORSO_WIDE).

    Pixels weigh less toward the sides (the body's middle line is the face's centre when
    known), so a tablet or a tie held in front of the chest does not decide, nor a wall
    that a loose box takes in at its side.
    """
    return garment_colour(lab, rgb, box, TORSO_WIDE, axis_x, exclude, SIDE_WEIGHT_DROP)


def legs_colour(lab: np.ndarray, rgb: np.ndarray, box, axis_x: float | None = None,
                exclude=()) -> tuple[float, float, float] | None:
    """Dominant Lab colour of the trousers (`garment_colour` over LEGS, every pixel alike: the
    floor shows between the legs, in the middle). What is beside a person's legs is as often
    the next person's trousers as the floor: it is not dropped."""
    return garment_colour(lab, rgb, box, LEGS, axis_x, exclude, 0.0, background=False)


def garment_colour(lab: np.ndarray, rgb: np.ndarray, box, part, axis_x: float | None = None,
                   exclude=(), side_drop: float = 0.0, background: bool = True) -> tuple[float, float, float] | None:
    """Dominant Lab colour of one garment: the `part` of a person's `box` (fractions, centred on
    `axis_x` when given).

    Pixels of the persons standing in front (`exclude` rectangles), pixels like the
    background just left and right of the person (with `background`: a wall seen past a
    raised arm) and skin are dropped; of the remaining colour clusters the heaviest
    wins, a pixel weighing 1 - `side_drop` at the side of the window, 1 on the middle line.
    """
    H, W = lab.shape[:2]
    x0, y0, x1, y1 = (max(0, v) for v in _part(box, part, axis_x))
    x1, y1 = min(W, x1), min(H, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    patch = lab[y0:y1, x0:x1].reshape(-1, 3)
    skin = skin_mask(np.ascontiguousarray(rgb[y0:y1, x0:x1])).reshape(-1)
    mid = (box[0] + box[2]) / 2 if axis_x is None else axis_x
    half = max(1.0, (part[2] - part[0]) / 2 * (box[2] - box[0]))
    dx = np.abs(np.arange(x0, x1, dtype=np.float32) + 0.5 - mid) / half
    weight = np.broadcast_to(1.0 - side_drop * np.clip(dx, 0, 1), (y1 - y0, x1 - x0)).reshape(-1)
    seen = _unhidden(x0, y0, x1, y1, exclude, lab=lab[y0:y1, x0:x1])
    if seen is not None:
        patch, skin, weight = patch[seen], skin[seen], weight[seen]
    keep = np.ones(len(patch), bool)
    for bg in background_beside(lab, box, y0, y1) if background else ():
        keep &= np.linalg.norm(patch - bg, axis=1) > BACKGROUND_DISTANCE
    if keep.sum() >= 0.25 * len(patch):
        patch, skin, weight = patch[keep], skin[keep], weight[keep]
    return _dominant(patch, skin, weights=weight)


def background_beside(lab: np.ndarray, box, y0: int, y1: int) -> list[np.ndarray]:
    """Median Lab of the strips just left and right of a person box, rows y0..y1 (each strip
    12 % of the box's width; a strip outside the image is left out)."""
    W = lab.shape[1]
    bw = max(2, int(0.12 * (box[2] - box[0])))
    out = []
    for bx0, bx1 in ((int(box[0]) - bw, int(box[0])), (int(box[2]), int(box[2]) + bw)):
        bx0, bx1 = max(0, bx0), min(W, bx1)
        if bx1 - bx0 >= 2 and y1 - y0 >= 1:
            out.append(np.median(lab[y0:y1, bx0:bx1].reshape(-1, 3), axis=0))
    return out


def match_role(torso, legs, brand, season: str | None, light: Sequence[float] = (1.0,)) -> RoleMatch | None:
    """The brand role whose uniform colours the person wears.

    A role lists the colours of its uniform, the upper garment's first (e.g. dark suit,
    white shirt): the torso colour must be near the first, the leg colour (when
    measured) near any of them. Distance is the worse part's CIEDE2000 to its nearest
    role colour as it looks under the light the person stands in: each palette colour
    is compared as seen at every linear gain of `light` (`palette_under_light`; one gain
    for both parts, the one that fits best), since a garment's lightness follows its
    lighting but its hue does not. The role fits when every part is within that colour's
    tolerance (the trousers within LEGS_TOLERANCE times it: fewer pixels, the floor between
    the legs, the shade of the body and glare off the floor move them further) and, where the
    colour is colourful, of its hue and chroma (`_hue_fits`). Seasons: the given one (plus
    "all"), or every season when None.
    """
    if torso is None or not brand.roles:
        return None
    names = sorted({n for role in brand.roles for ns in role.colours.values() for n in ns if n in brand.palette})
    if not names:
        return None
    light = tuple(float(g) for g in light)
    seen = np.stack([palette_under_light(brand.palette[n].lab, light) for n in names])  # (P, G, 3)
    parts = [(part_id, part) for part_id, part in (("torso", torso), ("legs", legs)) if part is not None]
    dist = {part_id: _delta_e_many(part, seen, MATCH_KL) for part_id, part in parts}
    hue_ok = {part_id: _hue_fits(part, seen) for part_id, part in parts}
    index = {n: i for i, n in enumerate(names)}
    best: tuple[float, str, float, str | None, float] | None = None
    fitting: tuple[float, str, float, str | None, float] | None = None
    for role in brand.roles:
        for s, role_names in role.colours.items():
            if season is not None and s not in (season, "all"):
                continue
            idx = [index[n] for n in role_names if n in index]
            if not idx:
                continue
            tols = np.array([brand.palette[names[i]].tolerance for i in idx])
            worst = np.zeros(len(light))
            tol = np.zeros(len(light))
            ok = np.ones(len(light), bool)
            for part_id, allowed, scale in (("torso", idx[:1], 1.0), ("legs", idx, LEGS_TOLERANCE)):
                if part_id not in dist:
                    continue
                d = dist[part_id][allowed] / scale  # (colours, G)
                fits = hue_ok[part_id][allowed]
                k = np.where(fits, d, d + 1e3).argmin(axis=0)
                dmin = d[k, np.arange(len(light))]
                ok &= (dmin <= tols[:len(allowed)][k]) & fits[k, np.arange(len(light))]
                tol = np.where(dmin >= worst, tols[:len(allowed)][k], tol)
                worst = np.maximum(worst, dmin)
            g = int(np.argmin(np.where(ok, worst, worst + 1e3)))
            cand = (float(worst[g]), role.id, float(tol[g]), s, light[g])
            if best is None or cand[0] < best[0]:
                best = cand
            if ok[g] and (fitting is None or cand[0] < fitting[0]):
                fitting = cand
    if best is None:
        return None
    chosen = fitting or best
    top = next(r for r in brand.roles if r.id == chosen[1]).colours[chosen[3]][0]
    seen_top = palette_under_light(brand.palette[top].lab, (chosen[4],))[0]
    shift, share = hue_and_chroma(torso, seen_top)
    return RoleMatch(fitting[1] if fitting else None, best[1], chosen[0], chosen[2], chosen[3], chosen[4],
                     round(float(shift), 1), round(float(share), 2), bool(_hue_fits(torso, seen_top)))


def _hue_fits(lab, seen: np.ndarray) -> np.ndarray:
    """(...) bool over the Lab colours `seen` (...x3): whether a garment of colour `lab` may be each.

    Light changes a cloth's lightness and, in shade or glare, its chroma, far more than its
    hue: a colourful palette colour (HUE_MIN_CHROMA) is worn only by a garment of its hue
    (MAX_HUE_SHIFT) that keeps MIN_CHROMA_SHARE of its chroma. CIEDE2000 alone, with an
    orange's wide tolerance, takes a red or a tan for it.
    """
    seen = np.asarray(seen, np.float64)
    shift, share = hue_and_chroma(lab, seen)
    return (np.hypot(seen[..., 1], seen[..., 2]) < HUE_MIN_CHROMA) | ((shift <= MAX_HUE_SHIFT) & (share >= MIN_CHROMA_SHARE))


def hue_and_chroma(lab, ref) -> tuple[np.ndarray, np.ndarray]:
    """(hue angle difference in degrees 0..180, chroma C*ab of `lab` / chroma of each `ref`) of one
    Lab colour against ...x3 Lab colours."""
    ref = np.asarray(ref, np.float64)
    c_ref = np.hypot(ref[..., 1], ref[..., 2])
    h = np.degrees(np.arctan2(lab[2], lab[1]) - np.arctan2(ref[..., 2], ref[..., 1]))
    return np.abs((h + 180) % 360 - 180), float(np.hypot(lab[1], lab[2])) / np.maximum(c_ref, 1e-6)


def palette_under_light(lab, light: tuple[float, ...]) -> np.ndarray:
    """(G, 3) Lab of a palette colour photographed at each linear-light gain of `light`: its sRGB
    in linear light times the gain, each channel clipped at white as a sensor clips (an
    overexposed orange turns yellow-white, a blue stays blue but light)."""
    return _palette_under_light(tuple(round(float(v), 3) for v in lab), light)


@lru_cache(maxsize=512)
def _palette_under_light(lab: tuple[float, float, float], light: tuple[float, ...]) -> np.ndarray:
    from auditor.colour import lab_to_srgb, srgb_to_lab, srgb_to_linear

    lin = srgb_to_linear(lab_to_srgb(np.asarray(lab, np.float64)))
    lit = np.clip(lin[None, :] * np.asarray(light, np.float64)[:, None], 0.0, 1.0)
    srgb = np.where(lit <= 0.0031308, lit * 12.92, 1.055 * lit ** (1 / 2.4) - 0.055)
    out = srgb_to_lab(srgb)
    out.setflags(write=False)
    return out


def _delta_e_many(lab, labs: np.ndarray, kL: float = 2.0) -> np.ndarray:
    """CIEDE2000 (lightness at half weight, as `_delta_e`) of one Lab colour to an array of them."""
    from auditor.colour import ciede2000

    return ciede2000(np.asarray(lab, np.float64), labs, kL=kL)


def _delta_e(lab1, lab2, kL: float = 2.0) -> float:
    """CIEDE2000; by default lightness at half weight (kL = 2, as for textiles): cloth under uneven light."""
    from auditor.colour import ciede2000

    return float(ciede2000(np.asarray(lab1, np.float64), np.asarray(lab2, np.float64), kL=kL))


def _torso_in_palette(torso, brand, season, light: Sequence[float] = (1.0,)) -> bool:
    light = tuple(float(g) for g in light)
    for role in brand.roles:
        for s, names in role.colours.items():
            if season is not None and s not in (season, "all"):
                continue
            for n in names:
                pc = brand.palette.get(n)
                if pc is None:
                    continue
                seen = palette_under_light(pc.lab, light)
                if ((_delta_e_many(torso, seen) <= pc.tolerance) & _hue_fits(torso, seen)).any():
                    return True
    return False


# ---------------------------------------------------------------- badge

BADGE_PERSON_PX = 128  # a person's chest is searched at this person width ...
BADGE_MAX_UPSCALE = 4.0  # ... enlarged at most this much
BADGE_WIDTH = (0.08, 0.32)  # card width, share of the person's width
BADGE_ASPECTS = (0.8, 1.15, 1.6, 2.2, 3.0)  # card width / height: portrait to long name bars
BADGE_CONTRASTS = (20.0, 12.0)  # a card is this much lighter (L*) than the garment; strongest first
BADGE_MIN_INSIDE = 0.7  # share of a card window that is light (printed text closed up)
BADGE_TEXT = 0.05  # printed text on a card is at most this share of the person's width tall
BADGE_MAX_SIDE = 0.3  # light share of the three darkest sides of the ring around it ...
BADGE_MAX_WORST_SIDE = 0.7  # ... and of the lightest (a card may sit beside a shirt collar)
BADGE_MIN_GARMENT_SIDE = 0.45  # the ring is at least this much garment on average over its sides ...
BADGE_GARMENT_DISTANCE = 20.0  # ... pixels this close (Lab, lightness at half weight) to its colour
BADGE_MAX_SKIN = 0.4  # a light patch that is mostly skin is a hand or a neck
BADGE_SKIN_CHROMA = 12.0  # skin is at least this chromatic (Lab a*b* length); a white card is not
BADGE_MAX_SKIN_SIDE = 0.3  # nor does a card touch skin: light under a chin is the shirt's collar opening
BADGE_MAX_DROP = 1.4  # a card's centre lies at most this many face heights below the face (the chest
#                        ends about a head below the chin; a face box is about 3/4 of a head)
BADGE_MIN_FACE_WIDTH = 0.35  # ... and a card is at least this many face widths wide (a name card is
#                              7..9 cm, a face about 15; a lapel pin 2)
BADGE_MAX_OFFSET = 0.75  # a card's centre lies within this many face widths of the body's middle line ...
BADGE_MIDLINE = 0.25  # a card's centre this near the middle line (face widths) sits where a shirt shows ...
BADGE_MIDLINE_BOX = 0.08  # ... (share of the person's width with no face seen): light on no side of it
BADGE_MAX_OFFSET_BOX = 0.25  # ... or, with no face seen, this share of the person's width (the middle line
#                             is then the median column of the garment's colour)


def badge_on_chest(rgb: np.ndarray, frame, face, shirt_lab, gain=1.0) -> Badge | None:
    """The badge on one person's chest, searched with the person resampled to BADGE_PERSON_PX wide.

    `rgb`: the full photo; `frame`: the person's body frame and `face` its face box (or None),
    in the photo's pixels; `shirt_lab`: the upper garment's colour; `gain`: the linear RGB
    gain(s) the colours were measured with (`photo_gains`). A fixed scale gives every card,
    however far its wearer stands, the same pixels to be found in.
    """
    pw = frame[2] - frame[0]
    if pw < 4:
        return None
    H, W = rgb.shape[:2]
    axis = None if face is None else (face[0] + face[2]) / 2
    x0, y0, x1, y1 = _part(frame, CHEST, axis)
    if face is not None:  # the chest, measured from the chin: crossed arms and hands lie lower
        fh = face[3] - face[1]
        y0, y1 = int(face[3] + CHEST_BELOW_FACE[0] * fh), int(np.ceil(face[3] + CHEST_BELOW_FACE[1] * fh))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    s = min(BADGE_MAX_UPSCALE, BADGE_PERSON_PX / pw)
    crop = cv2.resize(np.ascontiguousarray(rgb[y0:y1, x0:x1]), (max(1, round((x1 - x0) * s)), max(1, round((y1 - y0) * s))),
                      interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    crop = _brightened(crop, gain)
    lab = _lab(crop)
    if face is None:
        mid = _garment_axis(lab, shirt_lab)
        mid = ((frame[0] + frame[2]) / 2 - x0) * s if mid is None else mid
        reach, midline = BADGE_MAX_OFFSET_BOX * pw * s, BADGE_MIDLINE_BOX * pw * s
    else:
        fw = (face[2] - face[0]) * s
        mid, reach, midline = (axis - x0) * s, BADGE_MAX_OFFSET * fw, BADGE_MIDLINE * fw
    lowest = np.inf if face is None else (face[3] + BADGE_MAX_DROP * (face[3] - face[1]) - y0) * s
    narrowest = 0.0 if face is None else BADGE_MIN_FACE_WIDTH * (face[2] - face[0]) * s
    b = find_badge(lab, crop, pw * s, shirt_lab, mid, reach, midline, lowest, narrowest)
    if b is None:
        return None
    bx0, by0, bx1, by1 = b.box_xyxy
    return Badge((x0 + bx0 / s, y0 + by0 / s, x0 + bx1 / s, y0 + by1 / s), b.contrast, b.fill)


def _garment_axis(lab: np.ndarray, shirt_lab) -> float | None:
    """Median column of the garment-coloured pixels (the body's middle line: one raised arm moves
    a box's centre, not this), or None when too few."""
    if shirt_lab is None:
        return None
    cols = np.nonzero(_near_colour(lab, shirt_lab, BADGE_GARMENT_DISTANCE))[1]
    return float(np.median(cols)) if len(cols) >= 0.1 * lab.shape[0] * lab.shape[1] else None


def find_badge(lab: np.ndarray, rgb: np.ndarray, person_w: float, shirt_lab, axis_x: float | None = None,
               max_offset: float = np.inf, midline: float = 0.0, lowest: float = np.inf,
               narrowest: float = 0.0) -> Badge | None:
    """A name badge in a chest crop (Lab and RGB): a compact light rectangle framed by the garment.

    Every window of a plausible card size (BADGE_WIDTH of the person's width `person_w`,
    aspects BADGE_ASPECTS) is scored by integral images: it must be mostly light (L* at
    least a contrast over the garment's `shirt_lab`), not mostly skin, and ringed by dark
    garment: judging the ring per side, not the blob's outline, keeps a
    card that touches a white collar or a lapel edge on one side. With `axis_x` (the
    body's middle line) its centre lies within `max_offset` of it; within `midline` of it,
    where the shirt shows between the lapels, all four sides must be dark. Its centre lies
    no lower than row `lowest` (the bottom of the chest: a white cuff and a watch on an arm
    held across the body are not a card) and it is at least `narrowest` wide (a name card is
    a good part of a face wide; a lapel pin is not). The window that stands out most wins.
    """
    H, W = lab.shape[:2]
    if W < 8 or H < 8:
        return None
    L = lab[..., 0]
    shirt_L = float(np.median(L)) if shirt_lab is None else float(shirt_lab[0])
    garment = _near_colour(lab, shirt_lab, BADGE_GARMENT_DISTANCE) if shirt_lab is not None else np.zeros((H, W), bool)
    # brown and rust-orange cloth passes the skin rule, and so does a small card tinted by the orange
    # jacket around it (JPEG halves colour resolution): skin here is skin-coloured, clearly chromatic
    # and not the garment's colour
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    skin = skin_mask(rgb) & (chroma >= BADGE_SKIN_CHROMA) & ~garment
    masks = {"garment": _integral(garment), "skin": _integral(skin)}
    geometry = (axis_x, max_offset, midline, lowest)
    k = max(3, int(BADGE_TEXT * person_w)) | 1
    for delta in BADGE_CONTRASTS:
        # a card's printed lines and header band are dark: closed up inside, the ring is judged unclosed
        light = cv2.morphologyEx((L >= shirt_L + delta).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
        masks["light"] = _integral(light)
        # the ring is judged at half the contrast: a card's edge is a step, a fold's or a lit side's is a slope
        masks["ring"] = _integral(L >= shirt_L + delta / 2)
        best = None  # (score, x, y, w, h, inside)
        for w, h in _card_sizes(person_w, L.shape, narrowest):
            cand = _best_card_window(masks, w, h, geometry)
            if cand is not None and (best is None or cand[0] > best[0]):
                best = cand
        if best is not None:
            _, bx, by, bw, bh, inside = best
            contrast = float(np.percentile(L[by:by + bh, bx:bx + bw], 75)) - shirt_L
            return Badge((float(bx), float(by), float(bx + bw), float(by + bh)), contrast, float(inside))
    return None


def _near_colour(lab: np.ndarray, ref, distance: float, lightness: float = 0.5) -> np.ndarray:
    """HxW bool: pixels within `distance` of Lab `ref`, lightness weighed by `lightness` (half by
    default: folds and shading keep a cloth's hue, not its lightness)."""
    d = (lab - np.asarray(ref, np.float32)) * np.array([lightness, 1.0, 1.0], np.float32)
    return np.einsum("...c,...c->...", d, d) <= distance * distance


def _card_sizes(person_w: float, shape, narrowest: float = 0.0) -> list[tuple[int, int]]:
    """(w, h) in px of the card windows tried: widths in steps of 1.3 over BADGE_WIDTH (at least
    `narrowest`), each aspect."""
    sizes = []
    w = max(5.0, BADGE_WIDTH[0] * person_w, narrowest)
    while w <= max(5.0, BADGE_WIDTH[1] * person_w):
        for a in BADGE_ASPECTS:
            wi, hi = int(round(w)), int(round(w / a))
            if hi >= 4 and wi + 2 * _ring(wi, hi) <= shape[1] and hi + 2 * _ring(wi, hi) <= shape[0]:
                sizes.append((wi, hi))
        w *= 1.3
    return sizes


def _ring(w: int, h: int) -> int:
    return max(2, int(round(0.3 * min(w, h))))


def _integral(mask: np.ndarray) -> np.ndarray:
    return cv2.integral(mask.astype(np.uint8), sdepth=cv2.CV_32S).astype(np.float32)


def _box_sums(ii: np.ndarray, h: int, w: int) -> np.ndarray:
    """Sum of the mask over every h x w window, indexed by the window's top-left pixel."""
    return ii[h:, w:] - ii[:-h, w:] - ii[h:, :-w] + ii[:-h, :-w]


def _side_shares(ii: np.ndarray, w: int, h: int, t: int, ny: int, nx: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, second largest, largest) over the four sides of the share of a mask on the top,
    bottom, left and right strips (t px) around every w x h window whose ring fits."""
    horiz, vert = _box_sums(ii, t, w), _box_sums(ii, h, t)
    a, b = horiz[:ny, t:t + nx] / (w * t), horiz[t + h:t + h + ny, t:t + nx] / (w * t)
    c, d = vert[t:t + ny, :nx] / (h * t), vert[t:t + ny, t + w:t + w + nx] / (h * t)
    hi1, lo1, hi2, lo2 = np.maximum(a, b), np.minimum(a, b), np.maximum(c, d), np.minimum(c, d)
    largest = np.maximum(hi1, hi2)
    second = np.maximum(np.minimum(hi1, hi2), np.maximum(lo1, lo2))
    return (a + b + c + d) / 4, second, largest


def _best_card_window(masks: dict, w: int, h: int, geometry):
    """(score, x, y, w, h, inside share) of the best card window of one size, or None.

    `masks`: integral images of "light" (card-light, text closed up), "ring" (the light its
    ring must avoid), "garment" and "skin".
    `geometry`: (axis_x or None, max_offset, midline, lowest card centre row) in the crop's pixels.
    """
    t = _ring(w, h)
    ii = masks["light"]
    ny, nx = ii.shape[0] - 1 - h - 2 * t + 1, ii.shape[1] - 1 - w - 2 * t + 1
    if ny <= 0 or nx <= 0:
        return None
    area = float(w * h)
    inside = _box_sums(ii, h, w)[t:t + ny, t:t + nx] / area
    skin = _box_sums(masks["skin"], h, w)[t:t + ny, t:t + nx] / area
    light_mean, light_2nd, light_max = _side_shares(masks["ring"], w, h, t, ny, nx)
    garment_mean = _side_shares(masks["garment"], w, h, t, ny, nx)[0]
    skin_ring = _side_shares(masks["skin"], w, h, t, ny, nx)[2]
    ok = ((inside >= BADGE_MIN_INSIDE) & (skin <= BADGE_MAX_SKIN) & (light_2nd <= BADGE_MAX_SIDE)
          & (light_max <= BADGE_MAX_WORST_SIDE) & (garment_mean >= BADGE_MIN_GARMENT_SIDE)
          & (skin_ring <= BADGE_MAX_SKIN_SIDE))
    axis_x, max_offset, midline, lowest = geometry
    if np.isfinite(lowest):  # a card is worn on the chest, not on a wrist held across the belly
        ok &= (np.arange(ny, dtype=np.float32) + t + h / 2 <= lowest)[:, None]
    if axis_x is not None:
        off = np.abs(np.arange(nx, dtype=np.float32) + t + w / 2 - axis_x)[None, :]
        ok &= (off <= max_offset) & ((off >= midline) | (light_max <= BADGE_MAX_SIDE))
    if not ok.any():
        return None
    score = np.where(ok, inside - light_mean, -np.inf)
    iy, ix = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(score[iy, ix]), int(ix + t), int(iy + t), w, h, float(inside[iy, ix])


def _badge_with_text(badge: Badge, text_lines: Sequence) -> Badge:
    """The badge with the OCR lines read inside it (name, position), when the text signal ran."""
    words = [t.text for t in text_lines if _inside(t.region.center, badge.box_xyxy, margin=0.3)]
    return Badge(badge.box_xyxy, badge.contrast, badge.fill, " ".join(words)) if words else badge


def _inside(pt, box, margin: float = 0.0) -> bool:
    x0, y0, x1, y1 = box
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return x0 - mx <= pt[0] <= x1 + mx and y0 - my <= pt[1] <= y1 + my


# ---------------------------------------------------------------- faces (OpenCV Haar)

_face_cascade = None


def detect_faces(gray: np.ndarray, max_side: int = 640) -> np.ndarray:
    """(N, 4) xyxy frontal faces (OpenCV Haar cascade) in the pixels of `gray` (HxW uint8)."""
    global _face_cascade
    if _face_cascade is None:
        _face_cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    s = min(1.0, max_side / max(gray.shape))
    small = cv2.resize(gray, (int(gray.shape[1] * s), int(gray.shape[0] * s)), interpolation=cv2.INTER_AREA) if s < 1 else gray
    faces = _face_cascade.detectMultiScale(small, scaleFactor=1.15, minNeighbors=5, minSize=(16, 16))
    if len(faces) == 0:
        return np.zeros((0, 4), np.float32)
    f = np.asarray(faces, np.float32) / s
    f = f[np.lexsort((f[:, 0], f[:, 1]))]  # the cascade's threads return them in any order
    return np.stack([f[:, 0], f[:, 1], f[:, 0] + f[:, 2], f[:, 1] + f[:, 3]], 1)


def face_fit(box, face) -> float | None:
    """How badly a face fits as the head of a person box (lower is better), None when it cannot.

    A standing person's face is at the top of the box, near its middle: its top within
    FACE_TOP face heights of the box's top (hair and a loose box edge), its centre within
    FACE_MAX_OFFSET of the box's width from the middle (a raised arm widens a box to one
    side), and a plausible size. In a group the head part of one box also holds the face of
    the person standing behind, lower and further to the side: that face does not fit.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    fx0, fy0, fx1, fy1 = (float(v) for v in face)
    fw, fh = fx1 - fx0, fy1 - fy0
    cx = (fx0 + fx1) / 2
    if not (0.1 * w <= fw <= 0.8 * w) or fh <= 0:
        return None
    top = (fy0 - y0) / fh
    off = abs(cx - (x0 + x1) / 2) / w
    if not (FACE_TOP[0] <= top <= FACE_TOP[1]) or off > FACE_MAX_OFFSET:
        return None
    return off + abs(top - 0.3) * fh / h


def assign_faces(boxes, faces: np.ndarray) -> list[int | None]:
    """For each person box, the index of its face, or None: each face goes to one box at most,
    best fits (`face_fit`) first (two overlapping people must not share one face)."""
    pairs = sorted((d, bi, fi) for bi, b in enumerate(boxes) for fi, f in enumerate(faces)
                   if (d := face_fit(b, f)) is not None)
    out: list[int | None] = [None] * len(boxes)
    taken: set[int] = set()
    for _, bi, fi in pairs:
        if out[bi] is None and fi not in taken:
            out[bi] = fi
            taken.add(fi)
    return out


# ---------------------------------------------------------------- small helpers

def _hex(lab) -> str | None:
    if lab is None:
        return None
    px = np.array([[lab]], np.float32)
    rgb = np.clip(cv2.cvtColor(px, cv2.COLOR_Lab2RGB)[0, 0] * 255 + 0.5, 0, 255).astype(int)
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def _round(lab):
    return None if lab is None else [round(float(v), 1) for v in lab]
