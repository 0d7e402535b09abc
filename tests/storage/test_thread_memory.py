"""ThreadMemoryStore contract: empty by default, pinned facts kept once in order, summary
replaced."""

from __future__ import annotations

from agents.kernel.models import ConversationKey
from agents.memory.threads import ThreadMemory
from storage import Database
from tests.storage.builders import T0

KEY = ConversationKey("T1", "C1", "1700000000.000001")


async def test_pins_and_summary_round_trip(database: Database) -> None:
    """Facts accumulate once each, in order; the summary and its coverage are replaced."""
    assert await database.threads.get(KEY) == ThreadMemory()
    await database.threads.pin(KEY, "prod is frozen until Friday", now=T0)
    after = await database.threads.pin(KEY, "owner is <@U0ANA>", now=T0)
    again = await database.threads.pin(KEY, "prod is frozen until Friday", now=T0)
    assert after.facts == again.facts == ("prod is frozen until Friday", "owner is <@U0ANA>")
    await database.threads.save_summary(KEY, summary="first", covered=10, now=T0)
    await database.threads.save_summary(KEY, summary="second", covered=30, now=T0)
    stored = await database.threads.get(KEY)
    assert (stored.summary, stored.covered, stored.facts) == ("second", 30, after.facts)
    other = ConversationKey("T1", "C1", "1700000000.000002")
    assert await database.threads.get(other) == ThreadMemory()


async def test_old_threads_are_purged(database: Database) -> None:
    """Purge removes the thread memory not touched since the bound."""
    from datetime import timedelta

    other = ConversationKey("T1", "C2", "1700000000.000009")
    await database.threads.pin(KEY, "fact", now=T0)
    await database.threads.save_summary(KEY, summary="s1", covered=5, now=T0)
    await database.threads.save_summary(other, summary="s2", covered=5, now=T0 + timedelta(days=2))
    assert (await database.threads.get(other)).summary == "s2"
    assert await database.threads.purge(before=T0 + timedelta(days=1)) == 1
    assert await database.threads.get(KEY) == ThreadMemory()
