"""Approvals, changed compare-and-set on ``version``; the votes they record; the job they become.

:meth:`SqlApprovalStore.apply` is the one place an approval changes: in one transaction it
updates the row only if it is still at the version the transition was computed from, and
only then records the new votes, appends the audit entries and, on approval, enqueues the
job. A lost race writes nothing and returns False; the caller re-reads and tries again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, get_args

import structlog
from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.actions.approval import Approval, ApprovalState
from agents.actions.canonical import CanonicalAction
from agents.actions.jobs import AuditEntry
from agents.actions.spec import ParamValue
from agents.kernel.errors import StorageError
from storage._records import from_row, row_values
from storage._seam import (
    SqlStore,
    count_changed,
    fetch_all,
    fetch_first,
    insert,
    narrow,
    translated,
)
from storage.audit import append_entries
from storage.engine import Dialect
from storage.tables import approval_votes, approvals, jobs

__all__ = ["SqlApprovalStore"]

log = structlog.get_logger(__name__)

_STATES: tuple[ApprovalState, ...] = get_args(ApprovalState)
# What a transition may change. ``message_ts`` is not among them: it belongs to
# ``set_message_ts``, which does not bump the version, so a transition computed before the
# card was posted must not erase it.
_MUTABLE = (
    "params_json",
    "state",
    "approvals_json",
    "decided_by",
    "reason",
    "result",
    "version",
    "edits",
    "expires_at",
    "updated_at",
    "canonical_json",  # an edit recomputes the canonical action and its digest
    "action_digest",
)


class SqlApprovalStore(SqlStore):
    """``ApprovalStore`` on SQL: ``approvals``, ``approval_votes`` and the ``jobs`` they feed."""

    async def create(self, approval: Approval, *, audit: AuditEntry) -> None:
        """Insert the approval and its ``requested`` audit entry in one transaction.

        Raises:
            StorageError: an approval with this id, token or idempotency key exists.
        """
        with translated("create an approval"):
            async with self._db.transaction.begin() as connection:
                await connection.execute(
                    insert(self._db.dialect, approvals).values(**_values(approval))
                )
                await append_entries(connection, [audit])

    async def get(self, approval_id: str) -> Approval | None:
        """The approval with this id, if stored."""
        return await self._one(approvals.c.id == approval_id, action="read an approval")

    async def by_token(self, token: str) -> Approval | None:
        """The approval whose buttons carry ``token``, if any."""
        return await self._one(approvals.c.token == token, action="find an approval by token")

    async def apply(
        self, before: Approval, after: Approval, *, audit: Sequence[AuditEntry]
    ) -> bool:
        """Store ``after`` if the row is still at ``before.version``; everything else with it.

        In the same transaction: one ``approve`` vote per voter new in ``after.approvals``
        (round ``after.edits``), a ``reject`` vote when ``after`` rejects a pending request,
        the ``audit`` entries, and the job when ``after`` approves a pending request.

        Returns:
            False when the row was not at ``before.version`` (another writer won; nothing was
            written).

        Raises:
            StorageError: the database failed, or a vote for the same voter and round exists
                (then nothing was written either).
        """
        if after.id != before.id:
            raise StorageError(f"cannot apply approval {after.id!r} over {before.id!r}")
        values = _values(after)
        statement = (
            update(approvals)
            .where(approvals.c.id == before.id, approvals.c.version == before.version)
            .values({name: values[name] for name in _MUTABLE})
        )
        with translated("apply an approval transition"):
            async with self._db.transaction.begin() as connection:
                # The row lock taken here (the write lock on SQLite) serializes racing
                # writers; the loser's WHERE no longer matches once the winner commits.
                if not (await connection.execute(statement)).rowcount:
                    return False
                await _record_votes(connection, self._db.dialect, before, after)
                await append_entries(connection, audit)
                if before.state == "pending" and after.state == "approved":
                    await _enqueue(connection, self._db.dialect, after)
        return True

    async def set_message_ts(self, approval_id: str, ts: str) -> None:
        """Remember the ts of the approval's card (not a transition: the version stays)."""
        statement = update(approvals).where(approvals.c.id == approval_id).values(message_ts=ts)
        if not await count_changed(self._db.write, statement, action="remember an approval card"):
            log.warning("approval_not_found", approval_id=approval_id)

    async def by_card(self, channel_id: str, message_ts: str) -> Approval | None:
        """The approval whose card is the message ``message_ts`` in ``channel_id``, if any."""
        return await self._one(
            (approvals.c.channel_id == channel_id) & (approvals.c.message_ts == message_ts),
            action="find an approval by its card",
        )

    async def pending(
        self, *, team_id: str, limit: int, approved_too: bool = False
    ) -> Sequence[Approval]:
        """Approvals still ``pending`` in the workspace (``approved_too``: or ``approved``),
        oldest first."""
        states = ("pending", "approved") if approved_too else ("pending",)
        statement = (
            select(approvals)
            .where(approvals.c.team_id == team_id, approvals.c.state.in_(states))
            .order_by(approvals.c.created_at, approvals.c.id)
            .limit(max(limit, 0))
        )
        return await self._many(statement, action="list pending approvals")

    async def due_to_expire(self, *, now: datetime, limit: int) -> Sequence[Approval]:
        """``pending`` approvals with ``expires_at`` at or before ``now``, soonest expired first."""
        statement = (
            select(approvals)
            .where(approvals.c.state == "pending", approvals.c.expires_at <= now)
            .order_by(approvals.c.expires_at, approvals.c.id)
            .limit(max(limit, 0))
        )
        return await self._many(statement, action="list approvals due to expire")

    async def _one(self, condition: Any, *, action: str) -> Approval | None:
        row = await fetch_first(self._db.read, select(approvals).where(condition), action=action)
        return None if row is None else _approval(row)

    async def _many(self, statement: Any, *, action: str) -> list[Approval]:
        rows = await fetch_all(self._db.read, statement, action=action)
        return [_approval(row) for row in rows]


async def _record_votes(
    connection: AsyncConnection, dialect: Dialect, before: Approval, after: Approval
) -> None:
    at = after.updated_at or after.created_at
    new = [voter for voter in after.approvals if voter not in before.approvals]
    if new:
        # A plain INSERT: a second approve by the same voter in the same round violates the
        # unique constraint and rolls the whole transition back.
        await connection.execute(
            insert(dialect, approval_votes),
            [
                {
                    "approval_id": after.id,
                    "voter": voter,
                    "vote": "approve",
                    "round": after.edits,
                    "at": at,
                }
                for voter in new
            ],
        )
    if before.state == "pending" and after.state == "rejected" and after.decided_by:
        # The domain lets an approver who already approved this round reject after all:
        # their one vote of the round becomes the rejection (the audit trail keeps both).
        statement = insert(dialect, approval_votes).values(
            approval_id=after.id, voter=after.decided_by, vote="reject", round=after.edits, at=at
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    approval_votes.c.approval_id,
                    approval_votes.c.voter,
                    approval_votes.c.round,
                ],
                set_={"vote": "reject", "at": at},
            )
        )


async def _enqueue(connection: AsyncConnection, dialect: Dialect, approval: Approval) -> None:
    # jobs.approval_id is unique: a second job for one approval is impossible, not just avoided.
    await connection.execute(
        insert(dialect, jobs).values(
            id=uuid.uuid4().hex,
            approval_id=approval.id,
            idempotency_key=approval.idempotency_key,
            state="queued",
            attempts=0,
            created_at=approval.updated_at or approval.created_at,
        )
    )


def _values(approval: Approval) -> dict[str, Any]:
    canonical = approval.canonical
    return row_values(
        approval,
        skip=("params", "approvals", "canonical"),
        params_json=dict(approval.params),
        approvals_json=list(approval.approvals),
        canonical_json=canonical.as_json() if canonical is not None else None,
        action_digest=canonical.digest if canonical is not None else None,
    )


def _canonical(row: Row[*tuple[Any, ...]]) -> CanonicalAction | None:
    """The stored canonical action, checked against the digest stored beside it."""
    if row.canonical_json is None:
        return None
    try:
        canonical = CanonicalAction.from_json(row.canonical_json)
    except ValueError:
        raise StorageError(f"malformed canonical_json of approval {row.id!r}") from None
    if canonical.digest != row.action_digest:
        raise StorageError(f"canonical_json of approval {row.id!r} does not match its digest")
    return canonical


def _params(data: object, *, approval_id: str) -> Mapping[str, ParamValue]:
    if not isinstance(data, dict) or not all(
        isinstance(name, str) and isinstance(value, str | int | bool)
        for name, value in data.items()
    ):
        raise StorageError(f"malformed params_json of approval {approval_id!r}")
    return dict(data)


def _voters(data: object, *, approval_id: str) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(voter, str) for voter in data):
        raise StorageError(f"malformed approvals_json of approval {approval_id!r}")
    return tuple(data)


def _approval(row: Row[*tuple[Any, ...]]) -> Approval:
    return from_row(
        Approval,
        row,
        params=_params(row.params_json, approval_id=row.id),
        self_approval=bool(row.self_approval),
        state=narrow(row.state, _STATES, column="approvals.state"),
        approvals=_voters(row.approvals_json, approval_id=row.id),
        canonical=_canonical(row),
    )
