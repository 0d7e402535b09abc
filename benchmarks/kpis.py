"""KPIs per agent on SQLite: what the App Home computes, beside hand-written GROUP BYs.

Builds TURNS traces spread over 14 days across 6 agents (default 200,000), a 👍/👎 on one
turn in ten, an approval request on one in twenty (half approved with an ``approved`` audit
entry, a quarter rejected, the rest expired), then computes the last 7 days' KPIs with two
readers, interleaved:

- ``switchboard``: ``SqlFeedbackStore.kpis`` (three SQLAlchemy Core queries, rows into
  ``AgentKpis``);
- ``floor``: the same three queries written by hand on the stdlib ``sqlite3`` module, rows
  left as tuples.

    python benchmarks/kpis.py [--turns N] [--queries Q]

Prints p50/p99 per reader and the ratio (goal: switchboard <= 1.5x the floor).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from floor_report import migrated_sqlite, quiet, report

from storage import Database

TEAM = "T0BENCH"
AGENTS = ("help", "deploy", "incident", "oncall", "memory", "knowledge")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
_FLOOR = (
    """SELECT agent, count(*),
         sum(CASE WHEN route_reason = 'fallback' OR degraded IS NOT NULL THEN 1 ELSE 0 END),
         sum(CASE WHEN outcome = 'agent_error' THEN 1 ELSE 0 END), sum(cost_micros)
       FROM traces WHERE started_at >= ? AND team_id = ? GROUP BY agent""",
    """SELECT t.agent, f.vote, count(*) FROM feedback f JOIN traces t ON t.trace_id = f.trace_id
       WHERE t.started_at >= ? AND t.team_id = ? GROUP BY t.agent, f.vote""",
    """SELECT t.agent, a.state, a.created_at, d.at FROM approvals a
       JOIN traces t ON t.trace_id = a.trace_id
       LEFT JOIN (SELECT approval_id, min(at) AS at FROM audit_log WHERE kind = 'approved'
                  GROUP BY approval_id) d ON d.approval_id = a.id
       WHERE a.quorum > 0 AND a.created_at >= ? AND a.team_id = ?""",
)


def _stamp(moment: datetime) -> str:
    """A UTC time as SQLAlchemy stores it in SQLite (so text comparisons agree)."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _when(n: int, turns: int) -> datetime:
    return NOW - timedelta(days=14) + timedelta(seconds=n * 14 * 86400 / turns)


def build(path: Path, *, turns: int) -> None:
    """Fill the migrated database at ``path`` directly (fast bulk insert)."""
    rng = random.Random(5)
    traces, votes, requests, audits = [], [], [], []
    for n in range(turns):
        at = _when(n, turns)
        agent = AGENTS[n % len(AGENTS)]
        outcome = "agent_error" if rng.random() < 0.01 else "replied"
        reason = "fallback" if rng.random() < 0.05 else "keyword"
        traces.append(
            (f"tr-{n}", TEAM, "C0", "U0", f"Ev{n}", "mention", agent, reason, 0.5, outcome,
             _stamp(at), 0.1, 5.0, 6.0, "rules", rng.randrange(0, 2000), "[]")
        )  # fmt: skip
        if n % 10 == 0:
            votes.append(
                (f"tr-{n}", TEAM, "U1", "up" if rng.random() < 0.7 else "down", _stamp(at))
            )
        if n % 20 == 0:
            roll = rng.random()
            state = "succeeded" if roll < 0.5 else "rejected" if roll < 0.75 else "expired"
            requests.append(
                (f"ap-{n}", f"tok-{n}", "deploy", "{}", "U0", TEAM, "C0", f"tr-{n}", f"k-{n}", 1,
                 False, state, "[]", 1, 0, _stamp(at), _stamp(at + timedelta(hours=1)))
            )  # fmt: skip
            if state == "succeeded":
                decided = at + timedelta(seconds=rng.randrange(10, 3600))
                audits.append(
                    (_stamp(decided), "U9", "approved", "deploy", f"ap-{n}", f"tr-{n}", "{}")
                )
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA synchronous=OFF")
        db.executemany(
            "INSERT INTO traces (trace_id, team_id, channel_id, user_id, event_id, source, agent,"
            " route_reason, route_score, outcome, started_at, route_ms, agent_ms, total_ms,"
            " planner, cost_micros, tool_calls) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            traces,
        )
        db.executemany(
            "INSERT INTO feedback (trace_id, team_id, user_id, vote, at) VALUES (?,?,?,?,?)", votes
        )
        db.executemany(
            "INSERT INTO approvals (id, token, action, params_json, requester, team_id,"
            " channel_id, trace_id, idempotency_key, quorum, self_approval, state,"
            " approvals_json, version, edits, created_at, expires_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            requests,
        )
        db.executemany(
            "INSERT INTO audit_log (at, actor, kind, action, approval_id, trace_id, details_json)"
            " VALUES (?,?,?,?,?,?,?)",
            audits,
        )
        db.execute("ANALYZE")


async def measure(path: Path, *, queries: int) -> None:
    database = await Database.connect(f"sqlite+aiosqlite:///{path}")
    floor_db = sqlite3.connect(path)
    since = NOW - timedelta(days=7)
    bound = (_stamp(since), TEAM)
    ours: list[float] = []
    floor: list[float] = []
    try:
        kpis = await database.feedback.kpis(since=since, team_id=TEAM)
        rows = [floor_db.execute(sql, bound).fetchall() for sql in _FLOOR]
        # Both readers must see the same window: the turns per agent agree.
        assert {k.agent: k.turns for k in kpis} == {r[0]: r[1] for r in rows[0]}, "readers differ"
        for n in range(queries):
            for which in (0, 1) if n % 2 == 0 else (1, 0):
                started = time.perf_counter()
                if which == 0:
                    await database.feedback.kpis(since=since, team_id=TEAM)
                    ours.append(time.perf_counter() - started)
                else:
                    for sql in _FLOOR:
                        floor_db.execute(sql, bound).fetchall()
                    floor.append(time.perf_counter() - started)
    finally:
        floor_db.close()
        await database.close()
    print(json.dumps({k.agent: k.turns for k in kpis}))
    report(ours, floor, goal=1.5, heading=f"queries={queries} (interleaved, alternating order)")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    quiet()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "kpis.db"
        await migrated_sqlite(path)
        started = time.perf_counter()
        build(path, turns=args.turns)
        size = path.stat().st_size / 1e6
        print(f"built {args.turns:,} turns in {time.perf_counter() - started:.1f}s ({size:.0f} MB)")
        await measure(path, queries=args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
