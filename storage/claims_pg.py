"""Claims that queue together, written by one statement on PostgreSQL (group commit).

On PostgreSQL each claim is one autocommit ``INSERT … ON CONFLICT DO NOTHING``: a round trip,
a commit (a WAL flush) and about 90 µs of the replica's CPU each. Claims that arrive while one
is being written wait in :class:`~storage.batching.GroupCommit` (as on SQLite) and the next
write takes them all: one ``INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING RETURNING``, one
round trip and one commit for all of them. A statement is atomic, so a batch that fails wrote
nothing and :class:`GroupCommit` writes its claims again one by one. A delivery twice in one
batch is inserted once, for its first claim; the others are told it was claimed already, as
they would be one after the other. Rows go in key order, so batches of two replicas that
overlap (a delivery sent to both) cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select

from storage.engine import Prepared, Writes
from storage.tables import events

__all__ = ["MixedColumns", "claim_together"]

_Key = tuple[str, str]


class MixedColumns(ValueError):
    """Claims of one batch set different columns (one with a lease, one without): nothing was
    written, and :class:`~storage.batching.GroupCommit` writes them one by one."""


async def claim_together(writes: Writes, batch: Sequence[dict[str, Any]]) -> list[bool]:
    """Insert the batch's deliveries unless they exist, in one statement; per claim, True if
    that claim inserted its delivery.

    Raises:
        MixedColumns: the claims do not share their columns (nothing was written).
    """
    columns = tuple(batch[0])
    if any(tuple(values) != columns for values in batch):
        raise MixedColumns("claims with different columns")
    first: dict[_Key, int] = {}
    for index, values in enumerate(batch):
        first.setdefault((values["team_id"], values["event_id"]), index)
    # In key order: two replicas inserting overlapping batches wait for each other's rows in
    # the same order, never in a cycle (a deadlock PostgreSQL would break after a second).
    unique = [batch[first[key]] for key in sorted(first)]
    arrays = {f"a_{name}": [values[name] for values in unique] for name in columns}
    rows = await writes.execute(_statement(columns), arrays)
    inserted = {(row[0], row[1]) for row in rows.all()}
    results = []
    for index, values in enumerate(batch):
        key = (values["team_id"], values["event_id"])
        results.append(key in inserted and first[key] == index)
    return results


@cache
def _statement(columns: tuple[str, ...]) -> Prepared:
    """``INSERT INTO events (columns) SELECT unnest($1), unnest($2), …`` (one array of values
    per column, zipped row by row) ``ON CONFLICT DO NOTHING RETURNING team_id, event_id``."""
    from sqlalchemy.dialects import postgresql  # PostgreSQL's statement only

    rows = select(
        *(
            func.unnest(bindparam(f"a_{name}", type_=postgresql.ARRAY(events.c[name].type)))
            for name in columns
        )
    )
    statement = (
        postgresql.insert(events)
        .from_select(list(columns), rows)
        .on_conflict_do_nothing(index_elements=[events.c.team_id, events.c.event_id])
        .returning(events.c.team_id, events.c.event_id)
    )
    return Prepared(statement)
