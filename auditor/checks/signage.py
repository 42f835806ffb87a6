"""Signage: required sign text (EXT-03/06/08), signboard colours (EXT-03), directional signs (EXT-05).

Text comes from the `text` signal (auditor.ocr). Required texts are matched after NFKC
normalisation, case folding and removal of white space, tolerantly: a text counts when
a read line contains it, or contains it with at most one edit per four characters (one
misread character in a long name passes; a short word must be exact, and a different
word fails).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from auditor import colour, ocr
from auditor.checks.context import PhotoContext
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Region, Verdict


# --------------------------------------------------------------------------- tolerant matching


def substring_distance(needle: str, haystack: str) -> int:
    """Smallest edit distance between `needle` and any substring of `haystack` (Sellers, 1980)."""
    if not needle:
        return 0
    prev = [0] * (len(haystack) + 1)  # a match may start anywhere in the haystack
    for i, nc in enumerate(needle, 1):
        cur = [i] + [0] * len(haystack)
        for j, hc in enumerate(haystack, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (nc != hc))
        prev = cur
    return min(prev)


def allowed_edits(text: str, chars_per_edit: int = 4, max_edits: int = 3) -> int:
    """Edits tolerated when matching `text` (normalised): none under 4 characters."""
    return min(max_edits, len(text) // chars_per_edit)


@dataclass(frozen=True)
class TextMatch:
    wanted: str  # the required text (or the alternative that matched)
    line: ocr.TextLine
    distance: int  # edits between the wanted text and the best part of the line


def find_text(wanted: Sequence[str], lines: Sequence[ocr.TextLine], chars_per_edit: int = 4) -> TextMatch | None:
    """The best line matching any of `wanted` (a text and its alternatives), or None."""
    best: TextMatch | None = None
    for w in wanted:
        nw = ocr.normalise(w)
        if not nw:
            continue
        limit = allowed_edits(nw, chars_per_edit)
        for line in lines:
            nl = ocr.normalise(line.text)
            d = 0 if nw in nl else (substring_distance(nw, nl) if limit else limit + 1)
            if d <= limit and (best is None or (d, -line.confidence) < (best.distance, -best.line.confidence)):
                best = TextMatch(w, line, d)
    return best


# --------------------------------------------------------------------------- required text


@register(
    "signage.text_required",
    title_en="Required sign text",
    title_zh="标识文字",
    defaults={"group": None, "chars_per_edit": 4},
    needs=("text",),
)
def text_required(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    required = ctx.brand.texts_for(ctx.area, params.get("group"))
    if not required:
        return CheckResult("signage.text_required", Verdict.NOT_APPLICABLE,
                           message=f"the brand requires no {params.get('group') or ''} text in area {ctx.area}".replace("  ", " "),
                           values={"found": [], "missing": []})
    lines = ctx.get("text")
    found, missing, findings = [], [], []
    for req in required:
        m = find_text((req.text, *req.alternatives), lines, params["chars_per_edit"])
        if m is None:
            missing.append(req.text)
            findings.append(Finding("text", f"required text '{req.text}' not found", None,
                                    measured={"text": req.text, "group": req.group, "found": False}, confidence=0.7))
        else:
            found.append(req.text)
            findings.append(Finding(
                "text", f"'{req.text}' read as '{m.line.text}'" + (f" ({m.distance} edit)" if m.distance else ""),
                m.line.region, measured={"text": req.text, "group": req.group, "found": True, "read": m.line.text,
                                         "distance": m.distance},
                thresholds={"max_edits": allowed_edits(ocr.normalise(m.wanted), params["chars_per_edit"])},
                confidence=m.line.confidence * (1.0 if m.distance == 0 else 0.85)))
    values = {"found": found, "missing": missing, "lines_read": sum(1 for l in lines if l.kind == "line")}
    if missing:
        return CheckResult("signage.text_required", Verdict.FAIL, confidence=0.7,
                           message=f"missing: {', '.join(missing)}" + (f"; found: {', '.join(found)}" if found else ""),
                           findings=tuple(findings), values=values)
    conf = min(f.confidence for f in findings)
    return CheckResult("signage.text_required", Verdict.PASS, confidence=conf,
                       message=f"found: {', '.join(found)}", findings=tuple(findings), values=values)


# --------------------------------------------------------------------------- signboard colour


def panel_colour(rgb: np.ndarray, region: Region, pad_h: float = 0.5) -> tuple[np.ndarray, np.ndarray, Region]:
    """The dominant colour of the panel around a text region.

    Returns (panel rgb float 0..255 (3,), text/stroke rgb (3,), the panel window). The
    window is the text box grown by `pad_h` x its height; its pixels are split in two by
    k-means and the larger cluster is the panel (letters cover less than half of a sign).
    """
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = region.xyxy
    pad = pad_h * (y1 - y0)
    X0, Y0, X1, Y1 = int(max(0, x0 - pad)), int(max(0, y0 - pad)), int(min(w, x1 + pad)), int(min(h, y1 + pad))
    win = rgb[Y0:Y1, X0:X1].reshape(-1, 3).astype(np.float32)
    step = max(1, win.shape[0] // 4000)
    sample = win[::step]
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    _, labels, centres = cv2.kmeans(sample, 2, None, crit, 2, cv2.KMEANS_PP_CENTERS)
    counts = np.bincount(labels.ravel(), minlength=2)
    big = int(np.argmax(counts))
    panel = np.median(sample[labels.ravel() == big], axis=0)
    stroke = np.median(sample[labels.ravel() != big], axis=0) if counts[1 - big] else panel
    return panel, stroke, Region.from_polygon([(X0, Y0), (X1, Y0), (X1, Y1), (X0, Y1)])


def _hex(rgb) -> str:
    r, g, b = (int(np.clip(round(float(v)), 0, 255)) for v in rgb)
    return f"#{r:02X}{g:02X}{b:02X}"


@register(
    "signage.colour",
    title_en="Signboard colours",
    title_zh="招牌颜色",
    defaults={"groups": ["brand", "service_brand"], "chars_per_edit": 4},
    needs=("text",),
)
def signboard_colour(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    brand = ctx.brand
    names = [n for n in brand.signboard_colours if n in brand.palette]
    if not names:
        return CheckResult("signage.colour", Verdict.NOT_APPLICABLE, message="the brand pack lists no signboard colours",
                           values={"delta_e": None, "colour": None, "palette_name": None})
    lines = ctx.get("text")
    texts = [t for t in brand.texts if t.group in params["groups"]]
    matches = [m for m in (find_text((t.text, *t.alternatives), lines, params["chars_per_edit"]) for t in texts) if m]
    if not matches:
        return CheckResult("signage.colour", Verdict.UNSURE, confidence=0.3,
                           message="no brand text found to locate the signboard",
                           values={"delta_e": None, "colour": None, "palette_name": None})
    rgb = ctx.photo.rgb
    small = rgb[:: max(1, rgb.shape[0] // 256), :: max(1, rgb.shape[1] // 256)]
    gains = colour.white_balance_gains(small)
    pal_labs = np.array([brand.palette[n].lab for n in names])
    findings, results = [], []
    for m in matches:
        panel, stroke, window = panel_colour(rgb, m.line.region)
        raw_lab = colour.srgb_to_lab(panel / 255.0)
        balanced = colour.apply_white_balance(panel / 255.0, gains)
        wb_lab = colour.srgb_to_lab(balanced)
        # The camera already white-balanced the shot; a grey-world estimate over one facade can
        # over-correct, so the panel counts as on-palette if either reading is within tolerance.
        d_raw = colour.ciede2000(raw_lab[None], pal_labs)
        d_wb = colour.ciede2000(wb_lab[None], pal_labs)
        d = np.minimum(d_raw, d_wb)
        i = int(np.argmin(d))
        tol = brand.palette[names[i]].tolerance
        ok = bool(d[i] <= tol)
        results.append((float(d[i]), names[i], tol, panel, ok))
        findings.append(Finding(
            "signboard", f"panel around '{m.line.text}' is {_hex(panel)}: closest {names[i]} "
                         f"(ΔE00 {d[i]:.1f} {'<=' if ok else '>'} {tol:g})",
            window, measured={"colour": _hex(panel), "text_colour": _hex(stroke), "delta_e": round(float(d[i]), 2),
                              "delta_e_raw": round(float(d_raw[i]), 2), "delta_e_balanced": round(float(d_wb[i]), 2),
                              "palette_name": names[i]},
            thresholds={"tolerance": tol}, confidence=0.8))
    d, name, tol, panel, ok = min(results, key=lambda r: r[0] - r[2])
    values = {"delta_e": round(d, 2), "colour": _hex(panel), "palette_name": name, "tolerance": tol,
              "white_balance_gains": [round(float(g), 3) for g in gains]}
    margin = abs(d - tol) / max(tol, 1.0)
    return CheckResult("signage.colour", Verdict.PASS if ok else Verdict.FAIL, confidence=float(0.5 + 0.5 * min(1, margin * 2)),
                       message=(f"signboard {_hex(panel)} matches {name} (ΔE00 {d:.1f} <= {tol:g})" if ok else
                                f"signboard {_hex(panel)} is off-palette: closest {name} ΔE00 {d:.1f} > {tol:g}"),
                       findings=tuple(findings), values=values, thresholds={"tolerance": tol})


# --------------------------------------------------------------------------- directions


ARROW_GLYPHS = "→←↑↓↗↖↘↙➔➜➝➞➡⬅⬆⬇⇒⇐⇨⇦⇧⇩▶◀►◄"
ENTRANCE_WORDS = ("入口", "出口", "entrance", "exit", "entry", "way in", "way out", "进口")


def find_arrows(gray: np.ndarray, window: tuple[int, int, int, int] | None = None,
                min_size_px: float = 12.0) -> list[Region]:
    """Arrow shapes in `gray`: block arrows (a shaft with a triangular head: 7-corner outline,
    two notches) and chevrons pointing left or right (a thick '>' as on wayfinding signs).

    `gray` is HxW uint8; `window` (xyxy) limits the search. Light-on-dark and dark-on-light
    arrows are both looked for. Returns their boxes in `gray` pixels.
    """
    X0, Y0, X1, Y1 = window or (0, 0, gray.shape[1], gray.shape[0])
    roi = gray[Y0:Y1, X0:X1]
    if roi.size < 64:
        return []
    found: list[Region] = []
    _, bw = cv2.threshold(roi, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    for mask in (bw, 255 - bw):
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in contours:
            x, y, w, h = cv2.boundingRect(c)
            if max(w, h) < min_size_px or w * h > 0.5 * roi.size:
                continue
            r = Region.from_xywh(x + X0, y + Y0, w, h)
            if (_is_arrow(c) or _is_chevron(c)) and not any(r.iou(f) > 0.5 for f in found):
                found.append(r)
    return found


def _is_arrow(contour: np.ndarray) -> bool:
    """A block arrow: 7 corners of which 5 on the convex hull (tip, two barbs, two tail corners),
    two deep concave notches next to each other, solidity 0.45..0.85. A 'T' or an 'L' has a
    6-corner hull; a box, disc or letter 'O' has no notches."""
    peri = cv2.arcLength(contour, True)
    approx = cv2.approxPolyDP(contour, 0.02 * peri, True)
    if len(approx) != 7:
        return False
    if len(cv2.convexHull(approx)) != 5:
        return False
    area = cv2.contourArea(contour)
    hull = cv2.convexHull(contour)
    hull_area = cv2.contourArea(hull)
    if hull_area <= 0 or not 0.45 <= area / hull_area <= 0.85:
        return False
    hull_idx = cv2.convexHull(approx, returnPoints=False)
    if hull_idx is None or len(hull_idx) < 3:
        return False
    try:
        defects = cv2.convexityDefects(approx, np.sort(hull_idx, axis=0))
    except cv2.error:
        return False
    if defects is None:
        return False
    size = max(cv2.boundingRect(contour)[2:])
    deep = [d for d in defects[:, 0] if d[3] / 256.0 > 0.12 * size]
    if len(deep) != 2:
        return False
    # The two notches sit side by side (where the head meets the shaft): close to each other.
    p1, p2 = approx[deep[0][2]][0], approx[deep[1][2]][0]
    return float(np.hypot(*(p1 - p2))) < 0.8 * size


def _is_chevron(contour: np.ndarray) -> bool:
    """A thick chevron pointing left or right: 6 corners of which 5 on the convex hull (the outer
    tip and the four arm ends), one deep notch (the inner tip) on the line from the outer tip to
    the middle of the open side, solidity 0.3..0.8. Chevrons pointing up or down are not taken:
    they are the letters V and A in sign text."""
    peri = cv2.arcLength(contour, True)
    approx = cv2.approxPolyDP(contour, 0.03 * peri, True)[:, 0].astype(np.float64)
    if len(approx) != 6:
        return False
    hull_idx = cv2.convexHull(approx.astype(np.float32), returnPoints=False)
    if hull_idx is None or len(hull_idx) != 5:
        return False
    area = cv2.contourArea(contour)
    hull_area = cv2.contourArea(cv2.convexHull(contour))
    if hull_area <= 0 or not 0.3 <= area / hull_area <= 0.8:
        return False
    inner = int(next(i for i in range(6) if i not in set(hull_idx.ravel().tolist())))
    tip = approx[(inner + 3) % 6]  # opposite the notch on the outline
    ends = (approx[(inner + 1) % 6], approx[(inner + 5) % 6], approx[(inner + 2) % 6], approx[(inner + 4) % 6])
    open_mid = (ends[0] + ends[1]) / 2
    axis = tip - open_mid
    length = float(np.hypot(*axis))
    x, y, w, h = cv2.boundingRect(contour)
    if length < 0.4 * max(w, h) or abs(axis[0]) < 2.0 * abs(axis[1]):
        return False  # points up or down, or too shallow to read as a chevron
    # The notch lies between the tip and the open side, near the axis, well inside the shape.
    rel = float(np.dot(approx[inner] - open_mid, axis) / (length ** 2))
    d = approx[inner] - open_mid
    off = float(abs(axis[0] * d[1] - axis[1] * d[0]) / length)
    return 0.15 <= rel <= 0.85 and off < 0.2 * max(w, h)


@register(
    "signage.directions",
    title_en="Directional signs",
    title_zh="指示标志",
    defaults={"groups": ["entrance", "exit"], "search_heights": 6.0, "chars_per_edit": 4},
    needs=("text",),
)
def directions(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    lines = ctx.get("text")
    wanted: list[str] = list(ENTRANCE_WORDS)
    for t in ctx.brand.texts:
        if t.group in params["groups"]:
            wanted.extend((t.text, *t.alternatives))
    entrance_lines = []
    for line in lines:
        if line.kind == "line" and find_text(wanted, [line], params["chars_per_edit"]) is not None:
            entrance_lines.append(line)
    findings = [Finding("text", f"entrance/exit text '{l.text}'", l.region, measured={"read": l.text},
                        confidence=l.confidence) for l in entrance_lines]
    arrows: list[tuple[Region, str]] = []
    for line in lines:
        if line.kind == "line" and any(g in line.text for g in ARROW_GLYPHS):
            arrows.append((line.region, "glyph"))
    gray = ctx.gray
    windows = []
    for l in entrance_lines:
        x0, y0, x1, y1 = l.region.xyxy
        r = params["search_heights"] * max(l.region.height, 8)
        windows.append((int(max(0, x0 - r)), int(max(0, y0 - r / 2)), int(min(gray.shape[1], x1 + r)),
                        int(min(gray.shape[0], y1 + r / 2))))
        for a in find_arrows(gray, windows[-1], min_size_px=0.6 * l.region.height):
            if a.iou(l.region) < 0.5:
                arrows.append((a, "shape"))
    for region, how in arrows:
        findings.append(Finding("arrow", f"directional arrow ({how})", region, confidence=0.7 if how == "shape" else 0.9))
    has_arrow, has_text = bool(arrows), bool(entrance_lines)
    values = {"arrow": has_arrow, "entrance_text": has_text}
    if has_arrow or has_text:
        what = " and ".join(w for w, ok in (("entrance/exit text", has_text), ("an arrow", has_arrow)) if ok)
        return CheckResult("signage.directions", Verdict.PASS, confidence=0.85 if has_text else 0.65,
                           message=f"directional sign found: {what}", findings=tuple(findings), values=values)
    return CheckResult("signage.directions", Verdict.FAIL, confidence=0.6,
                       message="no entrance/exit text or arrow found", values=values)
