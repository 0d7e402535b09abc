"""What one turn costs the database: statements and transactions per ack and per turn, and
bytes per turn by table.

A wired bot (``Runtime`` + ``HttpServer``, as ``switchboard run`` builds it with no config
file) runs in this process behind one in-process ``SlackSandbox``. ``--turns`` signed
``app_mention`` deliveries of ``<@bot> help`` are sent one at a time, each a new thread,
and each turn is awaited to its end (the runner idle), after ``--warmup`` turns that are not
counted. Every statement SQLAlchemy sends is counted by an engine event, attributed to the
asyncio task that ran it: the HTTP request handler (the ack: Bolt, the claim, the submit), a
turn, or the background loops (worker poll, sweeps). Transactions are counted by their
commits. On SQLite, the statements SQLite itself runs on the event loop's own connections
(the inline writer and reader, raw-driver reads included) are counted too, by sqlite3's trace
callback. The hot statements run on the driver (``storage.engine.prepared``: SQLite's, and
asyncpg's adapter under SQLAlchemy) are not seen by SQLAlchemy's events: on SQLite that
callback sees them; on PostgreSQL every request asyncpg writes to the server's socket is
counted (a statement, a prepare, BEGIN, COMMIT, the pool's ping: each one write, then a wait
for the answer), so ``round_trips`` is the number of round trips by phase. Figures are counts,
not times: they do not move with the machine's load. A transaction is counted by its COMMIT
(none in autocommit: PostgreSQL's one-statement writes). The process's CPU time per counted
turn is printed too (bot and sandbox together: compare it between builds, not with other
benchmarks).

Bytes per table: the database's size by table and index before and after the counted turns
(SQLite's ``dbstat``, on-disk pages and payload bytes; PostgreSQL's ``pg_relation_size``),
divided by the turns.

    python benchmarks/turn_cost.py [--turns N] [--warmup W] [--postgres SERVER_URL] [--json F]

With ``--postgres`` (a server URL such as postgresql://postgres@127.0.0.1:5432/postgres) a
fresh database is created on it, migrated, used and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from floor_report import migrated_sqlite, quiet
from replicas import fresh_postgres
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from bot.config import Settings
from bot.runtime import Runtime, RuntimeOptions
from bot.serve import HttpServer
from bot.server import SLACK_EVENTS_PATH
from sandbox import ApiCall, SlackSandbox
from storage import create_engine

ACK = "ack"  # the HTTP request handler's task
TURN = "turn"
OTHER = "background"


_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


def _phase() -> str:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # a worker thread (checkpoint, a write waiting for another process)
        return OTHER
    if task is None:
        return OTHER
    name = getattr(task.get_coro(), "__qualname__", "")
    if "RequestHandler" in name:
        return ACK
    return TURN if "TurnRunner" in name or "_run" in name else OTHER


class Counts:
    """Statements, transactions and SQLite-level statements, by phase."""

    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.commits: Counter[str] = Counter()
        self.sqlite: Counter[str] = Counter()
        self.round_trips: Counter[str] = Counter()
        self.tasks: Counter[str] = Counter()
        self.texts: Counter[tuple[str, str]] = Counter()

    def snapshot(self) -> dict[str, Counter[Any]]:
        return {
            "statements": Counter(self.statements),
            "commits": Counter(self.commits),
            "sqlite": Counter(self.sqlite),
            "round_trips": Counter(self.round_trips),
            "texts": Counter(self.texts),
        }

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        def on_execute(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            phase = _phase()
            self.statements[phase] += 1
            self.texts[(phase, " ".join(statement.split())[:90])] += 1
            task = asyncio.current_task() if _in_loop() else None
            if task is not None:
                self.tasks[getattr(task.get_coro(), "__qualname__", "?")] += 1

        def on_commit(conn: Any) -> None:
            # In autocommit (PostgreSQL's one-statement writes) no COMMIT reaches the server.
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                self.commits[_phase()] += 1

        def on_connect(dbapi: Any, record: Any) -> None:
            if isinstance(dbapi, sqlite3.Connection):
                dbapi.set_trace_callback(self._sqlite_statement)
            driver = getattr(dbapi, "driver_connection", None)
            transport = getattr(driver, "_transport", None)  # asyncpg's socket
            if transport is not None:
                self._count_writes(transport)

        hooks: list[tuple[Any, str, Callable[..., None]]] = [
            (Engine, "before_cursor_execute", on_execute),
            (Engine, "commit", on_commit),
            (Pool, "connect", on_connect),
        ]
        for target, name, fn in hooks:
            event.listen(target, name, fn)
        try:
            yield
        finally:
            for target, name, fn in hooks:
                event.remove(target, name, fn)

    def _sqlite_statement(self, sql: str) -> None:
        # What SQLite itself runs, prepared statements and BEGIN/COMMIT included. Group commit
        # runs a batch in a task of its own, so the phase of a write is often "background":
        # the text says which statement it is.
        self.sqlite[_phase()] += 1
        shape = _LITERALS.sub("?", " ".join(sql.split()))  # sqlite3 traces values inlined
        self.texts[("sqlite", shape[:90])] += 1

    def _count_writes(self, transport: Any) -> None:
        # asyncpg writes each request (a query; a prepare; a bind and execute; BEGIN; COMMIT;
        # the pool's ping) in one write and then waits for the answer: writes are round trips.
        write = transport.write

        def counted(data: Any) -> None:
            self.round_trips[_phase()] += 1
            write(data)

        transport.write = counted


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _per_turn(after: Counter[Any], before: Counter[Any], turns: int) -> dict[Any, float]:
    return {k: round((after[k] - before[k]) / turns, 2) for k in after if after[k] - before[k]}


async def sizes(database_url: str) -> dict[str, tuple[int, int]]:
    """Bytes by table and index: (on-disk pages, payload) on SQLite; relation size on PG."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with contextlib.closing(sqlite3.connect(path)) as db:
            rows = db.execute(
                "SELECT name, SUM(pgsize), SUM(payload) FROM dbstat GROUP BY name"
            ).fetchall()
        return {name: (pages, payload) for name, pages, payload in rows}
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 't')"
                )
            )
            return {name: (size, size) for name, size in result}
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def database(postgres: str | None, keep: str | None) -> AsyncIterator[str]:
    if keep:
        await migrated_sqlite(Path(keep))
        yield f"sqlite+aiosqlite:///{keep}"
        return
    if postgres:
        async with fresh_postgres(postgres) as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="switchboard-cost-") as tmp:
        path = Path(tmp) / "switchboard.db"
        await migrated_sqlite(path)
        yield f"sqlite+aiosqlite:///{path}"


def _in_thread(parent: str) -> Callable[[ApiCall], bool]:
    return lambda call: call.args.get("thread_ts") == parent


def mentions_only(sandbox: SlackSandbox, url: str) -> Settings:
    """The bot's settings against ``sandbox`` and ``url``, the sandbox sending only
    ``app_mention`` (as Slack does for an app subscribed to mentions alone)."""
    sandbox.driver.subscriptions = frozenset({"app_mention"})
    return Settings.model_validate(
        {
            "SLACK_BOT_TOKEN": sandbox.bot_token,
            "SLACK_SIGNING_SECRET": sandbox.signing_secret,
            "SWITCHBOARD_SLACK_API_URL": sandbox.api_url,
            "DATABASE_URL": url,
        }
    )


async def turns(sandbox: SlackSandbox, runtime: Runtime, count: int) -> None:
    """``count`` mentions, one at a time, each awaited to its reply and the runner idle."""
    bot = sandbox.workspace.directory.bot_user_id
    for n in range(count):
        sent = await sandbox.people.say(f"<@{bot}> help")
        if not all(d.acked for d in sent.deliveries):
            raise RuntimeError(f"turn {n} was not acked")
        await sandbox.calls.wait_for("chat.postMessage", where=_in_thread(sent.ts))
        if await runtime.runner.drain(timeout=30):
            raise RuntimeError(f"turn {n} did not end")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    counts = Counts()
    async with database(args.postgres, args.keep) as url, SlackSandbox() as sandbox:
        settings = mentions_only(sandbox, url)
        with counts.listening():
            runtime = await Runtime.create(settings, RuntimeOptions())
            server = HttpServer(runtime, host="127.0.0.1", port=0)
            await server.start()
            try:
                sandbox.driver.request_url = f"http://127.0.0.1:{server.port}{SLACK_EVENTS_PATH}"
                await turns(sandbox, runtime, args.warmup)
                before, size_before = counts.snapshot(), await sizes(url)
                cpu = time.process_time()
                await turns(sandbox, runtime, args.turns)
                cpu = time.process_time() - cpu
                after, size_after = counts.snapshot(), await sizes(url)
            finally:
                await server.close()
    n = args.turns
    per_turn = {
        k: _per_turn(after[k], before[k], n)
        for k in ("statements", "commits", "sqlite", "round_trips")
    }
    texts = _per_turn(after["texts"], before["texts"], n)
    by_table = {
        name: (
            round((size_after[name][0] - size_before.get(name, (0, 0))[0]) / n),
            round((size_after[name][1] - size_before.get(name, (0, 0))[1]) / n),
        )
        for name in size_after
    }
    return {
        "engine": "postgresql" if args.postgres else "sqlite",
        "turns": n,
        "cpu_ms_per_turn": round(cpu * 1000 / n, 3),
        "per_turn": per_turn,
        "statements": {f"{p} | {s}": v for (p, s), v in sorted(texts.items())},
        "bytes_per_turn": {k: v for k, v in sorted(by_table.items()) if v != (0, 0)},
    }


def report(result: dict[str, Any]) -> None:
    print(f"{result['engine']}: {result['turns']} turns (help mentions, one at a time)")
    print(f"  CPU per turn, this process (bot and sandbox): {result['cpu_ms_per_turn']} ms")
    for kind, figures in result["per_turn"].items():
        print(f"  {kind} per turn: {figures}")
    print("  statements per turn, by phase and text:")
    for statement, count in result["statements"].items():
        print(f"    {count:6.2f}  {statement}")
    pages = sum(v[0] for v in result["bytes_per_turn"].values())
    payload = sum(v[1] for v in result["bytes_per_turn"].values())
    print(f"  bytes per turn by table/index (pages, payload); total {pages}, {payload}:")
    for name, (page_bytes, payload_bytes) in result["bytes_per_turn"].items():
        print(f"    {page_bytes:8d} {payload_bytes:8d}  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--keep", default=None, help="a new SQLite file to use and keep")
    args = parser.parse_args(argv)
    quiet()
    result = asyncio.run(run(args))
    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
