"""clean.defects: litter, clutter, stains, rust, damage, dirty glass and dead greenery, located.

The learned defect head gives a per-cell probability map per kind (`net` signal);
its cells above the threshold become regions (connected components of the map
upsampled over the photo). Rust is also judged by colour and texture: a rust region
must hold enough rust-coloured pixels (brown-orange, moderate chroma, not bright)
with a mottled texture, so flat orange plaques, grass and skin are not called rust;
strong colour-and-texture evidence with some support from the head finds rust the
head alone missed.
"""
from __future__ import annotations

from typing import Any, Mapping

import cv2
import numpy as np

from auditor.checks import netsignal
from auditor.checks.netsignal import DEFECT_KINDS, NetOutputs, downscaled
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Region, Verdict

EVIDENCE_SIDE = 320  # long side (px) at which colour/texture evidence is measured

_ = netsignal  # the `net` signal's providers register on import


@register(
    "clean.defects",
    title_en="Cleanliness and condition",
    title_zh="清洁与完好",
    defaults={
        "kinds": None,  # None = every kind; or a list of DEFECT_KINDS
        "threshold": 0.55,  # head probability that makes a cell a defect (chosen on the validation split)
        "min_share": 0.0005,  # smallest region kept, as a share of the photo
        "rust_min_evidence": 0.2,  # rust found by the head needs at least this colour/texture evidence
        "rust_strong_evidence": 0.7,  # evidence alone calls rust when the head gives at least rust_head_support
        "rust_head_support": 0.15,
        "rust_min_lightness": 25.0,  # L* (0..100) of a cell below which colour cannot overrule the head
        # Kinds whose head findings fail a photo on their own. The head learned from generated
        # photos and over-fires on real ones (models/weights/clean.md), so by default only rust
        # confirmed by colour/texture evidence fails; other findings ask a person (unsure).
        "decisive_kinds": [],
    },
    needs=("net",),
)
def find_defects(ctx, params: Mapping[str, Any]) -> CheckResult:
    net: NetOutputs = ctx.get("net")
    kinds = tuple(params.get("kinds") or DEFECT_KINDS)
    unknown = [k for k in kinds if k not in DEFECT_KINDS]
    if unknown:
        raise ValueError(f"clean.defects: unknown defect kinds {unknown} (known: {', '.join(DEFECT_KINDS)})")
    thr = float(params["threshold"])
    thresholds = {"threshold": thr, "min_share": params["min_share"], "rust_min_evidence": params["rust_min_evidence"],
                  "rust_strong_evidence": params["rust_strong_evidence"]}
    if net.defect_prob is None:
        return CheckResult("clean.defects", Verdict.UNSURE, 0.0,
                           message="no weights for the cleanliness head (run `auditor train --head clean`)",
                           values={"clean": None, "kinds": []}, thresholds=thresholds)
    rgb = ctx.photo.rgb
    H, W = rgb.shape[:2]
    prob = net.defect_prob.copy()
    evidence = None
    if "rust" in kinds:
        r = DEFECT_KINDS.index("rust")
        small = downscaled(ctx, 1024)[0]
        evidence = rust_evidence_map(small, prob.shape[1:])
        judgeable = cell_lightness(small, prob.shape[1:]) >= params["rust_min_lightness"]
        head = prob[r]
        # colour decides only where there is light enough to see colour; in the dark the head stands alone
        gated = np.where((evidence >= params["rust_min_evidence"]) | ~judgeable, head, np.minimum(head, thr * 0.5))
        strong = (evidence >= params["rust_strong_evidence"]) & (head >= params["rust_head_support"])
        prob[r] = np.where(strong, np.maximum(gated, 0.5 * (head + evidence)), gated)

    findings: list[Finding] = []
    scores: dict[str, float] = {}
    for kind in kinds:
        k = DEFECT_KINDS.index(kind)
        scores[kind] = round(float(prob[k].max()), 4)
        for box, peak, share in defect_regions(prob[k], (W, H), thr, float(params["min_share"])):
            measured: dict[str, Any] = {"peak_probability": round(peak, 4), "share": round(share, 5),
                                        "head_probability": round(float(_box_max(net.defect_prob[k], box, (W, H))), 4)}
            if kind == "rust" and evidence is not None:
                measured["rust_evidence"] = round(float(_box_max(evidence, box, (W, H))), 4)
            findings.append(Finding(kind, f"{kind.replace('_', ' ')} ({peak:.0%}, {share:.1%} of the photo)",
                                    Region(box), measured, {"threshold": thr}, peak))
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
        return CheckResult("clean.defects", Verdict.UNSURE, worst, score=1.0 - worst,
                           message=f"possibly {msg}: the learned head alone does not decide, please check",
                           findings=tuple(findings), values=values, thresholds=thresholds)
    top = max(scores.values()) if scores else 0.0
    verdict = Verdict.PASS if top < thr * 0.8 else Verdict.UNSURE
    return CheckResult("clean.defects", verdict, 1.0 - top, score=1.0 - top,
                       message=f"clean (highest defect probability {top:.0%})", values=values, thresholds=thresholds)


def _decisive(finding: Finding, params: Mapping[str, Any]) -> bool:
    """May this finding fail the photo by itself (see `decisive_kinds`)?"""
    if finding.kind in (params.get("decisive_kinds") or ()):
        return True
    return finding.kind == "rust" and finding.measured.get("rust_evidence", 0.0) >= params["rust_strong_evidence"]


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
    H, W = rgb.shape[:2]
    s = EVIDENCE_SIDE / max(H, W)
    small = cv2.resize(rgb, (max(8, int(W * s)), max(8, int(H * s))), interpolation=cv2.INTER_AREA) if s < 1 else rgb
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    mask = rust_colour_mask(lab).astype(np.float32)
    L = lab[..., 0]
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    mottling = _local_std(L, 5) + 0.5 * _local_std(chroma, 5)
    gh, gw = grid_hw
    share = cv2.resize(mask, (gw, gh), interpolation=cv2.INTER_AREA)
    texture = cv2.resize(mottling * mask, (gw, gh), interpolation=cv2.INTER_AREA) / np.maximum(share, 1e-6)
    return (np.clip(share / 0.4, 0, 1) * np.clip((texture - 2.0) / 5.0, 0, 1)).astype(np.float32)


def cell_lightness(rgb: np.ndarray, grid_hw: tuple[int, int]) -> np.ndarray:
    """(gh, gw) mean L* (0..100) of each grid cell of an RGB uint8 image."""
    gh, gw = grid_hw
    cells = cv2.resize(rgb, (gw, gh), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(cells.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)[..., 0]


def _local_std(x: np.ndarray, k: int) -> np.ndarray:
    m = cv2.blur(x, (k, k))
    m2 = cv2.blur(x * x, (k, k))
    return np.sqrt(np.maximum(m2 - m * m, 0))


def _box_max(grid: np.ndarray, box, image_wh) -> float:
    gh, gw = grid.shape
    W, H = image_wh
    x0, y0 = int(box[0] / W * gw), int(box[1] / H * gh)
    x1, y1 = max(x0 + 1, int(np.ceil(box[2] / W * gw))), max(y0 + 1, int(np.ceil(box[3] / H * gh)))
    return float(grid[y0:y1, x0:x1].max())
