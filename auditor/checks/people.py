"""people.detect, people.uniform, people.badge: staff, their uniform colours and name badges.

Persons come from the learned person head (`net` signal), confirmed by OpenCV Haar
faces where a face is seen in the head part of the box. For each person the torso
and leg colours are measured (k-means in Lab over the clothing, skin removed, the
largest cluster wins so shadows and background slivers do not), matched to the
brand's uniform roles by CIEDE2000, and the chest is searched for a badge: a small
light card with straight edges that stands out from the shirt.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from auditor.checks import netsignal
from auditor.checks.context import signal
from auditor.checks.netsignal import NetOutputs, downscaled
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Region, Verdict

_ = netsignal  # the `net` signal's providers register on import

MEASURE_SIDE = 1024  # colours, faces and badges are measured on the photo shrunk to this long side
CANDIDATE_SCORE = 0.2  # persons below this head score are not analysed at all
FACE_BOOST = 0.15  # added to a person's score when a face sits in the head part of its box
FACE_ONLY_SCORE = 0.5  # score of a skin-coloured Haar face that no person box explains ...
FACE_SUPPORT = 0.3  # ... plus this times the person head's centre probability below it
FACE_MIN_SKIN = 0.3  # share of smooth skin pixels a face must show
SKIN_MAX_MOTTLING = 6.0  # grey-level spread (3x3) above which a skin-coloured pixel is texture, not skin

# Parts of a person box (fractions of its width and height), standing pose.
TORSO = (0.25, 0.22, 0.75, 0.50)
TORSO_WIDE = (0.12, 0.20, 0.88, 0.52)
BACKGROUND_DISTANCE = 10.0  # Lab distance under which a torso pixel counts as the background beside the person
LEGS = (0.30, 0.60, 0.70, 0.92)
CHEST = (0.15, 0.18, 0.85, 0.50)


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
    distance: float  # CIEDE2000 of the worst-matching part to the nearest role's colours
    tolerance: float
    season: str | None


@dataclass(frozen=True)
class PersonSeen:
    box_xyxy: tuple[float, float, float, float]
    score: float  # detector score in [0, 1], after face confirmation
    face: bool
    torso_lab: tuple[float, float, float] | None
    legs_lab: tuple[float, float, float] | None
    role: RoleMatch | None
    badge: Badge | None


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
    small, f = downscaled(ctx, MEASURE_SIDE)
    lab = _lab(small)
    faces = detect_faces(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)) / f
    text_lines = ctx.get("text") if ctx.has("text") else ()
    candidates: list[tuple[tuple[float, float, float, float], float, bool]] = []
    used = np.zeros(len(faces), bool)
    for box, score in zip(net.person_boxes_xyxy, net.person_scores):
        if score < CANDIDATE_SCORE:
            continue
        box = tuple(float(v) for v in box)
        hit = _face_in_head(box, faces)
        if hit is not None:
            used[hit] = True
        candidates.append((box, min(1.0, float(score) + (FACE_BOOST if hit is not None else 0.0)), hit is not None))
    for i in np.nonzero(~used)[0]:
        if _skin_share(small, faces[i] * f) < FACE_MIN_SKIN:
            continue  # Haar fires on signs, grilles and rust textures: a face shows skin
        box = body_from_face(faces[i], (W, H))
        score = FACE_ONLY_SCORE + FACE_SUPPORT * _heat_support(net, box)
        if score >= CANDIDATE_SCORE:
            candidates.append((box, min(1.0, score), True))
    out = []
    for box, score, face in candidates:
        sbox = tuple(v * f for v in box)
        torso = torso_colour(lab, small, sbox)
        legs = dominant_colour(lab, small, _part(sbox, LEGS))
        badge = find_badge(lab, _part(sbox, CHEST), sbox, torso)
        if badge is not None:
            badge = _badge_with_text(Badge(tuple(v / f for v in badge.box_xyxy), badge.contrast, badge.fill), text_lines)
        role = match_role(torso, legs, ctx.brand, None)
        out.append(PersonSeen(box, score, face, torso, legs, role, badge))
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


def body_from_face(face_xyxy, image_wh) -> tuple[float, float, float, float]:
    """A standing person's box extrapolated from a face box (head ~ 1/7 of the height), clipped."""
    fx0, fy0, fx1, fy1 = (float(v) for v in face_xyxy)
    fw, fh = fx1 - fx0, fy1 - fy0
    cx = (fx0 + fx1) / 2
    W, H = image_wh
    return (max(0.0, cx - 1.6 * fw), max(0.0, fy0 - 0.35 * fh), min(float(W), cx + 1.6 * fw), min(float(H), fy0 + 7.0 * fh))


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
        measured.update(role=p.role.role, nearest_role=p.role.nearest, role_distance=round(p.role.distance, 2))
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
    matches = [match_role(p.torso_lab, p.legs_lab, ctx.brand, season) for p in persons]
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
            ok = m.role is not None if mode == "roles" else _torso_in_palette(p.torso_lab, ctx.brand, season)
            if not ok:
                bad.append(_uniform_finding(p, m, f"clothing colour {_hex(p.torso_lab)} matches no uniform role "
                                            f"(nearest {m.nearest}, ΔE {m.distance:.1f} > {m.tolerance:.1f})",
                                            {"role_distance": round(m.distance, 2)}, {"tolerance": m.tolerance}))
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

def _lab(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float32 CIE Lab (L 0..100) of an sRGB uint8 image."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _part(box, frac) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (int(x0 + frac[0] * w), int(y0 + frac[1] * h), int(np.ceil(x0 + frac[2] * w)), int(np.ceil(y0 + frac[3] * h)))


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    """HxW bool: skin-coloured pixels (YCrCb box rule) of an RGB uint8 image."""
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    return (cr >= 138) & (cr <= 173) & (cb >= 77) & (cb <= 127) & (ycc[..., 0] > 60)


def dominant_colour(lab: np.ndarray, rgb: np.ndarray, box_xyxy, k: int = 3) -> tuple[float, float, float] | None:
    """Median Lab of the largest k-means cluster of a clothing region, skin excluded.

    Clustering weighs lightness at half so a shadowed fold joins its cloth, while a
    different garment or background stays apart. None when the region is empty.
    """
    H, W = lab.shape[:2]
    x0, y0, x1, y1 = max(0, box_xyxy[0]), max(0, box_xyxy[1]), min(W, box_xyxy[2]), min(H, box_xyxy[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    patch = lab[y0:y1, x0:x1].reshape(-1, 3)
    skin = skin_mask(np.ascontiguousarray(rgb[y0:y1, x0:x1])).reshape(-1)
    return _dominant(patch, skin, k)


def _dominant(patch: np.ndarray, skin: np.ndarray, k: int = 3) -> tuple[float, float, float] | None:
    """Median of the largest k-means cluster of (N, 3) Lab pixels, skin pixels dropped when few."""
    if len(patch) > 1500:
        pick = np.linspace(0, len(patch) - 1, 1500).astype(int)
        patch, skin = patch[pick], skin[pick]
    if (~skin).sum() >= 0.3 * len(skin):
        patch = patch[~skin]
    if len(patch) < k:
        return tuple(float(v) for v in np.median(patch, axis=0)) if len(patch) else None
    feats = patch * np.array([0.5, 1.0, 1.0], np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)
    _, labels, _ = cv2.kmeans(feats.astype(np.float32), k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    biggest = np.bincount(labels.ravel(), minlength=k).argmax()
    return tuple(float(v) for v in np.median(patch[labels.ravel() == biggest], axis=0))


def torso_colour(lab: np.ndarray, rgb: np.ndarray, box) -> tuple[float, float, float] | None:
    """Dominant Lab colour of the upper garment.

    Pixels like the background just left and right of the person (a wall seen past a
    raised arm) and skin are dropped; the largest remaining colour cluster wins, so a
    tablet or a tie held in front of the chest does not decide.
    """
    H, W = lab.shape[:2]
    x0, y0, x1, y1 = (max(0, v) for v in _part(box, TORSO_WIDE))
    x1, y1 = min(W, x1), min(H, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    patch = lab[y0:y1, x0:x1].reshape(-1, 3)
    skin = skin_mask(np.ascontiguousarray(rgb[y0:y1, x0:x1])).reshape(-1)
    bw = max(2, int(0.12 * (box[2] - box[0])))
    backgrounds = []
    for bx0, bx1 in ((int(box[0]) - bw, int(box[0])), (int(box[2]), int(box[2]) + bw)):
        bx0, bx1 = max(0, bx0), min(W, bx1)
        if bx1 - bx0 >= 2:
            backgrounds.append(np.median(lab[y0:y1, bx0:bx1].reshape(-1, 3), axis=0))
    keep = np.ones(len(patch), bool)
    for bg in backgrounds:
        keep &= np.linalg.norm(patch - bg, axis=1) > BACKGROUND_DISTANCE
    if keep.sum() >= 0.25 * len(patch):
        patch, skin = patch[keep], skin[keep]
    return _dominant(patch, skin)


def match_role(torso, legs, brand, season: str | None) -> RoleMatch | None:
    """The brand role whose uniform colours the person wears.

    A role lists the colours of its uniform, the upper garment's first (e.g. dark suit,
    white shirt): the torso colour must be near the first, the leg colour (when
    measured) near any of them. Distance
    is the worse part's CIEDE2000 to its nearest role colour; the role fits when every
    part is within that colour's tolerance. Seasons: the given one (plus "all"), or
    every season when None.
    """
    if torso is None or not brand.roles:
        return None
    best: tuple[float, str, float, str | None] | None = None
    fitting: tuple[float, str, float, str | None] | None = None
    for role in brand.roles:
        for s, names in role.colours.items():
            if season is not None and s not in (season, "all"):
                continue
            colours = [brand.palette[n] for n in names if n in brand.palette]
            if not colours:
                continue
            worst, tol, ok = 0.0, 0.0, True
            for part, allowed in ((torso, colours[:1]), (legs, colours)):
                if part is None:
                    continue
                d, pc = min(((_delta_e(part, pc.lab), pc) for pc in allowed), key=lambda t: t[0])
                ok &= d <= pc.tolerance
                if d >= worst:
                    worst, tol = d, pc.tolerance
            cand = (worst, role.id, tol, s)
            if best is None or worst < best[0]:
                best = cand
            if ok and (fitting is None or worst < fitting[0]):
                fitting = cand
    if best is None:
        return None
    chosen = fitting or best
    return RoleMatch(fitting[1] if fitting else None, best[1], chosen[0], chosen[2], chosen[3])


def _delta_e(lab1, lab2, kL: float = 2.0) -> float:
    """CIEDE2000; by default lightness at half weight (kL = 2, as for textiles): cloth under uneven light."""
    from auditor.colour import ciede2000

    return float(ciede2000(np.asarray(lab1, np.float64), np.asarray(lab2, np.float64), kL=kL))


def _torso_in_palette(torso, brand, season) -> bool:
    for role in brand.roles:
        for s, names in role.colours.items():
            if season is not None and s not in (season, "all"):
                continue
            for n in names:
                pc = brand.palette.get(n)
                if pc is not None and _delta_e(torso, pc.lab) <= pc.tolerance:
                    return True
    return False


# ---------------------------------------------------------------- badge

def find_badge(lab: np.ndarray, chest_xyxy, person_xyxy, shirt_lab) -> Badge | None:
    """A name badge on the chest: a compact, rectangular patch clearly lighter than the shirt.

    Card size must be plausible for the person (3-35 % of the person's width, aspect 0.6-4).
    """
    H, W = lab.shape[:2]
    x0, y0, x1, y1 = max(0, chest_xyxy[0]), max(0, chest_xyxy[1]), min(W, chest_xyxy[2]), min(H, chest_xyxy[3])
    if x1 - x0 < 6 or y1 - y0 < 6:
        return None
    L = lab[y0:y1, x0:x1, 0]
    shirt_L = float(np.median(L)) if shirt_lab is None else float(shirt_lab[0])
    pw = person_xyxy[2] - person_xyxy[0]
    best: Badge | None = None
    for delta, min_fill in ((22.0, 0.7), (15.0, 0.7), (10.0, 0.82)):  # strongest contrast first
        mask = (L >= shirt_L + delta).astype(np.uint8)
        # close the gaps that printed text and a coloured header band leave in a card
        k = max(3, int(pw * 0.025)) | 1
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for i in range(1, n):
            bx, by, bw, bh, area = stats[i]
            if not (0.03 * pw <= bw <= 0.35 * pw) or bh < 3 or not (0.6 <= bw / bh <= 4.0):
                continue
            if bx == 0 or by == 0 or bx + bw >= L.shape[1] or by + bh >= L.shape[0]:
                continue  # a card lies on the shirt; light touching the chest's edge is background or collar
            if shirt_lab is not None and not _ringed_by_shirt(lab[y0:y1, x0:x1], (bx, by, bw, bh), shirt_lab):
                continue
            fill = area / float(bw * bh)
            if fill < min_fill:
                continue
            inside = L[by:by + bh, bx:bx + bw][labels[by:by + bh, bx:bx + bw] == i]
            contrast = float(np.median(inside)) - shirt_L
            cand = Badge((float(x0 + bx), float(y0 + by), float(x0 + bx + bw), float(y0 + by + bh)), contrast, float(fill))
            if best is None or cand.contrast * cand.fill > best.contrast * best.fill:
                best = cand
        if best is not None:
            break
    return best


def _ringed_by_shirt(lab: np.ndarray, xywh, shirt_lab, min_share: float = 0.5, max_distance: float = 20.0) -> bool:
    """Whether most of a thin ring around a box (x, y, w, h) has the shirt's colour (Lab distance)."""
    x, y, w, h = xywh
    m = max(2, int(0.3 * min(w, h)))
    H, W = lab.shape[:2]
    x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(W, x + w + m), min(H, y + h + m)
    ring = np.ones((y1 - y0, x1 - x0), bool)
    ring[y - y0:y - y0 + h, x - x0:x - x0 + w] = False
    px = lab[y0:y1, x0:x1][ring]
    if len(px) == 0:
        return False
    return float((np.linalg.norm(px - np.asarray(shirt_lab, np.float32), axis=1) <= max_distance).mean()) >= min_share


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
    return np.stack([f[:, 0], f[:, 1], f[:, 0] + f[:, 2], f[:, 1] + f[:, 3]], 1)


def _face_in_head(box, faces: np.ndarray) -> int | None:
    """Index of a face of plausible size in the head part of a person box, or None."""
    x0, y0, x1, y1 = box
    head = (x0, y0 - 0.05 * (y1 - y0), x1, y0 + 0.3 * (y1 - y0))
    for i, (fx0, fy0, fx1, fy1) in enumerate(faces):
        fw = fx1 - fx0
        if _inside(((fx0 + fx1) / 2, (fy0 + fy1) / 2), head) and 0.1 * (x1 - x0) <= fw <= 0.8 * (x1 - x0):
            return i
    return None


# ---------------------------------------------------------------- small helpers

def _hex(lab) -> str | None:
    if lab is None:
        return None
    px = np.array([[lab]], np.float32)
    rgb = np.clip(cv2.cvtColor(px, cv2.COLOR_Lab2RGB)[0, 0] * 255 + 0.5, 0, 255).astype(int)
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def _round(lab):
    return None if lab is None else [round(float(v), 1) for v in lab]
