"""Dashboard numbers: scores by region -> dealer -> site -> item, trends, most-failed items.

Counts come from approved audits (the numbers head office stands behind). Per-item numbers
are GROUP BYs over `audit_items` (portable SQL, no JSON operators).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select

from web.db import session
from web.models import Audit, AuditItem, AuditStatus, Dealer, Region, Site

COUNTED = (AuditStatus.APPROVED.value,)


def _base(since: date, region_id=None, dealer_id=None, site_id=None):
    q = (select(Audit.id, Audit.audit_date, Audit.score_total, Site.id, Site.name, Dealer.id, Dealer.name,
                Region.id, Region.name_zh, Region.name_en)
         .join(Site, Audit.site_id == Site.id).join(Dealer, Site.dealer_id == Dealer.id)
         .join(Region, Dealer.region_id == Region.id)
         .where(Audit.status.in_(COUNTED), Audit.audit_date >= since))
    if region_id:
        q = q.where(Region.id == region_id)
    if dealer_id:
        q = q.where(Dealer.id == dealer_id)
    if site_id:
        q = q.where(Site.id == site_id)
    return q


def dashboard_data(months: int = 12, region_id: int | None = None, dealer_id: int | None = None,
                   site_id: int | None = None, english: bool = False) -> dict[str, Any]:
    since = (date.today().replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    base = _base(since, region_id, dealer_id, site_id)
    rows = session().execute(base).all()
    if site_id:
        level, key = "item", None
    elif dealer_id:
        level, key = "site", lambda r: (r[3], r[4])
    elif region_id:
        level, key = "dealer", lambda r: (r[5], r[6])
    else:
        level, key = "region", lambda r: (r[7], r[9] if english else r[8])
    groups: dict[tuple, list[float]] = defaultdict(list)
    trend: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r[2] is None:
            continue
        if key is not None:
            groups[key(r)].append(r[2])
        trend[r[1].strftime("%Y-%m")].append(r[2])
    group_list = [{"id": gid, "name": name, "audits": len(v), "score": round(sum(v) / len(v), 1)}
                  for (gid, name), v in groups.items()]
    group_list.sort(key=lambda g: g["score"])
    items = _item_stats(base)
    if level == "item":
        group_list = [{"id": i["item_id"], "name": i["item_id"], "audits": i["audits"], "score": i["score"]}
                      for i in sorted(items, key=lambda i: i["item_id"]) if i["score"] is not None]
    scored = [r[2] for r in rows if r[2] is not None]
    most_failed = sorted((i for i in items if i["failed"]), key=lambda i: (-i["failed"], i["item_id"]))[:10]
    return {
        "level": level, "since": since.isoformat(), "audits": len(rows),
        "average": round(sum(scored) / len(scored), 1) if scored else None,
        "groups": group_list,
        "trend": [{"month": m, "score": round(sum(trend[m]) / len(trend[m]), 1), "audits": len(trend[m])}
                  for m in sorted(trend)],
        "most_failed": [{"item_id": i["item_id"], "failed": i["failed"], "audits": i["audits"],
                         "share": round(i["failed"] / max(1, i["audits"]), 3)} for i in most_failed],
    }


def _item_stats(base) -> list[dict[str, Any]]:
    """Per item over the filtered audits: how often it failed, and its mean score (0..100)."""
    audit_ids = base.with_only_columns(Audit.id).scalar_subquery()
    q = (select(AuditItem.item_id, func.count(),
                func.sum(case((AuditItem.status == "fail", 1), else_=0)),
                func.avg(AuditItem.score))
         .where(AuditItem.audit_id.in_(audit_ids)).group_by(AuditItem.item_id))
    return [{"item_id": item, "audits": n, "failed": int(failed or 0),
             "score": None if avg is None else round(100.0 * float(avg), 1)}
            for item, n, failed, avg in session().execute(q)]


def breadcrumbs(region_id=None, dealer_id=None, site_id=None) -> list[tuple[str, dict]]:
    s = session()
    out = []
    if site_id:
        site = s.get(Site, site_id)
        if site:
            dealer_id = dealer_id or site.dealer_id
    if dealer_id:
        d = s.get(Dealer, dealer_id)
        if d:
            region_id = region_id or d.region_id
    if region_id:
        r = s.get(Region, region_id)
        if r:
            out.append((r.name_zh + " / " + r.name_en, {"region": r.id}))
    if dealer_id:
        d = s.get(Dealer, dealer_id)
        if d:
            out.append((d.name, {"region": region_id, "dealer": d.id}))
    if site_id:
        site = s.get(Site, site_id)
        if site:
            out.append((site.name, {"region": region_id, "dealer": dealer_id, "site": site.id}))
    return out
