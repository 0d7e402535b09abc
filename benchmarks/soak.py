"""Soak: one ``switchboard run`` under a steady mixed load; its memory, descriptors, tasks,
database size and latency over time.

``switchboard run`` is a child process on 127.0.0.1 with the example config (SQLite file,
retention on); one in-process ``SlackSandbox`` is its Slack and its deploy API. Turns go out
at a steady rate, mixed: mentions that start threads, replies in those threads (with and
without a mention), DMs, ``/ops help`` and ``status of api`` (a read action the worker runs
against the sandbox's deploy API). Each turn waits for its reply in the sandbox's call log.
Every few seconds the child's RSS, open descriptors, asyncio tasks (``/metrics``) and the
database's size are sampled.

    python benchmarks/soak.py [--duration S] [--turns N] [--rate R] [--json FILE]

See benchmarks/README.md (Soak) for what each figure means and the figures measured so far.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp
from ack_and_turns import (
    HOST,
    BotProcess,
    add_switchboard_cmd,
    cancel_on_sigterm,
    environment,
    free_port,
    percentile,
    progress,
    run_quietly,
    switchboard_argv,
    switchboard_env,
    wait_healthy,
)

from sandbox import ApiCall, SlackSandbox, humans
from sandbox.ratelimits import DEFAULT_LIMITS

EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "examples" / "switchboard.yaml"
EXAMPLE_DEPLOY_API = "http://127.0.0.1:3001"
EXAMPLE_RATE_LIMIT = "rate_limit: {turns: 20, per: 1m}"
SOAK_RATE_LIMIT = "rate_limit: {turns: 1000000, per: 1m}"
GOAL_RSS_GROWTH = 0.05  # RSS at the end at most 5% above RSS at the end of the warm-up
GOAL_P95_DRIFT = 1.25  # p95 of the last 10% of turns at most this x the first 10%'s
BOT = "U0BOT"
USERS = ("U0ALICE", "U0BOB", "U0CAROL")
DMS = {"U0ALICE": "D0ALICE", "U0BOB": "D0BOB"}
CHANNEL = "C0GENERAL"
SERVICES = ("api", "web", "worker")  # read actions; each result is cached for 15 s

Kind = Literal["mention", "thread", "dm", "command", "status"]
# One cycle of the workload; cheap turns, the read action one in ten.
MIX: tuple[Kind, ...] = (
    "mention",
    "thread",
    "dm",
    "mention",
    "command",
    "thread",
    "status",
    "dm",
    "thread",
    "command",
)
Key = tuple[str | None, str | None]  # (channel, thread_ts) a reply lands in; response_url
RESPONSE_URL: Key = ("response_url", None)


# -- turns and their replies ------------------------------------------------------------------


@dataclass(slots=True)
class Turn:
    """One person's message or command and what became of it."""

    index: int
    kind: Kind
    sent_at: float  # time.monotonic() before the delivery
    done: asyncio.Future[float]  # resolves to the monotonic time of the answer
    acked: bool = True

    def answered_by(self, call: ApiCall) -> bool:
        """Whether ``call`` is this turn's answer, not a step before it: a read action that
        runs posts "about to run" first (one served from the read cache answers at once)."""
        return self.kind != "status" or "about to run" not in str(call.args.get("text", ""))


class Replies:
    """Matches the bot's successful posts to the turns awaiting them, first in first out per
    place (a thread, a DM, the response URLs).

    It listens through the call log's public waiter: a predicate that records and never
    matches, so the log never copies or rescans its history per turn.
    """

    def __init__(self) -> None:
        self._waiting: dict[Key, deque[Turn]] = {}

    def expect(self, key: Key, turn: Turn) -> None:
        """``turn`` is answered by the next post into ``key`` that answers it."""
        self._waiting.setdefault(key, deque()).append(turn)

    def forget(self, key: Key, turn: Turn) -> None:
        """Stop waiting for ``turn`` (it timed out)."""
        queue = self._waiting.get(key)
        if queue is not None and turn in queue:
            queue.remove(turn)

    def observe(self, call: ApiCall) -> bool:
        """The call log's predicate: credit ``call`` to the oldest turn waiting at its place."""
        if call.status != 200 or call.response.get("ok") is not True:
            return False
        if call.method == "response_url":
            key = RESPONSE_URL
        else:
            key = (call.args.get("channel"), call.args.get("thread_ts"))
        queue = self._waiting.get(key)
        if not queue:
            return False
        turn = queue[0]
        if turn.answered_by(call):
            queue.popleft()
            if not queue:
                del self._waiting[key]
            if not turn.done.done():
                turn.done.set_result(call.at)
        return False

    async def listen(self, sandbox: SlackSandbox, seconds: float) -> None:
        """Observe every ``chat.postMessage`` and response URL post for ``seconds``."""

        async def tap(method: str) -> None:
            with contextlib.suppress(TimeoutError):
                await sandbox.calls.wait_for(
                    method, where=self.observe, timeout=seconds, count=1 << 40
                )

        await asyncio.gather(tap("chat.postMessage"), tap("response_url"))


@dataclass(slots=True)
class Load:
    """The workload's state: threads that may get a follow-up, and every turn's outcome."""

    sandbox: SlackSandbox
    replies: Replies
    reply_timeout: float
    threads: deque[str] = field(default_factory=lambda: deque(maxlen=50))  # answered mentions
    busy: set[str] = field(default_factory=set)  # threads with a turn under way
    turns: list[Turn] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(15))

    async def turn(self, index: int, kind: Kind) -> None:
        """Send one turn of ``kind`` and await its reply (bounded by the reply timeout)."""
        user = USERS[index % len(USERS)]
        if kind == "thread" and not [t for t in self.threads if t not in self.busy]:
            kind = "mention"  # nothing answered yet to follow up on
        if kind == "dm":
            user = ("U0ALICE", "U0BOB")[index % 2]
        loop = asyncio.get_running_loop()
        turn = Turn(index, kind, 0.0, loop.create_future())
        self.turns.append(turn)
        thread = None
        if kind == "command":
            key = RESPONSE_URL
            fields = humans.run_command(
                self.sandbox.workspace, command="/ops", text="help", user=user, channel=CHANNEL
            )
            self.replies.expect(key, turn)
            turn.sent_at = time.monotonic()
            deliveries = [await self.sandbox.driver.send_command(fields)]
        else:
            channel, text = CHANNEL, f"<@{BOT}> help"
            if kind == "dm":
                channel, text = DMS[user], "help"
            elif kind == "status":
                text = f"<@{BOT}> status of {SERVICES[index % len(SERVICES)]}"
            elif kind == "thread":
                thread = self.rng.choice([t for t in self.threads if t not in self.busy])
                self.busy.add(thread)
                text = f"<@{BOT}> help" if index % 2 else "what else"
            posted = humans.post(
                self.sandbox.workspace,
                text=text,
                user=user,
                channel=channel,
                thread_ts=thread,
                subscriptions=self.sandbox.driver.subscriptions,
            )
            ts = str(posted.message["ts"])
            # A DM's answer is posted at the DM's top level; a channel's in the thread.
            key = (channel, None) if kind == "dm" else (channel, thread or ts)
            self.replies.expect(key, turn)
            turn.sent_at = time.monotonic()
            deliveries = [await self.sandbox.driver.send_event(e) for e in posted.events]
            if kind == "mention":
                thread = ts
        turn.acked = all(d.acked for d in deliveries)
        try:
            await asyncio.wait_for(asyncio.shield(turn.done), self.reply_timeout)
        except TimeoutError:
            self.replies.forget(key, turn)
            return
        finally:
            if kind == "thread" and thread is not None:
                self.busy.discard(thread)
        if kind == "mention" and thread is not None:
            self.threads.append(thread)


async def drive(load: Load, *, rate: float, duration: float, max_turns: int | None) -> None:
    """Start turns at ``rate`` a second (open loop: a slow reply does not slow the sending)
    until ``duration`` seconds passed or ``max_turns`` were sent; then await them all."""
    started = time.monotonic()
    tasks: set[asyncio.Task[None]] = set()
    for index in itertools.count():
        if max_turns is not None and index >= max_turns:
            break
        due = started + index / rate
        if due - started >= duration:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        task = asyncio.create_task(load.turn(index, MIX[index % len(MIX)]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


# -- samples of the child ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """The child's resources at one moment."""

    at_s: float  # seconds since the load started
    turns_sent: int
    rss_kb: int
    fds: int
    inbound: int  # established connections to the bot's port (keep-alive, from the sandbox)
    tasks: int | None  # switchboard_asyncio_tasks; None if the scrape failed
    db_bytes: int  # the SQLite file
    wal_bytes: int  # its -wal and -shm


def rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def inbound_connections(port: int) -> int:
    """Established TCP connections whose local end is ``port`` on 127.0.0.1 (the bot's side
    of the deliveries' keep-alive connections: each holds a descriptor and a handler task)."""
    local = f"0100007F:{port:04X}"
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        count += fields[1] == local and fields[3] == "01"  # 01: ESTABLISHED
    return count


def open_fds(pid: int) -> int:
    """How many descriptors ``pid`` has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def file_bytes(*paths: Path) -> int:
    """The size of the files among ``paths`` that exist."""
    return sum(path.stat().st_size for path in paths if path.exists())


async def scrape_tasks(session: aiohttp.ClientSession, port: int) -> int | None:
    """The bot's ``switchboard_asyncio_tasks`` gauge from ``/metrics``."""
    with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
        async with session.get(f"http://{HOST}:{port}/metrics") as response:
            for line in (await response.text()).splitlines():
                if line.startswith("switchboard_asyncio_tasks "):
                    return int(float(line.split()[1]))
    return None


@dataclass(frozen=True, slots=True)
class Probe:
    """Where the child's resources are read."""

    pid: int
    port: int
    database: Path
    session: aiohttp.ClientSession

    async def sample(self, at_s: float, turns_sent: int) -> Sample:
        """The child's resources now."""
        return Sample(
            at_s=round(at_s, 1),
            turns_sent=turns_sent,
            rss_kb=rss_kb(self.pid),
            fds=open_fds(self.pid),
            inbound=inbound_connections(self.port),
            tasks=await scrape_tasks(self.session, self.port),
            db_bytes=file_bytes(self.database),
            wal_bytes=file_bytes(Path(f"{self.database}-wal"), Path(f"{self.database}-shm")),
        )


async def sample_every(
    seconds: float, probe: Probe, *, load: Load, started: float, into: list[Sample]
) -> None:
    """Append a sample now and every ``seconds`` until cancelled."""
    while True:
        into.append(await probe.sample(time.monotonic() - started, len(load.turns)))
        await asyncio.sleep(seconds)


def table_bytes(database: Path) -> dict[str, dict[str, int]]:
    """Rows and bytes per table and index (SQLite's ``dbstat``), read after the bot stopped."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        sizes = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        result = {}
        for name in tables:
            rows = conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            result[name] = {"rows": int(rows), "bytes": int(sizes.get(name, 0))}
        return result


# -- figures ----------------------------------------------------------------------------------


def _latency_ms(turns: Sequence[Turn]) -> list[float]:
    return [
        (t.done.result() - t.sent_at) * 1000
        for t in turns
        if t.done.done() and not t.done.cancelled()
    ]


def figures(turns: Sequence[Turn], samples: Sequence[Sample], *, warmup_s: float) -> dict[str, Any]:
    """The soak's summary: resources at the warm-up's end against the end, and latency of
    the first 10% of turns against the last 10%."""
    tenth = max(1, len(turns) // 10)
    first, last = _latency_ms(turns[:tenth]), _latency_ms(turns[-tenth:])
    warm = next((s for s in samples if s.at_s >= warmup_s), samples[-1])
    end = samples[-1]
    after = [s for s in samples if s.at_s >= warm.at_s]
    answered = sum(1 for t in turns if t.done.done())
    ends = [t.done.result() for t in turns if t.done.done()]
    span = max(ends) - min(t.sent_at for t in turns) if ends else 0.0

    def pct(values: list[float], p: float) -> float | None:
        return percentile(values, p) if values else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else a / b

    turns_after = end.turns_sent - warm.turns_sent
    result: dict[str, Any] = {
        "turns": len(turns),
        "turns_per_s": answered / span if span else None,  # first sent -> last answered
        "answered": answered,
        "missing": len(turns) - answered,
        "ack_errors": sum(1 for t in turns if not t.acked),
        "by_kind": {k: sum(1 for t in turns if t.kind == k) for k in sorted(set(MIX))},
        "warmup_end_s": warm.at_s,
        "rss_warm_kb": warm.rss_kb,
        "rss_end_kb": end.rss_kb,
        "rss_max_kb": max(s.rss_kb for s in samples),
        "rss_start_kb": samples[0].rss_kb,
        "rss_growth": ratio(end.rss_kb - warm.rss_kb, warm.rss_kb),
        "rss_kb_per_1000_turns": (end.rss_kb - warm.rss_kb) / turns_after * 1000
        if turns_after
        else None,
        "rss_max_after_warmup_kb": max(s.rss_kb for s in after),
        "fds_start": samples[0].fds,
        "fds_end": end.fds,
        "fds_max": max(s.fds for s in samples),
        "inbound_start": samples[0].inbound,
        "inbound_end": end.inbound,
        "inbound_max": max(s.inbound for s in samples),
        "tasks_start": samples[0].tasks,
        "tasks_end": end.tasks,
        "tasks_max": max((s.tasks for s in samples if s.tasks is not None), default=None),
        "db_start_bytes": samples[0].db_bytes,
        "db_end_bytes": end.db_bytes,
        "db_bytes_per_turn": (end.db_bytes - samples[0].db_bytes) / len(turns) if turns else None,
        "wal_start_bytes": samples[0].wal_bytes,
        "wal_end_bytes": end.wal_bytes,
        "wal_max_bytes": max(s.wal_bytes for s in samples),
        "first_p50_ms": pct(first, 50),
        "first_p95_ms": pct(first, 95),
        "last_p50_ms": pct(last, 50),
        "last_p95_ms": pct(last, 95),
        "all_p50_ms": pct(_latency_ms(turns), 50),
        "all_p95_ms": pct(_latency_ms(turns), 95),
    }
    tenths = [turns[i * len(turns) // 10 : (i + 1) * len(turns) // 10] for i in range(10)]
    result["p50_p95_ms_by_tenth"] = [
        [pct(_latency_ms(part), 50), pct(_latency_ms(part), 95)] for part in tenths
    ]
    result["p50_drift"] = ratio(result["last_p50_ms"], result["first_p50_ms"])
    result["p95_drift"] = ratio(result["last_p95_ms"], result["first_p95_ms"])
    return result


def goals(f: dict[str, Any]) -> dict[str, bool | None]:
    """Whether each goal is met (None: not measurable)."""
    growth, drift = f["rss_growth"], f["p95_drift"]
    return {
        f"RSS growth after warm-up <= {GOAL_RSS_GROWTH:.0%}": None
        if growth is None
        else growth <= GOAL_RSS_GROWTH,
        f"p95 last 10% / first 10% <= {GOAL_P95_DRIFT}x": None
        if drift is None
        else drift <= GOAL_P95_DRIFT,
        "every turn answered and acked": f["missing"] == 0 and f["ack_errors"] == 0,
    }


def _n(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def report(
    config: dict[str, Any], env: dict[str, Any], f: dict[str, Any], tables: dict[str, Any]
) -> dict[str, bool | None]:
    """Print the table; returns the goals' verdicts."""
    print()
    print(
        f"soak  {env['date']}  {f['turns']} turns in {config['seconds']:.0f}s at "
        f"{config['rate']}/s  switchboard {env['revision']}"
    )
    print(
        f"{env['cores']} cores ({env['cpu']}), python {env['python']}, sqlite {env['sqlite']}; "
        f"1-min load {config['loadavg_1m_at_start']} before, {env['loadavg_1m_at_end']} after"
    )
    print(f"turns by kind {f['by_kind']}; warm-up ends at {f['warmup_end_s']:.0f}s")
    print()
    mb = 1024
    header = f"{'figure':<26} {'start':>10} {'end':>10}  note"
    print(header)
    print("-" * 78)

    def row(name: str, start: str, end: str, note: str = "") -> None:
        print(f"{name:<26} {start:>10} {end:>10}  {note}")

    growth = None if f["rss_growth"] is None else f["rss_growth"] * 100
    row(
        "RSS MB (warm-up end)",
        f"{f['rss_warm_kb'] / mb:.1f}",
        f"{f['rss_end_kb'] / mb:.1f}",
        f"{_n(growth, '+.1f')}%; at start {f['rss_start_kb'] / mb:.1f}, "
        f"max {f['rss_max_kb'] / mb:.1f}; {_n(f['rss_kb_per_1000_turns'], '+.0f')} kB/1000 turns",
    )
    row("open fds", str(f["fds_start"]), str(f["fds_end"]), f"max {f['fds_max']}")
    row(
        "inbound connections",
        str(f["inbound_start"]),
        str(f["inbound_end"]),
        f"max {f['inbound_max']} (keep-alive from the sandbox: one fd and one task each)",
    )
    row(
        "asyncio tasks",
        _n(f["tasks_start"], "d"),
        _n(f["tasks_end"], "d"),
        f"max {_n(f['tasks_max'], 'd')}",
    )
    for name, key, note in (
        ("database file MB", "db", f"{_n(f['db_bytes_per_turn'], '.0f')} bytes/turn"),
        ("WAL + shm MB", "wal", f"max {f['wal_max_bytes'] / 1e6:.2f} (its high-water mark)"),
    ):
        start, end = f[f"{key}_start_bytes"] / 1e6, f[f"{key}_end_bytes"] / 1e6
        row(name, f"{start:.2f}", f"{end:.2f}", note)
    for p in (50, 95):
        drift, pooled = _n(f[f"p{p}_drift"], ".2f"), _n(f[f"all_p{p}_ms"])
        first, last = _n(f[f"first_p{p}_ms"]), _n(f[f"last_p{p}_ms"])
        row(f"latency p{p} ms (10%)", first, last, f"last/first {drift}x; all turns {pooled}")
    by_tenth = " ".join(_n(p95, ".0f") for _, p95 in f["p50_p95_ms_by_tenth"])
    row("p95 ms by tenth of turns", "", "", by_tenth)
    row(
        "turns/s",
        "",
        _n(f["turns_per_s"], ".1f"),
        f"missing {f['missing']}, ack errors {f['ack_errors']}",
    )
    print()
    verdicts = goals(f)
    for goal, met in verdicts.items():
        print(f"goal: {goal:<44} {'n/a' if met is None else ('met' if met else 'NOT met')}")
    print()
    largest = sorted(tables.items(), key=lambda item: -item[1]["bytes"])[:8]
    print(
        "largest tables after the run: "
        + ", ".join(f"{name} {t['rows']} rows {t['bytes'] / 1e6:.2f} MB" for name, t in largest)
    )
    return verdicts


# -- the run ----------------------------------------------------------------------------------


def soak_config(deploy_api: str) -> str:
    """The example config, its deploy API pointed at the sandbox and its per-person rate
    limit lifted (three people send every turn); retention as in the example."""
    text = EXAMPLE_CONFIG.read_text()
    if EXAMPLE_DEPLOY_API not in text or EXAMPLE_RATE_LIMIT not in text:
        raise RuntimeError(f"{EXAMPLE_CONFIG} changed: update soak_config")
    return text.replace(EXAMPLE_DEPLOY_API, deploy_api).replace(EXAMPLE_RATE_LIMIT, SOAK_RATE_LIMIT)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the sandbox and the bot, soak, stop them (always), report."""
    cancel_on_sigterm()
    loadavg_at_start = round(os.getloadavg()[0], 2)
    tmpdir = Path(tempfile.mkdtemp(prefix="switchboard-soak-"))
    database = tmpdir / "soak.db"
    # Slack's rate tiers are lifted: the soak watches the process, not the 429 fallbacks.
    sandbox = SlackSandbox(
        signing_secret=secrets.token_hex(16),
        rate_limits=dict.fromkeys(DEFAULT_LIMITS),
        http_timeout=10.0,
    )
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    bot: BotProcess | None = None
    listener: asyncio.Task[None] | None = None
    try:
        await sandbox.start(host=HOST, port=0)
        sandbox.workspace.directory.add_usergroup("S0SRE", "sre", ["U0CAROL"])
        config_path = tmpdir / "switchboard.yaml"
        config_path.write_text(soak_config(sandbox.base_url))
        port = free_port()
        bot = BotProcess(
            "switchboard",
            switchboard_argv(args.switchboard_cmd, port),
            {
                **switchboard_env(sandbox, f"sqlite+aiosqlite:///{database}"),
                "SWITCHBOARD_CONFIG": str(config_path),
                "DEPLOY_API_TOKEN": "soak-token",
            },
        )
        await bot.start()
        await wait_healthy(session, bot, port, timeout=60)
        assert bot.pid is not None
        sandbox.driver.request_url = f"http://{HOST}:{port}/slack/events"
        replies = Replies()
        listener = asyncio.create_task(replies.listen(sandbox, args.duration + 3600))
        load = Load(sandbox, replies, args.reply_timeout)
        samples: list[Sample] = []
        started = time.monotonic()
        probe = Probe(bot.pid, port, database, session)
        sampler = asyncio.create_task(
            sample_every(args.sample_every, probe, load=load, started=started, into=samples)
        )
        progress(f"soaking for {args.duration:.0f}s at {args.rate} turns/s")
        reporter = asyncio.create_task(_progress_every(60.0, samples))
        try:
            await bot.guard(
                drive(load, rate=args.rate, duration=args.duration, max_turns=args.turns)
            )
        finally:
            for task in (sampler, reporter):
                task.cancel()
        seconds = time.monotonic() - started
        samples.append(await probe.sample(seconds, len(load.turns)))
        code = await bot.stop()
        if code not in (0, None):
            print(bot.describe_exit(), file=sys.stderr)
        tables = table_bytes(database)
        summary = figures(load.turns, samples, warmup_s=args.warmup * seconds)
        config = {
            "duration_s": args.duration,
            "seconds": seconds,
            "rate": args.rate,
            "max_turns": args.turns,
            "warmup_fraction": args.warmup,
            "sample_every_s": args.sample_every,
            "reply_timeout_s": args.reply_timeout,
            "mix": list(MIX),
            "config": "examples/switchboard.yaml, deploy API -> sandbox, " + SOAK_RATE_LIMIT,
            "switchboard_log_level": "warning",
            "switchboard_command": args.switchboard_cmd,
            "loadavg_1m_at_start": loadavg_at_start,
        }
        env = environment()
        verdicts = report(config, env, summary, tables)
        return {
            "config": config,
            "environment": env,
            "figures": summary,
            "goals": verdicts,
            "tables": tables,
            "samples": [asdict(s) for s in samples],
        }
    finally:
        if listener is not None:
            listener.cancel()
        if bot is not None:
            await bot.stop()
        await session.close()
        await sandbox.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


async def _progress_every(seconds: float, samples: list[Sample]) -> None:
    while True:
        await asyncio.sleep(seconds)
        if samples:
            s = samples[-1]
            progress(
                f"{s.at_s:.0f}s: {s.turns_sent} turns, RSS {s.rss_kb / 1024:.1f} MB, "
                f"{s.fds} fds ({s.inbound} inbound connections), {s.tasks} tasks, "
                f"db {s.db_bytes / 1e6:.2f} MB + WAL {s.wal_bytes / 1e6:.2f} MB"
            )


def main(argv: list[str] | None = None) -> int:
    """Parse the options, soak, optionally write the figures as JSON; 1 if a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=120.0, help="seconds of load (default 120)"
    )
    parser.add_argument("--turns", type=int, help="stop after this many turns (default: none)")
    parser.add_argument("--rate", type=float, default=20.0, help="turns started a second")
    parser.add_argument(
        "--warmup", type=float, default=0.2, help="fraction of the run that is warm-up (0.2)"
    )
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument(
        "--reply-timeout", type=float, default=30.0, help="seconds a turn waits for its reply"
    )
    parser.add_argument("--json", type=Path, help="also write the figures and samples here")
    add_switchboard_cmd(parser)
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.rate <= 0 or not 0 <= args.warmup < 1:
        parser.error("--duration and --rate must be positive, --warmup in [0, 1)")
    result = run_quietly(run(args), stopped="the bot was stopped")
    if isinstance(result, int):
        return result
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(met is not False for met in result["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
