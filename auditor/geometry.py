"""Strict verification of a homography found by feature matching (reference logo -> photo).

RANSAC returns *a* homography for almost any set of matches, including degenerate ones
that fold the reference into a sliver, mirror it, or put it behind the camera. A real
planar logo seen by a phone gives a homography that is well conditioned, keeps the
reference's orientation, maps its outline to a convex quad of plausible size and aspect,
and is supported by many inliers spread over the mark. `verify_homography` checks all of
that and says why a candidate was rejected.

Conventions: points are Nx2 float (x, y); `h_ref_to_img` is 3x3 mapping reference pixels
to photo pixels; quads are 4x2, corners in reference order (top-left, top-right,
bottom-right, bottom-left).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import cv2
import numpy as np

DEFAULT_LIMITS: Mapping[str, float] = {
    "min_inliers": 10,
    "min_inlier_ratio": 0.25,  # inliers / matches given to RANSAC
    "min_spread": 0.20,  # convex hull of inliers / area of the mark's bounding box (reference frame)
    "min_quadrants": 3,  # inliers in at least this many quadrants of the reference
    "max_condition": 8.0,  # of the linear part: strong anisotropy = a sliver
    "max_perspective": 1.5,  # spread of the projective denominator over the mark's corners (far edge >= ~40% of near)
    "min_angle_deg": 35.0,  # interior angles of the quad
    "max_angle_deg": 145.0,
    "max_side_ratio": 3.5,  # opposite sides of the quad
    "max_aspect_change": 3.0,  # quad aspect vs the reference's
    "min_area_frac": 0.0002,  # quad area / photo area
    "max_area_frac": 0.9,
}


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str  # why it was rejected ("" when ok)
    quad: np.ndarray = field(repr=False)  # 4x2 float64, photo pixels
    measured: Mapping[str, Any] = field(default_factory=dict)


def project(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Apply the 3x3 homography `h` to Nx2 points."""
    pts = np.asarray(pts, np.float64).reshape(-1, 2)
    p = np.hstack([pts, np.ones((len(pts), 1))]) @ np.asarray(h, np.float64).T
    return p[:, :2] / p[:, 2:3]


def reference_corners(ref_w: float, ref_h: float) -> np.ndarray:
    return np.array([[0, 0], [ref_w, 0], [ref_w, ref_h], [0, ref_h]], np.float64)


def quad_is_convex_simple(quad: np.ndarray) -> bool:
    """True when the 4 corners form a convex, non-self-crossing quad in consistent order."""
    q = np.asarray(quad, np.float64)
    signs = []
    for i in range(4):
        a, b, c = q[i], q[(i + 1) % 4], q[(i + 2) % 4]
        cross = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])
        signs.append(cross)
    signs = np.array(signs)
    return bool(np.all(signs > 0) or np.all(signs < 0))


def interior_angles(quad: np.ndarray) -> np.ndarray:
    q = np.asarray(quad, np.float64)
    out = []
    for i in range(4):
        v1 = q[i - 1] - q[i]
        v2 = q[(i + 1) % 4] - q[i]
        cos = np.dot(v1, v2) / max(np.linalg.norm(v1) * np.linalg.norm(v2), 1e-9)
        out.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return np.array(out)


def inlier_spread(ref_pts: np.ndarray, ref_box: tuple[float, float, float, float]) -> tuple[float, int]:
    """(convex-hull area of the inliers / area of `ref_box` (xyxy), quadrants of the box they reach)."""
    x0, y0, x1, y1 = ref_box
    area = max((x1 - x0) * (y1 - y0), 1e-9)
    pts = np.asarray(ref_pts, np.float32).reshape(-1, 2)
    if len(pts) < 3:
        return 0.0, 0
    hull = cv2.convexHull(pts)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    quads = {(bool(px >= cx), bool(py >= cy)) for px, py in pts}
    return float(cv2.contourArea(hull)) / area, len(quads)


def verify_homography(
    h_ref_to_img: np.ndarray | None,
    ref_size: tuple[float, float],
    img_size: tuple[float, float],
    ref_inliers: np.ndarray,
    n_matches: int,
    mark_box: tuple[float, float, float, float] | None = None,
    limits: Mapping[str, float] | None = None,
) -> Verification:
    """Decide whether a homography is a plausible view of the planar reference.

    Args:
        h_ref_to_img: 3x3 homography (reference -> photo pixels) or None.
        ref_size: (width, height) of the reference image.
        img_size: (width, height) of the photo.
        ref_inliers: Nx2 inlier positions in the reference.
        n_matches: how many matches RANSAC was given.
        mark_box: xyxy of the mark inside the reference (its opaque part); default the whole image.
        limits: overrides of DEFAULT_LIMITS.
    """
    lim = {**DEFAULT_LIMITS, **(limits or {})}
    rw, rh = ref_size
    box = mark_box or (0.0, 0.0, float(rw), float(rh))
    corners = np.array([[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]]], np.float64)
    empty = np.zeros((4, 2))
    if h_ref_to_img is None or not np.all(np.isfinite(h_ref_to_img)) or abs(h_ref_to_img[2, 2]) < 1e-12:
        return Verification(False, "no homography", empty)
    H = np.asarray(h_ref_to_img, np.float64) / h_ref_to_img[2, 2]
    n_in = len(ref_inliers)
    measured: dict[str, Any] = {"inliers": n_in, "matches": n_matches}
    if n_in < lim["min_inliers"]:
        return Verification(False, f"too few inliers ({n_in} < {lim['min_inliers']:g})", empty, measured)
    ratio = n_in / max(n_matches, 1)
    measured["inlier_ratio"] = round(ratio, 3)
    if ratio < lim["min_inlier_ratio"]:
        return Verification(False, f"inlier ratio {ratio:.2f} < {lim['min_inlier_ratio']:g}", empty, measured)

    # Projective denominator over the mark's corners: must stay positive and not vary wildly.
    den = np.hstack([corners, np.ones((4, 1))]) @ H[2]
    if np.any(den <= 0):
        return Verification(False, "reference maps behind the camera", empty, measured)
    persp = float(den.max() / den.min() - 1.0)
    measured["perspective"] = round(persp, 3)
    if persp > lim["max_perspective"]:
        return Verification(False, f"perspective too strong ({persp:.2f} > {lim['max_perspective']:g})", empty, measured)

    # Local linear part at the mark's centre: orientation kept (no mirror), well conditioned.
    c = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    eps = max(box[2] - box[0], box[3] - box[1]) * 0.01
    p0 = project(H, c[None])[0]
    jac = np.column_stack([(project(H, (c + [eps, 0])[None])[0] - p0) / eps,
                           (project(H, (c + [0, eps])[None])[0] - p0) / eps])
    det = float(np.linalg.det(jac))
    if det <= 0:
        return Verification(False, "mirrored (negative determinant)", empty, measured)
    sv = np.linalg.svd(jac, compute_uv=False)
    cond = float(sv[0] / max(sv[1], 1e-12))
    measured["condition"] = round(cond, 2)
    if cond > lim["max_condition"]:
        return Verification(False, f"degenerate: condition number {cond:.1f} > {lim['max_condition']:g}", empty, measured)

    quad = project(H, corners)
    if not quad_is_convex_simple(quad):
        return Verification(False, "quad not convex or self-crossing", quad, measured)
    ang = interior_angles(quad)
    measured["min_angle"] = round(float(ang.min()), 1)
    if ang.min() < lim["min_angle_deg"] or ang.max() > lim["max_angle_deg"]:
        return Verification(False, f"quad angles {ang.min():.0f}..{ang.max():.0f} deg out of range", quad, measured)
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    side_ratio = float(max(sides[0] / max(sides[2], 1e-9), sides[2] / max(sides[0], 1e-9),
                           sides[1] / max(sides[3], 1e-9), sides[3] / max(sides[1], 1e-9)))
    if side_ratio > lim["max_side_ratio"]:
        return Verification(False, f"opposite sides differ x{side_ratio:.1f}", quad, measured)
    ref_aspect = (box[2] - box[0]) / max(box[3] - box[1], 1e-9)
    quad_aspect = (sides[0] + sides[2]) / max(sides[1] + sides[3], 1e-9)
    change = float(max(quad_aspect / ref_aspect, ref_aspect / quad_aspect))
    measured["aspect_change"] = round(change, 2)
    if change > lim["max_aspect_change"]:
        return Verification(False, f"aspect changed x{change:.1f}", quad, measured)
    iw, ih = img_size
    area_frac = float(abs(cv2.contourArea(quad.astype(np.float32))) / max(iw * ih, 1))
    measured["area_frac"] = round(area_frac, 5)
    if not lim["min_area_frac"] <= area_frac <= lim["max_area_frac"]:
        return Verification(False, f"absurd size ({area_frac:.4f} of the photo)", quad, measured)

    spread, quadrants = inlier_spread(ref_inliers, box)
    measured["spread"] = round(spread, 3)
    measured["quadrants"] = quadrants
    if spread < lim["min_spread"] or quadrants < lim["min_quadrants"]:
        return Verification(False, f"inliers bunched (spread {spread:.2f}, {quadrants} quadrants)", quad, measured)
    return Verification(True, "", quad, measured)
