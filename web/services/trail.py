"""Write to the append-only audit trail (who, when, what, before -> after)."""
from __future__ import annotations

from typing import Any

from auditor.types import jsonable
from web.db import session
from web.models import TrailEntry, utcnow


def record(user, entity: str, entity_id, action: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None, audit_id: int | None = None) -> TrailEntry:
    """Add a trail entry to the current session (committed with the change it describes)."""
    entry = TrailEntry(
        at=utcnow(),
        user_id=getattr(user, "id", None),
        audit_id=audit_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
    )
    session().add(entry)
    return entry
