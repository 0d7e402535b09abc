"""Erasing one message edited or deleted in Slack, in one transaction, and a turn that was
still running when that happened.

A delivery still being worked on when its message is deleted is finished at once (its text
replaced by the tombstone): nothing replays it after a crash. The turn running it stores its
message and reply only afterwards, so when it does, :func:`settle_turn_on` (in the same
transaction) finds the delivery erased, or edited, and erases the copies the turn made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection

from agents.kernel.models import Inbound
from agents.memory.copies import TOMBSTONE, normalized
from agents.memory.ports import Erased
from storage.engine import Prepared
from storage.erasure.copies import changed, erase_taken_on, erase_turns_on
from storage.erasure.incident_copies import erase_followups_on, erase_pinned_on
from storage.erasure.said import Said, said_at_on, said_of
from storage.tables import events, messages

__all__ = ["erase_message_on", "settle_turn_on"]

# Read in every turn's record transaction: built once, so SQLAlchemy skips rebuilding it and
# its cache key each time.
_DELIVERY_TEXT = Prepared(
    select(events.c.text).where(
        events.c.team_id == bindparam("w_team_id"), events.c.event_id == bindparam("w_event_id")
    )
)


def erase_message_on(
    connection: Connection,
    *,
    team_id: str,
    channel_id: str,
    ts: str,
    text: str | None,
    now: datetime,
) -> Erased:
    """The message ``ts`` was edited (``text``: its new words) or deleted (None): store the
    new words and erase every copy of the old ones. Words left as they were change nothing."""
    pinned = Erased(
        timeline=erase_pinned_on(
            connection, team_id=team_id, channel_id=channel_id, ts=ts, text=text
        )
    )
    said = said_at_on(connection, team_id=team_id, channel_id=channel_id, ts=ts)
    if text is not None:
        said = [s for s in said if normalized(s.text) != normalized(text)]
    if not said:
        return pinned
    claimed = update(events).where(
        events.c.status == "claimed",
        events.c.team_id == team_id,
        events.c.channel_id == channel_id,
        events.c.ts == ts,
    )
    if text is None:
        finished = {"text": TOMBSTONE, "status": "done", "finished_at": now}
        deliveries = changed(connection, claimed.where(events.c.text != TOMBSTONE).values(finished))
    else:
        deliveries = changed(connection, claimed.where(events.c.text != text).values(text=text))
    return pinned + Erased(deliveries=deliveries) + _erase_said_on(connection, said, new=text)


def settle_turn_on(connection: Connection, inbound: Inbound) -> Erased:
    """After a turn stored its message and reply: if the message was deleted or edited in
    Slack while the turn ran (its delivery says so), erase what the turn stored from the old
    words, as :func:`erase_message_on` would have."""
    where = {"w_team_id": inbound.team_id, "w_event_id": inbound.event_id}
    stored = _DELIVERY_TEXT.execute(connection, where).scalar_one_or_none()
    if stored is None or stored in ("", inbound.text):
        return Erased()  # not a claimed delivery, or its words are as the turn saw them
    return _erase_said_on(
        connection, [said_of(inbound)], new=None if stored == TOMBSTONE else stored
    )


def _erase_said_on(connection: Connection, said: Sequence[Said], *, new: str | None) -> Erased:
    turns = [s.trace_id for s in said]
    person = (messages.c.direction == "in", messages.c.trace_id.in_(turns))
    if new is None:
        stored = changed(connection, delete(messages).where(*person))
    else:
        stored = changed(connection, update(messages).where(*person).values(text=new))
    return (
        Erased(messages=stored)
        + erase_turns_on(connection, turns)
        + erase_taken_on(connection, said, new=new)
        + Erased(timeline=erase_followups_on(connection, said, new=new))
    )
