"""PostgreSQL: a turn's record, and the release of its conversation lock, as one statement.

:func:`storage.ledger._record` stores a turn in one transaction of five statements (the
conversation, the person's message, the pending reply, the trace, the check that the message
was not edited or deleted in Slack meanwhile), and the lock was given back after it: eight
round trips with BEGIN, COMMIT and the lock's DELETE. Here the same writes are data-modifying
CTEs of one statement, run in autocommit (atomic as any statement, durable once it returns):
one round trip. The statement writes only when it can do exactly what the transaction would:

- the delivery's stored words are the ones the turn saw (else the message was edited or
  deleted while the turn ran, and the turn's copies must be erased: the transaction does it);
- the conversation exists, or this statement creates it (one created by a concurrent
  transaction that committed after this statement's snapshot is neither seen nor created).

Otherwise it writes nothing and says so, and the caller runs the transaction. The lease row
of the turn's conversation lock is deleted by the same statement (its owner matching, as
:meth:`storage.locks.SqlConversationLocks.hold` gives it back), so the thread's next turn, on
any replica, can start once the record is committed, as before: one round trip sooner.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.sql.schema import Table

from agents.kernel.models import Inbound, Outbound, Trace
from storage._records import row_values
from storage._seam import insert
from storage.conversations.writes import exchange_rows
from storage.engine import Prepared
from storage.tables import conversation_locks, conversations, events, messages, traces

__all__ = ["NO_LOCK", "statement_for"]

NO_LOCK = ("", "")  # the (key, owner) of no lease: no lock row has the key ""

_KEY = ("team_id", "channel_id", "thread_ts")


def _param(prefix: str, table: Table, column: str) -> Any:
    """A parameter for ``table.column``, typed as the column (its bind processing)."""
    return bindparam(f"{prefix}{column}", type_=table.c[column].type)


def _words_kept() -> ColumnElement[bool]:
    """No delivery of the message holds words other than the turn's (``settle_turn_on``)."""
    changed = select(events.c.id).where(
        events.c.team_id == bindparam("d_team_id"),
        events.c.event_id == bindparam("d_event_id"),
        events.c.text != "",
        events.c.text != bindparam("d_text", type_=events.c.text.type),
    )
    return ~exists(changed)


def _conversation(kept: ColumnElement[bool]) -> tuple[CTE, CTE]:
    """The conversation created here, and the one to use (created, or found)."""
    columns = (*_KEY, "created_at", "updated_at")
    created = (
        insert("postgresql", conversations)
        .from_select(
            list(columns), select(*(_param("c_", conversations, c) for c in columns)).where(kept)
        )
        .on_conflict_do_nothing(index_elements=[conversations.c[c] for c in _KEY])
        .returning(conversations.c.id)
        .cte("created")
    )
    found = select(conversations.c.id, false().label("created")).where(
        *(conversations.c[c] == _param("c_", conversations, c) for c in _KEY)
    )
    either = union_all(select(created.c.id, true().label("created")), found).cte("conversation")
    return created, either


def _insert_message(prefix: str, keys: Iterable[str], conversation: CTE, go: Any) -> CTE:
    columns = ["conversation_id", *keys]
    chosen = select(conversation.c.id).order_by(conversation.c.created.desc()).limit(1)
    values = [chosen.scalar_subquery(), *(_param(prefix, messages, c) for c in keys)]
    return (
        insert("postgresql", messages)
        .from_select(columns, select(*values).where(go))
        .on_conflict_do_nothing(index_elements=[messages.c.trace_id, messages.c.direction])
        .returning(messages.c.created_at)
        .cte(f"message_{prefix.rstrip('_')}")
    )


def _upsert_trace(keys: Iterable[str], go: Any) -> CTE:
    statement = insert("postgresql", traces).from_select(
        list(keys), select(*(_param("t_", traces, c) for c in keys)).where(go)
    )
    return (
        statement.on_conflict_do_update(
            index_elements=[traces.c.trace_id],
            set_={c: statement.excluded[c] for c in keys if c != "trace_id"},
        )
        .returning(traces.c.trace_id)
        .cte("trace")
    )


@cache
def _statement(
    in_keys: tuple[str, ...], out_keys: tuple[str, ...], trace_keys: tuple[str, ...]
) -> Prepared:
    """The record for messages and a trace with these columns; one row: whether it wrote,
    and how many rows each part changed."""
    kept = _words_kept()
    created, conversation = _conversation(kept)
    go = and_(kept, exists(select(conversation.c.id)))
    person = _insert_message("i_", in_keys, conversation, go)
    reply = _insert_message("o_", out_keys, conversation, go)
    new = union_all(select(person.c.created_at), select(reply.c.created_at)).subquery("new")
    newest_at = select(func.max(new.c.created_at)).scalar_subquery()  # NULL: none was new
    touched = (
        update(conversations)
        .where(
            conversations.c.id.in_(
                select(conversation.c.id).where(conversation.c.created.is_(False))
            ),
            conversations.c.updated_at < newest_at,
        )
        .values(updated_at=newest_at)
        .returning(conversations.c.id)
        .cte("touched")
    )
    trace = _upsert_trace(trace_keys, go)
    released = (
        delete(conversation_locks)
        .where(
            conversation_locks.c.key == bindparam("l_key"),
            conversation_locks.c.owner == bindparam("l_owner"),
            go,
        )
        .returning(conversation_locks.c.key)
        .cte("released")
    )
    counts = (
        select(func.count()).select_from(cte).scalar_subquery()
        for cte in (created, person, reply, touched, trace, released)
    )
    return Prepared(select(go.label("wrote"), *counts))


def statement_for(
    inbound: Inbound, outbound: Outbound, trace: Trace, *, lock: tuple[str, str]
) -> tuple[Prepared, dict[str, Any]] | None:
    """The record's statement and its values; None if the message and the reply are in two
    conversations."""
    person, reply = exchange_rows(inbound, outbound, now=trace.started_at)
    if person.key != reply.key:
        return None
    person_values = {**person.values, "created_at": person.at}
    reply_values = {**reply.values, "created_at": reply.at}
    trace_values = row_values(trace, tool_calls=list(trace.tool_calls))
    statement = _statement(tuple(person_values), tuple(reply_values), tuple(trace_values))
    key = person.key
    values = {
        "d_team_id": inbound.team_id,
        "d_event_id": inbound.event_id,
        "d_text": inbound.text,
        "c_team_id": key.team_id,
        "c_channel_id": key.channel_id,
        "c_thread_ts": key.thread_ts,
        "c_created_at": person.at,
        "c_updated_at": max(person.at, reply.at),
        "l_key": lock[0],
        "l_owner": lock[1],
        **{f"i_{name}": value for name, value in person_values.items()},
        **{f"o_{name}": value for name, value in reply_values.items()},
        **{f"t_{name}": value for name, value in trace_values.items()},
    }
    return statement, values
