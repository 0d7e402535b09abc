"""Erasure: one service for Slack edits and deletions, ``memory forget`` and retention; and
the rules of what counts as a copy of erased words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from agents.memory.copies import TOMBSTONE, normalized, quotable, still_says, taken_from
from agents.memory.erasure import Erased, Erasure, ErasureStores
from agents.memory.retention import Retention
from tests.agents.fakes import FakeClock
from tests.agents.fakes_erasure import FakeTranscript, PurgeLog
from tests.agents.fakes_notes import MemoryNotes, MemoryThreads


@dataclass
class World:
    """Erasure over a recording transcript and purge logs."""

    retention: Retention = field(default_factory=Retention)
    clock: FakeClock = field(default_factory=FakeClock)
    transcript: FakeTranscript = field(default_factory=FakeTranscript)
    notes: MemoryNotes = field(default_factory=MemoryNotes)
    usage: PurgeLog = field(default_factory=PurgeLog)
    misses: PurgeLog = field(default_factory=PurgeLog)
    events: PurgeLog = field(default_factory=PurgeLog)
    traces: PurgeLog = field(default_factory=PurgeLog)

    @property
    def erasure(self) -> Erasure:
        stores = ErasureStores(
            self.transcript,
            self.notes,
            MemoryThreads(),
            self.usage,
            self.misses,
            self.events,
            self.traces,
        )
        return Erasure(stores, retention=self.retention, clock=self.clock)


async def test_an_edit_stores_the_new_words_redacted_then_scrubs_quickly() -> None:
    """The new text reaches the transcript with secrets redacted; what was erased is then
    scrubbed, not deeply (a Slack event must be acknowledged within three seconds)."""
    world = World()
    erased = await world.erasure.message_changed(
        team_id="T1", channel_id="C1", ts="1.1", text="now with password=hunter2"
    )
    assert erased == world.transcript.erased
    assert world.transcript.calls == [
        ("message", "T1", "C1", "1.1", "now with password=[redacted:password]"),
        ("scrub", False),
    ]


async def test_a_deletion_erases_the_message_with_no_new_words() -> None:
    """A deleted message reaches the transcript with no new text, then a quick scrub."""
    world = World()
    await world.erasure.message_deleted(team_id="T1", channel_id="C1", ts="1.1")
    assert world.transcript.calls == [("message", "T1", "C1", "1.1", None), ("scrub", False)]


async def test_nothing_erased_needs_no_scrub() -> None:
    """An edit that changed no stored words (a link unfurled) leaves the database alone."""
    world = World(transcript=FakeTranscript(erased=Erased()))
    erased = await world.erasure.message_changed(team_id="T1", channel_id="C1", ts="1", text="x")
    assert erased.total == 0
    assert [call[0] for call in world.transcript.calls] == ["message"]


async def test_forgetting_a_person_erases_in_their_team_and_scrubs_deeply() -> None:
    """``memory forget`` runs offline, so its scrub may take long (VACUUM on PostgreSQL)."""
    world = World(transcript=FakeTranscript(erased=Erased(messages=2, notes=2, votes=1)))
    erased = await world.erasure.forget_user(team_id=None, user_id="U_ANA")
    assert erased == Erased(messages=2, notes=2, votes=1)
    assert world.transcript.calls == [("user", None, "U_ANA"), ("scrub", True)]


async def test_retention_purges_each_configured_tier_at_its_own_cutoff() -> None:
    """Each tier with a retention is purged before now minus its days (messages through the
    transcript, which takes the copies that would outlive them); the others are kept; what
    was purged is scrubbed deeply."""
    world = World(
        retention=Retention(messages_days=30, usage_days=7, misses_days=90, events_days=2)
    )
    world.clock.advance(timedelta(days=31).total_seconds())
    purged = await world.erasure.purge_expired()
    now = world.clock.now()
    assert purged == 1 + 1 + 1 + 1  # the transcript, a usage row, a miss, a delivery (fakes)
    assert world.transcript.calls == [("purge", now - timedelta(days=30)), ("scrub", True)]
    assert world.usage.cutoffs == [now - timedelta(days=7)]
    assert world.misses.cutoffs == [now - timedelta(days=90)]
    assert world.events.cutoffs == [now - timedelta(days=2)]
    assert world.traces.cutoffs == []  # traces have no retention here


async def test_a_purge_that_found_nothing_does_not_scrub() -> None:
    """No row past its retention: the database is left alone."""
    world = World(
        retention=Retention(messages_days=30, usage_days=7),
        transcript=FakeTranscript(purged=0),
        usage=PurgeLog(rows=0),
    )
    assert await world.erasure.purge_expired() == 0
    assert [call[0] for call in world.transcript.calls] == ["purge"]


def test_a_retention_without_days_keeps_everything() -> None:
    """No tier configured: nothing is ever purged (the worker runs no purge loop)."""
    assert Retention().keeps_everything
    assert not Retention(notes_days=1).keeps_everything
    assert not Retention(traces_days=30).keeps_everything


def test_erasure_counts_add_up_by_kind() -> None:
    """Counts add kind by kind; the total is their sum; the log line names every kind."""
    both = Erased(messages=1, replies=2) + Erased(replies=1, misses=4)
    assert both == Erased(messages=1, replies=3, misses=4)
    assert both.total == 8
    assert both.as_dict()["replies"] == 3 and set(both.as_dict()) >= {"timeline", "cases"}


def test_what_was_taken_from_deleted_words_is_a_copy() -> None:
    """A fact or a question found in the deleted words (case and spacing aside) is a copy;
    one that is not in them is not; an empty text is never one."""
    old = "memory: pin  Prod is FROZEN until friday"
    assert taken_from("prod is frozen until Friday", old)
    assert not taken_from("prod is open", old)
    assert not taken_from("  ", old)


def test_what_the_new_words_still_say_stays_after_an_edit() -> None:
    """An edit that fixes a typo elsewhere keeps the fact the new words still say."""
    old = "memory: pin prod is frozen until friday, thnaks"
    new = "memory: pin prod is frozen until friday, thanks"
    assert not taken_from("prod is frozen until friday", old, new=new)
    assert taken_from("prod is frozen until friday", old, new="memory: pin nothing")
    assert still_says(new, "Prod is frozen") and not still_says(None, "prod")


def test_only_notes_long_enough_are_searched_for_in_replies() -> None:
    """A short note cannot be told from ordinary words; the tombstone is not a quote."""
    assert quotable("the vpn code is 4411")
    assert not quotable("on call") and not quotable("  ok  ")
    assert normalized(" A\tB  c ") == "a b c"
    assert TOMBSTONE == "[erased]"
