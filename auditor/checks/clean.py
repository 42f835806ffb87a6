"""clean.defects: litter, clutter, stains, rust, damage, dirty glass and dead greenery, located.

The learned defect head gives a per-cell probability map per kind (`net` signal);
its cells above the kind's threshold become regions (connected components of the map
upsampled over the photo), each a finding with kind, confidence and box. A second, closer
look (`defect_zoom` signal) runs the head on the ground band at twice the scale, where
litter and stains are otherwise smaller than one cell; its regions join the first look's
(measured "look": photo, closer or both). Rust is also
judged by colour and texture, per region: a region the head calls rust must hold
rust-coloured pixels (brown-orange, moderate chroma, not bright; never inside a
detected person) with a mottled texture, measured over the whole region because rust
on a railing covers its thin bars, not whole cells. Flat orange plaques, paint and wood
are vetoed; in the dark, where colour cannot be judged, the head stands alone. Strong
colour-and-texture evidence with some support from the head finds rust the head alone
missed. Only lit, colour-confirmed rust fails a photo by default; other findings are unsure.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

import cv2
import numpy as np

from auditor.checks import netsignal
from auditor.checks.context import batch_signal, signal
from auditor.checks.netsignal import DEFECT_KINDS, NetOutputs
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Region, Verdict

EVIDENCE_SIDE = 320  # long side (px) at which colour/texture evidence is measured

_ = netsignal  # the `net` signal's providers register on import

# The closer look: the ground band (lower half of the photo), where litter and stains lie, is
# run through the backbone and the defect head again at twice the scale. At the whole photo's
# 384 px a bottle is 8 x 5 px and a puddle 30 x 10, under one 16 px cell; at 2x they cover cells.
ZOOM_BAND = (0.0, 0.5, 1.0, 1.0)  # (x0, y0, x1, y1) as fractions of the photo
ZOOM = 2.0


@dataclass(frozen=True, eq=False)
class ZoomLook:
    """The defect head's per-cell probabilities (7, gh, gw) over `band` (fractions of the photo)."""

    band: tuple[float, float, float, float]
    prob: np.ndarray


@signal("defect_zoom")
def zoom_for_photo(ctx) -> ZoomLook | None:
    return zoom_for_photos([ctx])[0]


@batch_signal("defect_zoom")
def zoom_for_photos(contexts) -> list[ZoomLook | None]:
    from auditor import inference  # torch is imported here, on first use only

    probs = inference.run_defects_zoomed([c.photo.rgb for c in contexts], ZOOM_BAND, ZOOM)
    return [None if p is None else ZoomLook(ZOOM_BAND, p) for p in probs]


@register(
    "clean.defects",
    title_en="Cleanliness and condition",
    title_zh="清洁与完好",
    defaults={
        "kinds": None,  # None = every kind; or a list of DEFECT_KINDS
        # head probability that makes a cell a defect, and per-kind overrides (chosen on the
        # generated validation split, models/weights/clean.md)
        "threshold": 0.65,
        "kind_thresholds": {"damage": 0.5, "dead_greenery": 0.55, "dirty_glass": 0.9, "litter": 0.8, "rust": 0.75},
        # smallest region kept, as a share of the photo: a single confident cell (a bottle on the
        # floor) is about 0.0003 of the photo and must stay
        "min_share": 0.0002,
        # the closer look at the ground band (ZOOM_BAND at ZOOM x): its own thresholds, for these kinds
        "zoom": True,
        "zoom_kinds": ["litter", "stain", "clutter"],
        "zoom_threshold": 0.65,
        "zoom_kind_thresholds": {"litter": 0.4},
        # rust regions of the head are confirmed by the colour and texture inside the region
        "rust_min_evidence": 0.15,  # below this (in a lit region) colour overrules the head: not rust
        "rust_strong_evidence": 0.7,  # confirmed rust; cell evidence alone calls rust with rust_head_support
        "rust_head_support": 0.15,
        "rust_min_lightness": 25.0,  # L* (0..100) below which colour cannot judge: the head stands alone
        # Kinds whose head findings fail a photo on their own. The head learned from generated
        # photos and over-fires on real ones (models/weights/clean.md), so by default only rust
        # confirmed by colour/texture evidence fails; other findings ask a person (unsure).
        "decisive_kinds": [],
    },
    needs=("net", "defect_zoom", "reference_diff"),
    needs_if={"defect_zoom": lambda p: bool(p.get("zoom", True)) and any(
        k in (p.get("kinds") or DEFECT_KINDS) for k in (p.get("zoom_kinds") or ()))},
)
def find_defects(ctx, params: Mapping[str, Any]) -> CheckResult:
    net: NetOutputs = ctx.get("net")
    kinds = tuple(params.get("kinds") or DEFECT_KINDS)
    zoom_kinds = tuple(k for k in (params.get("zoom_kinds") or ()) if k in kinds) if params.get("zoom", True) else ()
    unknown = [k for k in (*kinds, *(params.get("kind_thresholds") or {}), *(params.get("zoom_kinds") or ()),
                           *(params.get("zoom_kind_thresholds") or {})) if k not in DEFECT_KINDS]
    if unknown:
        raise ValueError(f"clean.defects: unknown defect kinds {unknown} (known: {', '.join(DEFECT_KINDS)})")
    kind_thr = {k: float((params.get("kind_thresholds") or {}).get(k, params["threshold"])) for k in kinds}
    zoom_thr = {k: float((params.get("zoom_kind_thresholds") or {}).get(k, params.get("zoom_threshold", 0.65)))
                for k in zoom_kinds}
    thresholds = {"threshold": float(params["threshold"]), "kind_thresholds": kind_thr,
                  "zoom_kind_thresholds": zoom_thr,
                  "min_share": params["min_share"], "rust_min_evidence": params["rust_min_evidence"],
                  "rust_strong_evidence": params["rust_strong_evidence"],
                  "rust_min_lightness": params["rust_min_lightness"]}
    if net.defect_prob is None:
        return CheckResult("clean.defects", Verdict.UNSURE, 0.0,
                           message="no weights for the cleanliness head (run `auditor train --head clean`)",
                           values={"clean": None, "kinds": []}, thresholds=thresholds)
    rgb = ctx.photo.rgb
    H, W = rgb.shape[:2]
    prob = net.defect_prob.copy()
    colour = None
    if "rust" in kinds:
        r = DEFECT_KINDS.index("rust")
        colour = RustColour.measure(ctx.downscaled(1024)[0], _person_boxes(net, (W, H)))
        cell_ev = colour.cell_evidence(prob.shape[1:])
        head = prob[r]
        # strong colour-and-texture evidence with some support from the head finds rust the head missed
        strong = (cell_ev >= params["rust_strong_evidence"]) & (head >= params["rust_head_support"])
        prob[r] = np.where(strong, np.maximum(head, 0.5 * (head + cell_ev)), head)

    zoom: ZoomLook | None = ctx.get("defect_zoom") if zoom_kinds else None
    findings: list[Finding] = []
    scores: dict[str, float] = {}
    for kind in kinds:
        k = DEFECT_KINDS.index(kind)
        thr = kind_thr[kind]
        regions = [(box, peak, share, "photo") for box, peak, share
                   in defect_regions(prob[k], (W, H), thr, float(params["min_share"]))]
        if zoom is not None and kind in zoom_thr:
            regions += [(box, peak, share, "closer") for box, peak, share
                        in zoom_regions(zoom, k, (W, H), zoom_thr[kind], float(params["min_share"]))]
        for box, peak, share, look in merge_regions(regions):
            measured: dict[str, Any] = {"peak_probability": round(peak, 4), "share": round(share, 5), "look": look,
                                        "head_probability": round(float(grid_max_in_box(net.defect_prob[k], box, (W, H))), 4)}
            if kind == "rust" and colour is not None:
                ev = colour.region(box, (W, H))
                measured.update(rust_evidence=ev["evidence"], rust_colour_share=ev["share"],
                                rust_mottling=ev["mottling"], lightness=ev["lightness"])
                lit = ev["lightness"] >= params["rust_min_lightness"]
                if lit and ev["evidence"] < params["rust_min_evidence"]:
                    # the head saw rust where there is no rust colour (a plaque, paint, wood): veto the region
                    _damp(prob[k], box, (W, H), thr * 0.5)
                    continue
            used_thr = thr if look == "photo" else zoom_thr[kind] if look == "closer" else min(thr, zoom_thr[kind])
            findings.append(Finding(kind, f"{kind.replace('_', ' ')} ({peak:.0%}, {share:.1%} of the photo)",
                                    Region(box), measured, {"threshold": used_thr}, peak))
    if zoom is not None:
        prob = with_zoom(prob, zoom, [DEFECT_KINDS.index(k) for k in zoom_thr])
    scores = {kind: round(float(prob[DEFECT_KINDS.index(kind)].max()), 4) for kind in kinds}
    findings.sort(key=lambda f: -f.confidence)
    found = sorted({f.kind for f in findings})
    heat = prob[[DEFECT_KINDS.index(k) for k in kinds]].max(axis=0)
    values = {"clean": not findings, "kinds": found, "scores": scores,
              "heatmap": np.round(heat, 2).tolist(), "heatmap_kinds": list(kinds)}
    if findings:
        worst = findings[0].confidence
        msg = "not clean: " + ", ".join(f"{k.replace('_', ' ')} x{sum(f.kind == k for f in findings)}" for k in found)
        decisive = [f for f in findings if _decisive(f, params)]
        if decisive:
            return CheckResult("clean.defects", Verdict.FAIL, decisive[0].confidence, score=1.0 - worst, message=msg,
                               findings=tuple(findings), values=values, thresholds=thresholds)
        reference = _unchanged_reference(ctx, findings)
        if reference is not None:
            # the approved reference photo of this view looks the same where the head fired
            findings = [replace(f, measured={**f.measured, "unchanged_since_reference": reference}) for f in findings]
            return CheckResult("clean.defects", Verdict.PASS, 0.6, score=1.0 - worst,
                               message=f"possibly {msg}, but unchanged since the approved reference photo {reference}",
                               findings=tuple(findings), values={**values, "reference": reference},
                               thresholds=thresholds)
        return CheckResult("clean.defects", Verdict.UNSURE, worst, score=1.0 - worst,
                           message=f"possibly {msg}: the learned head alone does not decide, please check",
                           findings=tuple(findings), values=values, thresholds=thresholds)
    top = max(scores[k] / min(kind_thr[k], zoom_thr.get(k, 1.0)) for k in kinds) if kinds else 0.0
    top_p = max(scores.values()) if scores else 0.0
    verdict = Verdict.PASS if top < 0.8 else Verdict.UNSURE
    return CheckResult("clean.defects", verdict, float(np.clip(1.0 - top_p, 0, 1)), score=1.0 - top_p,
                       message=f"clean (highest defect probability {top_p:.0%})", values=values, thresholds=thresholds)


def _unchanged_reference(ctx, findings: list[Finding]) -> str | None:
    """The approved reference photo's name when it aligns and no finding lies where the view changed."""
    if not getattr(ctx, "references", ()):
        return None
    diff = ctx.get("reference_diff")
    if diff is None or diff.reference is None:
        return None
    for f in findings:
        x0, y0, x1, y1 = f.region.xyxy
        for ch in diff.changes:
            if ch.box_xyxy[0] < x1 and ch.box_xyxy[2] > x0 and ch.box_xyxy[1] < y1 and ch.box_xyxy[3] > y0:
                return None
    return diff.reference.source


def _decisive(finding: Finding, params: Mapping[str, Any]) -> bool:
    """May this finding fail the photo by itself (see `decisive_kinds`)?

    Rust does when its region holds strong rust colour-and-texture evidence in light good
    enough to see colour.
    """
    if finding.kind in (params.get("decisive_kinds") or ()):
        return True
    m = finding.measured
    return (finding.kind == "rust" and m.get("rust_evidence", 0.0) >= params["rust_strong_evidence"]
            and m.get("lightness", 0.0) >= params["rust_min_lightness"])


def _person_boxes(net: NetOutputs, image_wh) -> list:
    """Confident person boxes as fractions of the image: skin and clothing are never rust."""
    W, H = image_wh
    return [(b[0] / W, b[1] / H, b[2] / W, b[3] / H) for b in net.confident_person_boxes(PERSON_EXCLUDE_SCORE)]


PERSON_EXCLUDE_SCORE = 0.45  # the people check's own threshold
REGION_SHARE_FULL = 0.1  # share of a region's pixels in rust colour that counts as full colour evidence


class RustColour:
    """Rust colour and texture measured once per photo at EVIDENCE_SIDE, read per cell or per region."""

    def __init__(self, lab: np.ndarray, mask: np.ndarray, mottling: np.ndarray):
        self.lab, self.mask, self.mottling = lab, mask, mottling

    @classmethod
    def measure(cls, rgb: np.ndarray, exclude_frac=()) -> "RustColour":
        small = _evidence_image(rgb)
        lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
        mask = rust_colour_mask(lab)
        h, w = mask.shape
        for x0, y0, x1, y1 in exclude_frac:
            mask[int(max(0, y0) * h):int(np.ceil(min(1, y1) * h)), int(max(0, x0) * w):int(np.ceil(min(1, x1) * w))] = False
        return cls(lab, mask, _mottling(lab))

    def cell_evidence(self, grid_hw: tuple[int, int]) -> np.ndarray:
        return _cell_evidence(self.mask.astype(np.float32), self.mottling, grid_hw)

    def region(self, box_xyxy, image_wh) -> dict[str, float]:
        """Colour evidence inside a box of the photo: share of rust-coloured pixels, their mottling
        and lightness, and evidence = clip(share / REGION_SHARE_FULL) x clip((mottling - 2) / 5).

        A railing's rust covers a small share of its region (thin bars): full share evidence is
        reached at REGION_SHARE_FULL, not at a cell's 40 %.
        """
        h, w = self.mask.shape
        W, H = image_wh
        x0, y0 = int(box_xyxy[0] / W * w), int(box_xyxy[1] / H * h)
        x1, y1 = max(x0 + 1, int(np.ceil(box_xyxy[2] / W * w))), max(y0 + 1, int(np.ceil(box_xyxy[3] / H * h)))
        m = self.mask[y0:y1, x0:x1]
        L = self.lab[y0:y1, x0:x1, 0]
        share = float(m.mean()) if m.size else 0.0
        mott = float(self.mottling[y0:y1, x0:x1][m].mean()) if m.any() else 0.0
        light = float(np.median(L[m])) if m.sum() >= 5 else float(np.median(L)) if L.size else 0.0
        ev = float(np.clip(share / REGION_SHARE_FULL, 0, 1) * np.clip((mott - 2.0) / 5.0, 0, 1))
        return {"evidence": round(ev, 4), "share": round(share, 4), "mottling": round(mott, 2),
                "lightness": round(light, 1)}


def defect_regions(prob: np.ndarray, image_wh: tuple[int, int], threshold: float, min_share: float):
    """Regions where a (gh, gw) probability map is >= threshold.

    The map is upsampled to 1/8 of the photo and split into connected components.
    Returns [(box_xyxy in photo pixels, peak probability, share of the photo)].
    """
    W, H = image_wh
    if prob.max() < threshold:
        return []
    fine_w, fine_h = max(prob.shape[1], W // 8), max(prob.shape[0], H // 8)
    fine = cv2.resize(prob.astype(np.float32), (fine_w, fine_h), interpolation=cv2.INTER_LINEAR)
    mask = (fine >= threshold).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    sx, sy = W / fine_w, H / fine_h
    out = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        share = area / float(fine_w * fine_h)
        if share < min_share:
            continue
        peak = float(fine[labels == i].max())
        out.append(((float(x * sx), float(y * sy), float((x + w) * sx), float((y + h) * sy)), peak, float(share)))
    return out


def zoom_regions(zoom: ZoomLook, k: int, image_wh: tuple[int, int], threshold: float, min_share: float):
    """`defect_regions` of the closer look's map of kind index `k`, in photo pixels and photo shares."""
    W, H = image_wh
    fx0, fy0, fx1, fy1 = zoom.band
    bx0, by0 = fx0 * W, fy0 * H
    bw, bh = (fx1 - fx0) * W, (fy1 - fy0) * H
    frac = (fx1 - fx0) * (fy1 - fy0)
    out = []
    for (x0, y0, x1, y1), peak, share in defect_regions(zoom.prob[k], (int(round(bw)), int(round(bh))),
                                                        threshold, min_share / frac):
        out.append(((bx0 + x0, by0 + y0, bx0 + x1, by0 + y1), peak, share * frac))
    return out


def merge_regions(regions):
    """Regions of one kind from both looks, overlapping ones joined: [(box, peak, share, look)].

    look: "photo", "closer", or "both" when the whole-photo look and the closer look agree.
    """
    merged: list[list] = []
    for box, peak, share, look in sorted(regions, key=lambda r: -r[1]):
        for m in merged:
            b = m[0]
            if box[0] < b[2] and box[2] > b[0] and box[1] < b[3] and box[3] > b[1]:
                m[0] = (min(b[0], box[0]), min(b[1], box[1]), max(b[2], box[2]), max(b[3], box[3]))
                m[1], m[2] = max(m[1], peak), max(m[2], share)
                m[3] = m[3] if m[3] == look else "both"
                break
        else:
            merged.append([box, peak, share, look])
    return [tuple(m) for m in merged]


def with_zoom(prob: np.ndarray, zoom: ZoomLook, kind_idx: list[int]) -> np.ndarray:
    """The (7, gh, gw) map with the closer look's probabilities of `kind_idx` max-pooled into its cells."""
    out = prob.copy()
    _, gh, gw = prob.shape
    _, zh, zw = zoom.prob.shape
    fx0, fy0, fx1, fy1 = zoom.band
    rows = np.minimum(gh - 1, ((fy0 + (np.arange(zh) + 0.5) / zh * (fy1 - fy0)) * gh).astype(int))
    cols = np.minimum(gw - 1, ((fx0 + (np.arange(zw) + 0.5) / zw * (fx1 - fx0)) * gw).astype(int))
    for k in kind_idx:
        np.maximum.at(out[k], (rows[:, None], cols[None, :]), zoom.prob[k])
    return out


def rust_colour_mask(lab: np.ndarray) -> np.ndarray:
    """HxW bool: pixels of rust colour in a float Lab image (L 0..100).

    Rust is brown-orange (hue 25..75 deg), of moderate chroma (10..55) and not bright
    (L 12..68): saturated orange paint, yellow, grass and light skin fall outside.
    """
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a))
    return (hue >= 25) & (hue <= 75) & (chroma >= 10) & (chroma <= 55) & (L >= 12) & (L <= 68)


def rust_evidence_map(rgb: np.ndarray, grid_hw: tuple[int, int]) -> np.ndarray:
    """(gh, gw) evidence in [0, 1] that each cell shows rust, from colour and texture.

    Evidence = share of rust-coloured pixels (saturating at 40 %) x mottling (local
    standard deviation of L* and of chroma among them; flat paint has none).
    """
    lab = cv2.cvtColor(_evidence_image(rgb).astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return _cell_evidence(rust_colour_mask(lab).astype(np.float32), _mottling(lab), grid_hw)


def _evidence_image(rgb: np.ndarray) -> np.ndarray:
    H, W = rgb.shape[:2]
    s = EVIDENCE_SIDE / max(H, W)
    return cv2.resize(rgb, (max(8, int(W * s)), max(8, int(H * s))), interpolation=cv2.INTER_AREA) if s < 1 else rgb


def _mottling(lab: np.ndarray) -> np.ndarray:
    return _local_std(lab[..., 0], 5) + 0.5 * _local_std(np.hypot(lab[..., 1], lab[..., 2]), 5)


def _cell_evidence(mask: np.ndarray, mottling: np.ndarray, grid_hw: tuple[int, int]) -> np.ndarray:
    gh, gw = grid_hw
    share = cv2.resize(mask, (gw, gh), interpolation=cv2.INTER_AREA)
    texture = cv2.resize(mottling * mask, (gw, gh), interpolation=cv2.INTER_AREA) / np.maximum(share, 1e-6)
    return (np.clip(share / 0.4, 0, 1) * np.clip((texture - 2.0) / 5.0, 0, 1)).astype(np.float32)


def _local_std(x: np.ndarray, k: int) -> np.ndarray:
    m = cv2.blur(x, (k, k))
    m2 = cv2.blur(x * x, (k, k))
    return np.sqrt(np.maximum(m2 - m * m, 0))


def _damp(grid: np.ndarray, box, image_wh, ceiling: float) -> None:
    """Cap a (gh, gw) map at `ceiling` over the cells a photo box touches, in place."""
    gh, gw = grid.shape
    W, H = image_wh
    x0, y0 = int(box[0] / W * gw), int(box[1] / H * gh)
    x1, y1 = max(x0 + 1, int(np.ceil(box[2] / W * gw))), max(y0 + 1, int(np.ceil(box[3] / H * gh)))
    np.minimum(grid[y0:y1, x0:x1], ceiling, out=grid[y0:y1, x0:x1])


def grid_max_in_box(grid: np.ndarray, box, image_wh) -> float:
    """Peak of a (gh, gw) grid over the cells a box (xyxy in image pixels) touches."""
    gh, gw = grid.shape
    W, H = image_wh
    x0, y0 = int(box[0] / W * gw), int(box[1] / H * gh)
    x1, y1 = max(x0 + 1, int(np.ceil(box[2] / W * gw))), max(y0 + 1, int(np.ceil(box[3] / H * gh)))
    return float(grid[y0:y1, x0:x1].max())
