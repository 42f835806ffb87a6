"""Run checks on photos the way the pipeline does, but keep each photo's `PhotoContext`.

Evaluation needs the check results (verdicts, values, findings in original-photo
pixels) *and* the signals the checks read (the OCR lines of the `text` signal), which
`auditor.pipeline.analyse_photos` computes but does not return. This module builds the
contexts itself and hands them to the pipeline's own per-photo step, so that planning,
batched signals, the quality gate and the rescaling of regions are exactly the
pipeline's.

(Hook wanted in pipeline.py: a public `analyse_contexts(contexts, plans)` returning the
analyses; until then the two pipeline helpers below are used by name.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from auditor import pipeline
from auditor.checks import PhotoContext, run_check
from auditor.checks.context import SIGNALS
from auditor.pipeline import AREA_CHECK, PhotoAnalysis, PlannedCheck
from auditor.types import CheckResult


@dataclass(frozen=True)
class ContextAnalysis:
    analysis: PhotoAnalysis
    context: PhotoContext  # its signal cache holds what the checks computed (e.g. "text")
    area_result: CheckResult | None  # area.classify run without the area tag (None when not asked)


def analyse_keeping_contexts(
    contexts: Sequence[PhotoContext],
    plans: Sequence[Sequence[PlannedCheck]],
    predict_area: Sequence[bool] | None = None,
) -> list[ContextAnalysis]:
    """Analyse each context with its plan through the pipeline's per-photo step.

    `predict_area[i]` asks for area.classify on photo i *without* its area tag (a check
    may echo a given tag; evaluation must measure the prediction). It shares the tagged
    context's batched network outputs.
    """
    plans = [list(p) for p in plans]
    area_plans = [
        [*p, PlannedCheck(AREA_CHECK, {})] if predict_area and predict_area[i] else p for i, p in enumerate(plans)
    ]
    pipeline.seed_batched_signals(contexts, area_plans)
    out = []
    for i, (ctx, analysis) in enumerate(zip(contexts, pipeline.analyse_contexts(contexts, plans))):
        area_result = None
        if predict_area and predict_area[i]:
            untagged = PhotoContext(ctx.photo, ctx.brand, None)
            for name in ("net",):
                if ctx.has(name):
                    untagged.seed(name, ctx.get(name))
            area_result = run_check(AREA_CHECK, untagged, {})
        out.append(ContextAnalysis(analysis, ctx, area_result))
    return out


def read_text_lines(ctx: PhotoContext) -> tuple[tuple[str, ...] | None, str | None]:
    """The text lines the `text` signal read on this photo, or (None, reason) when it cannot.

    Returns:
        (lines, None) on success; (None, why) when no OCR provider is registered or it failed.
    """
    if "text" not in SIGNALS:
        try:  # the OCR module registers the provider when imported
            import auditor.ocr  # noqa: F401
        except ImportError as exc:
            return None, f"no OCR provider ({exc})"
        if "text" not in SIGNALS:
            return None, "no provider registered for the 'text' signal"
    try:
        lines = ctx.get("text")
    except Exception as exc:  # a broken OCR is a miss, not a crash of the evaluation
        return None, f"text signal failed: {type(exc).__name__}: {exc}"
    return tuple(str(getattr(line, "text", line)) for line in lines or ()), None
