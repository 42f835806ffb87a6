"""The audit report: one JSON document for machines and one self-contained HTML page for people.

`build_audit_report` turns an `AuditScore` and the per-photo analyses into plain JSON
data (every item verdict with its evidence and the measured values behind it);
`render_audit_html` renders that data with the annotated photos embedded as base64
JPEG thumbnails, so the page can be mailed or archived as one file.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from auditor.types import AuditScore, CheckResult, jsonable

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
REPORT_TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class AuditedPhoto:
    """One photo of an audit as the report shows it."""

    photo_id: str  # path relative to the audited folder
    area: str | None  # the area tag (sub-folder name) or None
    predicted_area: str | None
    predicted_area_confidence: float | None
    width: int
    height: int
    results: tuple[CheckResult, ...]
    thumbnail_jpeg: bytes | None = None  # annotated, small

    @property
    def effective_area(self) -> str | None:
        return self.area or self.predicted_area


def build_audit_report(
    score: AuditScore,
    checklist,
    brand,
    photos: Sequence[AuditedPhoto],
    *,
    folder: str,
    rejected: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Plain-JSON report of an audit (see module docstring); thumbnails are not included."""
    by_photo: dict[str, dict[str, CheckResult]] = {
        p.photo_id: {r.check_id: r for r in p.results} for p in photos
    }
    section_of = {i.id: s for s in checklist.sections for i in s.items}
    items = []
    for iv in score.items:
        item = checklist.item(iv.item_id)
        evidence = []
        for ev in iv.evidence:
            res = by_photo.get(ev.photo_id, {}).get(ev.check_id)
            evidence.append(
                {
                    "photo_id": ev.photo_id,
                    "check_id": ev.check_id,
                    "verdict": ev.verdict.value,
                    "confidence": round(float(ev.confidence), 3),
                    "message": ev.message,
                    "values": jsonable(res.values) if res is not None else {},
                    "thresholds": jsonable(res.thresholds) if res is not None else {},
                }
            )
        sec = section_of.get(iv.item_id)
        items.append(
            {
                "id": iv.item_id,
                "section": sec.id if sec else None,
                "text_zh": item.text_zh,
                "text_en": item.text_en,
                "manual": item.manual,
                "weight": iv.weight,
                "status": iv.status.value,
                "automatic_status": iv.automatic_status.value if iv.automatic_status else None,
                "score": None if iv.score is None else round(float(iv.score), 4),
                "confidence": round(float(iv.confidence), 3),
                "note": iv.note,
                "manual_answer": iv.manual_answer,
                "override": None
                if iv.override is None
                else {"status": iv.override.status.value, "reason": iv.override.reason, "by": iv.override.by},
                "evidence": evidence,
            }
        )
    sections = []
    for ss in score.sections:
        sec = next((s for s in checklist.sections if s.id == ss.section_id), None)
        sections.append(
            {
                "id": ss.section_id,
                "title_zh": getattr(sec, "title_zh", ""),
                "title_en": getattr(sec, "title_en", ""),
                "score": None if ss.score is None else round(float(ss.score), 2),
                "earned": round(float(ss.earned), 4),
                "possible": round(float(ss.possible), 4),
            }
        )
    return {
        "audit": {
            "folder": folder,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "brand": {"id": brand.id, "name_zh": brand.name_zh, "name_en": brand.name_en},
            "checklist": {
                "id": checklist.id,
                "version": checklist.version,
                "title_zh": checklist.title_zh,
                "title_en": checklist.title_en,
            },
        },
        "score": {
            "total": None if score.total is None else round(float(score.total), 2),
            "earned": round(float(score.earned), 4),
            "possible": round(float(score.possible), 4),
            "sections": sections,
        },
        "items": items,
        "photos": [
            {
                "photo_id": p.photo_id,
                "area": p.area,
                "predicted_area": p.predicted_area,
                "predicted_area_confidence": p.predicted_area_confidence,
                "width": p.width,
                "height": p.height,
                "results": [r.to_dict() for r in p.results],
            }
            for p in photos
        ],
        "rejected": [{"photo_id": pid, "reason": why} for pid, why in rejected],
    }


def render_audit_html(report: Mapping[str, Any], thumbnails: Mapping[str, bytes]) -> str:
    """The report as one self-contained HTML page (photos inline as data: URIs)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["values"] = _format_values
    images = {pid: "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii") for pid, data in thumbnails.items()}
    from auditor.annotate import legend

    return env.get_template(REPORT_TEMPLATE).render(report=report, images=images, legend=legend())


def write_audit_report(out_dir: Path, report: Mapping[str, Any], thumbnails: Mapping[str, bytes]) -> tuple[Path, Path]:
    """Write OUT/report.json and OUT/report.html; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "report.json"
    html_path = out_dir / "report.html"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    html_path.write_text(render_audit_html(report, thumbnails), encoding="utf-8")
    return json_path, html_path


def _format_values(values: Mapping[str, Any] | None, limit: int = 8) -> str:
    """'key=value, ...' of the scalar entries of a values mapping, for a table cell."""
    if not values:
        return ""
    parts = []
    for k, v in values.items():
        if isinstance(v, float):
            parts.append(f"{k}={v:.3g}")
        elif isinstance(v, (bool, int, str)) or v is None:
            parts.append(f"{k}={v}")
        elif isinstance(v, (list, tuple)) and len(v) <= 6 and all(isinstance(x, (str, int, float)) for x in v):
            parts.append(f"{k}=[{', '.join(str(x) for x in v)}]")
        if len(parts) >= limit:
            break
    return ", ".join(parts)
