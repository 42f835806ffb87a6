"""The photo quality gate: too blurred, too small or too dark to judge -> FAIL.

A photo that fails here does not fail the brand: the pipeline turns the other checks'
fails on it into `unsure`, asking the auditor for a retake.
"""
from __future__ import annotations

from typing import Any, Mapping

import cv2
import numpy as np

from auditor.checks.context import PhotoContext
from auditor.checks.registry import register
from auditor.types import CheckResult, Verdict

SHARPNESS_SIDE = 1024  # sharpness is measured at this long side, so it does not depend on resolution


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian of `gray` (HxW uint8) resized to SHARPNESS_SIDE on its long side.

    The image is first stretched to its own 1st..99th luma percentiles, so a dim but
    sharp photo is not called blurred; typical values: < 30 blurred, > 100 sharp.
    """
    s = SHARPNESS_SIDE / max(gray.shape)
    g = cv2.resize(gray, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    lo, hi = np.percentile(g, [1, 99])
    g = np.clip((g.astype(np.float32) - lo) * (255.0 / max(hi - lo, 16.0)), 0, 255).astype(np.float32)
    return float(cv2.Laplacian(g, cv2.CV_32F, ksize=3).var())


@register(
    "quality.photo",
    title_en="Photo quality",
    title_zh="照片质量",
    defaults={
        "min_sharpness": 60.0,  # a 1024 px photo blurred with sigma 3 measures ~15-70; sharp photos 200+
        "min_short_side": 240,  # pixels of the original photo
        "min_mean_luma": 12.0,  # darker than this on average ...
        "min_p99_luma": 40.0,  # ... and with nothing brighter than this: too dark to judge
    },
)
def photo_quality(ctx: PhotoContext, params: Mapping[str, Any]) -> CheckResult:
    small, _ = ctx.downscaled(SHARPNESS_SIDE)  # measure on a 1024 px copy, not the full working copy
    gray = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY)
    sharp = sharpness(gray)
    short_side = min(ctx.photo.width, ctx.photo.height)
    mean_luma = float(gray.mean())
    p99 = float(np.percentile(gray[:: max(1, gray.shape[0] // 256), :: max(1, gray.shape[1] // 256)], 99))

    problems = []
    if short_side < params["min_short_side"]:
        problems.append(f"too small ({ctx.photo.width}x{ctx.photo.height}, short side < {params['min_short_side']} px)")
    if mean_luma < params["min_mean_luma"] and p99 < params["min_p99_luma"]:
        problems.append(f"too dark to judge (mean luma {mean_luma:.0f}, brightest {p99:.0f})")
    elif sharp < params["min_sharpness"]:
        problems.append(f"blurred (sharpness {sharp:.0f} < {params['min_sharpness']:.0f})")
    ok = not problems
    values = {"sharpness": round(sharp, 1), "short_side": short_side, "mean_luma": round(mean_luma, 1),
              "p99_luma": round(p99, 1), "ok": ok}
    thresholds = {k: params[k] for k in ("min_sharpness", "min_short_side", "min_mean_luma", "min_p99_luma")}
    if ok:
        margin = min(1.0, (sharp - params["min_sharpness"]) / params["min_sharpness"])
        return CheckResult("quality.photo", Verdict.PASS, confidence=0.5 + 0.5 * margin,
                           message=f"photo usable (sharpness {sharp:.0f}, {ctx.photo.width}x{ctx.photo.height})",
                           values=values, thresholds=thresholds)
    return CheckResult("quality.photo", Verdict.FAIL, confidence=0.8,
                       message="please retake: " + "; ".join(problems), values=values, thresholds=thresholds)
