"""Claims on photo jobs: which worker runs which analysis now, so that one worker can take a batch.

The broker (Celery on Redis, or the embedded Huey queue) carries one message per job; the
jobs table decides who runs it. A worker handed the message of job L (the batch's *lead*)
claims rows with one compare-and-set UPDATE each (status and claim token as last read):

1. L itself, unless it is done or runs in another worker's batch whose lease is still live;
2. the jobs an earlier attempt of L claimed and did not finish (``batch_lead = L``): a
   redelivered L (its worker was killed; late acknowledgement) or a retried L (a photo of
   its batch failed) takes its unfinished photos back;
3. when L was claimed, up to ``size`` jobs in all with queued ``analyse_photo`` jobs, oldest first.

A claimed row is ``running`` with ``batch_lead = L``, a fresh ``claim_token`` and
``lease_until``. Only the holder of the current token records a job's outcome
(:func:`settle`), so a worker whose claim was taken over never overwrites the newer one.

Why a killed batch loses nothing: L's message is acknowledged only when the batch has
ended; a batch that dies leaves it unacknowledged, the broker delivers it again and step 2
hands the unfinished photos to the new attempt. The message of a job that sits in someone
else's live batch is acknowledged without work: the lead's message answers for it. A claim
whose lease ran out (its lead's message is gone too, e.g. the embedded queue's process
died) may be taken by that job's own message; `auditor-web requeue` queues waiting photos again.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from web.models import Job, utcnow

PHOTO_JOB = "analyse_photo"
_COLUMNS = (Job.id, Job.args, Job.status, Job.batch_lead, Job.claim_token, Job.lease_until)


@dataclass(frozen=True)
class Claim:
    job_id: int
    photo_id: int
    token: str


def claimable(row, lead_id: int, now) -> bool:
    """May the batch led by `lead_id` take this job row (status, batch_lead, lease_until) now?"""
    if row.status == "done":
        return False
    if row.status == "running":
        return row.batch_lead in (None, lead_id) or row.lease_until is None or row.lease_until <= now
    return True  # queued, or failed and waiting for a retry


def claim_batch(s: Session, lead_id: int, size: int, lease_s: float) -> list[Claim]:
    """Claim the lead job, its unfinished leftovers and up to `size` photo jobs in all (see module doc).

    Returns the claims, the lead's first when it was claimed; [] when there is nothing to do
    (the lead is done or in another worker's live batch). Commits.
    """
    now = utcnow()
    token = uuid.uuid4().hex
    lease = now + timedelta(seconds=lease_s)
    lead = s.execute(select(*_COLUMNS).where(Job.id == lead_id)).one_or_none()
    leftovers = s.execute(select(*_COLUMNS).where(Job.batch_lead == lead_id, Job.id != lead_id,
                                                  Job.status != "done").order_by(Job.id)).all()
    s.commit()  # end the read before writing (SQLite: no stale snapshot to upgrade)
    claims: list[Claim] = []
    lead_claimed = lead is not None and claimable(lead, lead_id, now) and _take(s, lead, lead_id, token, lease, now)
    if lead_claimed:
        claims.append(_claim(lead, token))
    for row in leftovers:
        if claimable(row, lead_id, now) and _take(s, row, lead_id, token, lease, now):
            claims.append(_claim(row, token))
    s.commit()
    if not lead_claimed:
        return claims
    for _round in range(3):  # other workers may win some candidates; look again, a bounded number of times
        missing = size - len(claims)
        if missing <= 0:
            break
        rows = s.execute(select(*_COLUMNS).where(Job.name == PHOTO_JOB, Job.status == "queued")
                         .order_by(Job.id).limit(missing * 2 + 2)).all()
        s.commit()
        if not rows:
            break
        for row in rows:
            if len(claims) >= size:
                break
            if _take(s, row, lead_id, token, lease, now):
                claims.append(_claim(row, token))
        s.commit()
    return claims


def _claim(row, token: str) -> Claim:
    return Claim(row.id, int(list(row.args)[0]), token)


def _take(s: Session, row, lead_id: int, token: str, lease, now) -> bool:
    """Compare-and-set: the row still has the status and token we read -> it is ours now."""
    same_token = Job.claim_token.is_(None) if row.claim_token is None else Job.claim_token == row.claim_token
    result = s.execute(
        update(Job).where(Job.id == row.id, Job.status == row.status, same_token)
        .values(status="running", batch_lead=lead_id, claim_token=token, lease_until=lease, started_at=now,
                attempts=Job.attempts + 1, error="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def settle(s: Session, claim: Claim, error: str | None = None) -> bool:
    """Record the outcome of a claimed job in the caller's transaction: done, or failed with `error`.

    False when the claim is no longer ours (taken over after its lease ran out): then the
    caller must not write the photo's results either; the new holder writes them.
    A failed job keeps its batch_lead, so a retry of that lead takes it back.
    """
    result = s.execute(
        update(Job).where(Job.id == claim.job_id, Job.claim_token == claim.token, Job.status == "running")
        .values(status="failed" if error else "done", error=(error or "")[:2000], finished_at=utcnow(),
                lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
