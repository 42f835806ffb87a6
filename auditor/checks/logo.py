"""Logos (EXT-01, EXT-02): find the brand's marks by local features, verified geometrically.

The `logo` signal matches the photo against EVERY reference of the brand pack (artwork,
photos of the installed sign by day and lit at night, the brand's deprecated marks and
look-alike foreign marks): SIFT features, a ratio test per reference, a USAC (MAGSAC)
homography, then strict verification (auditor.geometry) and an appearance check (the
photo warped into the reference frame must show the reference's edges, not just a few
of them). Where several references claim the same place, the one that explains it best
wins, so a look-alike mark that shares the brand's ring is reported as the look-alike.

Where the brand has a trained detector (models/logo_detector.py, `auditor train --head logo`),
its proposals are matched again with features on an enlarged crop (small logos); weak peaks of
small boxes (a mark ~2% of the width is ~10 px at the detector's input) become proposals when the
detector's closer look at an enlarged crop confirms them. A proposal that no homography explains
(chrome, 3D letters, lit signs, blur) is accepted only when the detector is confident AND the
learned verifier (averaged over a few crops of the box) says it is the current mark and not one
of the pack's deprecated or foreign marks; or, for a box too small for the verifier to read
(~30 px), when the detector is very hot and the current mark's edge template matches clearly
better than any wrong mark's. Its region is then the proposal's box, or that of a hotter proposal inside
it (a mark partly behind a person: the accepted box spans both, the detector's hottest peak is the mark).

Checks: logo.present, logo.placement, logo.condition, logo.wrong_mark.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from auditor import colour, geometry
from auditor.brandpack import BrandPack, LogoReference
from auditor.checks.context import PhotoContext, signal
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Region, Verdict

FEATURE_SIDE = 560  # the photo's long side for feature detection (SIFT doubles it internally; 640 before the detector took the small logos)
REF_SIDE = 320  # references are described at this long side ...
REF_SCALES = (1.0, 0.6, 0.35, 0.2)  # ... and at these fractions of it
RATIO = 0.9  # Lowe's ratio test (loose: the geometric and appearance checks keep precision)
RANSAC_PX = 4.0  # reprojection threshold at FEATURE_SIDE
RNG_SEED = 0
MAX_INSTANCES = 3  # per reference
APPEARANCE_SIDE = 96  # the warped-patch comparison runs at this size
MIN_APPEARANCE = 0.30  # edge correlation needed to accept a homography match
MIN_APPEARANCE_SIMILARITY = 0.60  # ... and a similarity match (few features: the appearance must carry it)
SIFT_FEATURES = 2000  # strongest keypoints kept on the photo
REF_MAX_FEATURES = 560  # strongest keypoints kept per reference, shared out over its grounds and scales
FLANN_CHECKS = 32
CLAHE_CLIP = 2.0


@dataclass(frozen=True, eq=False)
class LogoMatch:
    """One verified occurrence of a reference logo on the photo."""

    reference_id: str
    kind: str  # artwork / photo_day / photo_night
    deprecated: bool
    foreign: bool
    region: Region  # quad of the mark (polygon) in ctx.photo.rgb pixels
    inliers: int
    spread: float  # inlier hull / mark area in the reference, 0..1
    appearance: float  # edge correlation of the warped photo with the reference, -1..1
    score: float  # 0..1
    confidence: float  # 0..1
    homography: tuple[tuple[float, ...], ...]  # 3x3, reference pixels -> rgb pixels
    ref_size: tuple[int, int]  # (w, h) of the reference as described
    mark_box: tuple[float, float, float, float]  # xyxy of the mark in the reference
    model: str = "homography"  # or "similarity" (few features: accepted on a stricter appearance check)
    runner_up: str | None = None  # the other reference that claimed this place, if any
    runner_up_score: float | None = None
    detector_score: float | None = None  # heat of the learned detector's proposal here (None: no proposal)
    verifier: float | None = None  # the learned verifier's probability against the current marks
    verifier_wrong: float | None = None  # ... and against the pack's deprecated and foreign marks
    # geometry / geometry+verifier / detector+geometry(+verifier) / detector+verifier / detector+template
    accepted_by: str = "geometry"
    template: float | None = None  # edge correlation of a small box with the current marks (detector+template)
    template_wrong: float | None = None  # ... and with the deprecated and foreign marks

    @property
    def current(self) -> bool:
        return not (self.deprecated or self.foreign)


# --------------------------------------------------------------------------- references


@dataclass(frozen=True, eq=False)
class _RefFeatures:
    ref: LogoReference
    size: tuple[int, int]
    mark_box: tuple[float, float, float, float]
    rgb: np.ndarray  # HxWx3 uint8 at `size` (composited over mid grey where transparent)
    alpha: np.ndarray  # HxW float32 0..1
    edges: np.ndarray  # APPEARANCE_SIDE^2 float32, normalised edge map
    edge_mask: np.ndarray  # APPEARANCE_SIDE^2 bool, where the comparison counts
    points: np.ndarray  # Nx2 float32 keypoint positions
    descriptors: np.ndarray  # NxD float32
    template: np.ndarray  # grey mark box (with a margin) for small-mark template matching
    template_frac: tuple[float, float]  # the mark box's share of `template` (w, h)


_ref_cache: dict[tuple, list[_RefFeatures]] = {}
_ref_lock = threading.Lock()


def _detector():
    return cv2.SIFT_create(nfeatures=SIFT_FEATURES, contrastThreshold=0.03)


def _matcher(desc: np.ndarray):
    """A matcher indexed on the photo's descriptors (built once, queried by every reference)."""
    m = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": FLANN_CHECKS})
    m.add([desc])
    m.train()
    return m


def _mark_box(alpha: np.ndarray, gray: np.ndarray) -> tuple[float, float, float, float]:
    """xyxy of the mark: its opaque part, or for an opaque photo the part with most edges."""
    h, w = alpha.shape
    if alpha.min() < 0.5:
        ys, xs = np.nonzero(alpha > 0.5)
    else:
        mag = cv2.GaussianBlur(np.abs(cv2.Laplacian(gray, cv2.CV_32F)), (0, 0), 3)
        ys, xs = np.nonzero(mag > np.percentile(mag, 80))
    if len(xs) < 10:
        return (0.0, 0.0, float(w), float(h))
    x0, x1 = np.percentile(xs, [1, 99])
    y0, y1 = np.percentile(ys, [1, 99])
    return (float(x0), float(y0), float(x1 + 1), float(y1 + 1))


def _edge_map(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude, blurred a little and normalised to zero mean, unit std."""
    g = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.0)
    mag = cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
    mag = cv2.GaussianBlur(mag, (0, 0), 1.5)
    return mag


def _describe_reference(ref: LogoReference) -> _RefFeatures:
    rgba = ref.rgba
    s = REF_SIDE / max(rgba.shape[:2])
    rgba = cv2.resize(rgba, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32)
    det = _detector()
    pts, descs = [], []
    transparent = alpha.min() < 0.5
    # Transparent artwork is described over a dark and over a light ground: a mark looks like
    # either polarity on a real facade (blue letters on white, white letters on blue).
    grounds = (0.0, 255.0) if transparent else (None,)
    for ground in grounds:
        comp = rgb if ground is None else rgb * alpha[..., None] + ground * (1 - alpha[..., None])
        gray = cv2.cvtColor(comp.astype(np.uint8), cv2.COLOR_RGB2GRAY)
        pad = 16  # room so keypoints on the outline get full support
        g = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(ground or 0)) if ground is not None \
            else cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        for scale in REF_SCALES:  # smaller copies describe the mark as it looks when small in a photo
            gs = g if scale == 1.0 else cv2.resize(g, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            kps, d = det.detectAndCompute(gs, None)
            if d is None:
                continue
            quota = REF_MAX_FEATURES // (len(grounds) * len(REF_SCALES))  # every scale keeps its share
            if len(kps) > quota:
                keep = np.argsort([-k.response for k in kps])[:quota]
                kps, d = [kps[i] for i in keep], d[keep]
            p = np.array([k.pt for k in kps], np.float32) / scale - pad
            pts.append(p)
            descs.append(d)
    points = np.vstack(pts) if pts else np.zeros((0, 2), np.float32)
    descriptors = np.vstack(descs) if descs else np.zeros((0, 128), np.float32)
    grey_ground = (rgb * alpha[..., None] + 128 * (1 - alpha[..., None])).astype(np.uint8)
    gray = cv2.cvtColor(grey_ground, cv2.COLOR_RGB2GRAY)
    box = _mark_box(alpha, gray)
    edges, mask = _reference_edges(gray, alpha, box)
    template, frac = _template_of(gray, box)
    return _RefFeatures(ref, (rgba.shape[1], rgba.shape[0]), box, grey_ground, alpha, edges, mask, points, descriptors,
                        template, frac)


def _template_of(gray: np.ndarray, box) -> tuple[np.ndarray, tuple[float, float]]:
    x0, y0, x1, y1 = box
    pad = 0.08 * max(x1 - x0, y1 - y0)
    X0, Y0 = int(max(0, x0 - pad)), int(max(0, y0 - pad))
    X1, Y1 = int(min(gray.shape[1], x1 + pad)), int(min(gray.shape[0], y1 + pad))
    return gray[Y0:Y1, X0:X1].copy(), ((x1 - x0) / (X1 - X0), (y1 - y0) / (Y1 - Y0))


def _box_transform(box: tuple[float, float, float, float]) -> np.ndarray:
    """3x3 mapping the reference's mark box onto the APPEARANCE_SIDE square."""
    x0, y0, x1, y1 = box
    sx = APPEARANCE_SIDE / max(x1 - x0, 1e-6)
    sy = APPEARANCE_SIDE / max(y1 - y0, 1e-6)
    return np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy], [0, 0, 1]], np.float64)


def _reference_edges(gray: np.ndarray, alpha: np.ndarray, box) -> tuple[np.ndarray, np.ndarray]:
    t = _box_transform(box)
    g = cv2.warpPerspective(gray, t, (APPEARANCE_SIDE, APPEARANCE_SIDE), flags=cv2.INTER_AREA)
    e = _edge_map(g)
    mask = e > np.percentile(e, 40)  # edges of the reference and their neighbourhood ...
    mask |= cv2.dilate((e > np.percentile(e, 75)).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    return e, mask


def reference_features(brand: BrandPack) -> list[_RefFeatures]:
    """The brand's references, described once per process (keyed by the pack's files)."""
    key = (brand.id, str(brand.root), tuple((r.id, str(r.path), r.rgba.shape) for r in brand.logos))
    with _ref_lock:
        if key not in _ref_cache:
            _ref_cache[key] = [_describe_reference(r) for r in brand.logos]
        return _ref_cache[key]


# --------------------------------------------------------------------------- matching


def _appearance(gray_small: np.ndarray, h_ref_to_small: np.ndarray, rf: _RefFeatures) -> float:
    """Edge correlation (-1..1) between the reference's mark and the photo warped onto it."""
    t = _box_transform(rf.mark_box)
    h_small_to_box = t @ np.linalg.inv(h_ref_to_small)
    patch = cv2.warpPerspective(gray_small, h_small_to_box, (APPEARANCE_SIDE, APPEARANCE_SIDE),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    e = _edge_map(patch)
    a, b = e[rf.edge_mask], rf.edges[rf.edge_mask]
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-6 else 0.0


def _ratio_pairs(rf: _RefFeatures, desc: np.ndarray, matcher, ratio: float) -> list[tuple[int, int]]:
    """(reference keypoint, photo keypoint) pairs that pass the ratio test, one per photo keypoint."""
    if len(rf.descriptors) < 4 or len(desc) < 4:
        return []
    knn = matcher.knnMatch(rf.descriptors, k=2)
    pairs = [(m.queryIdx, m.trainIdx) for m, *rest in (k for k in knn if k)
             if not rest or m.distance < ratio * rest[0].distance]
    # One photo keypoint may answer several reference keypoints (the two grounds, two scales): keep the first.
    seen: set[int] = set()
    return [(q, t) for q, t in pairs if not (t in seen or seen.add(t))]


def _match_reference(rf: _RefFeatures, pairs: list[tuple[int, int]], kp_xy: np.ndarray,
                     gray_small: np.ndarray, params: Mapping[str, Any]) -> list[dict]:
    """Verified occurrences of one reference, one at a time (inliers removed after each): a
    homography, or, with few matches (small, blurred logos), a similarity transform that must
    pass a stricter appearance check."""
    found: list[dict] = []
    for _ in range(MAX_INSTANCES):
        if len(pairs) < params["min_inliers_similarity"]:
            break
        hit = _match_homography(rf, pairs, kp_xy, gray_small, params) if len(pairs) >= params["min_inliers"] else None
        hit = hit or _match_similarity(rf, pairs, kp_xy, gray_small, params)
        if hit is None:
            break
        found.append(hit)
        pairs = [p for p, i in zip(pairs, hit.pop("inlier_mask")) if not i]
    return found


def _match_homography(rf: _RefFeatures, pairs, kp_xy, gray_small, params) -> dict | None:
    src = rf.points[[q for q, _ in pairs]].astype(np.float32)
    dst = kp_xy[[t for _, t in pairs]].astype(np.float32)
    H, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, params["ransac_px"], maxIters=2000, confidence=0.995)
    if H is None or mask is None:
        return None
    inl = mask.ravel().astype(bool)
    v = geometry.verify_homography(H, rf.size, (gray_small.shape[1], gray_small.shape[0]), src[inl], len(pairs),
                                   rf.mark_box, {"min_inliers": params["min_inliers"]})
    if not v.ok:
        return None
    return {"rf": rf, "H": H, "v": v, "inliers": int(inl.sum()), "appearance": _appearance(gray_small, H, rf),
            "model": "homography", "inlier_mask": inl}


def _match_similarity(rf: _RefFeatures, pairs, kp_xy, gray_small, params) -> dict | None:
    src = rf.points[[q for q, _ in pairs]].astype(np.float32)
    dst = kp_xy[[t for _, t in pairs]].astype(np.float32)
    A, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=params["ransac_px"],
                                          maxIters=2000, confidence=0.995)
    if A is None or mask is None:
        return None
    inl = mask.ravel().astype(bool)
    H = np.vstack([A, [0.0, 0.0, 1.0]])
    v = geometry.verify_homography(H, rf.size, (gray_small.shape[1], gray_small.shape[0]), src[inl], len(pairs),
                                   rf.mark_box, {"min_inliers": params["min_inliers_similarity"], "min_inlier_ratio": 0.15,
                                                 "min_spread": 0.12, "min_quadrants": 2})
    if not v.ok:
        return None
    app = _appearance(gray_small, H, rf)
    if app < params["min_appearance_similarity"]:
        return None
    return {"rf": rf, "H": H, "v": v, "inliers": int(inl.sum()), "appearance": app, "model": "similarity",
            "inlier_mask": inl}


def _equalise(gray: np.ndarray) -> np.ndarray:
    """Local contrast equalisation (CLAHE): an unlit logo at night or a dim facade keeps its
    keypoints, which SIFT's contrast threshold would otherwise drop."""
    return cv2.createCLAHE(clipLimit=CLAHE_CLIP, tileGridSize=(8, 8)).apply(gray)


def _candidates(gray: np.ndarray, refs: list[_RefFeatures], params: Mapping[str, Any]) -> tuple[list[dict], np.ndarray]:
    """Verified candidates on `gray` (coordinates of `gray`), and the photo points of all ratio-test matches."""
    gray = _equalise(gray)
    kps, desc = _detector().detectAndCompute(gray, None)
    if desc is None or len(kps) < 4:
        return [], np.zeros((0, 2), np.float32)
    kp_xy = np.array([k.pt for k in kps], np.float32)
    matcher = _matcher(desc)
    cands: list[dict] = []
    matched: list[np.ndarray] = []
    for rf in refs:
        pairs = _ratio_pairs(rf, desc, matcher, params["ratio"])
        if pairs:
            matched.append(kp_xy[[t for _, t in pairs]])
        cands.extend(_match_reference(rf, pairs, kp_xy, gray, params))
    return cands, (np.vstack(matched) if matched else np.zeros((0, 2), np.float32))


def _zoom_windows(points: np.ndarray, shape: tuple[int, int], cell: int, min_points: int,
                  exclude: list[np.ndarray], max_windows: int) -> list[tuple[int, int, int, int]]:
    """Windows (xyxy, in `shape` pixels) around dense clusters of matched points outside found logos."""
    if len(points) == 0:
        return []
    keep = np.ones(len(points), bool)
    for quad in exclude:
        poly = quad.astype(np.float32).reshape(-1, 1, 2)
        keep &= np.array([cv2.pointPolygonTest(poly, (float(x), float(y)), False) < 0 for x, y in points])
    pts = points[keep]
    h, w = shape
    grid = np.zeros((h // cell + 2, w // cell + 2), np.int32)
    np.add.at(grid, ((pts[:, 1] // cell).astype(int), (pts[:, 0] // cell).astype(int)), 1)
    # Sum over 2x2 cells so a cluster split by a cell border still counts.
    sums = grid[:-1, :-1] + grid[1:, :-1] + grid[:-1, 1:] + grid[1:, 1:]
    out: list[tuple[int, int, int, int]] = []
    for idx in np.argsort(-sums, axis=None)[: max_windows * 4]:
        gy, gx = np.unravel_index(idx, sums.shape)
        if sums[gy, gx] < min_points:
            break
        cx, cy = (gx + 1) * cell, (gy + 1) * cell
        box = (max(0, cx - 2 * cell), max(0, cy - 2 * cell), min(w, cx + 2 * cell), min(h, cy + 2 * cell))
        if any(abs(box[0] - b[0]) < 2 * cell and abs(box[1] - b[1]) < 2 * cell for b in out):
            continue
        out.append(box)
        if len(out) >= max_windows:
            break
    return out


def _score(inliers: int, spread: float, appearance: float) -> float:
    return float(np.clip(0.6 * appearance + 0.25 * min(1.0, inliers / 40) + 0.15 * min(1.0, spread / 0.6), 0, 1))


DETECTOR_PROPOSE = 0.25  # detector heat at which a box is a proposal (matched again, enlarged)
DETECTOR_ACCEPT = 0.25  # heat at which a proposal that no homography explains may be accepted ...
DETECTOR_VERIFIER = 0.2  # ... if the verifier gives it this much (and more than any wrong mark) ...
DETECTOR_SCORE = 0.45  # ... and 0.5 x heat + 0.5 x verifier reaches this (all three tuned on a generated val split)
DETECTOR_MAX_PROPOSALS = 2  # proposals looked at again per photo (best first) ...
DETECTOR_SMALL_PROPOSALS = 1  # ... and this many more of small boxes (sign text can outshine a 2% mark; tuned on val)
DETECTOR_ZOOM = 0.25  # ... and matched again with local features when at least this hot
# A mark ~2% of the photo's width is ~10 px at the detector's input, where its heat stays low: weak peaks
# of small boxes get the detector's closer look (an enlarged crop), and those it confirms become proposals.
DETECTOR_LOW = 0.15  # heat of a weak peak worth the closer look ...
DETECTOR_LOW_SIDE = 0.06  # ... when its box is at most this share of the photo's long side ...
DETECTOR_LOW_CONFIRM = 0.45  # ... and promoted to a proposal when the closer look is this hot
DETECTOR_LOW_LOOKS = 2  # weak peaks looked at per photo
PROPOSAL_SIDE = 192  # a proposal's box is matched at this long side ...
PROPOSAL_MARGIN = 0.5  # ... in a crop grown by this share of the box on each side


def find_logos(rgb: np.ndarray, brand: BrandPack, params: Mapping[str, Any] | None = None) -> tuple[LogoMatch, ...]:
    """Every verified logo occurrence on `rgb` (HxWx3 uint8), best first.

    Overlapping claims are resolved in favour of geometry (a homography's quad beats the
    detector's box), then of the best score; the loser is kept on the winner as `runner_up`.
    """
    # FLANN's trees and USAC's samples draw from OpenCV's (per-thread) generator: seeded here, a
    # photo gets the same answer whichever photos the process analysed before it.
    cv2.setRNGSeed(RNG_SEED)
    p = {"ratio": RATIO, "ransac_px": RANSAC_PX, "min_inliers": 10, "min_appearance": MIN_APPEARANCE,
         "feature_side": FEATURE_SIDE, "zoom": 3.0, "zoom_cell": 24, "zoom_min_points": 5, "zoom_windows": 2,
         "zoom_min_inliers": 8, "min_inliers_similarity": 5, "min_appearance_similarity": MIN_APPEARANCE_SIMILARITY,
         "detector": True, "det_propose": DETECTOR_PROPOSE, "det_accept": DETECTOR_ACCEPT,
         "det_verifier": DETECTOR_VERIFIER, "det_score": DETECTOR_SCORE, "det_zoom": DETECTOR_ZOOM,
         "max_proposals": DETECTOR_MAX_PROPOSALS, "small_proposals": DETECTOR_SMALL_PROPOSALS,
         "det_low": DETECTOR_LOW, "det_low_side": DETECTOR_LOW_SIDE,
         "det_low_confirm": DETECTOR_LOW_CONFIRM, "det_low_looks": DETECTOR_LOW_LOOKS,
         "verifier_views": VERIFIER_VIEWS, "det_geometry": DETECTOR_GEOMETRY, "det_template": DETECTOR_TEMPLATE,
         "template_min": TEMPLATE_MIN, "template_margin": TEMPLATE_MARGIN, "template_wrong_max": TEMPLATE_WRONG_MAX,
         **(params or {})}
    refs = reference_features(brand)
    if not refs:
        return ()
    h, w = rgb.shape[:2]
    s = min(1.0, p["feature_side"] / max(h, w))
    small = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else rgb
    gray_small = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY)
    cands, matched = _candidates(gray_small, refs, p)
    for c in cands:
        c["to_rgb"] = np.diag([1 / s, 1 / s, 1.0])
        c["gray"] = gray_small
    proposals = _proposals(rgb, brand, p) if p["detector"] else None
    if proposals is None:
        cands.extend(_cluster_zoom(rgb, gray_small, s, cands, matched, refs, p))
    else:
        cands.extend(_proposal_candidates(rgb, proposals, cands, refs, p, brand))
    for c in cands:
        if c["model"] != "detector":
            c["score"] = _score(c["inliers"], c["v"].measured.get("spread", 0.0), c["appearance"])
    if p.get("verifier", True):
        _verify_candidates(cands, rgb, refs, p["verifier_views"])
    _template_candidates(cands, rgb, refs, p)
    boxes = [c for c in cands if c["model"] == "detector"]
    cands = [c for c in cands if _accepted(c, p)]
    for c in cands:
        if c["model"] == "detector":
            _tighten(c, boxes)
    for c in cands:
        if c["model"] == "detector" and not _verifier_accepts_box(c, p):  # on the edge templates
            c["by_template"] = True
            c["score"] = float(np.clip((c["det"] + c["template"] + c["verifier"]) / 3, 0, 1))
    # where a homography explains a place, its quad beats the detector's box (and a wrong mark found
    # by geometry beats the detector's idea that the current mark is there)
    cands.sort(key=lambda c: (c["model"] == "detector", -c["score"]))
    out: list[LogoMatch] = []
    taken: list[tuple[Region, dict]] = []
    for c in cands:
        quad = geometry.project(c["to_rgb"], c["v"].quad)
        region = Region.from_polygon([(float(x), float(y)) for x, y in quad])
        rival = next((t for r, t in taken if r.iou(region) > 0.3), None)
        if rival is not None:
            if rival.get("runner_up") is None and rival["rf"].ref.id != c["rf"].ref.id:
                rival["runner_up"] = c
            if c["model"] == "detector" and _is_current(c) and _is_current(rival):
                # the detector's accepted box agrees with the quad: the quad keeps the place, the best evidence counts
                rival["score"] = max(rival["score"], c["score"])
                for k in ("template", "template_wrong"):
                    rival.setdefault(k, c.get(k))
            continue
        taken.append((region, c))
        c["region"] = region
    for region, c in taken:
        rf, ru = c["rf"], c.get("runner_up")
        H = c["to_rgb"] @ c["H"]
        conf = float(np.clip(0.35 + 0.65 * (c["score"] - 0.2) / 0.5, 0.0, 1.0))
        out.append(LogoMatch(
            reference_id=rf.ref.id, kind=rf.ref.kind, deprecated=rf.ref.deprecated, foreign=rf.ref.foreign,
            region=region, inliers=c["inliers"], spread=float(c["v"].measured.get("spread", 0.0)),
            appearance=round(c["appearance"], 4), score=round(c["score"], 4), confidence=round(conf, 4),
            homography=tuple(tuple(float(v) for v in row) for row in H), ref_size=rf.size, mark_box=rf.mark_box,
            model=c["model"], runner_up=None if ru is None else ru["rf"].ref.id,
            runner_up_score=None if ru is None else round(ru["score"], 4),
            detector_score=None if c.get("det") is None else round(c["det"], 4),
            verifier=None if c.get("verifier") is None else round(c["verifier"], 4),
            verifier_wrong=None if c.get("verifier_wrong") is None else round(c["verifier_wrong"], 4),
            accepted_by=_accepted_by(c),
            template=None if c.get("template") is None else round(c["template"], 4),
            template_wrong=None if c.get("template_wrong") is None else round(c["template_wrong"], 4),
        ))
    return tuple(out)


def _is_current(c: dict) -> bool:
    return not (c["rf"].ref.deprecated or c["rf"].ref.foreign)


def _accepted_by(c: dict) -> str:
    if c["model"] == "detector":
        return "detector+template" if c.get("by_template") else "detector+verifier"
    base = "detector+geometry" if c.get("det") is not None else "geometry"
    return base + ("+verifier" if c.get("verifier") is not None else "")


def _cluster_zoom(rgb, gray_small, s, cands, matched, refs, p) -> list[dict]:
    """Small logos without a detector: re-match, enlarged, where many ratio-test matches cluster
    but nothing was verified."""
    found_current = any(not (c["rf"].ref.deprecated or c["rf"].ref.foreign)
                        for c in cands if c["appearance"] >= p["min_appearance"])
    if found_current:
        return []
    out: list[dict] = []
    full_gray = None
    for x0, y0, x1, y1 in _zoom_windows(matched, gray_small.shape, p["zoom_cell"], p["zoom_min_points"],
                                        [c["v"].quad for c in cands if c["appearance"] >= p["min_appearance"]],
                                        p["zoom_windows"]):
        if full_gray is None:
            full_gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        z = p["zoom"]  # enlargement relative to the feature image
        X0, Y0, X1, Y1 = (int(v / s) for v in (x0, y0, x1, y1))
        crop = full_gray[Y0:Y1, X0:X1]
        f = z * s  # crop pixels -> window pixels
        win = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)
        wc, _ = _candidates(win, refs, {**p, "min_inliers": p["zoom_min_inliers"]})
        for c in wc:
            c["to_rgb"] = np.array([[1 / f, 0, X0], [0, 1 / f, Y0], [0, 0, 1]], np.float64)
            c["gray"] = win
        out.extend(wc)
    return out


# --------------------------------------------------------------------------- learned detector

_digest_cache: dict[tuple, str] = {}
_detector_broken: dict[str, str] = {}


def current_artwork(brand: BrandPack) -> list[np.ndarray]:
    """The pack's artwork references of its current mark (what a brand's detector is trained on), RGBA."""
    return [r.rgba for r in brand.logos if r.kind == "artwork" and not (r.deprecated or r.foreign)]


def artwork_sha256(brand: BrandPack) -> str:
    """SHA-256 over the current artwork (shape + pixels): a detector trained on other artwork is refused."""
    import hashlib

    key = (brand.id, str(brand.root), tuple((r.id, str(r.path), r.rgba.shape) for r in brand.logos))
    with _ref_lock:
        if key not in _digest_cache:
            h = hashlib.sha256()
            for a in current_artwork(brand):
                h.update(str(a.shape).encode())
                h.update(np.ascontiguousarray(a).tobytes())
            _digest_cache[key] = h.hexdigest()
        return _digest_cache[key]


def _proposals(rgb: np.ndarray, brand: BrandPack, p: Mapping[str, Any]) -> list[tuple[tuple, float]] | None:
    """The brand detector's boxes (xyxy, rgb pixels) and heats, or None without a usable detector."""
    if brand.id in _detector_broken:
        return None
    try:
        from auditor.inference import detect_logos  # torch: loaded on first use

        return detect_logos(rgb, brand.id, artwork_sha256(brand), min(p["det_propose"], p["det_low"]))
    except Exception as exc:  # missing torch, stale or broken weights: local features alone, say so once
        _detector_broken[brand.id] = f"{type(exc).__name__}: {exc}"
        import logging

        logging.getLogger(__name__).warning("logo detector of '%s' unavailable, using local features only: %s",
                                            brand.id, exc)
        return None


def _cand_box(c: dict) -> tuple[float, float, float, float]:
    q = geometry.project(c["to_rgb"], c["v"].quad)
    return (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))


def _proposal_candidates(rgb: np.ndarray, proposals, cands: list[dict], refs: list[_RefFeatures],
                         p: Mapping[str, Any], brand: BrandPack) -> list[dict]:
    """Candidates from the detector's proposals: a proposal that a full-photo match already
    covers lends it its heat; the others are matched again on an enlarged crop, and where no
    homography explains them they become box candidates for the verifier to judge. Weak peaks
    of small boxes count as proposals only when the detector's closer look confirms them."""
    out: list[dict] = []
    full_gray = None
    current = [r for r in refs if not (r.ref.deprecated or r.ref.foreign)]
    long_side = max(rgb.shape[:2])
    strong = weak = 0
    for box, heat in proposals:
        refined, peak = None, heat
        if heat >= p["det_propose"]:
            small = max(box[2] - box[0], box[3] - box[1]) <= p["det_low_side"] * long_side
            if strong >= p["max_proposals"] + (p["small_proposals"] if small else 0):
                continue
            strong += 1
        else:
            if weak >= p["det_low_looks"] or max(box[2] - box[0], box[3] - box[1]) > p["det_low_side"] * long_side:
                continue
            weak += 1
            refined = _refine(rgb, box, brand)
            if refined is None or refined[1] < p["det_low_confirm"]:
                continue
            box, heat = tuple((a + b) / 2 for a, b in zip(box, refined[0])), refined[1]
        covering = [c for c in cands if Region(_cand_box(c)).iou(Region(tuple(box))) > 0.3]
        for c in covering:
            c["det"] = max(heat, c.get("det") or 0.0)
        found = []
        if not covering and heat >= p["det_zoom"]:
            if full_gray is None:
                full_gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
            found = _match_proposal(full_gray, box, refs, p)
            for c in found:
                c["det"], c["peak"] = heat, peak
            out.extend(found)
        # the box itself as well: a covering or zoomed match may yet be vetoed (where both stand, the quad wins)
        if current and heat >= p["det_accept"]:
            if refined is None and p.get("refine", True):
                refined = _refine(rgb, box, brand)
                if refined is not None:  # the mean of the two looks was the tighter box on the val split
                    box, heat = tuple((a + b) / 2 for a, b in zip(box, refined[0])), max(heat, refined[1])
            out.append({**_box_candidate(box, heat, current[0]), "peak": peak})
    return out


TIGHTEN_INSIDE = 0.75  # share of a hotter box that must lie inside an accepted box ...
TIGHTEN_AREA = 0.8  # ... which it replaces when it is at most this share of its area


def _tighten(c: dict, boxes: Sequence[dict]) -> None:
    """An accepted detector box that spans a mark and what hides part of it (a person in front) gets
    the box of a hotter, tighter proposal inside it: the verifier says the mark is there, the
    detector's hottest peak says where. The accepted box's evidence (heat, verifier) is kept."""
    x0, y0, x1, y1 = _cand_box(c)
    area = max((x1 - x0) * (y1 - y0), 1e-6)
    best = None
    for d in boxes:
        if d is c or d["det"] <= c["det"] or not _is_current(d):
            continue
        a0, b0, a1, b1 = _cand_box(d)
        own = max((a1 - a0) * (b1 - b0), 1e-6)
        inside = max(0.0, min(x1, a1) - max(x0, a0)) * max(0.0, min(y1, b1) - max(y0, b0)) / own
        if inside >= TIGHTEN_INSIDE and own <= TIGHTEN_AREA * area and (best is None or d["det"] > best["det"]):
            best = d
    if best is not None:
        c["rf"], c["H"], c["to_rgb"], c["v"] = best["rf"], best["H"], best["to_rgb"], best["v"]


def _refine(rgb: np.ndarray, box, brand: BrandPack):
    """The detector's closer look at a box candidate (a tighter box for small marks), or None."""
    try:
        from auditor.inference import refine_logo_box

        return refine_logo_box(rgb, brand.id, artwork_sha256(brand), box)
    except Exception:  # the proposal itself stands
        return None


def _match_proposal(full_gray: np.ndarray, box, refs: list[_RefFeatures], p: Mapping[str, Any]) -> list[dict]:
    """Local-feature candidates in a crop around a proposal, enlarged so the box is PROPOSAL_SIDE px."""
    x0, y0, x1, y1 = box
    bw, bh = max(x1 - x0, 2.0), max(y1 - y0, 2.0)
    H, W = full_gray.shape
    X0, Y0 = int(max(0, x0 - PROPOSAL_MARGIN * bw)), int(max(0, y0 - PROPOSAL_MARGIN * bh))
    X1, Y1 = int(min(W, x1 + PROPOSAL_MARGIN * bw)), int(min(H, y1 + PROPOSAL_MARGIN * bh))
    if X1 - X0 < 8 or Y1 - Y0 < 8:
        return []
    f = float(np.clip(PROPOSAL_SIDE / max(bw, bh), 0.25, 4.0))
    win = cv2.resize(full_gray[Y0:Y1, X0:X1], None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)
    found, _ = _candidates(win, refs, {**p, "min_inliers": p["zoom_min_inliers"]})
    for c in found:
        c["to_rgb"] = np.array([[1 / f, 0, X0], [0, 1 / f, Y0], [0, 0, 1]], np.float64)
        c["gray"] = win
    return found


def _box_candidate(box, heat: float, rf: _RefFeatures) -> dict:
    """A candidate that is only the detector's box: the reference's mark box mapped onto it."""
    x0, y0, x1, y1 = box
    mx0, my0, mx1, my1 = rf.mark_box
    sx, sy = (x1 - x0) / max(mx1 - mx0, 1e-6), (y1 - y0) / max(my1 - my0, 1e-6)
    H = np.array([[sx, 0, x0 - mx0 * sx], [0, sy, y0 - my0 * sy], [0, 0, 1]], np.float64)
    quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    v = geometry.Verification(True, "", quad, {"detector": round(heat, 4)})
    return {"rf": rf, "H": H, "to_rgb": np.eye(3), "v": v, "inliers": 0, "appearance": 0.0, "model": "detector",
            "det": heat, "score": 0.5 * heat}


# --------------------------------------------------------------------------- learned verifier

VERIFIER_SIDE = 128  # the learned verifier compares crops at this size
VERIFIER_REJECT = 0.15  # below this the verifier vetoes a match whatever its edges say
VERIFIER_SURE_INLIERS = 40  # this many inliers is a match even if the verifier doubts it
VERIFIER_VIEWS = ((1.0, 0.0, 0.0), (1.12, 0.0, 0.0), (0.9, 0.0, 0.0))  # (scale, shift x, shift y) of the mark box
VERIFIER_VIEWS_BAND = (0.02, 0.9)  # the first view's probability between which the other views are looked at too
DETECTOR_GEOMETRY = 0.5  # a homography over this much detector heat needs only the verifier's non-veto (tuned on val)
# The verifier cannot read a mark ~30 px wide (a 2% logo on the working copy): there a detector box is also
# accepted on edge templates of the pack's marks (tuned on val; never a mark the wrong marks explain as well).
DETECTOR_TEMPLATE = 0.6  # detector heat needed ...
TEMPLATE_MIN = 0.7  # ... edge correlation with the best current reference ...
TEMPLATE_MARGIN = 0.15  # ... and its lead over the best deprecated or foreign reference
# ... and the verifier preferring the current mark, or at ~20 px, where it reads noise, at least not seeing a wrong one
TEMPLATE_WRONG_MAX = 0.3
TEMPLATE_SIDE = 40  # the box's long side when matched
TEMPLATE_SCALES = (0.85, 1.0, 1.15)
TEMPLATE_MAX_SIDE = 0.05  # only boxes up to this share of the photo's long side (larger marks: the verifier reads them)
_verifier_broken: list[str] = []


def _verify_candidates(cands: list[dict], rgb: np.ndarray, refs: list[_RefFeatures],
                       views: Sequence[tuple[float, float, float]] = ((1.0, 0.0, 0.0),)) -> None:
    """Score candidates of the brand's current mark with the learned verifier (models/logo_verifier).

    Sets c["verifier"] to the best probability against the current references (and
    c["verifier_wrong"] against the deprecated and foreign marks), or leaves them unset when
    the verifier cannot run (then the edge-appearance rule alone decides, and box candidates
    are dropped). A small mark's crop is a few dozen pixels, where one pixel of box error sways
    the verifier: each candidate is looked at in several `views` (scale, shift x, shift y of
    its mark box) and the probabilities are averaged.
    """
    current = [r for r in refs if not (r.ref.deprecated or r.ref.foreign)]
    wrong = [r for r in refs if r.ref.deprecated or r.ref.foreign]
    todo = [c for c in cands if not (c["rf"].ref.deprecated or c["rf"].ref.foreign)]
    if not todo or not current or _verifier_broken:
        return
    try:
        from auditor.inference import logo_verifier_threshold, verify_logo  # torch: loaded on first use

        seen: dict[str, np.ndarray] = {}
        for r in current:
            seen.setdefault(r.ref.id, r.ref.rgba)
        n_cur = len(seen)
        for r in wrong:
            seen.setdefault(r.ref.id, r.ref.rgba)
        references = list(seen.values())
        first = verify_logo([_verifier_crop(rgb, c, views[0]) for c in todo], references)
        # the other views only where the first one is not already clear either way
        lo, hi = VERIFIER_VIEWS_BAND
        unsure = [i for i, row in enumerate(first) if lo <= row[:n_cur].max() < hi]
        more = verify_logo([_verifier_crop(rgb, todo[i], v) for i in unsure for v in views[1:]], references) \
            if unsure and len(views) > 1 else np.zeros((0, len(references)), np.float32)
        threshold = logo_verifier_threshold()
    except Exception as exc:  # missing weights or torch: fall back to geometry + edges, say so once
        _verifier_broken.append(f"{type(exc).__name__}: {exc}")
        import logging

        logging.getLogger(__name__).warning("logo verifier unavailable, using edge appearance only: %s", exc)
        return
    k = len(views) - 1
    extra = {i: more[j * k:(j + 1) * k] for j, i in enumerate(unsure)}
    for i, c in enumerate(todo):
        rows = np.vstack([first[i:i + 1], extra[i]]) if i in extra else first[i:i + 1]
        cur = rows[:, :n_cur].max(1)
        bad = rows[:, n_cur:].max(1) if rows.shape[1] > n_cur else np.zeros(len(rows), np.float32)
        c["verifier_views"] = [(round(float(a), 4), round(float(b), 4)) for a, b in zip(cur, bad)]
        c["verifier"] = float(cur.mean())
        c["verifier_wrong"] = float(bad.mean())
        c["verifier_threshold"] = threshold
        if c["model"] == "detector":
            c["score"] = float(np.clip(0.5 * c["verifier"] + 0.5 * c["det"], 0, 1))
        else:
            c["score"] = float(np.clip(0.5 * c["verifier"] + 0.3 * c["appearance"]
                                       + 0.2 * min(1.0, c["inliers"] / VERIFIER_SURE_INLIERS), 0, 1))


def _template_candidates(cands: list[dict], rgb: np.ndarray, refs: list[_RefFeatures], p: Mapping[str, Any]) -> None:
    """Set c["template"] / c["template_wrong"] on small, hot detector boxes that the verifier did not accept."""
    gray = None
    long_side = max(rgb.shape[:2])
    current = [r for r in refs if not (r.ref.deprecated or r.ref.foreign)]
    wrong = [r for r in refs if r.ref.deprecated or r.ref.foreign]
    for c in cands:
        if c["model"] != "detector" or c["det"] < p["det_template"] or c.get("verifier") is None:
            continue
        x0, y0, x1, y1 = _cand_box(c)
        if max(x1 - x0, y1 - y0) > TEMPLATE_MAX_SIDE * long_side:
            continue
        if gray is None:
            gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        scores = template_scores(gray, (x0, y0, x1, y1), current + wrong)
        c["template"] = max(scores[:len(current)])
        c["template_wrong"] = max(scores[len(current):], default=-1.0)


def template_scores(gray: np.ndarray, box_xyxy, refs: Sequence[_RefFeatures]) -> list[float]:
    """Best normalised correlation (-1..1) of each reference's mark edges with the edges of `gray` (HxW uint8)
    around `box_xyxy`, over small shifts and TEMPLATE_SCALES: polarity-free, for marks too small for SIFT."""
    x0, y0, x1, y1 = box_xyxy
    bw, bh = max(x1 - x0, 2.0), max(y1 - y0, 2.0)
    f = TEMPLATE_SIDE / max(bw, bh)
    X0, Y0 = int(max(0, x0 - 0.35 * bw)), int(max(0, y0 - 0.35 * bh))
    X1, Y1 = int(min(gray.shape[1], x1 + 0.35 * bw)), int(min(gray.shape[0], y1 + 0.35 * bh))
    if X1 - X0 < 4 or Y1 - Y0 < 4:
        return [-1.0] * len(refs)
    edges = _edge_map(cv2.resize(gray[Y0:Y1, X0:X1], None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC))
    out = []
    for rf in refs:
        best = -1.0
        for s in TEMPLATE_SCALES:
            tw, th = int(round(bw * f * s / rf.template_frac[0])), int(round(bh * f * s / rf.template_frac[1]))
            if tw < 8 or th < 8 or tw >= edges.shape[1] or th >= edges.shape[0]:
                continue
            t = _edge_map(cv2.resize(rf.template, (tw, th), interpolation=cv2.INTER_AREA))
            best = max(best, float(cv2.matchTemplate(edges, t, cv2.TM_CCOEFF_NORMED).max()))
        out.append(best)
    return out


def _verifier_crop(rgb: np.ndarray, c: dict, view: tuple[float, float, float] = (1.0, 0.0, 0.0)) -> np.ndarray:
    """The candidate's mark box, scaled by view[0] and shifted by view[1:] (shares of its size) about its
    centre, warped from the photo onto a VERIFIER_SIDE square (HxWx3 uint8)."""
    x0, y0, x1, y1 = c["rf"].mark_box
    f, dx, dy = view
    cx, cy = (x0 + x1) / 2 + dx * (x1 - x0), (y0 + y1) / 2 + dy * (y1 - y0)
    hw, hh = f * (x1 - x0) / 2, f * (y1 - y0) / 2
    x0, y0, x1, y1 = cx - hw, cy - hh, cx + hw, cy + hh
    n = VERIFIER_SIDE - 1
    to_square = np.array([[n / max(x1 - x0, 1e-6), 0, -x0 * n / max(x1 - x0, 1e-6)],
                          [0, n / max(y1 - y0, 1e-6), -y0 * n / max(y1 - y0, 1e-6)], [0, 0, 1]], np.float64)
    m = to_square @ np.linalg.inv(c["to_rgb"] @ c["H"])
    return cv2.warpPerspective(np.ascontiguousarray(rgb), m, (VERIFIER_SIDE, VERIFIER_SIDE),
                               flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def _accepted(c: dict, p: Mapping[str, Any]) -> bool:
    """Keep a candidate? A geometric one: the learned verifier, where it ran, has the first word.
    A detector box: only a confident proposal that the verifier calls the current mark, not a wrong one."""
    v = c.get("verifier")
    if c["model"] == "detector":
        return v is not None and (_verifier_accepts_box(c, p) or _template_accepts(c, p))
    if v is None:
        return c["appearance"] >= p["min_appearance"]
    if v >= c["verifier_threshold"] or c["inliers"] >= VERIFIER_SURE_INLIERS:
        return True
    if v < VERIFIER_REJECT:
        return False
    # a small mark's warped edges are a few pixels wide: where the detector is hot on the same place and the
    # verifier prefers the current mark to every wrong one, strict geometry + both nets suffice
    if (c.get("det") or 0.0) >= p["det_geometry"] and v > c.get("verifier_wrong", 1.0):
        return True
    return c["appearance"] >= p["min_appearance"]


def _verifier_accepts_box(c: dict, p: Mapping[str, Any]) -> bool:
    return (c["det"] >= p["det_accept"] and c["verifier"] >= p["det_verifier"] and c["verifier"] > c["verifier_wrong"]
            and c["score"] >= p["det_score"])


def _template_accepts(c: dict, p: Mapping[str, Any]) -> bool:
    """A box too small for the verifier to read (~30 px): a very hot detector, the current mark's edges
    matching well, clearly better than any wrong mark's, and the verifier preferring it all the same or
    at least not reading a wrong mark there."""
    t = c.get("template")
    return (t is not None and c["det"] >= p["det_template"] and t >= p["template_min"]
            and t - c["template_wrong"] >= p["template_margin"]
            and (c["verifier"] > c["verifier_wrong"] or c["verifier_wrong"] < p["template_wrong_max"]))


@signal("logo")
def _logo_signal(ctx: PhotoContext) -> tuple[LogoMatch, ...]:
    return find_logos(ctx.photo.rgb, ctx.brand)


# --------------------------------------------------------------------------- checks


def _best_current(ctx: PhotoContext) -> LogoMatch | None:
    current = [m for m in ctx.get("logo") if m.current]
    return max(current, key=lambda m: m.score) if current else None


def _logo_finding(m: LogoMatch, message: str, kind: str = "logo") -> Finding:
    measured = {"reference": m.reference_id, "reference_kind": m.kind, "inliers": m.inliers, "model": m.model,
                "spread": round(m.spread, 3), "appearance": m.appearance, "score": m.score, "accepted_by": m.accepted_by}
    thresholds: dict[str, Any] = {"min_appearance": MIN_APPEARANCE}
    if m.detector_score is not None:
        measured["detector_score"] = m.detector_score
        thresholds.update(detector_accept=DETECTOR_ACCEPT, detector_verifier=DETECTOR_VERIFIER,
                          detector_score=DETECTOR_SCORE, detector_geometry=DETECTOR_GEOMETRY)
    if m.verifier is not None:
        measured["verifier"] = m.verifier
        measured["verifier_wrong"] = m.verifier_wrong
    if m.template is not None:
        measured.update(template=m.template, template_wrong=m.template_wrong)
        thresholds.update(detector_template=DETECTOR_TEMPLATE, template_min=TEMPLATE_MIN,
                          template_margin=TEMPLATE_MARGIN)
    return Finding(kind, message, m.region, measured=measured, thresholds=thresholds, confidence=m.confidence)


@register("logo.present", title_en="Brand logo present", title_zh="品牌标识",
          defaults={"min_confidence": 0.5}, needs=("logo",))
def logo_present(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    current = sorted((m for m in ctx.get("logo") if m.current), key=lambda m: -m.score)
    sure = [m for m in current if m.confidence >= params["min_confidence"]]
    if sure:
        best = sure[0]
        return CheckResult("logo.present", Verdict.PASS, confidence=best.confidence, score=best.score,
                           message=f"brand logo found ({len(sure)}x, best via {best.reference_id}: {best.accepted_by}, "
                                   f"{best.inliers} inliers)",
                           findings=tuple(_logo_finding(m, f"brand logo ({m.reference_id})") for m in sure),
                           values={"present": True, "score": best.score, "count": len(sure)},
                           thresholds={"min_confidence": params["min_confidence"]})
    if current:
        best = current[0]
        return CheckResult("logo.present", Verdict.UNSURE, confidence=best.confidence, score=best.score,
                           message=f"a weak match of the brand logo (confidence {best.confidence:.2f})",
                           findings=(_logo_finding(best, "possible brand logo"),),
                           values={"present": False, "score": best.score, "count": 0},
                           thresholds={"min_confidence": params["min_confidence"]})
    return CheckResult("logo.present", Verdict.FAIL, confidence=0.6, score=0.0,
                       message="brand logo not found", values={"present": False, "score": 0.0, "count": 0},
                       thresholds={"min_confidence": params["min_confidence"]})


def _tilt_deg(quad: Sequence[tuple[float, float]]) -> float:
    """In-plane tilt from the quad's left and right edges (perspective leaves verticals vertical)."""
    q = np.asarray(quad, np.float64)
    angles = []
    for top, bottom in ((q[0], q[3]), (q[1], q[2])):
        dx, dy = bottom - top
        angles.append(np.degrees(np.arctan2(dx, dy)))
    return float(np.mean(angles))


@register("logo.placement", title_en="Logo placement", title_zh="标识位置", defaults={}, needs=("logo",))
def logo_placement(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    best = _best_current(ctx)
    zone = ctx.brand.placement
    thresholds = {"zone": list(zone.xyxy), "min_width": zone.min_width, "max_width": zone.max_width,
                  "max_tilt_deg": zone.max_tilt_deg}
    if best is None:
        return CheckResult("logo.placement", Verdict.NOT_APPLICABLE, confidence=0.5,
                           message="no brand logo found to judge its placement",
                           values={"placement_ok": None, "relative_width": None, "tilt_deg": None}, thresholds=thresholds)
    h, w = ctx.photo.rgb.shape[:2]
    x0, y0, x1, y1 = best.region.xyxy
    rel_w = (x1 - x0) / w
    cx, cy = (x0 + x1) / 2 / w, (y0 + y1) / 2 / h
    zx0, zy0, zx1, zy1 = zone.xyxy
    inside = zx0 <= cx <= zx1 and zy0 <= cy <= zy1
    tilt = _tilt_deg(best.region.polygon)
    problems = []
    if not inside:
        problems.append(f"centre ({cx:.2f}, {cy:.2f}) outside the zone {list(zone.xyxy)}")
    if not zone.min_width <= rel_w <= zone.max_width:
        problems.append(f"width {rel_w:.1%} of the photo outside {zone.min_width:.0%}..{zone.max_width:.0%}")
    if abs(tilt) > zone.max_tilt_deg:
        problems.append(f"tilted {tilt:.1f} deg (max {zone.max_tilt_deg:g})")
    ok = not problems
    zone_region = Region((zx0 * w, zy0 * h, zx1 * w, zy1 * h))
    findings = (
        _logo_finding(best, f"logo: width {rel_w:.1%}, tilt {tilt:.1f} deg"),
        Finding("placement_zone", "where the logo belongs", zone_region, confidence=1.0),
    )
    return CheckResult("logo.placement", Verdict.PASS if ok else Verdict.FAIL, confidence=best.confidence * 0.9,
                       message="logo placed to standard" if ok else "; ".join(problems), findings=findings,
                       values={"placement_ok": ok, "relative_width": round(rel_w, 4), "tilt_deg": round(tilt, 2),
                               "centre": [round(cx, 3), round(cy, 3)], "inside_zone": inside},
                       thresholds=thresholds)


def _warp_to_reference(rgb: np.ndarray, m: LogoMatch) -> np.ndarray:
    H = np.array(m.homography)
    w, h = m.ref_size
    return cv2.warpPerspective(rgb, np.linalg.inv(H), (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@register("logo.condition", title_en="Logo condition", title_zh="标识状况",
          defaults={"max_delta_e": 15.0, "min_contrast": 1.25, "max_damaged_share": 0.25, "disagree_sigma": 1.2},
          needs=("logo",))
def logo_condition(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    best = _best_current(ctx)
    thresholds = {k: params[k] for k in ("max_delta_e", "min_contrast", "max_damaged_share")}
    if best is None:
        return CheckResult("logo.condition", Verdict.NOT_APPLICABLE, confidence=0.5,
                           message="no brand logo found to judge its condition",
                           values={"delta_e": None, "contrast": None, "damaged_share": None}, thresholds=thresholds)
    rf = next(r for r in reference_features(ctx.brand) if r.ref.id == best.reference_id)
    rgb = ctx.photo.rgb
    small = rgb[:: max(1, rgb.shape[0] // 256), :: max(1, rgb.shape[1] // 256)]
    gains = colour.white_balance_gains(small)
    warped = _warp_to_reference(rgb, best)
    mark = rf.alpha > 0.5
    if mark.all():  # an opaque reference photo: compare inside its mark box
        mark = np.zeros_like(mark)
        x0, y0, x1, y1 = (int(v) for v in rf.mark_box)
        mark[y0:y1, x0:x1] = True
    ground = cv2.dilate(mark.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & ~mark
    if mark.sum() < 20:
        return CheckResult("logo.condition", Verdict.UNSURE, confidence=0.3, message="reference mark too small to compare",
                           values={"delta_e": None, "contrast": None, "damaged_share": None}, thresholds=thresholds)
    step = max(1, int(mark.sum()) // 4000)  # a few thousand pixels measure the colour well enough
    photo_mark = colour.apply_white_balance(warped[mark][::step], gains).astype(np.float64)
    ref_mark = rf.rgb[mark][::step].astype(np.float64)
    de = float(np.median(colour.ciede2000(colour.srgb_to_lab(photo_mark / 255.0), colour.srgb_to_lab(ref_mark / 255.0))))
    gray_w = cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY).astype(np.float32)
    in_l = float(np.median(gray_w[mark]))
    out_l = float(np.median(gray_w[ground])) if ground.any() else in_l
    contrast = (max(in_l, out_l) + 10) / (min(in_l, out_l) + 10)
    # Damage: where the photo disagrees with the reference's structure after matching gain and offset.
    ref_gray = cv2.cvtColor(rf.rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    a = cv2.GaussianBlur(gray_w, (0, 0), 1.5)[mark]
    b = cv2.GaussianBlur(ref_gray, (0, 0), 1.5)[mark]
    a = (a - a.mean()) / (a.std() + 1e-3)
    b = (b - b.mean()) / (b.std() + 1e-3)
    if np.corrcoef(a, b)[0, 1] < 0:  # the mark appears in the other polarity (white on blue vs blue on white)
        b = -b
    damaged = float(np.mean(np.abs(a - b) > params["disagree_sigma"])) if b.std() > 0.05 else 0.0
    problems = []
    if de > params["max_delta_e"]:
        problems.append(f"colour off the reference (ΔE00 {de:.1f} > {params['max_delta_e']:g})")
    if contrast < params["min_contrast"]:
        problems.append(f"low contrast against its background (x{contrast:.2f})")
    if damaged > params["max_damaged_share"]:
        problems.append(f"{damaged:.0%} of the mark differs from the reference (dirt, fading or damage)")
    ok = not problems
    values = {"delta_e": round(de, 2), "contrast": round(contrast, 3), "damaged_share": round(damaged, 3),
              "reference": best.reference_id}
    return CheckResult("logo.condition", Verdict.PASS if ok else Verdict.FAIL, confidence=best.confidence * 0.8,
                       message="logo in good condition" if ok else "; ".join(problems),
                       findings=(_logo_finding(best, "logo condition: " + ("ok" if ok else "; ".join(problems)),
                                               "logo" if ok else "logo_condition"),),
                       values=values, thresholds=thresholds)


@register("logo.wrong_mark", title_en="Wrong or outdated mark", title_zh="错误或旧标识",
          defaults={"min_confidence": 0.5}, needs=("logo",))
def logo_wrong_mark(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    wrong = [m for m in ctx.get("logo") if not m.current and m.confidence >= params["min_confidence"]]
    if not wrong:
        return CheckResult("logo.wrong_mark", Verdict.PASS, confidence=0.7, message="no outdated or foreign mark found",
                           values={"wrong_marks": []}, thresholds={"min_confidence": params["min_confidence"]})
    findings = tuple(
        _logo_finding(m, f"{'outdated' if m.deprecated else 'foreign'} mark {m.reference_id}"
                         + (f" (beat {m.runner_up})" if m.runner_up else ""), "wrong_mark")
        for m in wrong)
    return CheckResult("logo.wrong_mark", Verdict.FAIL, confidence=max(m.confidence for m in wrong),
                       message="wrong mark: " + ", ".join(sorted({m.reference_id for m in wrong})),
                       findings=findings, values={"wrong_marks": sorted({m.reference_id for m in wrong})},
                       thresholds={"min_confidence": params["min_confidence"]})
