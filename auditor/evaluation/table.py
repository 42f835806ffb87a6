"""The evaluation report as text for people: the same numbers as the JSON, as a table."""
from __future__ import annotations

from typing import Any

from auditor.evaluation.evaluate import EvaluationResult

# (group, metric key, label) in the order of spec/labels.md
ROWS = (
    ("logo", "precision", "presence precision"),
    ("logo", "recall", "presence recall"),
    ("logo", "f1", "presence F1"),
    ("logo", "localisation", "localisation (IoU>=0.5)"),
    ("logo", "placement_accuracy", "placement accuracy"),
    ("text", "recall", "must_read recall"),
    ("text", "must_not_read_hits", "must_not_read hits"),
    ("exposure", "accuracy", "accuracy"),
    ("exposure", "macro_f1", "macro-F1"),
    ("night", "accuracy", "accuracy"),
    ("night", "macro_f1", "macro-F1"),
    ("signs_lit", "accuracy", "accuracy"),
    ("clean", "precision", "not-clean precision"),
    ("clean", "recall", "not-clean recall"),
    ("clean", "f1", "not-clean F1"),
    ("people", "count_mae", "count MAE"),
    ("people", "count_exact", "count exact"),
    ("people", "presence_f1", "presence F1"),
    ("people", "person_f1", "person F1 (IoU>=0.5)"),
    ("uniform", "accuracy", "uniform_ok accuracy"),
    ("uniform", "role_accuracy", "role accuracy"),
    ("uniform", "badge_f1", "badge F1"),
    ("area", "accuracy", "accuracy"),
)


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def format_report(result: EvaluationResult, details: bool = False) -> str:
    rep = result.report
    lines = [f"Evaluation of {rep['set']}: {rep['photos']} photos", ""]
    lines.append(f"{'check':<10} {'metric':<26} {'value':>8} {'n':>5}")
    lines.append("-" * 52)
    last = None
    for group, key, label in ROWS:
        g = rep[group]
        name = group if group != last else ""
        lines.append(f"{name:<10} {label:<26} {fmt(g[key]):>8} {fmt(g['n']) if name else '':>5}")
        last = group
        if group == "clean" and key == "f1":
            for kind, v in g["recall_by_kind"].items():
                n = result.counts.get(f"clean.kind.{kind} (photos)", 0)
                lines.append(f"{'':<10} {'recall ' + kind:<26} {fmt(v):>8} {n:>5}")
    sp = rep["speed"]
    lines.append(f"{'speed':<10} {'photos per second':<26} {fmt(sp['photos_per_s']):>8}")
    lines.append(f"{'':<10} {'peak memory (MB)':<26} {fmt(sp['peak_rss_mb']):>8}")
    lines.append("")
    lines.append("n = photos (text: must_read strings). Counts behind each metric:")
    lines.append("  " + "; ".join(f"{k}: {v}" for k, v in result.counts.items()))
    lines.append("'-' = nothing labelled for it, or undefined (0/0).")
    lines.append(
        "A check that is not implemented or failed gives no prediction and counts as a miss "
        "(the wrong answer; a missing count is off by max(truth, 1))."
    )
    for note in result.footnotes:
        lines.append(f"* {note}")
    if details:
        lines.append("")
        lines.extend(format_details(result))
    return "\n".join(lines)


def format_details(result: EvaluationResult) -> list[str]:
    out = ["Per photo: truth vs predicted ('x' marks a miss)"]
    for d in result.details():
        head = f"{d['file']}  area={fmt(d['area'])}"
        if d["error"]:
            head += f"  ERROR: {d['error']}"
        out.append(head)
        if d["verdicts"]:
            out.append("     verdicts: " + ", ".join(f"{c}={v}" for c, v in d["verdicts"].items()))
        for r in d["rows"]:
            mark = " " if r["ok"] in (True, None) else "x"
            pred = r["predicted"]
            if isinstance(pred, list):
                pred = " | ".join(pred) if pred else "(nothing read)"
            if r["truth"] is None:
                out.append(f"   {mark} {r['metric']:<24} {fmt(pred)}")
            else:
                out.append(f"   {mark} {r['metric']:<24} truth={fmt(r['truth']):<14} predicted={fmt(pred)}")
        for check_id, why in d["unavailable"].items():
            out.append(f"     ({check_id}: {why})")
    return out


def format_comparison(base: EvaluationResult, new: EvaluationResult, base_name: str, new_name: str) -> str:
    """Two evaluations of the same set side by side, with the change of each metric."""
    lines = [f"Comparison on {new.report['set']}: A = {base_name}, B = {new_name}", ""]
    lines.append(f"{'check':<10} {'metric':<26} {'A':>8} {'B':>8} {'B-A':>8}")
    lines.append("-" * 64)
    for group, key, label in ROWS:
        a, b = base.report[group][key], new.report[group][key]
        delta = b - a if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None
        sign = "" if delta is None else ("+" if delta > 0 else "")
        lines.append(f"{group:<10} {label:<26} {fmt(a):>8} {fmt(b):>8} {sign + fmt(delta) if delta is not None else '-':>8}")
    return "\n".join(lines)
