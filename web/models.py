"""Database models (SQLAlchemy 2.0, typed with Mapped[]). Portable to SQLite and PostgreSQL.

Times are naive UTC. JSON columns hold what the auditor library serialises
(`CheckResult.to_dict`, scores). The audit trail is append-only: the model layer
refuses to update or delete a `TrailEntry` (see `_guard_trail`).
"""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    Index,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Role(str, enum.Enum):
    AUDITOR = "auditor"
    HEAD_OFFICE = "head_office"
    DEALER = "dealer"
    ADMIN = "admin"


class AuditStatus(str, enum.Enum):
    DRAFT = "draft"
    ANALYSING = "analysing"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class PhotoStatus(str, enum.Enum):
    QUEUED = "queued"
    ANALYSING = "analysing"
    DONE = "done"
    ERROR = "error"


class ActionStatus(str, enum.Enum):
    OPEN = "open"
    PROOF_UPLOADED = "proof_uploaded"
    VERIFIED = "verified"
    REOPENED = "reopened"


user_regions = Table(
    "user_regions",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class Region(Base):
    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    dealers: Mapped[list["Dealer"]] = relationship(back_populates="region")


class Dealer(Base):
    __tablename__ = "dealers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    region: Mapped[Region] = relationship(back_populates="dealers")
    sites: Mapped[list["Site"]] = relationship(back_populates="dealer")


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    dealer: Mapped[Dealer] = relationship(back_populates="sites")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    dealer: Mapped[Dealer | None] = relationship()
    regions: Mapped[list[Region]] = relationship(secondary=user_regions)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class BrandPackRef(Base):
    """A brand pack the app may audit against, by the id `auditor.brandpack.load_brand` takes."""

    __tablename__ = "brand_packs"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ChecklistVersion(Base):
    """A checklist version by reference ('default@1'), as `auditor.checklist.load_checklist` takes."""

    __tablename__ = "checklist_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Audit(Base):
    __tablename__ = "audits"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    brand_pack_id: Mapped[int] = mapped_column(ForeignKey("brand_packs.id"))
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default=AuditStatus.DRAFT.value, index=True)
    audit_date: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    score_total: Mapped[float | None] = mapped_column(Float)
    score: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime)

    site: Mapped[Site] = relationship()
    auditor: Mapped[User] = relationship(foreign_keys=[auditor_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    brand_pack: Mapped[BrandPackRef] = relationship()
    checklist_version: Mapped[ChecklistVersion] = relationship()
    photos: Mapped[list["Photo"]] = relationship(back_populates="audit", order_by="Photo.id")

    __table_args__ = (Index("ix_audits_status_date", "status", "audit_date"),)


class AuditItem(Base):
    """One item verdict of an audit's current score, as rows for the dashboard's GROUP BYs.

    Rewritten with every rescore (Audit.score keeps the full verdicts with their evidence).
    """

    __tablename__ = "audit_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    __table_args__ = (UniqueConstraint("audit_id", "item_id", name="uq_audit_item"),)


class Photo(Base):
    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    area: Mapped[str | None] = mapped_column(String(20))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    storage_key: Mapped[str] = mapped_column(String(200), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[str] = mapped_column(String(16), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10), default="")
    exif_taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=PhotoStatus.QUEUED.value, index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    audit: Mapped[Audit] = relationship(back_populates="photos")
    result: Mapped["PhotoResult | None"] = relationship(back_populates="photo", uselist=False)


class PhotoResult(Base):
    """The check results of one photo (one row per photo: re-running replaces, never duplicates)."""

    __tablename__ = "photo_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), unique=True)
    results: Mapped[list[Any]] = mapped_column(JSON)  # [CheckResult.to_dict(), ...]
    predicted_area: Mapped[str | None] = mapped_column(String(20))
    predicted_area_confidence: Mapped[float | None] = mapped_column(Float)
    analysed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    elapsed_ms: Mapped[float] = mapped_column(Float, default=0.0)
    photo: Mapped[Photo] = relationship(back_populates="result")


class ReferencePhoto(Base):
    """A photo the head office approved as the standard of its view (site + area).

    Later photos of that site and area are compared with it (the library's clean.reference
    check): what changed since, and whether the change is a defect.
    """

    __tablename__ = "reference_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    area: Mapped[str] = mapped_column(String(20))
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), unique=True)
    approved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    photo: Mapped[Photo] = relationship()
    __table_args__ = (Index("ix_reference_photos_site_area", "site_id", "area"),)


class ItemOverride(Base):
    """A person's correction of an item verdict. Kept forever; the newest per item counts."""

    __tablename__ = "item_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[User] = relationship()


class ManualAnswer(Base):
    __tablename__ = "manual_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    answer: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("audit_id", "item_id", name="uq_manual_answer_item"),)


class Action(Base):
    """A failed item of an approved audit, for the dealer to fix."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    evidence_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    evidence_region: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evidence_key: Mapped[str | None] = mapped_column(String(200))
    check_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.OPEN.value, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    audit: Mapped[Audit] = relationship()
    site: Mapped[Site] = relationship()
    proofs: Mapped[list["ProofPhoto"]] = relationship(back_populates="action", order_by="ProofPhoto.id")
    __table_args__ = (UniqueConstraint("audit_id", "item_id", name="uq_action_item"),)


class ProofPhoto(Base):
    """A dealer's photo showing an action fixed, checked by the same checks as the item."""

    __tablename__ = "proof_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=PhotoStatus.QUEUED.value)
    results: Mapped[list[Any] | None] = mapped_column(JSON)
    verdict: Mapped[str | None] = mapped_column(String(20))  # summary: pass / fail / needs_review
    error: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[Action] = relationship(back_populates="proofs")


class Job(Base):
    """A background job as the queue saw it (for progress and for re-running)."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who runs it now (web.jobs.claims): the job whose message leads the batch, the claim's token
    # (only its holder records the outcome) and when an abandoned claim may be taken over.
    batch_lead: Mapped[int | None] = mapped_column(Integer, index=True)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)


class TrailEntry(Base):
    """Append-only audit trail: who did what, when, before -> after."""

    __tablename__ = "audit_trail"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40), default="")
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    user: Mapped[User | None] = relationship()


class AppendOnlyError(Exception):
    """Someone tried to change or remove an audit-trail entry."""


@event.listens_for(Session, "before_flush")
def _guard_trail(session: Session, _ctx, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TrailEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError(f"audit trail entry {obj.id} is append-only: it cannot be changed or deleted")


@event.listens_for(TrailEntry, "before_update")
def _no_update(_mapper, _conn, target) -> None:
    raise AppendOnlyError(f"audit trail entry {target.id} is append-only")


@event.listens_for(TrailEntry, "before_delete")
def _no_delete(_mapper, _conn, target) -> None:
    raise AppendOnlyError(f"audit trail entry {target.id} is append-only")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_trail_changes(state) -> None:
    if (state.is_update or state.is_delete) and any(
        m.class_ is TrailEntry for m in state.all_mappers
    ):
        raise AppendOnlyError("audit trail is append-only: bulk UPDATE/DELETE refused")
