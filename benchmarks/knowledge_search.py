"""Runbook search on SQLite: Switchboard's index beside a raw FTS5 query, 100,000 chunks.

Builds CHUNKS synthetic runbook sections (headings and text from an ops vocabulary) in the
migrated schema (the FTS5 index is kept by the migration's triggers), then runs QUERIES
searches, interleaving two readers on the same index:

- ``switchboard``: ``SqlKnowledgeIndex.search`` (query words quoted and OR-ed, bm25 with the
  heading weighted 2, joined to the chunks, rows to ``Hit`` values);
- ``floor``: the same MATCH expression and bm25 ranking written by hand on ``sqlite3``.

    python benchmarks/knowledge_search.py [--chunks N] [--queries Q] [--limit L]

Prints p50/p99 per reader and the ratio (goal: switchboard <= 1.5x the floor).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from floor_report import migrated_sqlite, quiet, report

from storage import Database
from storage.knowledge import fts5_query

_VOCAB = [
    "payments",
    "api",
    "web",
    "worker",
    "database",
    "replica",
    "failover",
    "rollback",
    "deploy",
    "restart",
    "scale",
    "kafka",
    "retention",
    "vault",
    "unseal",
    "certificate",
    "rotate",
    "dns",
    "cache",
    "redis",
    "queue",
    "backlog",
    "latency",
    "timeout",
    "error",
    "rate",
    "dashboard",
    "alert",
    "pager",
    "oncall",
    "escalation",
    "incident",
    "postmortem",
    "migration",
    "schema",
    "index",
    "vacuum",
    "disk",
    "memory",
    "cpu",
    "throttle",
    "quota",
    "billing",
    "invoice",
    "export",
    "import",
    "sync",
    "cron",
    "job",
    "secret",
    "token",
    "key",
    "password",
    "login",
    "sso",
    "ldap",
    "network",
    "firewall",
    "loadbalancer",
    "ingress",
    "pod",
    "node",
]
_FLOOR = (
    "SELECT c.source, c.heading, c.anchor, c.text, c.position, "
    "-bm25(knowledge_fts, 2.0, 1.0) FROM knowledge_fts "
    "JOIN knowledge_chunks AS c ON c.id = knowledge_fts.rowid "
    "WHERE knowledge_fts MATCH ? ORDER BY bm25(knowledge_fts, 2.0, 1.0) LIMIT ?"
)


def build(path: Path, *, chunks: int) -> None:
    """Insert ``chunks`` sections in files of 20 (the triggers fill the FTS5 index)."""
    rng = random.Random(5)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA synchronous=OFF")
        files = (chunks + 19) // 20
        db.executemany(
            "INSERT INTO knowledge_files (source, digest, indexed_at) VALUES (?, ?, ?)",
            [(f"runbooks/{n:06d}.md", "d", "2026-11-24 00:00:00.000000") for n in range(files)],
        )
        rows = []
        for n in range(chunks):
            heading = " > ".join(w.title() for w in rng.sample(_VOCAB, 2))
            text = " ".join(rng.choices(_VOCAB, k=rng.randint(40, 160)))
            rows.append((f"runbooks/{n // 20:06d}.md", heading, "a", text, n % 20))
        db.executemany(
            "INSERT INTO knowledge_chunks (source, heading, anchor, text, position) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )


async def measure(path: Path, *, queries: int, limit: int) -> None:
    database = await Database.connect(f"sqlite+aiosqlite:///{path}")
    floor_db = sqlite3.connect(path)
    rng = random.Random(9)
    questions = [
        "how do I " + " ".join(rng.sample(_VOCAB, rng.randint(2, 4))) for _ in range(queries)
    ]
    ours: list[float] = []
    floor: list[float] = []
    try:
        for question in questions[:20]:
            await database.knowledge.search(question, limit=limit)
            floor_db.execute(_FLOOR, (fts5_query(question), limit)).fetchall()
        for n, question in enumerate(questions):
            for which in (0, 1) if n % 2 == 0 else (1, 0):
                started = time.perf_counter()
                if which == 0:
                    await database.knowledge.search(question, limit=limit)
                    ours.append(time.perf_counter() - started)
                else:
                    floor_db.execute(_FLOOR, (fts5_query(question), limit)).fetchall()
                    floor.append(time.perf_counter() - started)
    finally:
        floor_db.close()
        await database.close()
    report(
        ours,
        floor,
        goal=1.5,
        heading=f"queries={queries} limit={limit} (interleaved, alternating order)",
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=9)
    args = parser.parse_args()
    quiet()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "knowledge.db"
        await migrated_sqlite(path)
        started = time.perf_counter()
        build(path, chunks=args.chunks)
        size = path.stat().st_size / 1e6
        print(
            f"built {args.chunks:,} chunks in {time.perf_counter() - started:.1f}s ({size:.0f} MB)"
        )
        await measure(path, queries=args.queries, limit=args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
