"""The ports erasure and retention work through: the transcript (every stored copy of what
people said, and what was taken from it), and the records each retention tier purges.

``storage/`` implements them (notes and thread memory have their ports in
:mod:`agents.memory.notes` and :mod:`agents.memory.threads`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Protocol

__all__ = ["Erased", "MissLog", "Purgeable", "Transcript"]


@dataclass(frozen=True, slots=True)
class Erased:
    """What one erasure reached: how many records of each kind.

    Attributes:
        messages: the person's stored messages deleted (on an edit: rewritten).
        replies: the bot's stored replies replaced by the tombstone (text and reply).
        deliveries: deliveries whose text was erased (those still being worked on).
        notes: long-term notes deleted.
        facts: facts pinned in threads removed.
        summaries: thread summaries dropped (remade from what is left).
        votes: the person's own votes deleted, with the words of their forms.
        forms: other people's 👎 forms on the erased turns whose words were erased (the
            votes stay).
        misses: questions the runbooks could not answer, deleted.
        traces: traces whose error text was erased.
        cases: turns withdrawn from the evaluation set (their question is gone).
        timeline: incident timeline notes, pinned messages and follow-ups whose text was
            erased (or, for a pinned message edited in Slack, rewritten).
    """

    messages: int = 0
    replies: int = 0
    deliveries: int = 0
    notes: int = 0
    facts: int = 0
    summaries: int = 0
    votes: int = 0
    forms: int = 0
    misses: int = 0
    traces: int = 0
    cases: int = 0
    timeline: int = 0

    def __add__(self, other: Erased) -> Erased:
        return Erased(*(a + b for a, b in zip(self.counts(), other.counts(), strict=True)))

    def counts(self) -> tuple[int, ...]:
        """Every count, in field order."""
        return tuple(getattr(self, field.name) for field in fields(self))

    @property
    def total(self) -> int:
        """How many records were erased or rewritten in all."""
        return sum(self.counts())

    def as_dict(self) -> dict[str, int]:
        """The counts by kind (for a log line)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


class Transcript(Protocol):
    """Every stored copy of what people said, and everything taken from it.

    The copies of a person's message are: its delivery (while it is being worked on), the
    stored message, the bot's reply in the same turn (text and stored reply), the turn's
    trace error text, the words of 👎 forms on that reply, the turn's place in the
    evaluation set, notes made from it, facts pinned and knowledge misses recorded from its
    words, incident timeline notes written with it, the bot's replies anywhere that quote an
    erased note, and the stored summaries of its channel. Each erasure runs in one
    transaction.
    """

    async def erase_message(
        self, *, team_id: str, channel_id: str, ts: str, text: str | None, now: datetime
    ) -> Erased:
        """A person's message changed (``text``: its new words, already redacted) or was
        deleted (``text`` None) in Slack: store the new words in place of the old, and erase
        every copy of the old ones (what the new words still say stays). An edit that leaves
        the words as they were (Slack sends one when a link unfurls) changes nothing."""
        ...

    async def erase_user(self, *, team_id: str | None, user_id: str, now: datetime) -> Erased:
        """Erase everything a person wrote, in one team (every team when None): their
        messages and deliveries, the bot's replies in the turns they started, their notes and
        the notes about them, their votes and forms, their misses, their incident notes, and
        the copies of all of these listed above."""
        ...

    async def purge(self, *, before: datetime) -> int:
        """Retention of messages: delete messages stored before ``before``, the words of 👎
        forms written before it, and the summaries of the threads that lost messages; returns
        how many records were deleted or blanked."""
        ...

    async def scrub(self, *, deep: bool) -> None:
        """Leave none of the erased words in the database's free space or logs, as far as the
        engine allows; ``deep`` also does what is slow (a Slack deletion must finish within
        Slack's three-second acknowledgement, so it passes False)."""
        ...


class Purgeable(Protocol):
    """Records kept for a while, then purged (LLM usage, deliveries, traces)."""

    async def purge(self, *, before: datetime) -> int:
        """Delete records made before ``before``; returns how many."""
        ...


class MissLog(Protocol):
    """The questions the runbooks could not answer."""

    async def purge_misses(self, *, before: datetime) -> int:
        """Delete misses recorded before ``before``; returns how many."""
        ...
