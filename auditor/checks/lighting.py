"""Lighting: the photo's exposure, night or day, and whether signs are lit at night (EXT-07).

Exposure and night read luminance statistics of a small copy of the photo (256 px on the
long side: statistics, not detail), so they cost a few milliseconds. Signs lit compares each
sign region (logo quads, OCR lines) with its surroundings; at night it also looks for sign
boards the OCR did not read (an unlit board's letters are a few luma levels off its face),
re-reads them stretched, and a dark board of the brand fails the photo even beside a lit
decal (tens of milliseconds, night photos only). The brand's own signs (logo, brand-pack
texts) decide when any is in view; stray text (posters, misread texture) only otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import cv2
import numpy as np

from auditor.checks.context import PhotoContext
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Region, Verdict

STATS_SIDE = 256
STATS_SOURCE_SIDE = 1024  # the shared copy the statistics are taken from
EDGE_GRADIENT = 60.0  # Sobel magnitude (luma units) of a strong edge at STATS_SIDE


@dataclass(frozen=True)
class LumaStats:
    """Luminance (BT.601 luma, 0..255) statistics of a photo."""

    mean: float
    p5: float
    p50: float
    p95: float
    p995: float
    p999: float  # the brightest 0.1%: small lamps show here
    clipped: float  # share of pixels >= 250
    top_mean: float  # mean of the top third (sky or ceiling)
    top_band_mean: float  # mean of the top fifth
    top_hue: float  # median OpenCV hue (0..180) of the top third
    top_saturation: float  # mean saturation (0..255) of the top third
    top_edges: float  # share of the top third with strong luma gradients (a sky has few; a signboard many)


def luma_stats(ctx: PhotoContext) -> LumaStats:
    """Statistics of the photo's luminance, memoised per photo."""
    if "_luma_stats" not in ctx._cache:
        # from the shared 1024 px copy (STATS_SIDE divides it): 2.5 ms instead of 21 from the working copy
        rgb, _ = ctx.downscaled(STATS_SOURCE_SIDE)
        s = min(1.0, STATS_SIDE / max(rgb.shape[:2]))
        small = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else rgb
        g = small.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        h = max(1, g.shape[0] // 3)
        hsv = cv2.cvtColor(np.ascontiguousarray(small[:h]), cv2.COLOR_RGB2HSV)
        p5, p50, p95, p995, p999 = np.percentile(g, [5, 50, 95, 99.5, 99.9])
        grad = cv2.magnitude(cv2.Sobel(g[:h], cv2.CV_32F, 1, 0), cv2.Sobel(g[:h], cv2.CV_32F, 0, 1))
        ctx._cache["_luma_stats"] = LumaStats(
            mean=float(g.mean()), p5=float(p5), p50=float(p50), p95=float(p95), p995=float(p995), p999=float(p999),
            clipped=float(np.mean(g >= 250)), top_mean=float(g[:h].mean()),
            top_band_mean=float(g[: max(1, g.shape[0] // 5)].mean()),
            top_hue=float(np.median(hsv[..., 0])), top_saturation=float(hsv[..., 1].mean()),
            top_edges=float(np.mean(grad > EDGE_GRADIENT)),
        )
    return ctx._cache["_luma_stats"]


# --------------------------------------------------------------------------- exposure


@register(
    "lighting.exposure",
    title_en="Exposure",
    title_zh="曝光",
    defaults={
        "dark_mean": 60.0,  # mean luma under this is dark ...
        "dark_mean_with_lights": 50.0,  # ... or under this when light sources are in view (a lit night scene)
        "dark_mean_no_highlights": 68.0,  # ... or under this when nothing in the frame is bright
        "lights_p995": 180.0,  # brightest 0.5% at least this bright: light sources in view
        "no_highlights_p995": 150.0,
        # Overexposed: the frame as a whole about a stop above a phone's metering target (mean luma
        # ~120) ...
        "over_mean": 185.0,
        "over_median": 215.0,  # ... or its median this bright ...
        # ... or this share clipped white over mid-tones that are not dark. A blown sky over a
        # correctly exposed or dark foreground is backlight, not overexposure.
        "over_clipped": 0.20,
        "over_clipped_min_median": 128.0,
    },
)
def exposure(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    st = luma_stats(ctx)
    if st.p995 >= params["lights_p995"]:
        dark_limit = params["dark_mean_with_lights"]
    elif st.p995 < params["no_highlights_p995"]:
        dark_limit = params["dark_mean_no_highlights"]
    else:
        dark_limit = params["dark_mean"]
    values = {"mean_luma": round(st.mean, 1), "p5": round(st.p5, 1), "p50": round(st.p50, 1),
              "p95": round(st.p95, 1), "p995": round(st.p995, 1), "clipped": round(st.clipped, 4)}
    thresholds = {"dark_mean": dark_limit, "over_mean": params["over_mean"], "over_median": params["over_median"],
                  "over_clipped": params["over_clipped"], "over_clipped_min_median": params["over_clipped_min_median"]}
    clipped_over_bright = st.clipped > params["over_clipped"] and st.p50 >= params["over_clipped_min_median"]
    if st.mean >= params["over_mean"] or st.p50 > params["over_median"] or clipped_over_bright:
        margin = max((st.mean - params["over_mean"]) / 60, (st.p50 - params["over_median"]) / 255,
                     (st.clipped - params["over_clipped"]) if clipped_over_bright else 0.0)
        return CheckResult("lighting.exposure", Verdict.FAIL, confidence=_conf(margin * 4),
                           message=f"overexposed: mean luma {st.mean:.0f}, median {st.p50:.0f}, "
                                   f"{st.clipped:.0%} of the photo clipped white",
                           values={"exposure": "overexposed", **values}, thresholds=thresholds)
    if st.mean < dark_limit:
        return CheckResult("lighting.exposure", Verdict.FAIL, confidence=_conf((dark_limit - st.mean) / 15),
                           message=f"too dark: mean luma {st.mean:.0f} < {dark_limit:.0f}",
                           values={"exposure": "dark", **values}, thresholds=thresholds)
    return CheckResult("lighting.exposure", Verdict.PASS, confidence=_conf((st.mean - dark_limit) / 15),
                       message=f"exposure ok: mean luma {st.mean:.0f}, {st.clipped:.1%} clipped",
                       values={"exposure": "ok", **values}, thresholds=thresholds)


def _conf(margin: float) -> float:
    """Confidence 0.5..1 from a margin in units where 1 is clearly decided."""
    return float(0.5 + 0.5 * np.clip(margin, 0.0, 1.0))


# --------------------------------------------------------------------------- night


def night_evidence(ctx: PhotoContext, params: Mapping[str, Any]) -> tuple[bool, float, str, dict[str, Any]]:
    """(night, confidence, reason, measured) for the photo."""
    st = luma_stats(ctx)
    top_ratio = st.top_mean / max(st.mean, 1.0)
    measured: dict[str, Any] = {"mean_luma": round(st.mean, 1), "top_mean_luma": round(st.top_mean, 1),
                                "top_ratio": round(top_ratio, 3), "top_band_luma": round(st.top_band_mean, 1),
                                "p995": round(st.p995, 1), "p999": round(st.p999, 1),
                                "top_edges": round(st.top_edges, 3)}
    taken = ctx.photo.exif.taken_at
    if taken is not None:
        measured["exif_hour"] = taken.hour
        h = taken.hour
        if (h >= params["night_from_hour"] or h < params["night_until_hour"]) and st.mean < params["lit_indoor_mean"]:
            return True, 0.85, f"taken at {taken:%H:%M} and not brightly lit", measured
        if params["day_from_hour"] <= h < params["day_until_hour"]:
            return False, 0.85, f"taken at {taken:%H:%M} (daytime)", measured
    # Outdoors at night the sky is darker than the rest and lamps or lit signs are in view;
    # an underexposed or dark indoor frame is dark all over, or bright at its top (ceiling lights).
    lamps_under_dark_sky = (st.mean < params["night_max_mean"] and top_ratio < params["night_max_top_ratio"]
                            and st.p995 >= params["night_min_p995"])
    # A deep blue top is a twilight sky only when it is smooth (a blue signboard is not) and
    # something in view is lit (an underexposed day photo has no light source).
    twilight_sky = (st.top_mean < params["twilight_max_top_mean"] and st.top_saturation > params["twilight_min_saturation"]
                    and params["twilight_hue"][0] <= st.top_hue <= params["twilight_hue"][1]
                    and st.top_edges < params["twilight_max_top_edges"] and st.p999 >= params["twilight_min_p999"])
    black_sky_with_lamps = (st.top_band_mean < params["black_sky_max_luma"] and st.p995 >= params["night_min_p995"]
                            and st.mean < params["night_max_mean"])
    if lamps_under_dark_sky or black_sky_with_lamps:
        margin = min((params["night_max_mean"] - st.mean) / 40, (params["night_max_top_ratio"] - top_ratio) / 0.3,
                     (st.p995 - params["night_min_p995"]) / 50)
        if not lamps_under_dark_sky:
            margin = min((params["black_sky_max_luma"] - st.top_band_mean) / 15, (st.p995 - params["night_min_p995"]) / 50)
        return True, _conf(margin), "dark sky above lit lamps or signs", measured
    if twilight_sky:
        return True, 0.6, "deep blue twilight sky", measured
    if st.mean < params["night_max_mean"]:
        return False, 0.6, "dark all over without a dark sky over lights (dark indoor or underexposed)", measured
    return False, _conf((st.mean - params["night_max_mean"]) / 40), "daylight brightness", measured


@register(
    "lighting.night",
    title_en="Night scene",
    title_zh="夜间",
    defaults={
        "night_max_mean": 90.0,
        "night_max_top_ratio": 0.90,  # top third darker than the photo's mean
        "night_min_p995": 150.0,  # bright light sources in view
        "black_sky_max_luma": 30.0,  # or the top fifth this dark, with lamps in view
        "twilight_max_top_mean": 70.0,
        "twilight_min_saturation": 100.0,
        "twilight_hue": [95, 135],  # OpenCV hue of a blue sky
        "twilight_max_top_edges": 0.2,  # share of strong gradients in the top third
        "twilight_min_p999": 90.0,  # some light in view, however small
        "night_from_hour": 19,
        "night_until_hour": 6,
        "day_from_hour": 8,
        "day_until_hour": 17,
        "lit_indoor_mean": 110.0,
    },
)
def night(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    is_night, conf, reason, measured = night_evidence(ctx, params)
    return CheckResult("lighting.night", Verdict.PASS, confidence=conf,
                       message=("night" if is_night else "day") + f": {reason}",
                       values={"night": is_night, **measured},
                       thresholds={k: params[k] for k in ("night_max_mean", "night_max_top_ratio", "night_min_p995")})


# --------------------------------------------------------------------------- signs lit


def sign_regions(ctx: PhotoContext, min_height_px: float) -> list[tuple[str, Region, str | None]]:
    """Sign regions on the photo: logo quads and OCR text lines, as ("logo"|"text", region, text read)."""
    out: list[tuple[str, Region, str | None]] = []
    for m in ctx.get("logo") or ():
        if not (m.deprecated or m.foreign):
            out.append(("logo", m.region, None))
    for line in ctx.get("text") or ():
        if getattr(line, "kind", "line") == "line" and line.region.height >= min_height_px:
            out.append(("text", line.region, line.text))
    return out


def brand_text(ctx: PhotoContext, text: str | None) -> str | None:
    """The brand-pack text (a name, entrance or exit text, ...) that `text` reads as, tolerantly; else None."""
    if not text:
        return None
    from auditor.checks.signage import find_text  # signage imports nothing of lighting: no cycle
    from auditor.ocr import TextLine

    line = TextLine(text, 1.0, Region((0, 0, 1, 1)))
    for t in ctx.brand.texts:
        m = find_text((t.text, *t.alternatives), [line])
        if m is not None:
            return t.text
    return None


# --------------------------------------------------------------------------- sign panels without OCR


PANEL_SIDE = 512  # panels are looked for on a copy this size (long side)
PANEL_FRAME = 0.12  # a board's frame or bezel, as a share of its height, left out when its face is measured
PANEL_EDGE_SETTINGS = ((12, 30, 3), (8, 20, 3), (12, 30, 2), (12, 30, 0))  # Canny low, high, dilation


@dataclass(frozen=True)
class Panel:
    """A quadrilateral panel on the photo (working-copy pixels) with its luminance against its surroundings."""

    region: Region
    inside: float  # 90th percentile luma inside
    ring: float  # median luma of a ring around it


def find_panels(gray: np.ndarray, min_area: float = 0.002, max_area: float = 0.2,
                aspect: tuple[float, float] = (1.4, 10.0)) -> list[Panel]:
    """Wide quadrilateral panels (sign boards: framed or edged rectangles) in `gray` (HxW uint8), largest first.

    Closed edge contours simplified to convex quads, `min_area`..`max_area` of the photo, as wide as
    `aspect`; overlapping ones are merged into the larger. Each panel's region is its face (the quad
    less a frame of PANEL_FRAME). Cheap (~40 ms on one core): a fixed small copy.
    """
    h, w = gray.shape
    s = min(1.0, PANEL_SIDE / max(h, w))
    g = cv2.resize(gray, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else gray
    g = cv2.GaussianBlur(g, (0, 0), 1.0)
    H, W = g.shape
    contours = []
    # A board's outline often touches something (its post, a text stroke, the wall's edge) and stops
    # being a quad at one edge setting: the union over a few settings finds most boards.
    for lo, hi, grow in PANEL_EDGE_SETTINGS:
        edges = cv2.Canny(g, lo, hi)
        if grow:
            edges = cv2.dilate(edges, np.ones((grow, grow), np.uint8))
        contours += cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0]
    quads: list[tuple[float, np.ndarray, tuple[int, int, int, int]]] = []
    for c in contours:
        a = cv2.contourArea(c)
        if not min_area * H * W <= a <= max_area * H * W:
            continue
        q = cv2.approxPolyDP(c, 0.03 * cv2.arcLength(c, True), True)
        if len(q) != 4 or not cv2.isContourConvex(q):
            continue
        x, y, bw, bh = cv2.boundingRect(q)
        if aspect[0] <= bw / max(bh, 1) <= aspect[1]:
            quads.append((a, q.reshape(-1, 2), (x, y, x + bw, y + bh)))
    quads.sort(key=lambda t: -t[0])
    found: list[tuple[Panel, tuple[int, int, int, int]]] = []
    for a, q, box in quads:
        if any(_box_overlap(box, b) > 0.6 for _, b in found):
            continue
        mask = np.zeros((H, W), np.uint8)
        cv2.fillPoly(mask, [q], 1)
        face = _shrink(q.astype(np.float32), PANEL_FRAME)  # the board's face, without its frame
        inner = np.zeros((H, W), np.uint8)
        cv2.fillPoly(inner, [np.round(face).astype(np.int32)], 1)
        pad = int(max(3, 0.35 * (box[3] - box[1])))
        ring = cv2.dilate(mask, np.ones((2 * pad + 1, 2 * pad + 1), np.uint8)) - mask
        if inner.sum() < 20 or ring.sum() < 20:
            continue
        poly = [(float(px) / s, float(py) / s) for px, py in face]
        found.append((Panel(Region.from_polygon(poly), float(np.percentile(g[inner > 0], 90)),
                            float(np.median(g[ring > 0]))), box))
    return [p for p, _ in found]


def _shrink(quad: np.ndarray, margin: float) -> np.ndarray:
    """`quad` (4x2) pulled towards its centre by `margin` x its height (and as many pixels across)."""
    c = quad.mean(axis=0)
    hgt = max(1.0, float(quad[:, 1].max() - quad[:, 1].min()))
    wid = max(1.0, float(quad[:, 0].max() - quad[:, 0].min()))
    m = margin * hgt
    f = np.array([max(0.1, 1 - 2 * m / wid), max(0.1, 1 - 2 * margin)], np.float32)
    return c + (quad - c) * f


def _box_overlap(a, b) -> float:
    """Intersection over the smaller box (xyxy)."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / small if small > 0 else 0.0


def dim_sign_panels(ctx: PhotoContext, params: Mapping[str, Any]) -> list[tuple[Panel, str, float]]:
    """Panels that do not glow and carry text the OCR did not read as shot: (panel, text, confidence).

    An unlit sign at night is a dark board whose letters differ from its face by a few luma levels:
    the whole-photo OCR misses it, and a lit decal or poster elsewhere would then speak for the
    photo. Each such panel (the `max_panels` largest) is read again, denoised and stretched.
    """
    from auditor import ocr

    key = "_dim_panels:" + ",".join(str(params[k]) for k in ("max_panels", "min_luma", "min_contrast", "panel_text_confidence"))
    if key in ctx._cache:
        return ctx._cache[key]
    gray = ctx.gray
    read = [line.region.center for line in ctx.get("text") or () if line.kind == "line"]
    out: list[tuple[Panel, str, float]] = []
    tried = 0
    for p in find_panels(gray):
        if tried >= params["max_panels"]:
            break
        glows = p.inside >= params["min_luma"] and (p.inside + 10) / (p.ring + 10) >= params["min_contrast"]
        x0, y0, x1, y1 = p.region.xyxy
        if glows or any(x0 <= cx <= x1 and y0 <= cy <= y1 for cx, cy in read):
            continue  # lit (judged by its text) or already read
        tried += 1
        m = 0.03 * (y1 - y0)
        win = gray[int(y0 + m):int(y1 - m), int(x0 + m):int(x1 - m)]
        lines = [l for l in ocr.read_dim_panel(win) if l.confidence >= params["panel_text_confidence"]
                 and len(ocr.normalise(l.text)) >= 2]
        if lines:
            best = max(lines, key=lambda l: (brand_text(ctx, l.text) is not None, l.confidence))
            out.append((p, best.text, best.confidence))
    ctx._cache[key] = out
    return out


def region_contrast(gray: np.ndarray, region: Region, ring_scale: float = 0.6) -> tuple[float, float] | None:
    """(brightness inside = 90th percentile luma, surroundings = median luma of a ring around it).

    `gray` is HxW uint8; the ring extends `ring_scale` x the region's height beyond it.
    """
    h, w = gray.shape
    x0, y0, x1, y1 = region.xyxy
    pad = max(4.0, ring_scale * (y1 - y0))
    X0, Y0 = int(max(0, x0 - pad)), int(max(0, y0 - pad))
    X1, Y1 = int(min(w, x1 + pad)), int(min(h, y1 + pad))
    if X1 - X0 < 3 or Y1 - Y0 < 3:
        return None
    win = gray[Y0:Y1, X0:X1]
    inner = np.zeros(win.shape, np.uint8)
    poly = region.polygon or ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    cv2.fillPoly(inner, [np.round(np.array(poly) - [X0, Y0]).astype(np.int32)], 1)
    inside, ring = win[inner > 0], win[inner == 0]
    if inside.size < 4 or ring.size < 4:
        return None
    return float(np.percentile(inside, 90)), float(np.median(ring))


def far_surroundings(gray: np.ndarray, region: Region, near: float = 1.5, far: float = 4.0) -> float | None:
    """Median luma of the scene around a sign: a ring from `near` to `far` x the region's height beyond it.

    Text on a light-faced light box sits on its own lit panel, so the near ring is the panel;
    this ring reaches past the panel to the wall and sky that a lit sign must outshine.
    """
    h, w = gray.shape
    x0, y0, x1, y1 = region.xyxy
    rh = max(1.0, y1 - y0)

    def box(pad: float):
        return (int(max(0, x0 - pad)), int(max(0, y0 - pad)), int(min(w, x1 + pad)), int(min(h, y1 + pad)))

    X0, Y0, X1, Y1 = box(far * rh)
    if X1 - X0 < 3 or Y1 - Y0 < 3:
        return None
    mask = np.ones((Y1 - Y0, X1 - X0), bool)
    a0, b0, a1, b1 = box(near * rh)
    mask[b0 - Y0:b1 - Y0, a0 - X0:a1 - X0] = False
    ring = gray[Y0:Y1, X0:X1][mask]
    return float(np.median(ring)) if ring.size >= 16 else None


@register(
    "lighting.signs_lit",
    title_en="Signs lit at night",
    title_zh="夜间招牌照明",
    defaults={
        "min_contrast": 1.5,  # sign brightness / surroundings (luma + 10) at least this ...
        "min_luma": 50.0,  # ... and the sign's bright part at least this bright (luma 0..255)
        "min_text_height_px": 8.0,
        "max_panels": 3,  # unread dark panels re-read per night photo
        "panel_text_confidence": 0.8,  # a re-read panel counts as a sign when read this surely
    },
    needs=("text", "logo"),
)
def signs_lit(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    from auditor.checks.registry import get_check

    night_defaults = get_check("lighting.night").defaults
    night_params = {**night_defaults, **{k: v for k, v in params.items() if k in night_defaults}}
    is_night, night_conf, reason, _ = night_evidence(ctx, night_params)
    thresholds = {"min_contrast": params["min_contrast"], "min_luma": params["min_luma"]}
    findings, lit_ok, worst = _judge_signs(ctx, params, thresholds, panels=is_night)
    if not is_night:
        # Measured anyway (an indoor lit sign is still lit; the signals are shared with the signage and
        # logo checks that the same areas run), but judged only at night.
        return CheckResult("lighting.signs_lit", Verdict.NOT_APPLICABLE, confidence=night_conf,
                           message=f"not a night photo ({reason}): sign lighting is judged at night",
                           findings=tuple(findings),
                           values={"signs_lit": lit_ok, "worst_contrast": worst, "night": False, "signs": len(findings)},
                           thresholds=thresholds)
    if not findings:
        # A lit sign is the most legible thing in a night photo: finding no sign text or logo at all
        # suggests the signs in view are dark, but that is for a person to confirm.
        return CheckResult("lighting.signs_lit", Verdict.UNSURE, confidence=0.35,
                           message="night photo and no lit sign (logo or legible text) found: signs may be dark",
                           values={"signs_lit": False, "worst_contrast": None, "night": True, "signs": 0},
                           thresholds=thresholds)
    dark = [f for f in findings if f.kind == "dark_sign"]
    deciding = _deciding(findings)
    conf = float(np.mean([f.confidence for f in deciding])) * night_conf ** 0.5
    if lit_ok:
        message = f"{len(findings) - len(dark)} of {len(findings)} sign regions lit"
    else:
        d = min((f for f in deciding if f.kind == "dark_sign"), key=lambda f: f.measured["contrast"])
        what = f"'{d.measured['text']}' " if d.measured.get("text") else ""
        message = (f"dark sign {what}at night: brightness {d.measured['brightness']:.0f} vs surroundings "
                   f"{d.measured['surroundings']:.0f} (x{d.measured['contrast']:.1f}; lit needs "
                   f"x{params['min_contrast']:g} and brightness {params['min_luma']:g})")
    return CheckResult(
        "lighting.signs_lit", Verdict.PASS if lit_ok else Verdict.FAIL, confidence=conf, message=message,
        findings=tuple(findings),
        values={"signs_lit": lit_ok, "worst_contrast": worst, "night": True, "signs": len(findings), "dark_signs": len(dark)},
        thresholds=thresholds,
    )


def _largest_half(findings: list[Finding]) -> list[Finding]:
    """A sign is judged by its large regions; stray small text (a plate, a poster) does not decide it."""
    return sorted(findings, key=lambda f: -f.region.area)[: max(1, (len(findings) + 1) // 2)]


def _deciding(findings: list[Finding]) -> list[Finding]:
    """The regions that decide: the brand's own signs (logo, brand-pack texts, re-read dark panels) when
    any is in view, else every sign region; of those the large half, plus every dark brand panel
    (an unlit main sign is not outvoted by a lit decal beside it)."""
    main = [f for f in findings if f.measured.get("brand")]
    pool = main or findings
    out = _largest_half(pool)
    out += [f for f in pool if f.measured.get("source") == "panel" and f.kind == "dark_sign" and f not in out]
    return out


def _judge_signs(ctx: PhotoContext, params: Mapping[str, Any], thresholds,
                 panels: bool = False) -> tuple[list[Finding], bool | None, float | None]:
    """(a finding per sign region, the deciding regions all lit?, the lowest contrast) — (.., None, None) without signs.

    With `panels` (night), unread panels that do not glow are re-read (`dim_sign_panels`).
    """
    gray = ctx.gray
    findings: list[Finding] = []
    regions = [(kind, region, text, "ocr" if kind == "text" else "logo") for kind, region, text in
               sign_regions(ctx, params["min_text_height_px"])]
    if panels:
        regions += [("panel", p.region, text, "panel") for p, text, _ in dim_sign_panels(ctx, params)]
    for kind, region, text, source in regions:
        m = region_contrast(gray, region)
        if m is None:
            continue
        inside, near = m
        far = far_surroundings(gray, region)
        # lit: brighter than what is right around it, or (a light-faced box) than the scene beyond its panel
        ring = near if far is None else min(near, far)
        contrast = (inside + 10.0) / (ring + 10.0)
        lit = contrast >= params["min_contrast"] and inside >= params["min_luma"]
        brand = True if kind == "logo" else brand_text(ctx, text)
        label = f"{kind} '{text}'" if text else kind
        findings.append(Finding(
            "lit_sign" if lit else "dark_sign",
            f"{label} {'lit' if lit else 'not lit'}: brightness {inside:.0f} vs surroundings {ring:.0f} (x{contrast:.1f})",
            region, measured={"brightness": round(inside, 1), "surroundings": round(ring, 1), "contrast": round(contrast, 2),
                              "near_surroundings": round(near, 1),
                              "far_surroundings": None if far is None else round(far, 1),
                              "text": text, "brand": bool(brand), "source": source},
            thresholds=thresholds, confidence=_conf(abs(contrast - params["min_contrast"]) / params["min_contrast"] * 2),
        ))
    if not findings:
        return findings, None, None
    lit_ok = not any(f.kind == "dark_sign" for f in _deciding(findings))
    return findings, lit_ok, round(min(f.measured["contrast"] for f in findings), 3)
