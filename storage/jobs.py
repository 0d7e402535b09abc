"""The job queue: approved actions claimed by one worker at a time, under a lease.

A claim picks the oldest job that is ``queued``, or ``running`` under a lease that expired
(its worker died), and takes it compare-and-set. Exactly one claimer wins a job: on
PostgreSQL the candidate row is locked ``FOR UPDATE SKIP LOCKED`` (other claimers pass over
it to the next job instead of waiting); on SQLite the transaction begins ``IMMEDIATE``, so
claims run one at a time, and the UPDATE checks the state and attempts that were read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Select, and_, or_, select, update

from agents.actions.jobs import Job
from storage._seam import SqlStore, count_changed, translated
from storage.tables import jobs

__all__ = ["SqlJobStore"]

log = structlog.get_logger(__name__)

# A compare-and-set can only lose to a claimer that bypassed the lock (it cannot, today);
# should it happen, look for another job a few times rather than report an empty queue.
_CLAIM_ATTEMPTS = 3


class SqlJobStore(SqlStore):
    """``JobStore`` on SQL: one ``jobs`` row per approved approval."""

    async def claim_next(
        self, *, owner: str, now: datetime, lease: timedelta, approval_id: str | None = None
    ) -> Job | None:
        """Claim the oldest runnable job for ``owner`` until ``now + lease`` (only the job of
        ``approval_id``, when given).

        Returns:
            The job (``recovered`` when it was taken over from an expired lease), or None when
            no job is runnable.
        """
        expires = now + lease
        for _ in range(_CLAIM_ATTEMPTS):
            with translated("claim a job"):
                async with self._db.transaction.begin() as connection:
                    candidate = self._candidate(now, approval_id)
                    seen = (await connection.execute(candidate)).first()
                    if seen is None:
                        return None
                    taken = await connection.execute(
                        update(jobs)
                        .where(
                            jobs.c.id == seen.id,
                            jobs.c.state == seen.state,
                            jobs.c.attempts == seen.attempts,
                        )
                        .values(
                            state="running",
                            lease_owner=owner,
                            lease_expires_at=expires,
                            attempts=seen.attempts + 1,
                        )
                    )
            if taken.rowcount:
                return Job(
                    id=seen.id,
                    approval_id=seen.approval_id,
                    idempotency_key=seen.idempotency_key,
                    attempts=seen.attempts + 1,
                    lease_owner=owner,
                    lease_expires_at=expires,
                    recovered=seen.state == "running",
                )
            log.warning("job_claim_lost", job_id=seen.id, owner=owner)
        return None

    async def renew(self, job_id: str, *, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend ``owner``'s lease to ``now + lease``.

        A lease that ran out but was not taken over is still ``owner``'s and is extended.

        Returns:
            False if the job is not running under ``owner`` (done, or claimed by another).
        """
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == "running", jobs.c.lease_owner == owner)
            .values(lease_expires_at=now + lease)
        )
        return bool(await count_changed(self._db.write, statement, action="renew a job lease"))

    async def complete(self, job_id: str, *, owner: str, now: datetime) -> None:
        """Mark the job done, if ``owner`` holds it; otherwise log and change nothing."""
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == "running", jobs.c.lease_owner == owner)
            .values(state="done", finished_at=now)
        )
        if not await count_changed(self._db.write, statement, action="complete a job"):
            log.warning("job_not_held", job_id=job_id, owner=owner)

    def _candidate(self, now: datetime, approval_id: str | None) -> Select[*tuple[Any, ...]]:
        statement = (
            select(
                jobs.c.id, jobs.c.approval_id, jobs.c.idempotency_key, jobs.c.state, jobs.c.attempts
            )
            .where(
                or_(
                    jobs.c.state == "queued",
                    and_(jobs.c.state == "running", jobs.c.lease_expires_at < now),
                )
            )
            .order_by(jobs.c.created_at, jobs.c.id)
            .limit(1)
        )
        if approval_id is not None:
            statement = statement.where(jobs.c.approval_id == approval_id)
        if self._db.dialect == "postgresql":
            # Lock the row for this transaction; concurrent claimers skip to the next job.
            statement = statement.with_for_update(skip_locked=True)
        return statement
