"""clean.reference: what changed since the site's approved reference photo of the same view.

The `reference_diff` signal aligns the photo with each approved reference of its site and
area (`PhotoContext.references`), keeps the best-aligned one, and finds the regions that
differ (auditor.scene_diff). The check then asks the learned defect head about each
changed region: a change where the head sees a defect is a confirmed defect and fails
the photo, which the head alone may not do on real photos (clean.defects leaves its
findings unsure); changes the head does not recognise are shown for a person to judge.
Changes on people are ignored: staff and customers move.

With no reference photo the check is not applicable; when no reference aligns (another
view, too far from the reference spot) it is unsure and asks for a retake.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from auditor import scene_diff
from auditor.checks import netsignal
from auditor.checks.clean import grid_max_in_box
from auditor.checks.context import signal
from auditor.checks.netsignal import NetOutputs
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Photo, Region, Verdict

_ = netsignal  # the `net` signal's providers register on import

PERSON_SCORE = 0.45  # person boxes at least this sure mask changes (people move)


@dataclass(frozen=True)
class ReferenceDiff:
    """The best-aligned reference and what changed against it (changes empty when not aligned)."""

    reference: Photo | None
    alignment: scene_diff.Alignment
    changes: tuple[scene_diff.Change, ...]
    tried: int  # references tried


@signal("reference_diff")
def reference_diff(ctx, threshold: float = 15.0, min_share: float = 0.0015) -> ReferenceDiff | None:
    """None when the photo has no reference; else the comparison with the best-aligned one."""
    refs = tuple(ctx.references)
    if not refs:
        return None
    best: tuple[Photo, scene_diff.Alignment] | None = None
    failed: scene_diff.Alignment | None = None
    features = scene_diff.describe(ctx.photo.rgb)
    for ref in refs:
        a = scene_diff.align(ctx.photo.rgb, ref.rgb, reference_key=ref.sha256, current_features=features)
        if a.ok and (best is None or a.quality > best[1].quality):
            best = (ref, a)
        elif not a.ok and failed is None:
            failed = a
    if best is None:
        return ReferenceDiff(None, failed, (), len(refs))
    ref, a = best
    return ReferenceDiff(ref, a, tuple(scene_diff.changes(ctx.photo.rgb, ref.rgb, a, threshold, min_share)), len(refs))


@register(
    "clean.reference",
    title_en="Changes against the approved reference photo",
    title_zh="与标准参考照片对比",
    defaults={
        "defect_threshold": 0.35,  # head probability inside a changed region that confirms a defect
        "kinds": None,  # defect kinds that may confirm a change (None = every kind)
        "unsure_share": 0.02,  # unexplained change above this share of the view asks a person
    },
    needs=("net", "reference_diff"),
)
def compare_with_reference(ctx, params: Mapping[str, Any]) -> CheckResult:
    diff: ReferenceDiff | None = ctx.get("reference_diff")
    thresholds = {"defect_threshold": params["defect_threshold"], "unsure_share": params["unsure_share"],
                  "min_alignment_inliers": scene_diff.ALIGN_LIMITS["min_inliers"]}
    if diff is None:
        return CheckResult("clean.reference", Verdict.NOT_APPLICABLE, 1.0,
                           message="no approved reference photo for this view", values={"aligned": None},
                           thresholds=thresholds)
    if diff.reference is None:
        return CheckResult("clean.reference", Verdict.UNSURE, 0.0,
                           message=f"could not align with any of {diff.tried} reference photo(s): {diff.alignment.reason}; "
                                   "retake from the reference spot",
                           values={"aligned": False, **diff.alignment.measured}, thresholds=thresholds)
    net: NetOutputs = ctx.get("net")
    kinds = tuple(params.get("kinds") or netsignal.DEFECT_KINDS)
    people = net.confident_person_boxes(PERSON_SCORE)
    findings: list[Finding] = []
    unexplained = 0.0
    quality = diff.alignment.quality
    for ch in diff.changes:
        if _mostly_inside_any(ch.box_xyxy, people):
            continue
        kind, p = _head_in_box(net, ch.box_xyxy, kinds)
        measured = {"difference": round(ch.mean_difference, 1), "peak_difference": round(ch.peak_difference, 1),
                    "share": round(ch.share, 4), "head_kind": kind, "head_probability": round(p, 3)}
        region = Region.from_xywh(ch.box_xyxy[0], ch.box_xyxy[1], ch.box_xyxy[2] - ch.box_xyxy[0],
                                  ch.box_xyxy[3] - ch.box_xyxy[1])
        if p >= params["defect_threshold"]:
            findings.append(Finding(kind, f"{kind.replace('_', ' ')} where the approved reference shows none "
                                          f"(difference ΔE {ch.mean_difference:.0f}, head {p:.0%})",
                                    region, measured, {"defect_threshold": params["defect_threshold"]},
                                    confidence=float(min(1.0, p + 0.3) * quality)))
        else:
            unexplained += ch.share
            findings.append(Finding("change", f"changed since the approved reference (ΔE {ch.mean_difference:.0f}); "
                                              "not recognised as a defect", region, measured,
                                    {"defect_threshold": params["defect_threshold"]},
                                    confidence=float(quality * min(1.0, ch.mean_difference / 30.0))))
    confirmed = [f for f in findings if f.kind != "change"]
    values = {"aligned": True, "reference": diff.reference.source, "confirmed": sorted({f.kind for f in confirmed}),
              "changed_share": round(sum(c.share for c in diff.changes), 4), "unexplained_share": round(unexplained, 4),
              **diff.alignment.measured}
    if confirmed:
        kinds_txt = ", ".join(sorted({f.kind.replace("_", " ") for f in confirmed}))
        return CheckResult("clean.reference", Verdict.FAIL, max(f.confidence for f in confirmed),
                           message=f"{kinds_txt} not in the approved reference photo", findings=tuple(findings),
                           values=values, thresholds=thresholds)
    if unexplained >= params["unsure_share"]:
        return CheckResult("clean.reference", Verdict.UNSURE, quality * 0.5,
                           message=f"{unexplained:.0%} of the view changed since the approved reference; please look",
                           findings=tuple(findings), values=values, thresholds=thresholds)
    return CheckResult("clean.reference", Verdict.PASS, quality,
                       message="matches the approved reference photo" + (
                           f" ({len(findings)} small change(s) shown)" if findings else ""),
                       findings=tuple(findings), values=values, thresholds=thresholds)


def _mostly_inside_any(box, others, share: float = 0.6) -> bool:
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)
    for o in others:
        iw = max(0.0, min(box[2], o[2]) - max(box[0], o[0]))
        ih = max(0.0, min(box[3], o[3]) - max(box[1], o[1]))
        if iw * ih / area >= share:
            return True
    return False


def _head_in_box(net: NetOutputs, box, kinds) -> tuple[str, float]:
    """The defect kind the head is surest of inside `box`, and its peak probability there."""
    if net.defect_prob is None:
        return "change", 0.0
    best_kind, best_p = "change", 0.0
    for i, kind in enumerate(net.defect_kinds):
        p = grid_max_in_box(net.defect_prob[i], box, net.image_wh) if kind in kinds else 0.0
        if p > best_p:
            best_kind, best_p = kind, p
    return best_kind, best_p
