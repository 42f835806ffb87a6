"""Dashboard numbers: scores by region -> dealer -> site -> item, trends, most-failed items.

Counts come from approved audits (the numbers head office stands behind). SQL stays
portable (no JSON operators): per-item statuses are read from the stored score JSON.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from web.db import session
from web.models import Audit, AuditStatus, Dealer, Region, Site

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
    since = date.today().replace(day=1) - timedelta(days=31 * (months - 1))
    since = since.replace(day=1)
    rows = session().execute(_base(since, region_id, dealer_id, site_id)).all()
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
    ids = [r[0] for r in rows]
    failed, seen, item_scores = _item_stats(ids)
    group_list = [{"id": gid, "name": name, "audits": len(v), "score": round(sum(v) / len(v), 1)}
                  for (gid, name), v in groups.items()]
    group_list.sort(key=lambda g: g["score"])
    if level == "item":
        group_list = [{"id": item, "name": item, "audits": seen[item],
                       "score": round(100.0 * sum(item_scores[item]) / len(item_scores[item]), 1)}
                      for item in sorted(item_scores)]
    months_axis = sorted(trend)
    return {
        "level": level, "since": since.isoformat(), "audits": len(rows),
        "average": round(sum(r[2] for r in rows if r[2] is not None) / max(1, sum(1 for r in rows if r[2] is not None)), 1) if rows else None,
        "groups": group_list,
        "trend": [{"month": m, "score": round(sum(trend[m]) / len(trend[m]), 1), "audits": len(trend[m])}
                  for m in months_axis],
        "most_failed": [{"item_id": i, "failed": n, "audits": seen[i], "share": round(n / max(1, seen[i]), 3)}
                        for i, n in failed.most_common(10)],
    }


def _item_stats(audit_ids: list[int]):
    failed: Counter = Counter()
    seen: Counter = Counter()
    item_scores: dict[str, list[float]] = defaultdict(list)
    s = session()
    for chunk_start in range(0, len(audit_ids), 500):
        chunk = audit_ids[chunk_start:chunk_start + 500]
        for (score,) in s.execute(select(Audit.score).where(Audit.id.in_(chunk))):
            for it in (score or {}).get("items", []):
                seen[it["item_id"]] += 1
                if it["status"] == "fail":
                    failed[it["item_id"]] += 1
                if it.get("score") is not None:
                    item_scores[it["item_id"]].append(float(it["score"]))
    return failed, seen, item_scores


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
