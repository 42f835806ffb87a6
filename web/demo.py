"""Demo data: regions, dealers, sites, users for every role, and a finished audit from sample photos."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from web.db import get_db
from web.models import BrandPackRef, ChecklistVersion, Dealer, Region, Role, Site, User
from web.security import hash_password

REPO = Path(__file__).resolve().parent.parent
DEMO_USERS = [
    # user name, password, role, dealer code, region codes
    ("admin", "admin-demo-pass", Role.ADMIN, None, ()),
    ("auditor", "auditor-demo-pass", Role.AUDITOR, None, ("EAST",)),
    ("auditor2", "auditor2-demo-pass", Role.AUDITOR, None, ("SOUTH",)),
    ("head", "head-demo-pass", Role.HEAD_OFFICE, None, ()),
    ("dealer", "dealer-demo-pass", Role.DEALER, "D-SH01", ()),
    ("dealer2", "dealer2-demo-pass", Role.DEALER, "D-GZ01", ()),
]
REGIONS = [("EAST", "华东区", "East"), ("SOUTH", "华南区", "South")]
DEALERS = [("D-SH01", "上海浦江汽车销售服务有限公司", "EAST"), ("D-HZ01", "杭州西湖汽车服务有限公司", "EAST"),
           ("D-GZ01", "广州珠江汽车销售服务有限公司", "SOUTH")]
SITES = [("D-SH01", "浦东4S店", "上海市浦东新区", 31.2304, 121.4737),
         ("D-SH01", "闵行服务中心", "上海市闵行区", 31.1128, 121.3817),
         ("D-HZ01", "西湖4S店", "杭州市西湖区", 30.2741, 120.1551),
         ("D-GZ01", "天河4S店", "广州市天河区", 23.1291, 113.2644)]


def ensure_org(app) -> dict:
    s = get_db(app).session()
    regions = {}
    for code, zh, en in REGIONS:
        r = s.execute(select(Region).where(Region.code == code)).scalar_one_or_none() or Region(code=code, name_zh=zh, name_en=en)
        s.add(r)
        regions[code] = r
    s.flush()
    dealers = {}
    for code, name, region in DEALERS:
        d = s.execute(select(Dealer).where(Dealer.code == code)).scalar_one_or_none() or Dealer(code=code, name=name, region_id=regions[region].id)
        s.add(d)
        dealers[code] = d
    s.flush()
    sites = []
    for dealer, name, addr, lat, lon in SITES:
        st = s.execute(select(Site).where(Site.dealer_id == dealers[dealer].id, Site.name == name)).scalar_one_or_none()
        if st is None:
            st = Site(dealer_id=dealers[dealer].id, name=name, address=addr, lat=lat, lon=lon)
            s.add(st)
        sites.append(st)
    s.flush()
    users = {}
    for username, password, role, dealer, region_codes in DEMO_USERS:
        u = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if u is None:
            u = User(username=username, display_name=username, password_hash=hash_password(password), role=role.value,
                     dealer_id=dealers[dealer].id if dealer else None)
            u.regions = [regions[c] for c in region_codes]
            s.add(u)
        users[username] = u
    s.commit()
    return {"regions": regions, "dealers": dealers, "sites": sites, "users": users}


def demo_photos(photos_dir: str | None, max_photos: int) -> list[tuple[Path, str | None]]:
    root = Path(photos_dir) if photos_dir else REPO / "samples" / "demo"
    labels = root / "labels.json"
    if not labels.exists():
        return []
    entries = json.loads(labels.read_text(encoding="utf-8")).get("photos", [])
    out, per_area = [], {}
    for e in entries:  # spread the budget over the areas
        per_area.setdefault(e.get("area"), []).append(e)
    while len(out) < max_photos and any(per_area.values()):
        for area in list(per_area):
            if per_area[area] and len(out) < max_photos:
                e = per_area[area].pop(0)
                out.append((root / e["file"], e.get("area")))
    return out


def load_demo(app, photos_dir: str | None = None, max_photos: int = 24, echo=print) -> dict:
    from web.services import audits as svc

    org = ensure_org(app)
    s = get_db(app).session()
    report = {"users": [(u, p, r.value) for u, p, r, _, _ in DEMO_USERS]}
    brand = s.execute(select(BrandPackRef).where(BrandPackRef.active.is_(True)).order_by(BrandPackRef.id)).scalars().first()
    cl = s.execute(select(ChecklistVersion).where(ChecklistVersion.active.is_(True)).order_by(ChecklistVersion.id.desc())).scalars().first()
    if brand is None or cl is None:
        echo("no brand pack or checklist registered: skipping the demo audit")
        return report
    photos = demo_photos(photos_dir, max_photos)
    if not photos:
        echo("no sample photos found (samples/demo/labels.json): skipping the demo audit")
        return report
    auditor, head = org["users"]["auditor"], org["users"]["head"]
    site = org["sites"][0]
    audit = svc.create_audit(auditor, site, brand, cl, date.today() - timedelta(days=1))
    s.commit()
    echo(f"analysing {len(photos)} demo photos (this takes a minute) ...")
    with app.test_request_context():
        for path, area in photos:
            out = svc.add_photo(auditor, audit, path.read_bytes(), path.name, area)
            echo(f"  {path.name}: {out.message}")
        s.refresh(audit)
        svc.submit(auditor, audit)
        s.commit()
        svc.approve(head, audit, "演示审核 / demo audit")
        s.commit()
    report.update(audit_id=audit.id, score=audit.score_total)
    return report
