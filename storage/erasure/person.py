"""Erasing everything one person wrote (``switchboard memory forget --user``), in one
transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, or_, select, true, union, update
from sqlalchemy.engine import Connection

from agents.kernel.models import ConversationKey
from agents.memory.copies import TOMBSTONE, taken_from
from agents.memory.ports import Erased
from storage.erasure.copies import (
    changed,
    drop_summaries_on,
    erase_turns_on,
    tombstone_incident_notes_on,
    tombstone_quotes_on,
)
from storage.erasure.incident_copies import tombstone_followups_of
from storage.tables import (
    conversations,
    events,
    feedback,
    knowledge_misses,
    messages,
    notes,
    thread_memory,
    traces,
)

__all__ = ["erase_user_on"]


def erase_user_on(
    connection: Connection, *, team_id: str | None, user_id: str, now: datetime
) -> Erased:
    """Erase what ``user_id`` wrote in the team (every team when None) and every copy of it:
    their messages and deliveries, the turns they started (see
    :func:`~storage.erasure.copies.erase_turns_on`), their notes and those about them and the
    replies quoting these, the facts they pinned, their votes, misses and incident notes, and
    the stored summaries."""
    in_team = _in_team(team_id)
    # In this order: the facts and the turns are found through the person's messages, which
    # go last.
    votes = delete(feedback).where(feedback.c.user_id == user_id, in_team(feedback))
    erased = Erased(votes=changed(connection, votes))
    quoted = _erase_notes(connection, team_id=team_id, user_id=user_id)
    erased += Erased(
        notes=len(quoted), facts=_erase_facts(connection, team_id=team_id, user_id=user_id)
    )
    erased += erase_turns_on(connection, _turns(team_id, user_id))
    return erased + Erased(
        replies=tombstone_quotes_on(connection, quoted, team_id=team_id),
        misses=changed(
            connection,
            delete(knowledge_misses).where(
                knowledge_misses.c.user_id == user_id, in_team(knowledge_misses)
            ),
        ),
        timeline=tombstone_incident_notes_on(connection, team_id=team_id, user_id=user_id)
        + tombstone_followups_of(connection, team_id=team_id, user_id=user_id),
        deliveries=changed(
            connection,
            update(events)
            .where(
                events.c.status == "claimed",
                events.c.user_id == user_id,
                events.c.text != TOMBSTONE,
                in_team(events),
            )
            .values(text=TOMBSTONE, status="done", finished_at=now),
        ),
        messages=changed(
            connection,
            delete(messages).where(*_person_messages(team_id, user_id)),
        ),
        summaries=drop_summaries_on(connection, in_team(thread_memory)),
    )


def _in_team(team_id: str | None) -> Any:
    def where(table: Any) -> ColumnElement[bool]:
        return true() if team_id is None else table.c.team_id == team_id

    return where


def _person_messages(team_id: str | None, user_id: str) -> list[ColumnElement[bool]]:
    where = [messages.c.direction == "in", messages.c.user_id == user_id]
    if team_id is not None:
        in_team = select(conversations.c.id).where(conversations.c.team_id == team_id)
        where.append(messages.c.conversation_id.in_(in_team))
    return where


def _turns(team_id: str | None, user_id: str) -> Select[Any]:
    """The turns the person started: those traced as theirs, and those whose message is."""
    traced = select(traces.c.trace_id).where(traces.c.user_id == user_id)
    if team_id is not None:
        traced = traced.where(traces.c.team_id == team_id)
    said = select(messages.c.trace_id).where(*_person_messages(team_id, user_id))
    return select(union(traced, said).subquery().c.trace_id)


def _erase_notes(
    connection: Connection, *, team_id: str | None, user_id: str
) -> list[tuple[str, datetime]]:
    """Delete the notes the person wrote and those about them; returns their texts and when
    they were made."""
    where = [
        or_(notes.c.author == user_id, and_(notes.c.scope == "user", notes.c.scope_id == user_id))
    ]
    if team_id is not None:
        where.append(notes.c.team_id == team_id)
    found = connection.execute(select(notes.c.text, notes.c.created_at).where(*where)).all()
    if found:
        connection.execute(delete(notes).where(*where))
    return [(str(row.text), row.created_at) for row in found]


def _erase_facts(connection: Connection, *, team_id: str | None, user_id: str) -> int:
    """Remove the facts taken from the person's messages in each thread that has facts."""
    statement = select(thread_memory).with_for_update()  # (PostgreSQL: as a pin takes it)
    if team_id is not None:
        statement = statement.where(thread_memory.c.team_id == team_id)
    removed = 0
    for row in connection.execute(statement).all():
        facts = [str(fact) for fact in row.facts or ()]
        if not facts:
            continue
        key = ConversationKey(row.team_id, row.channel_id, row.thread_ts)
        said = _said_in(connection, key, user_id)
        kept = [f for f in facts if not any(taken_from(f, text) for text in said)]
        if len(kept) != len(facts):
            connection.execute(
                update(thread_memory)
                .where(
                    thread_memory.c.team_id == key.team_id,
                    thread_memory.c.channel_id == key.channel_id,
                    thread_memory.c.thread_ts == key.thread_ts,
                )
                .values(facts=kept)
            )
            removed += len(facts) - len(kept)
    return removed


def _said_in(connection: Connection, key: ConversationKey, user_id: str) -> list[str]:
    statement = (
        select(messages.c.text)
        .join(conversations, messages.c.conversation_id == conversations.c.id)
        .where(
            conversations.c.team_id == key.team_id,
            conversations.c.channel_id == key.channel_id,
            conversations.c.thread_ts == key.thread_ts,
            messages.c.direction == "in",
            messages.c.user_id == user_id,
        )
    )
    return [str(text) for text in connection.execute(statement).scalars()]
