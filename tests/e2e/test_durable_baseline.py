"""``benchmarks/baseline_bots.py --mode durable``, the naive bot with Switchboard's durable
records of a turn (issue 19's measure of what durability alone costs): served over HTTP
against the sandbox, a mention is claimed before the ack, answered in its thread and stored
as Switchboard stores a ``help`` turn; a duplicate delivery is acked and not run again; a
failing write fails its whole group and commits nothing of it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from sandbox import ApiCall, SlackSandbox
from storage import Database
from tests.scripts import load_script

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "baseline_bots.py"


@dataclass
class Durable:
    module: ModuleType
    path: Path
    completed: asyncio.Queue[str]


async def _migrated(path: Path) -> None:
    database = await Database.connect(f"sqlite+aiosqlite:///{path}")
    await database.migrate()
    await database.close()


@pytest.fixture
async def durable(sandbox: SlackSandbox, tmp_path: Path) -> AsyncIterator[Durable]:
    module = load_script(SCRIPT)
    sandbox.driver.subscriptions = frozenset({"app_mention"})  # as the benchmark's app
    path = tmp_path / "durable.db"
    await _migrated(path)
    records = module.DurableRecords(str(path))
    completed: asyncio.Queue[str] = asyncio.Queue()
    complete: Callable[..., Awaitable[None]] = records.complete

    async def completing(team: str, event_id: str, trace: str, ts: str) -> None:
        await complete(team, event_id, trace, ts)
        completed.put_nowait(event_id)

    records.complete = completing
    app = module.build_app(
        "durable",
        token=sandbox.bot_token,
        signing_secret=sandbox.signing_secret,
        api_url=sandbox.api_url,
        records=records,
    )
    runner = web.AppRunner(app.web_app(path="/slack/events", port=0), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    sandbox.driver.request_url = f"http://127.0.0.1:{port}/slack/events"
    try:
        yield Durable(module, path, completed)
    finally:
        await runner.cleanup()
        records.close()


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def _in_thread(ts: str) -> Callable[[ApiCall], bool]:
    return lambda call: call.args.get("thread_ts") == ts


async def test_a_mention_is_claimed_answered_and_stored_as_switchboard_stores_it(
    sandbox: SlackSandbox, durable: Durable
) -> None:
    bot = sandbox.workspace.directory.bot_user_id
    sent = await sandbox.people.say(f"<@{bot}> help")
    assert [d.status for d in sent.deliveries] == [200]
    reply = await sandbox.calls.wait_for("chat.postMessage", where=_in_thread(sent.ts))
    assert reply.args["text"] == "Hi <@U0ALICE>! Here is some help."
    event_id = await asyncio.wait_for(durable.completed.get(), timeout=10)
    assert _rows(durable.path, "SELECT event_id, status, text FROM events") == [
        (event_id, "done", "")
    ]
    messages = _rows(
        durable.path, "SELECT direction, status, ts, text FROM messages ORDER BY direction"
    )
    assert messages == [
        ("in", "received", sent.ts, f"<@{bot}> help"),
        ("out", "sent", reply.response["ts"], "Hi <@U0ALICE>! Here is some help."),
    ]
    assert _rows(durable.path, "SELECT event_id, delivered_at IS NOT NULL FROM traces") == [
        (event_id, 1)
    ]
    assert _rows(durable.path, "SELECT thread_ts FROM conversations") == [(sent.ts,)]


async def test_a_duplicate_delivery_is_acked_and_not_answered_again(
    sandbox: SlackSandbox, durable: Durable
) -> None:
    bot = sandbox.workspace.directory.bot_user_id
    sent = await sandbox.people.say(f"<@{bot}> help")
    first = sent.deliveries[0]
    await asyncio.wait_for(durable.completed.get(), timeout=10)
    event = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": f"<@{bot}> help",
        "ts": sent.ts,
        "channel": sent.channel,
        "event_ts": sent.ts,
    }
    again = await sandbox.driver.send_event(event, event_id=first.event_id, retry_num=1)
    assert again.status == 200
    later = await sandbox.people.say(f"<@{bot}> help")
    assert await asyncio.wait_for(durable.completed.get(), timeout=10) == (
        later.deliveries[0].event_id
    )
    assert sandbox.calls.count("chat.postMessage") == 2
    assert _rows(durable.path, "SELECT event_id FROM events ORDER BY id") == [
        (first.event_id,),
        (later.deliveries[0].event_id,),
    ]


async def test_a_failing_write_fails_its_group_and_commits_nothing_of_it(
    tmp_path: Path,
) -> None:
    module = load_script(SCRIPT)
    path = tmp_path / "group.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    records = module.DurableRecords(str(path))
    try:
        good = records.transaction(lambda db: db.execute("INSERT INTO t (v) VALUES ('a')"))
        bad = records.transaction(lambda db: db.execute("INSERT INTO t (v) VALUES (NULL)"))
        results = await asyncio.gather(good, bad, return_exceptions=True)
        assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
        assert _rows(path, "SELECT count(*) FROM t") == [(0,)]
        await records.transaction(lambda db: db.execute("INSERT INTO t (v) VALUES ('b')"))
        assert _rows(path, "SELECT v FROM t") == [("b",)]
    finally:
        records.close()


def test_the_durable_mode_needs_its_database() -> None:
    module = load_script(SCRIPT)
    with pytest.raises(SystemExit):
        module.main(["--mode", "durable"])
    with pytest.raises(SystemExit):
        module.main(["--mode", "naive", "--database", "x.db"])
