"""area.classify: which area of the site a photo shows (facade, entrance, ..., other).

The auditor's tag wins; the network's prediction is reported beside it, and a
confident disagreement becomes a finding ("tagged reception, looks like workshop").
"""
from __future__ import annotations

from typing import Any, Mapping

from auditor.checks.netsignal import NetOutputs
from auditor.checks.registry import register
from auditor.types import CheckResult, Finding, Verdict


@register(
    "area.classify",
    title_en="Photo area",
    title_zh="照片区域",
    defaults={"min_confidence": 0.5, "disagree_confidence": 0.8},
    needs=("net",),
)
def classify_area(ctx, params: Mapping[str, Any]) -> CheckResult:
    net: NetOutputs = ctx.get("net")
    thresholds = {"min_confidence": params["min_confidence"], "disagree_confidence": params["disagree_confidence"]}
    if net.area_probs is None:
        return CheckResult("area.classify", Verdict.UNSURE, 0.0, message="no weights for the area head (run `auditor train --head area`)",
                           values={"area": ctx.area, "predicted": None, "probabilities": {}}, thresholds=thresholds)
    probs = {a: round(float(p), 4) for a, p in zip(net.areas, net.area_probs)}
    predicted = max(probs, key=probs.get)
    conf = probs[predicted]
    values = {"area": ctx.area or predicted, "predicted": predicted, "tagged": ctx.area, "probabilities": probs}
    if ctx.area is None:
        verdict = Verdict.PASS if conf >= params["min_confidence"] else Verdict.UNSURE
        return CheckResult("area.classify", verdict, conf, message=f"looks like {predicted} ({conf:.0%})",
                           values=values, thresholds=thresholds)
    if predicted != ctx.area and conf >= params["disagree_confidence"]:
        msg = f"tagged {ctx.area}, looks like {predicted} ({conf:.0%})"
        finding = Finding("area_mismatch", msg, None, {"tagged": ctx.area, "predicted": predicted, "confidence": conf,
                                                       "tagged_probability": probs.get(ctx.area)},
                          {"disagree_confidence": params["disagree_confidence"]}, conf)
        return CheckResult("area.classify", Verdict.UNSURE, conf, message=msg, findings=(finding,),
                           values=values, thresholds=thresholds)
    agree = predicted == ctx.area
    msg = f"tagged {ctx.area}" + (f", looks like it too ({conf:.0%})" if agree else f"; network leans {predicted} ({conf:.0%})")
    return CheckResult("area.classify", Verdict.PASS, probs.get(ctx.area, 0.0) if not agree else conf,
                       message=msg, values=values, thresholds=thresholds)
