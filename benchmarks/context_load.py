"""Thread context load on SQLite: Switchboard's store beside a hand-written indexed SELECT.

Builds a database with THREADS conversations of MESSAGES_PER_THREAD messages each (default
10,000 x 100 = 1,000,000 messages) in the migrated schema, then loads the newest LIMIT
messages of random threads, interleaving two readers on the same rows:

- ``switchboard``: ``SqlConversationStore.messages`` (SQLAlchemy Core, inline on the event
  loop for a SQLite file, as a turn does it), then ``assemble_context`` (newest first within
  a 4,000-token budget, the rest summarised);
- ``floor``: the same indexed SELECT written by hand on the stdlib ``sqlite3`` module, no
  assembly.

    python benchmarks/context_load.py [--threads N] [--per-thread M] [--queries Q] [--limit L]

Prints p50/p99 per reader and the ratio (goal: switchboard <= 2x the floor).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from floor_report import migrated_sqlite, quiet, report

from agents.kernel.models import ConversationKey
from agents.memory.context import assemble_context
from storage import Database

TEAM = "T0BENCH"
_FLOOR_SQL = """
SELECT m.direction, m.user_id, m.text, m.trace_id, m.ts, m.created_at
FROM messages AS m JOIN conversations AS c ON m.conversation_id = c.id
WHERE c.team_id = ? AND c.channel_id = ? AND c.thread_ts = ?
ORDER BY m.id DESC LIMIT ?
"""
_WORDS = [
    "deploy",
    "api",
    "web",
    "worker",
    "prod",
    "staging",
    "rollback",
    "restart",
    "scale",
    "replicas",
    "version",
    "incident",
    "latency",
    "errors",
    "timeout",
    "database",
    "cache",
    "queue",
    "please",
    "can",
    "you",
    "check",
    "status",
    "now",
]


def _thread(n: int) -> tuple[str, str]:
    return f"C{n % 50:08d}", f"1700000000.{n:06d}"


def build(path: Path, *, threads: int, per_thread: int) -> None:
    """Fill the migrated database at ``path`` directly (fast bulk insert)."""
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA synchronous=OFF")
        db.executemany(
            "INSERT INTO conversations (id, team_id, channel_id, thread_ts, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(n + 1, TEAM, *_thread(n), start, start) for n in range(threads)],
        )
        batch: list[tuple[object, ...]] = []
        message_id = 0
        for n in range(threads):
            for m in range(per_thread):
                message_id += 1
                inbound = m % 2 == 0
                text = " ".join(rng.choices(_WORDS, k=rng.randint(4, 30)))
                batch.append(
                    (
                        message_id,
                        n + 1,
                        "in" if inbound else "out",
                        "U0ALICE" if inbound else "",
                        text,
                        f"tr-{n}-{m // 2}",
                        None if inbound else "deploy",
                        None,
                        "received" if inbound else "sent",
                        f"{1700000000 + m}.{n:06d}",
                        start + timedelta(seconds=m),
                    )
                )
                if len(batch) >= 50_000:
                    _insert(db, batch)
        _insert(db, batch)
        db.execute("ANALYZE")


def _insert(db: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    db.executemany(
        "INSERT INTO messages (id, conversation_id, direction, user_id, text, trace_id, agent, "
        "reply_json, status, ts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )
    batch.clear()


async def measure(path: Path, *, threads: int, queries: int, limit: int) -> None:
    database = await Database.connect(f"sqlite+aiosqlite:///{path}")
    floor_db = sqlite3.connect(path)
    rng = random.Random(11)
    picks = [rng.randrange(threads) for _ in range(queries)]
    ours: list[float] = []
    floor: list[float] = []
    try:
        for warm in picks[:50]:  # warm both readers' caches and statement caches
            channel, thread = _thread(warm)
            await database.conversations.messages(
                ConversationKey(TEAM, channel, thread), limit=limit
            )
            floor_db.execute(_FLOOR_SQL, (TEAM, channel, thread, limit)).fetchall()
        for n, pick in enumerate(picks):
            channel, thread = _thread(pick)
            order = (0, 1) if n % 2 == 0 else (1, 0)
            for which in order:
                started = time.perf_counter()
                if which == 0:
                    stored = await database.conversations.messages(
                        ConversationKey(TEAM, channel, thread), limit=limit
                    )
                    assemble_context(stored, budget=4000)
                    ours.append(time.perf_counter() - started)
                else:
                    rows = floor_db.execute(_FLOOR_SQL, (TEAM, channel, thread, limit)).fetchall()
                    assert len(rows) == min(limit, len(rows))
                    floor.append(time.perf_counter() - started)
    finally:
        floor_db.close()
        await database.close()
    report(
        ours,
        floor,
        goal=2.0,
        heading=f"queries={queries} limit={limit} (interleaved, alternating order)",
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--per-thread", type=int, default=100)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args()
    quiet()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "context.db"
        await migrated_sqlite(path)
        started = time.perf_counter()
        build(path, threads=args.threads, per_thread=args.per_thread)
        total = args.threads * args.per_thread
        print(
            f"built {total:,} messages in {args.threads:,} threads "
            f"in {time.perf_counter() - started:.1f}s ({path.stat().st_size / 1e6:.0f} MB)"
        )
        await measure(path, threads=args.threads, queries=args.queries, limit=args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
