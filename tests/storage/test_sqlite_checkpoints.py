"""SQLite's WAL starts over under a steady load, and a reader that holds on only delays it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool
from structlog.testing import capture_logs

from storage import Database
from tests.storage.builders import at, inbound, outbound, trace
from tests.storage.conftest import sqlite_url

TURNS = 600  # six checkpoints' worth of the inline writer's commits (one turn: three)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database file."""
    async with await Database.connect(sqlite_url(tmp_path)) as database:
        await database.migrate()
        yield database


def _wal_frames(path: Path) -> int:
    """The frames in the WAL since it last started over (a passive checkpoint reports it)."""
    with sqlite3.connect(path) as connection:
        _busy, frames, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(frames)


async def _turns(database: Database, first: int, count: int) -> None:
    """``count`` turns claimed, recorded and completed, each one after the other."""
    for n in range(first, first + count):
        await database.events.claim(inbound(n))
        await database.ledger.record_turn(inbound(n), outbound(n), trace(f"trace-{n}"))
        await database.ledger.complete_turn(inbound(n), ts=f"1700000001.{n:06d}", now=at(n))


async def _sent(database: Database, n: int) -> None:
    """The ``n``-th turn's reply is stored, sent."""
    reply = await database.conversations.find_reply(f"trace-{n}")
    assert reply is not None
    sent = (outbound(n).reply, "sent", f"1700000001.{n:06d}")
    assert (reply.reply, reply.status, reply.ts) == sent


async def _quiet() -> None:
    """Let a checkpoint under way finish (bounded: a few seconds at most)."""
    for _ in range(200):
        await asyncio.sleep(0.01)


async def test_the_wal_starts_over_while_turns_keep_coming(
    database: Database, tmp_path: Path
) -> None:
    """Commits land while each checkpoint copies; the WAL still starts over, so it holds
    about one checkpoint's commits instead of every commit since the start."""
    path = tmp_path / "switchboard.db"
    await _turns(database, 1, 10)
    per_turn = _wal_frames(path) / 10  # frames one turn adds (nothing started over yet)
    await _turns(database, 11, TURNS)
    frames = _wal_frames(path)  # only a commit starts the WAL over: none is left to come
    assert frames < per_turn * TURNS / 3, (frames, per_turn)
    await _sent(database, TURNS)


async def test_a_reader_holding_the_old_wal_delays_the_start_over_without_failing(
    database: Database, tmp_path: Path
) -> None:
    """A read transaction left open elsewhere keeps the WAL from starting over: the
    restarting checkpoint waits for it briefly, says so, and writers go on meanwhile."""
    path = tmp_path / "switchboard.db"
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        await _turns(database, 1, 5)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM events").fetchone()  # holds its snapshot
        with capture_logs() as logs:
            await _turns(database, 6, 200)  # the writers go on meanwhile
            for _ in range(500):  # bounded: the restarting step waits 0.1 s for the reader
                if "sqlite_wal_not_restarted" in [entry["event"] for entry in logs]:
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("no checkpoint said the reader kept the WAL from starting over")
        held = _wal_frames(path)
        reader.execute("COMMIT")
        n = 206
        for _ in range(20):  # the back-off skips at most 32 checkpoints: 3,200 commits
            await _turns(database, n, 100)
            n += 100
            if _wal_frames(path) < held:
                break  # started over once the reader let go
        else:
            pytest.fail("the WAL did not start over after the reader let go")
        await _sent(database, n - 1)
    finally:
        reader.close()


async def test_checkpoints_keep_one_connection_that_holds_nothing_between_them(
    database: Database, tmp_path: Path
) -> None:
    """The checkpoints run on one connection kept open (not one opened per checkpoint), and
    between them it keeps no snapshot: a truncating checkpoint elsewhere that waits for no
    one finishes, and the WAL is empty after it."""
    await _turns(database, 1, 40)  # the first checkpoint opens the checkpoints' connection
    await _quiet()
    opened: list[object] = []
    listener = lambda dbapi, _record: opened.append(dbapi)  # noqa: E731
    event.listen(Pool, "connect", listener)
    try:
        await _turns(database, 41, 400)  # four checkpoints, each in two steps
        await _quiet()
    finally:
        event.remove(Pool, "connect", listener)
    assert opened == []
    with sqlite3.connect(tmp_path / "switchboard.db", isolation_level=None) as other:
        other.execute("PRAGMA busy_timeout=0")
        busy, frames, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert (busy, frames) == (0, 0)
    await _sent(database, 440)
