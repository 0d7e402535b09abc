"""The append-only audit trail: who did what to which approval, and when.

The store offers no update or delete, and the database refuses them too (triggers added by
migration ``0002``). Entries written together with an approval's change go through
:func:`append_entries` inside that change's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, get_args

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.actions.jobs import AuditEntry, AuditKind, AuditQuery
from agents.kernel.errors import StorageError
from storage._records import from_row, row_values
from storage._seam import SqlStore, execute, fetch_all, narrow
from storage.tables import audit_log

__all__ = ["SqlAuditLog", "append_entries"]

_KINDS: tuple[AuditKind, ...] = get_args(AuditKind)


class SqlAuditLog(SqlStore):
    """``AuditLog`` on SQL: one row per entry, never changed once written."""

    async def append(self, entry: AuditEntry) -> None:
        """Add one entry."""
        statement = insert(audit_log).values(**_values(entry))
        await execute(self._db.write, statement, action="append to the audit log")

    async def entries(self, query: AuditQuery) -> Sequence[AuditEntry]:
        """The entries ``query`` asks for, oldest first (in the order written, for equal
        times)."""
        statement = select(audit_log).order_by(audit_log.c.at, audit_log.c.id)
        if query.since is not None:
            statement = statement.where(audit_log.c.at >= query.since)
        if query.action is not None:
            statement = statement.where(audit_log.c.action == query.action)
        if query.trace_id is not None:
            statement = statement.where(audit_log.c.trace_id == query.trace_id)
        statement = statement.limit(max(query.limit, 0))
        rows = await fetch_all(self._db.read, statement, action="read the audit log")
        return [_entry(row) for row in rows]


async def append_entries(connection: AsyncConnection, entries: Sequence[AuditEntry]) -> None:
    """Insert ``entries`` in the caller's transaction (so they commit with its change)."""
    if entries:
        await connection.execute(insert(audit_log), [_values(entry) for entry in entries])


def _values(entry: AuditEntry) -> dict[str, Any]:
    return row_values(entry, skip=("details",), details_json=dict(entry.details))


def _details(data: object, *, entry_id: int) -> Mapping[str, str]:
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in data.items()
    ):
        raise StorageError(f"malformed details_json in audit entry {entry_id!r}")
    return dict(data)


def _entry(row: Row[*tuple[Any, ...]]) -> AuditEntry:
    return from_row(
        AuditEntry,
        row,
        kind=narrow(row.kind, _KINDS, column="audit_log.kind"),
        details=_details(row.details_json, entry_id=row.id),
    )
