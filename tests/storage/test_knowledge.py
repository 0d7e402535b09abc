"""KnowledgeIndex contract on both engines: index, search best first, re-index, remove,
hostile queries, misses."""

from __future__ import annotations

from datetime import timedelta

from agents.memory.knowledge import Miss
from agents.memory.markdown import chunk_markdown
from storage import Database
from storage.knowledge import fts5_query, tsquery
from tests.storage.builders import T0

PAYMENTS = """# Payments

## Rollback

To roll back payments run the rollback action with the previous version.
Check the error rate dashboard afterwards.

## Owners

The payments team owns this service.
"""
DATABASE = """# Database

## Failover

Promote the replica with the failover script. Replica lag must be under 5 seconds.
"""


async def _index(database: Database, source: str, text: str, digest: str = "d1") -> bool:
    return await database.knowledge.replace_file(
        source, digest=digest, chunks=chunk_markdown(source, text)
    )


async def test_search_finds_sections_best_first(database: Database) -> None:
    """A question about rolling back payments finds that section first, with its heading."""
    await _index(database, "runbooks/payments.md", PAYMENTS)
    await _index(database, "runbooks/database.md", DATABASE)
    hits = await database.knowledge.search("how do I roll back payments?", limit=3)
    assert hits and hits[0].chunk.heading == "Payments > Rollback"
    assert hits[0].chunk.source == "runbooks/payments.md" and hits[0].chunk.anchor == "rollback"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    failover = await database.knowledge.search("replica failover", limit=3)
    assert failover[0].chunk.heading == "Database > Failover"


async def test_unchanged_digest_is_not_rewritten_and_an_edit_replaces(database: Database) -> None:
    """Same digest: nothing written. New digest: the old chunks are gone, the new found."""
    assert await _index(database, "p.md", PAYMENTS) is True
    assert await _index(database, "p.md", PAYMENTS) is False
    edited = (
        PAYMENTS.replace("Rollback", "Revert")
        .replace("rollback", "revert")
        .replace("roll back", "revert")
    )
    assert await _index(database, "p.md", edited, digest="d2") is True
    assert await database.knowledge.search("rollback", limit=5) == []
    assert (await database.knowledge.search("revert", limit=5))[0].chunk.heading == (
        "Payments > Revert"
    )


async def test_removed_files_leave_the_index(database: Database) -> None:
    """A file no longer present under the indexed folder is dropped; others stay."""
    await _index(database, "runbooks/payments.md", PAYMENTS)
    await _index(database, "runbooks/database.md", DATABASE)
    await _index(database, "other/database.md", DATABASE)
    removed = await database.knowledge.remove_files(keep={"runbooks/database.md"}, under="runbooks")
    assert removed == 1
    assert await database.knowledge.search("payments rollback", limit=5) == []
    sources = {h.chunk.source for h in await database.knowledge.search("failover", limit=5)}
    assert sources == {"runbooks/database.md", "other/database.md"}


async def test_query_syntax_in_user_text_is_harmless(database: Database) -> None:
    """Quotes, stars, parentheses and operators are words, not query syntax."""
    await _index(database, "p.md", PAYMENTS)
    for hostile in ['"foo* OR (bar', "NEAR(a b) AND NOT", "payments' ; DROP TABLE x; --", "***"]:
        await database.knowledge.search(hostile, limit=3)  # must not raise
    assert fts5_query('say "hi" (now)') == '"say" OR "hi" OR "now"'
    assert tsquery("roll-back payments!") == "rollback | payments"
    assert await database.knowledge.search("the of and", limit=3) == []


async def test_misses_are_kept_newest_first(database: Database) -> None:
    """Each unanswered question is stored for reviewers."""
    await database.knowledge.record_miss(Miss("T1", "C1", "U1", "kafka retention?", T0))
    await database.knowledge.record_miss(
        Miss("T1", "C1", "U2", "vault unseal?", T0 + timedelta(minutes=1))
    )
    assert [m.query for m in await database.knowledge.misses()] == [
        "vault unseal?",
        "kafka retention?",
    ]
