"""Erasure: one service for Slack edits and deletions, ``memory forget`` and retention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from agents.kernel.models import ConversationKey, Inbound
from agents.memory.erasure import Erased, Erasure, ErasureStores
from agents.memory.notes import Note
from agents.memory.retention import Retention
from tests.agents.fakes import FakeClock, MemoryConversations
from tests.agents.fakes_erasure import MemoryVotes, PurgeLog
from tests.agents.fakes_notes import MemoryNotes, MemoryThreads

THREAD = ConversationKey("T1", "C1", "1.0")
OTHER_CHANNEL = ConversationKey("T1", "C2", "2.0")


@dataclass
class World:
    """Erasure over fakes holding two people's messages, notes, votes and summaries."""

    retention: Retention = field(default_factory=Retention)
    clock: FakeClock = field(default_factory=FakeClock)
    messages: MemoryConversations = field(default_factory=MemoryConversations)
    notes: MemoryNotes = field(default_factory=MemoryNotes)
    threads: MemoryThreads = field(default_factory=MemoryThreads)
    votes: MemoryVotes = field(
        default_factory=lambda: MemoryVotes(("T1", "U_ANA"), ("T2", "U_ANA"), ("T1", "U_BOB"))
    )
    usage: PurgeLog = field(default_factory=PurgeLog)
    misses: PurgeLog = field(default_factory=PurgeLog)
    events: PurgeLog = field(default_factory=PurgeLog)
    traces: PurgeLog = field(default_factory=PurgeLog)

    @property
    def erasure(self) -> Erasure:
        stores = ErasureStores(
            self.messages,
            self.notes,
            self.threads,
            self.votes,
            self.usage,
            self.misses,
            self.events,
            self.traces,
        )
        return Erasure(stores, retention=self.retention, clock=self.clock)

    async def seed(self) -> None:
        now = self.clock.now()
        for n, (user, ts) in enumerate((("U_ANA", "1.1"), ("U_BOB", "1.2"), ("U_ANA", "1.3"))):
            await self.messages.record_inbound(
                Inbound("T1", "C1", user, f"text {n}", "thread", f"E{n}", f"t{n}", now, ts, "1.0")
            )
        await self.notes.add(
            Note("n1", "T1", "channel", "C1", "from 1.1", "U_ANA", now, "C1", "1.1")
        )
        await self.notes.add(Note("n2", "T1", "team", "", "by bob", "U_BOB", now, "C1", "1.2"))
        await self.notes.add(Note("n3", "T1", "user", "U_ANA", "about ana", "U_BOB", now))
        for key in (THREAD, OTHER_CHANNEL):
            await self.threads.save_summary(key, summary="quotes ana", covered=3, now=now)


async def test_an_edited_message_is_stored_redacted_and_what_came_from_it_goes() -> None:
    """The new text replaces the stored copy (secrets redacted); notes made from the message
    are dropped and the channel's summaries remade; other channels keep theirs."""
    world = World()
    await world.seed()
    await world.erasure.message_changed(
        team_id="T1", channel_id="C1", ts="1.1", text="now with password=hunter2"
    )
    stored = {m.ts: m.text for m in await world.messages.messages(THREAD, limit=10)}
    assert stored["1.1"] == "now with password=[redacted:password]"
    assert "n1" not in world.notes.rows and "n2" in world.notes.rows
    assert world.threads.rows[THREAD].summary == ""
    assert world.threads.rows[OTHER_CHANNEL].summary == "quotes ana"


async def test_a_deleted_message_is_erased_with_the_notes_made_from_it() -> None:
    """The stored copy goes, and so do notes made from it and the channel's summaries."""
    world = World()
    await world.seed()
    await world.erasure.message_deleted(team_id="T1", channel_id="C1", ts="1.1")
    assert [m.ts for m in await world.messages.messages(THREAD, limit=10)] == ["1.2", "1.3"]
    assert "n1" not in world.notes.rows
    assert world.threads.rows[THREAD].summary == "" and world.threads.rows[THREAD].covered == 0


async def test_forgetting_a_person_erases_messages_notes_and_votes_and_remakes_summaries() -> None:
    """Everything the person wrote or voted, and notes by or about them, in every team."""
    world = World()
    await world.seed()
    erased = await world.erasure.forget_user(team_id=None, user_id="U_ANA")
    assert erased == Erased(messages=2, notes=2, votes=2)
    assert [m.user_id for m in await world.messages.messages(THREAD, limit=10)] == ["U_BOB"]
    assert sorted(world.notes.rows) == ["n2"]
    assert world.votes.rows == [("T1", "U_BOB")]
    assert all(memory.summary == "" for memory in world.threads.rows.values())


async def test_forgetting_a_person_in_one_team_leaves_the_other_teams() -> None:
    """``--team`` narrows the erasure to one workspace."""
    world = World()
    await world.seed()
    erased = await world.erasure.forget_user(team_id="T2", user_id="U_ANA")
    assert erased == Erased(messages=0, notes=0, votes=1)
    assert world.threads.rows[THREAD].summary == "quotes ana"  # only T2's were dropped


async def test_retention_purges_each_configured_tier_at_its_own_cutoff() -> None:
    """Each tier with a retention is purged before now minus its days; the others are kept."""
    world = World(
        retention=Retention(messages_days=30, usage_days=7, misses_days=90, events_days=2)
    )
    await world.seed()
    world.clock.advance(timedelta(days=31).total_seconds())
    purged = await world.erasure.purge_expired()
    now = world.clock.now()
    assert purged == 3 + 1 + 1 + 1  # three messages, a usage row, a miss, a delivery (fakes)
    assert world.usage.cutoffs == [now - timedelta(days=7)]
    assert world.misses.cutoffs == [now - timedelta(days=90)]
    assert world.events.cutoffs == [now - timedelta(days=2)]
    assert world.traces.cutoffs == []  # traces have no retention here
    assert len(world.notes.rows) == 3  # notes have no retention here


def test_a_retention_without_days_keeps_everything() -> None:
    """No tier configured: nothing is ever purged (the worker runs no purge loop)."""
    assert Retention().keeps_everything
    assert not Retention(notes_days=1).keeps_everything
    assert not Retention(traces_days=30).keeps_everything
