"""What erasure costs the write path on SQLite: ``secure_delete`` and the mid-turn check.

Every SQLite connection runs ``PRAGMA secure_delete=ON`` (deleted and overwritten content is
zeroed) and each turn's record transaction reads its delivery once more (a message deleted
or edited while the turn ran is erased with what the turn stored). This runs the full write
path of TURNS turns (claim the delivery, record the message, reply and trace, complete the
turn, which blanks the delivery's text) on a fresh SQLite file per variant, interleaving
the variants round by round:

- ``now``: as shipped (secure_delete on, the check in the turn's transaction);
- ``no-secure-delete``: the same with ``secure_delete=OFF``;
- ``neither``: also without the check (the write path before erasure).

With ``--postgres URL`` the same turns run on two fresh PostgreSQL databases made on that
server (and dropped), ``now`` against ``neither`` (PostgreSQL has no secure_delete: what the
check costs there, a round trip in the turn's transaction).

    python benchmarks/erasure_writes.py [--turns N] [--rounds R] [--postgres URL]

Prints the median CPU and wall milliseconds per turn of each variant, and the median of the
per-round ratios (CPU time of the process: the machine is shared, and wall time moves with
what else runs on it).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from floor_report import quiet
from sqlalchemy import text
from sqlalchemy.engine import make_url

import storage.engine.sqlite_hooks as hooks
import storage.ledger as ledger
from agents.kernel.models import Inbound, Outbound, Reply, Trace
from agents.memory.ports import Erased
from storage import Database, create_engine

T0 = datetime(2026, 12, 1, tzinfo=UTC)
VARIANTS = ("now", "no-secure-delete", "neither")


@contextmanager
def variant(name: str) -> Iterator[None]:
    """Patch the process into ``name`` for the duration (new connections read the PRAGMAs)."""
    pragmas, settle = hooks._PRAGMAS, ledger.settle_turn_on
    try:
        if name != "now":
            hooks._PRAGMAS = tuple(  # type: ignore[misc]
                p.replace("secure_delete=ON", "secure_delete=OFF") for p in pragmas
            )
        if name == "neither":
            ledger.settle_turn_on = lambda _connection, _inbound: Erased()  # type: ignore[assignment]
        yield
    finally:
        hooks._PRAGMAS, ledger.settle_turn_on = pragmas, settle  # type: ignore[misc]


def _turn(n: int, tag: str) -> tuple[Inbound, Outbound, Trace]:
    words = f"please deploy api to prod, ticket {tag}-{n} " + "context " * 20
    inbound = Inbound(
        "T1", "C1", "U1", words, "mention", f"Ev{tag}{n}", f"t{tag}{n}",
        T0 + timedelta(seconds=n), f"1700000000.{n:06d}", "1700000000.000000",
    )  # fmt: skip
    outbound = Outbound(
        inbound.trace_id, "T1", "C1", inbound.thread_ts, "ops",
        Reply(text=f"Deploying api to prod for {tag}-{n}. " + "detail " * 30),
    )  # fmt: skip
    trace = Trace(
        inbound.trace_id, "T1", "C1", "U1", inbound.event_id, "mention", "ops", "keyword",
        0.5, "replied", inbound.received_at, 0.1, 1.0, 1.2,
    )  # fmt: skip
    return inbound, outbound, trace


async def run(url: str, name: str, turns: int, tag: str) -> tuple[float, float]:
    """CPU and wall seconds per turn of ``turns`` full turns on the database at ``url``."""
    with variant(name):
        database = await Database.connect(url)
        try:
            started, cpu = time.perf_counter(), time.process_time()
            for n in range(turns):
                inbound, outbound, trace = _turn(n, tag)
                await database.events.claim(inbound)
                await database.ledger.record_turn(inbound, outbound, trace)
                await database.ledger.complete_turn(
                    inbound, ts=f"1700000001.{n:06d}", now=trace.started_at
                )
            return (time.process_time() - cpu) / turns, (time.perf_counter() - started) / turns
        finally:
            await database.close()


async def main(turns: int, rounds: int, postgres: str | None) -> None:
    quiet()
    with tempfile.TemporaryDirectory() as scratch:
        async with databases(scratch, postgres) as urls:
            cpu, wall = await measure(urls, turns, rounds)
    engine = "PostgreSQL" if postgres else "SQLite file"
    print(f"{turns} turns x {rounds} rounds per variant ({engine}; claim, record, complete)")
    print(f"{'variant':<18} {'cpu ms/turn':>12} {'wall ms/turn':>13}")
    for name in urls:
        print(
            f"{name:<18} {statistics.median(cpu[name]) * 1000:12.3f}"
            f" {statistics.median(wall[name]) * 1000:13.3f}"
        )
    for label, a, b in (
        ("secure_delete (now / no-secure-delete)", "now", "no-secure-delete"),
        ("mid-turn check (no-secure-delete / neither)", "no-secure-delete", "neither"),
        ("erasure in all (now / neither)", "now", "neither"),
    ):
        if a in urls and b in urls:
            cpus = [x / y for x, y in zip(cpu[a], cpu[b], strict=True)]
            walls = [x / y for x, y in zip(wall[a], wall[b], strict=True)]
            print(
                f"{label:<46} cpu {statistics.median(cpus):.3f}x"
                f"  wall {statistics.median(walls):.3f}x"
            )


async def measure(
    urls: dict[str, str], turns: int, rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """CPU and wall seconds per turn of each variant in each round (alternating order)."""
    cpu: dict[str, list[float]] = {name: [] for name in urls}
    wall: dict[str, list[float]] = {name: [] for name in urls}
    for url in urls.values():
        database = await Database.connect(url)
        await database.migrate()
        await database.close()
    variants = tuple(urls)
    for name in variants:  # warm-up, not counted: first-use caches would count against one
        await run(urls[name], name, max(turns // 10, 10), "warm")
    for index in range(rounds):
        for name in variants if index % 2 == 0 else tuple(reversed(variants)):
            used, took = await run(urls[name], name, turns, f"r{index}")
            cpu[name].append(used)
            wall[name].append(took)
    return cpu, wall


@asynccontextmanager
async def databases(scratch: str, postgres: str | None) -> AsyncIterator[dict[str, str]]:
    """One database URL per variant: SQLite files in ``scratch``, or fresh PostgreSQL
    databases for ``now`` and ``neither`` (dropped on exit)."""
    if postgres is None:
        yield {name: f"sqlite+aiosqlite:///{Path(scratch) / name}.db" for name in VARIANTS}
        return
    server = make_url(postgres)
    names = {name: f"sb_bench_{name}_{uuid.uuid4().hex[:8]}" for name in ("now", "neither")}
    admin = create_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            for db in names.values():
                await connection.execute(text(f'CREATE DATABASE "{db}"'))
        yield {
            name: server.set(database=db).render_as_string(hide_password=False)
            for name, db in names.items()
        }
    finally:
        async with admin.connect() as connection:
            for db in names.values():
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to run on instead")
    options = parser.parse_args()
    sys.exit(asyncio.run(main(options.turns, options.rounds, options.postgres)))
