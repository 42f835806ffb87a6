"""A small world for authorisation tests: two regions, two dealers, audits in every state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_login import login_user
from sqlalchemy import select

from web.db import get_db
from web.models import Action, BrandPackRef, ChecklistVersion, Dealer, Site, User


@dataclass
class World:
    A: int  # approved audit, dealer D-SH01 (region EAST)
    B: int  # draft audit, same site
    C: int  # approved audit, dealer D-GZ01 (region SOUTH)
    pa: int
    pb: int
    pc: int
    xa: int
    xc: int
    fa: int
    fc: int
    sa: int
    sc: int


def build_world(app, photo_bytes) -> World:
    from web.services import actions as act
    from web.services import audits as svc

    with app.test_request_context():
        s = get_db(app).session()
        user = lambda n: s.execute(select(User).where(User.username == n)).scalar_one()  # noqa: E731
        site = lambda code: s.execute(select(Site).join(Dealer).where(Dealer.code == code).order_by(Site.id)).scalars().first()  # noqa: E731
        brand = s.execute(select(BrandPackRef)).scalars().first()
        cl = s.execute(select(ChecklistVersion)).scalars().first()
        sa, sc = site("D-SH01"), site("D-GZ01")

        def approved(auditor, st, seed):
            login_user(user(auditor))
            a = svc.create_audit(user(auditor), st, brand, cl, date(2026, 11, 20))
            s.commit()
            out = svc.add_photo(user(auditor), a, photo_bytes(seed), f"p{seed}.jpg", "facade")
            assert out.ok, out.message
            svc.set_override(user(auditor), a, "EXT-04", "fail", "rubbish at the gate")
            svc.submit(user(auditor), a)
            s.commit()
            login_user(user("head"))
            actions = svc.approve(user("head"), a, "fine")
            s.commit()
            x = next(x for x in actions if x.item_id == "EXT-04")
            return a, out.photo, x

        A, pa, xa = approved("auditor", sa, 11)
        C, pc, xc = approved("auditor2", sc, 12)
        login_user(user("auditor"))
        B = svc.create_audit(user("auditor"), sa, brand, cl, date(2026, 11, 25))
        s.commit()
        pb = svc.add_photo(user("auditor"), B, photo_bytes(13), "p13.jpg", "entrance").photo
        assert act.add_proof(user("dealer"), xa, photo_bytes(14), "fix-a.jpg").ok
        assert act.add_proof(user("dealer2"), xc, photo_bytes(15), "fix-c.jpg").ok
        s.commit()
        fa = s.get(Action, xa.id).proofs[0].id
        fc = s.get(Action, xc.id).proofs[0].id
        return World(A.id, B.id, C.id, pa.id, pb.id, pc.id, xa.id, xc.id, fa, fc, sa.id, sc.id)
