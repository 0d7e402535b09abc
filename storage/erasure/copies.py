"""The copies an erased message leaves, erased in the caller's transaction.

Two kinds: the records of the turns it started (found by trace id: the bot's reply, the
trace's error text, the words of 👎 forms, the turn's place in the evaluation set), and what
was taken from its words (notes made from it, facts pinned and misses recorded from it,
incident notes written with it, the replies that quote an erased note, the channel's
summaries). The rules of what is a copy are :mod:`agents.memory.copies`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, null, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import Executable

from agents.kernel.models import ConversationKey, Reply
from agents.memory.copies import TOMBSTONE, quotable, still_says, taken_from
from agents.memory.ports import Erased
from storage.conversations.replies import encode_reply
from storage.erasure.said import Said
from storage.tables import (
    conversations,
    feedback,
    incident_timeline,
    incidents,
    knowledge_misses,
    messages,
    notes,
    reviews,
    thread_memory,
    traces,
)

__all__ = [
    "TraceIds",
    "changed",
    "drop_summaries_on",
    "erase_taken_on",
    "erase_turns_on",
    "tombstone_incident_notes_on",
    "tombstone_quotes_on",
    "tombstone_replies_on",
]

TraceIds = Sequence[str] | Select[Any]
"""The erased turns: their trace ids, or a query selecting them."""

_SLACK = timedelta(minutes=1)
"""A miss or an incident note comes after the message it was taken from; this much earlier
is looked at too (clocks of two replicas differ a little)."""

_TOMBSTONE_REPLY = update(messages).where(messages.c.id == bindparam("w_id"))


def changed(connection: Connection, statement: Executable) -> int:
    """Run an UPDATE or DELETE; how many rows it changed."""
    return int(connection.execute(statement).rowcount or 0)


def erase_turns_on(connection: Connection, turns: TraceIds) -> Erased:
    """Erase what the turns ``turns`` left beside the person's message: the bot's replies,
    the traces' error text, the words of 👎 forms on them (the votes stay), and their place
    in the evaluation set (the label stays)."""
    return Erased(
        replies=tombstone_replies_on(connection, messages.c.trace_id.in_(turns)),
        traces=changed(
            connection,
            update(traces)
            .where(
                traces.c.trace_id.in_(turns),
                traces.c.error.is_not(None),
                traces.c.error != TOMBSTONE,
            )
            .values(error=TOMBSTONE),
        ),
        forms=changed(
            connection,
            update(feedback)
            .where(
                feedback.c.trace_id.in_(turns),
                or_(feedback.c.comment != "", feedback.c.expected != ""),
            )
            .values(comment="", expected=""),
        ),
        cases=changed(
            connection,
            update(reviews)
            .where(
                reviews.c.trace_id.in_(turns),
                or_(reviews.c.promoted_at.is_not(None), reviews.c.expected_json.is_not(None)),
            )
            .values(promoted_at=None, promoted_by=None, expected_json=null()),
        ),
    )


def tombstone_replies_on(connection: Connection, *where: ColumnElement[bool]) -> int:
    """Replace the bot's replies matching ``where`` by the tombstone: text and stored reply
    (which keeps only the approval it carried: the card is rendered from the approval)."""
    rows = connection.execute(
        select(messages.c.id, messages.c.reply_json).where(
            messages.c.direction == "out", messages.c.text != TOMBSTONE, *where
        )
    ).all()
    if rows:
        connection.execute(
            _TOMBSTONE_REPLY,
            [{"w_id": row.id, "text": TOMBSTONE, "reply_json": _tombstone(row)} for row in rows],
        )
    return len(rows)


def tombstone_quotes_on(
    connection: Connection, quoted: Iterable[tuple[str, datetime]], *, team_id: str | None
) -> int:
    """Tombstone the bot's replies (in the team; any team when None) that quote one of the
    erased ``quoted`` notes (text, when it was made) word for word: those long enough to be
    searched for, in replies made since the oldest of them (none could quote it before)."""
    searched = [(text, made) for text, made in quoted if quotable(text)]
    if not searched:
        return 0
    texts = sorted({text for text, _ in searched})
    where = [
        messages.c.created_at >= min(made for _, made in searched),
        or_(*(messages.c.text.contains(text, autoescape=True) for text in texts)),
    ]
    if team_id is not None:
        in_team = select(conversations.c.id).where(conversations.c.team_id == team_id)
        where.append(messages.c.conversation_id.in_(in_team))
    return tombstone_replies_on(connection, *where)


def drop_summaries_on(connection: Connection, *where: ColumnElement[bool]) -> int:
    """Clear the stored summaries matching ``where`` so they are remade from what is left
    (they quote the messages they summarise); pinned facts stay."""
    statement = (
        update(thread_memory)
        .where(thread_memory.c.summary != "", *where)
        .values(summary="", covered=0)
    )
    return changed(connection, statement)


def erase_taken_on(connection: Connection, said: Sequence[Said], *, new: str | None) -> Erased:
    """Erase what was taken from the old words of ``said`` and is not in the ``new`` words
    (None: the message was deleted)."""
    erased_notes = _erase_notes(connection, said, new=new)
    channels = {(s.conversation.team_id, s.conversation.channel_id) for s in said}
    return Erased(
        notes=len(erased_notes),
        facts=sum(_erase_facts(connection, key, said, new=new) for key in _threads(said)),
        misses=sum(_erase_misses(connection, s, new=new) for s in said),
        timeline=sum(_erase_incident_notes(connection, s, new=new) for s in said),
        replies=sum(
            tombstone_quotes_on(connection, notes_of_team, team_id=team)
            for team, notes_of_team in _by_team(erased_notes).items()
        ),
        summaries=sum(
            drop_summaries_on(
                connection,
                thread_memory.c.team_id == team,
                thread_memory.c.channel_id == channel,
            )
            for team, channel in sorted(channels)
        ),
    )


def tombstone_incident_notes_on(
    connection: Connection, *, team_id: str | None, user_id: str
) -> int:
    """Tombstone every incident timeline note ``user_id`` wrote, and every message of
    theirs pinned onto a timeline (in the team; any when None)."""
    where = [
        incident_timeline.c.user_id == user_id,
        incident_timeline.c.kind.in_(("note", "pinned")),
        incident_timeline.c.text != TOMBSTONE,
    ]
    if team_id is not None:
        in_team = select(incidents.c.incident_id).where(incidents.c.team_id == team_id)
        where.append(incident_timeline.c.incident_id.in_(in_team))
    return changed(connection, update(incident_timeline).where(*where).values(text=TOMBSTONE))


def _tombstone(row: Any) -> dict[str, Any]:
    stored = row.reply_json if isinstance(row.reply_json, dict) else {}
    approval_id = stored.get("approval_id")
    kept = str(approval_id) if approval_id is not None else None
    return encode_reply(Reply(text=TOMBSTONE, approval_id=kept))


def _threads(said: Sequence[Said]) -> list[ConversationKey]:
    return list(dict.fromkeys(s.conversation for s in said))


def _by_team(
    erased: Sequence[tuple[str, str, datetime]],
) -> dict[str, list[tuple[str, datetime]]]:
    grouped: dict[str, list[tuple[str, datetime]]] = {}
    for team, text, made in erased:
        grouped.setdefault(team, []).append((text, made))
    return grouped


def _erase_notes(
    connection: Connection, said: Sequence[Said], *, new: str | None
) -> list[tuple[str, str, datetime]]:
    """Delete the notes made from the messages (unless the new words still say them);
    returns each erased note's team, text and when it was made."""
    erased: list[tuple[str, str, datetime]] = []
    for s in said:
        if not s.ts:  # a slash command: no Slack message to be linked to
            continue
        rows = connection.execute(
            select(notes.c.note_id, notes.c.text, notes.c.created_at).where(
                notes.c.team_id == s.conversation.team_id,
                notes.c.source_channel == s.conversation.channel_id,
                notes.c.source_ts == s.ts,
            )
        ).all()
        gone = [row for row in rows if not still_says(new, row.text)]
        if gone:
            connection.execute(delete(notes).where(notes.c.note_id.in_([r.note_id for r in gone])))
            erased.extend((s.conversation.team_id, row.text, row.created_at) for row in gone)
    return erased


def _erase_facts(
    connection: Connection, key: ConversationKey, said: Sequence[Said], *, new: str | None
) -> int:
    where = (
        thread_memory.c.team_id == key.team_id,
        thread_memory.c.channel_id == key.channel_id,
        thread_memory.c.thread_ts == key.thread_ts,
    )
    # FOR UPDATE on PostgreSQL (as a pin takes it): a fact pinned meanwhile is not lost.
    read = select(thread_memory.c.facts).where(*where).with_for_update()
    stored = connection.execute(read).scalar()
    facts = [str(fact) for fact in stored or ()]
    old = [s.text for s in said if s.conversation == key]
    kept = [f for f in facts if not any(taken_from(f, text, new=new) for text in old)]
    if len(kept) != len(facts):
        connection.execute(update(thread_memory).where(*where).values(facts=kept))
    return len(facts) - len(kept)


def _erase_misses(connection: Connection, s: Said, *, new: str | None) -> int:
    rows = connection.execute(
        select(knowledge_misses.c.id, knowledge_misses.c.query).where(
            knowledge_misses.c.at >= s.at - _SLACK,
            knowledge_misses.c.team_id == s.conversation.team_id,
            knowledge_misses.c.channel_id == s.conversation.channel_id,
            knowledge_misses.c.user_id == s.user_id,
        )
    ).all()
    gone = [row.id for row in rows if taken_from(row.query, s.text, new=new)]
    if gone:
        connection.execute(delete(knowledge_misses).where(knowledge_misses.c.id.in_(gone)))
    return len(gone)


def _erase_incident_notes(connection: Connection, s: Said, *, new: str | None) -> int:
    in_channel = select(incidents.c.incident_id).where(
        incidents.c.team_id == s.conversation.team_id,
        incidents.c.channel_id == s.conversation.channel_id,
    )
    rows = connection.execute(
        select(incident_timeline.c.id, incident_timeline.c.text).where(
            incident_timeline.c.incident_id.in_(in_channel),
            incident_timeline.c.user_id == s.user_id,
            incident_timeline.c.kind == "note",
            incident_timeline.c.at >= s.at - _SLACK,
            incident_timeline.c.text != TOMBSTONE,
        )
    ).all()
    gone = [row.id for row in rows if taken_from(row.text, s.text, new=new)]
    if gone:
        statement = (
            update(incident_timeline).where(incident_timeline.c.id.in_(gone)).values(text=TOMBSTONE)
        )
        connection.execute(statement)
    return len(gone)
