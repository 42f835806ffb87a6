"""Approved reference photos: the standard view of a site's area, that later photos are compared with.

Head office approves an analysed photo as the reference of its site and area (it keeps every
reference it approves: a site may have several views of one area, and the comparison uses the
one that aligns). Analysis loads the references of a photo's site and area
(`references_for_photos`) and the library's clean.reference check compares with them.
"""
from __future__ import annotations

import logging
from typing import Iterable

from sqlalchemy import select

from web.db import session
from web.models import Photo, PhotoStatus, ReferencePhoto
from web.services.trail import record

log = logging.getLogger(__name__)
MAX_PER_VIEW = 5  # references compared per site and area (each costs an alignment)


class ReferenceError(ValueError):
    """This photo cannot be a reference (no area, not analysed)."""


def reference_of(photo: Photo) -> ReferencePhoto | None:
    return session().execute(select(ReferencePhoto).where(ReferencePhoto.photo_id == photo.id)).scalar_one_or_none()


def approve(user, photo: Photo) -> ReferencePhoto:
    """Make `photo` an approved reference of its site and area (idempotent)."""
    if not photo.area:
        raise ReferenceError("tag the photo's area first: a reference stands for one area of the site")
    if photo.status != PhotoStatus.DONE.value:
        raise ReferenceError("only an analysed photo can be a reference")
    existing = reference_of(photo)
    if existing is not None:
        return existing
    count = session().query(ReferencePhoto).filter_by(site_id=photo.audit.site_id, area=photo.area).count()
    if count >= MAX_PER_VIEW:
        raise ReferenceError(f"this site has {count} references of area {photo.area} already; withdraw one first")
    ref = ReferencePhoto(site_id=photo.audit.site_id, area=photo.area, photo_id=photo.id, approved_by=user.id)
    session().add(ref)
    session().flush()
    record(user, "reference_photo", ref.id, "approve", None,
           {"photo_id": photo.id, "site_id": ref.site_id, "area": ref.area}, audit_id=photo.audit_id)
    return ref


def withdraw(user, photo: Photo) -> bool:
    """Stop using `photo` as a reference; False when it was not one."""
    ref = reference_of(photo)
    if ref is None:
        return False
    record(user, "reference_photo", ref.id, "withdraw", {"photo_id": photo.id, "site_id": ref.site_id,
                                                           "area": ref.area}, None, audit_id=photo.audit_id)
    session().delete(ref)
    return True


def references_for_photos(s, photos: Iterable[Photo], load) -> dict[int, tuple]:
    """photo id -> the decoded approved references of its site and area (never the photo itself).

    `load(ref_photo)` decodes a stored photo (auditor Photo); a reference that cannot be loaded is
    skipped with a warning: a missing reference must not stop the analysis of the photo.
    """
    photos = list(photos)
    cache: dict[int, object] = {}
    by_view = {(p.audit.site_id, p.area): view_references(s, p.audit.site_id, p.area, load, cache)
               for p in photos if p.area}
    return {p.id: tuple(d for pid, d in by_view.get((p.audit.site_id, p.area), ()) if pid != p.id) for p in photos}


def view_references(s, site_id: int, area: str | None, load, cache: dict | None = None) -> tuple:
    """(photo id, decoded photo) of the approved references of one site's area, newest first."""
    if not area:
        return ()
    cache = {} if cache is None else cache
    rows = s.execute(select(ReferencePhoto).where(ReferencePhoto.site_id == site_id, ReferencePhoto.area == area)
                     .order_by(ReferencePhoto.approved_at.desc()).limit(MAX_PER_VIEW)).scalars().all()
    out = []
    for r in rows:
        if r.photo_id not in cache:
            try:
                cache[r.photo_id] = load(r.photo)
            except Exception as exc:
                log.warning("reference photo %s of site %s/%s cannot be loaded: %s", r.photo_id, site_id, area, exc)
                cache[r.photo_id] = None
        if cache[r.photo_id] is not None:
            out.append((r.photo_id, cache[r.photo_id]))
    return tuple(out)
