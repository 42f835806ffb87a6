"""Who may see and change what. Every view and API endpoint asks here; nothing else decides.

Scopes: admin and head office see everything; an auditor sees the sites of the
regions assigned to them; a dealer sees only its own dealer's sites, and of those
only approved audits. Anything out of scope is reported as not found (404), so IDs
guessed across dealers reveal nothing.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from web.db import session
from web.models import Action, Audit, AuditStatus, Dealer, Photo, ProofPhoto, Role, Site, user_regions

EDITABLE = (AuditStatus.DRAFT.value, AuditStatus.ANALYSING.value, AuditStatus.RETURNED.value)


def roles_required(*roles: Role):
    allowed = {r.value for r in roles}

    def deco(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return deco


def visible_site_ids(user):
    """A SELECT of the site ids `user` may see (usable in IN clauses)."""
    q = select(Site.id)
    if user.role in (Role.ADMIN.value, Role.HEAD_OFFICE.value):
        return q
    if user.role == Role.AUDITOR.value:
        region_ids = select(user_regions.c.region_id).where(user_regions.c.user_id == user.id)
        return q.join(Dealer, Site.dealer_id == Dealer.id).where(Dealer.region_id.in_(region_ids))
    if user.role == Role.DEALER.value:
        return q.where(Site.dealer_id == (user.dealer_id if user.dealer_id is not None else -1))
    return q.where(Site.id == -1)


def can_see_site(user, site_id: int) -> bool:
    return session().execute(visible_site_ids(user).where(Site.id == site_id)).first() is not None


def audits_query(user):
    q = select(Audit).where(Audit.site_id.in_(visible_site_ids(user)))
    if user.role == Role.DEALER.value:
        q = q.where(Audit.status == AuditStatus.APPROVED.value)
    return q


def can_see_audit(user, audit: Audit) -> bool:
    if user.role == Role.DEALER.value and audit.status != AuditStatus.APPROVED.value:
        return False
    return can_see_site(user, audit.site_id)


def can_edit_audit(user, audit: Audit) -> bool:
    """Auditors (in scope) and admins change an audit until it is submitted, and after a return."""
    if user.role not in (Role.AUDITOR.value, Role.ADMIN.value):
        return False
    return audit.status in EDITABLE and can_see_site(user, audit.site_id)


def can_review(user, audit: Audit) -> bool:
    return user.role in (Role.HEAD_OFFICE.value, Role.ADMIN.value) and audit.status == AuditStatus.SUBMITTED.value


def can_override(user, audit: Audit) -> bool:
    return can_edit_audit(user, audit) or can_review(user, audit)


def audit_or_404(audit_id: int) -> Audit:
    audit = session().get(Audit, audit_id)
    if audit is None or not can_see_audit(current_user, audit):
        abort(404)
    return audit


def photo_or_404(photo_id: int) -> Photo:
    photo = session().get(Photo, photo_id)
    if photo is None or not can_see_audit(current_user, photo.audit):
        abort(404)
    return photo


def can_see_action(user, action: Action) -> bool:
    return can_see_site(user, action.site_id) and (
        user.role != Role.DEALER.value or action.audit.status == AuditStatus.APPROVED.value
    )


def action_or_404(action_id: int) -> Action:
    action = session().get(Action, action_id)
    if action is None or not can_see_action(current_user, action):
        abort(404)
    return action


def proof_or_404(proof_id: int) -> ProofPhoto:
    proof = session().get(ProofPhoto, proof_id)
    if proof is None or not can_see_action(current_user, proof.action):
        abort(404)
    return proof


def can_verify(user, action: Action) -> bool:
    return user.role in (Role.AUDITOR.value, Role.HEAD_OFFICE.value, Role.ADMIN.value) and can_see_site(
        user, action.site_id
    )
