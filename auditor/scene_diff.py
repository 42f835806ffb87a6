"""What changed between a photo and the site's approved reference photo of the same view.

A head office approves one photo per view (the reception desk, the fence along the
driveway) as the standard. A later photo of that view is aligned onto it and compared:
litter, a stain or a rust streak that the approved photo does not show is a change.

- `align(current, reference)`: SIFT features on both, ratio test, a MAGSAC homography
  reference -> current, verified as a view of the same scene from nearly the same spot
  (enough inliers spread over the frame, well conditioned, the two frames overlap).
- `changes(current, reference, alignment)`: the reference warped onto the current photo,
  its colours matched to the current photo's (exposure and white balance differ between
  visits), then a perceptual difference that tolerates a few pixels of parallax, and
  its connected regions.

Everything is plain numpy/OpenCV on RGB uint8 arrays; regions are in `current` pixels.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping

import cv2
import numpy as np

ALIGN_SIDE = 800  # long side (px) for feature matching
DIFF_SIDE = 480  # long side (px) for the difference
RATIO = 0.8  # Lowe's ratio test
RANSAC_PX = 3.0  # reprojection threshold at ALIGN_SIDE
SHIFT_PX = 3  # parallax tolerance at DIFF_SIDE: a pixel may match the reference within this radius
LIGHTNESS_WEIGHT = 0.5  # shading and shadows change L* between visits more than chroma

ALIGN_LIMITS: Mapping[str, float] = {
    "min_inliers": 40,
    "min_inlier_ratio": 0.25,
    "min_hull_share": 0.2,  # convex hull of the inliers / current frame
    "max_condition": 2.5,  # of the homography's linear part at the centre: same view, little skew
    "min_scale": 0.5,  # the reference may be closer or farther, within reason
    "max_scale": 2.0,
    "min_overlap": 0.5,  # share of the current frame the warped reference covers
}


@dataclass(frozen=True)
class Alignment:
    """The reference mapped onto the current photo, or why it could not be."""

    ok: bool
    reason: str  # why it failed ("" when ok)
    homography: np.ndarray | None = field(default=None, repr=False)  # 3x3, reference px -> current px (full size)
    measured: Mapping[str, Any] = field(default_factory=dict)

    @property
    def quality(self) -> float:
        """0..1: how much the alignment can be trusted (inliers and overlap)."""
        if not self.ok:
            return 0.0
        return float(min(1.0, self.measured.get("inliers", 0) / 150.0) * self.measured.get("overlap", 0.0))


@dataclass(frozen=True)
class Change:
    """A region of the current photo that differs from the aligned reference."""

    box_xyxy: tuple[float, float, float, float]  # current photo pixels
    share: float  # of the compared area
    mean_difference: float  # weighted ΔE (CIE76 with L* down-weighted) inside the region
    peak_difference: float


def _gray_small(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    s = min(1.0, side / max(rgb.shape[:2]))
    small = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else rgb
    gray = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY)
    return cv2.createCLAHE(2.0, (8, 8)).apply(gray), s


def _scale_h(h_small: np.ndarray, s_ref: float, s_cur: float) -> np.ndarray:
    """Homography between small images -> between the full-size images."""
    return np.diag([1 / s_cur, 1 / s_cur, 1.0]) @ h_small @ np.diag([s_ref, s_ref, 1.0])


@dataclass(frozen=True, eq=False)
class Features:
    """SIFT keypoints of a photo at ALIGN_SIDE: positions, descriptors, the scale and the small size."""

    points: np.ndarray  # Nx2 float32
    descriptors: np.ndarray | None  # NxD float32
    scale: float  # small / full size
    size: tuple[int, int]  # (w, h) of the small image


_feature_cache: "OrderedDict[str, Features]" = OrderedDict()
_cache_lock = threading.Lock()
FEATURE_CACHE_SIZE = 32


def describe(rgb: np.ndarray, key: str | None = None) -> Features:
    """SIFT features of an RGB photo; with `key` (e.g. its sha256) kept for the next call.

    A site's reference photos are compared with every photo of their area: describing
    them once per process halves the cost of an alignment.
    """
    if key is not None:
        with _cache_lock:
            if key in _feature_cache:
                _feature_cache.move_to_end(key)
                return _feature_cache[key]
    gray, s = _gray_small(rgb, ALIGN_SIDE)
    kps, desc = cv2.SIFT_create(nfeatures=3000).detectAndCompute(gray, None)
    f = Features(np.float32([k.pt for k in kps]).reshape(-1, 2), desc, s, (gray.shape[1], gray.shape[0]))
    if key is not None:
        with _cache_lock:
            _feature_cache[key] = f
            while len(_feature_cache) > FEATURE_CACHE_SIZE:
                _feature_cache.popitem(last=False)
    return f


def align(current: np.ndarray, reference: np.ndarray, limits: Mapping[str, float] | None = None,
          reference_key: str | None = None, current_features: Features | None = None) -> Alignment:
    """Map `reference` onto `current` (both HxWx3 uint8 RGB) if they show the same view.

    `reference_key` (the reference's sha256) caches the reference's features;
    `current_features` (from `describe(current)`) saves describing the photo again per reference.
    """
    lim = {**ALIGN_LIMITS, **(limits or {})}
    cv2.setRNGSeed(0)  # FLANN and MAGSAC sample from OpenCV's generator: the same pair aligns the same way
    f_cur = current_features if current_features is not None else describe(current)
    f_ref = describe(reference, reference_key)
    s_cur, s_ref = f_cur.scale, f_ref.scale
    d_cur, d_ref = f_cur.descriptors, f_ref.descriptors
    k_cur, k_ref = f_cur.points, f_ref.points
    if d_cur is None or d_ref is None or len(k_cur) < lim["min_inliers"] or len(k_ref) < lim["min_inliers"]:
        return Alignment(False, "too little texture to align the photos")
    matcher = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 48})
    pairs = matcher.knnMatch(d_ref, d_cur, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < RATIO * rest[0].distance]
    measured: dict[str, Any] = {"matches": len(good)}
    if len(good) < lim["min_inliers"]:
        return Alignment(False, f"too few matching features ({len(good)} < {lim['min_inliers']:g}): not the same view?",
                         measured=measured)
    src = k_ref[[m.queryIdx for m in good]]
    dst = k_cur[[m.trainIdx for m in good]]
    h_small, inl = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, RANSAC_PX, maxIters=5000, confidence=0.999)
    if h_small is None or inl is None:
        return Alignment(False, "no consistent homography: not the same view?", measured=measured)
    inl = inl.ravel().astype(bool)
    n_in = int(inl.sum())
    measured["inliers"] = n_in
    measured["inlier_ratio"] = round(n_in / len(good), 3)
    if n_in < lim["min_inliers"] or n_in / len(good) < lim["min_inlier_ratio"]:
        return Alignment(False, f"too few consistent matches ({n_in} of {len(good)}): not the same view?",
                         measured=measured)
    ww, hh = f_cur.size
    hull = cv2.convexHull(dst[inl].reshape(-1, 1, 2))
    hull_share = float(cv2.contourArea(hull) / (hh * ww))
    measured["hull_share"] = round(hull_share, 3)
    if hull_share < lim["min_hull_share"]:
        return Alignment(False, f"matches cover only {hull_share:.0%} of the photo: not the same view?",
                         measured=measured)
    # Linear part of the mapping at the current frame's centre (in small-image units).
    h_inv = np.linalg.inv(h_small)
    c = np.array([ww / 2, hh / 2])
    jac = _jacobian(h_inv, c) * (s_cur / s_ref)  # current -> reference, in full-size pixel units per pixel
    det = float(np.linalg.det(jac))
    sv = np.linalg.svd(jac, compute_uv=False)
    cond = float(sv[0] / max(sv[1], 1e-12))
    scale = float(np.sqrt(abs(det)))
    measured["condition"] = round(cond, 2)
    measured["scale"] = round(1.0 / max(scale, 1e-9), 3)  # reference -> current
    if det <= 0 or cond > lim["max_condition"]:
        return Alignment(False, f"the views differ too much (skew {cond:.1f}); retake from the reference spot",
                         measured=measured)
    if not lim["min_scale"] <= measured["scale"] <= lim["max_scale"]:
        return Alignment(False, f"the reference is at {measured['scale']:.2f}x this photo's scale; retake from the reference spot",
                         measured=measured)
    h_full = _scale_h(h_small, s_ref, s_cur)
    H, W = current.shape[:2]
    footprint = cv2.warpPerspective(np.ones(reference.shape[:2], np.uint8), h_full, (W, H), flags=cv2.INTER_NEAREST)
    overlap = float(footprint.mean())
    measured["overlap"] = round(overlap, 3)
    if overlap < lim["min_overlap"]:
        return Alignment(False, f"the photos overlap on only {overlap:.0%} of the frame", measured=measured)
    return Alignment(True, "", h_full, measured)


def _jacobian(h: np.ndarray, p: np.ndarray) -> np.ndarray:
    x, y = p
    d = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    u = (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / d
    v = (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / d
    return np.array([[(h[0, 0] - u * h[2, 0]) / d, (h[0, 1] - u * h[2, 1]) / d],
                     [(h[1, 0] - v * h[2, 0]) / d, (h[1, 1] - v * h[2, 1]) / d]])


def match_colours(source: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`source` (RGB uint8) with each channel mapped affinely so its distribution over `mask` matches the target's.

    A change of exposure and white balance between visits is close to a gain and offset
    per channel, and the result is clipped as the camera clips highlights. Fitted through
    the 5th..95th percentiles, so the few changed pixels barely move it.
    """
    q = np.linspace(5, 95, 10)
    out = np.empty(source.shape, np.float32)
    for c in range(3):
        ps = np.percentile(source[..., c][mask], q)
        pt = np.percentile(target[..., c][mask], q)
        gain, offset = np.polyfit(ps, pt, 1) if np.ptp(ps) > 1.0 else (1.0, float(pt.mean() - ps.mean()))
        out[..., c] = source[..., c].astype(np.float32) * gain + offset
    return np.clip(out, 0, 255).astype(np.uint8)


def difference_map(current: np.ndarray, reference: np.ndarray, alignment: Alignment) -> tuple[np.ndarray, np.ndarray, float]:
    """(difference at DIFF_SIDE, valid mask, scale current -> DIFF_SIDE) after alignment and colour matching.

    Each current pixel is compared with the closest-coloured reference pixel within
    SHIFT_PX, so residual misalignment and parallax at depth edges are tolerated.
    """
    H, W = current.shape[:2]
    s = min(1.0, DIFF_SIDE / max(H, W))
    w, h = max(8, int(round(W * s))), max(8, int(round(H * s)))
    to_small = np.diag([s, s, 1.0]) @ alignment.homography
    ref_small = cv2.warpPerspective(reference, to_small, (w, h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    valid = cv2.warpPerspective(np.full(reference.shape[:2], 255, np.uint8), to_small, (w, h), flags=cv2.INTER_NEAREST)
    valid = cv2.erode(valid, np.ones((2 * SHIFT_PX + 3,) * 2, np.uint8)) > 0
    if valid.sum() < 100:
        return np.zeros((h, w), np.float32), valid, s
    cur_small = cv2.GaussianBlur(cv2.resize(current, (w, h), interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    ref_small = match_colours(cv2.GaussianBlur(ref_small, (0, 0), 1.0), cur_small, valid)
    cur_lab = cv2.cvtColor(cur_small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    ref_lab = cv2.cvtColor(ref_small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    weight = np.array([LIGHTNESS_WEIGHT, 1.0, 1.0], np.float32)
    best = np.full((h, w), np.inf, np.float32)
    pad = SHIFT_PX
    ref_pad = cv2.copyMakeBorder(ref_lab, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    for dy in range(-pad, pad + 1):
        for dx in range(-pad, pad + 1):
            if dx * dx + dy * dy > pad * pad:
                continue
            shifted = ref_pad[pad + dy:pad + dy + h, pad + dx:pad + dx + w]
            d = np.sqrt((((cur_lab - shifted) * weight) ** 2).sum(axis=2))
            np.minimum(best, d, out=best)
    best[~valid] = 0.0
    return best, valid, s


def changes(current: np.ndarray, reference: np.ndarray, alignment: Alignment, threshold: float = 15.0,
            min_share: float = 0.0015) -> list[Change]:
    """Regions of `current` that differ from the aligned `reference` by more than `threshold` (weighted ΔE).

    Regions smaller than `min_share` of the compared area are dropped (noise, thin
    parallax slivers). Largest first.
    """
    if not alignment.ok:
        raise ValueError(f"cannot compare unaligned photos: {alignment.reason}")
    diff, valid, s = difference_map(current, reference, alignment)
    mask = (cv2.GaussianBlur(diff, (0, 0), 1.0) > threshold).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    total = max(int(valid.sum()), 1)
    out = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        share = area / total
        if share < min_share:
            continue
        vals = diff[labels == i]
        out.append(Change((x / s, y / s, (x + w) / s, (y + h) / s), float(share), float(vals.mean()), float(vals.max())))
    return sorted(out, key=lambda c: -c.share)
