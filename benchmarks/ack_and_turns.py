"""Ack throughput, ack latency and full turns/s: Switchboard against a naive Bolt bot and a no-op.

Three servers run as separate processes on 127.0.0.1: ``switchboard run``, the naive Bolt bot
(``baseline_bots.py --mode naive``: replies with ``say``, persists nothing) and the no-op Bolt
app (``--mode noop``: the floor); with ``--durable-baseline`` a fourth, the naive bot that also
writes Switchboard's durable records of each turn (``--mode durable``). One in-process
``SlackSandbox`` serves their Web API calls.
This process signs ``app_mention`` deliveries itself and POSTs them, interleaved: in each round
every server, in a rotated order, gets a batch of N POSTs sent C at a time. Replies are
awaited through the sandbox's call log before the next batch starts.

    python benchmarks/ack_and_turns.py [--rounds R] [--batch N] [--concurrency C]
        [--durable-baseline] [--json FILE]

See benchmarks/README.md for what each figure means and the figures measured so far.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import logging
import math
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import structlog
from floor_report import migrated_sqlite
from slack_sdk.signature import SignatureVerifier

import bot as switchboard_package
from sandbox import ApiCall, SlackSandbox

HOST = "127.0.0.1"
EVENTS_PATH = "/slack/events"
APP_ID = "A0BENCH"
USER = "U0ALICE"
CHANNEL = "C0GENERAL"
BASELINE_BOTS = Path(__file__).with_name("baseline_bots.py")
SWITCHBOARD, NAIVE, NOOP = "switchboard", "naive", "noop"
BEFORE = "before"  # a second Switchboard build (--before-cmd), measured in the same rounds
DURABLE = "durable"  # the naive bot with Switchboard's durable records (--durable-baseline)
# Issue 19's goals: Switchboard's ack throughput at least 1.0x the naive bot's, its ack p99 at
# most 1.0x, its full-turn throughput at least 0.8x.
GOAL_ACK = 1.0
GOAL_TURNS = 0.8
GOAL_P99 = 1.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GOAL_RSS = 1.5  # Switchboard's VmRSS after the run: at most this x the naive bot's (issue 19)
_TAIL_LINES = 40
_PR_SET_PDEATHSIG = 1

T = TypeVar("T")


# -- the bots as processes ------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the benchmark dies (Linux; best effort)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class BotProcess:
    """One server under test as a subprocess whose stdout and stderr are always drained."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self._argv = list(argv)
        self._env = env
        self._proc: asyncio.subprocess.Process | None = None
        self._drains: list[asyncio.Task[None]] = []
        self._port: asyncio.Future[int] | None = None
        self._exit: asyncio.Task[int] | None = None
        self.tail: deque[str] = deque(maxlen=_TAIL_LINES)

    async def start(self) -> None:
        """Start the process (its output is drained from now on)."""
        self._port = asyncio.get_running_loop().create_future()
        self._proc = await asyncio.create_subprocess_exec(
            *self._argv,
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches only this process, which stops the bots
            preexec_fn=_die_with_parent,
        )
        self._exit = asyncio.create_task(self._proc.wait())
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._drains = [
            asyncio.create_task(self._drain(self._proc.stdout, "out")),
            asyncio.create_task(self._drain(self._proc.stderr, "err")),
        ]

    async def _drain(self, stream: asyncio.StreamReader, label: str) -> None:
        async for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            self.tail.append(f"[{self.name} {label}] {line}")
            if label == "out" and self._port is not None and not self._port.done():
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    self._port.set_result(int(json.loads(line)["port"]))

    @property
    def pid(self) -> int | None:
        """The process id once started (a soak reads its /proc entry)."""
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self._proc is not None and self._proc.returncode is None

    def cpu_seconds(self) -> float | None:
        """The process's CPU time so far, user and system (Linux /proc; None elsewhere)."""
        if self._proc is None:
            return None
        try:
            stat = Path(f"/proc/{self._proc.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime

    def describe_exit(self) -> str:
        """Why the process is no longer usable, with its last output lines."""
        code = None if self._proc is None else self._proc.returncode
        return f"{self.name} exited with code {code}; last output:\n" + "\n".join(self.tail)

    async def guard(self, awaitable: Awaitable[T], timeout: float | None = None) -> T:
        """Await ``awaitable``, but fail at once if the process exits meanwhile.

        Raises:
            RuntimeError: the process exited first.
            TimeoutError: neither happened within ``timeout`` seconds.
        """
        assert self._exit is not None
        work = asyncio.ensure_future(awaitable)
        try:
            done, _ = await asyncio.wait(
                {work, self._exit}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
        if work in done:
            return work.result()
        if not done:
            raise TimeoutError(f"{self.name}: nothing within {timeout}s:\n" + "\n".join(self.tail))
        raise RuntimeError(self.describe_exit())

    async def reported_port(self, timeout: float) -> int:
        """The port the process printed on stdout (baseline bots), awaited."""
        assert self._port is not None
        return await self.guard(self._port, timeout)

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait (SIGKILL after ``timeout`` s), finish draining; the exit code."""
        if self._proc is None:
            return None
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(timeout):
                    await self._proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self._proc.kill()
                await self._proc.wait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.gather(*self._drains, return_exceptions=True)
        for task in self._drains:
            task.cancel()
        return self._proc.returncode


def clean_env() -> dict[str, str]:
    """This environment without any Slack, Switchboard or database setting."""
    prefixes = ("SLACK_", "SWITCHBOARD_", "DATABASE_URL")
    return {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}


def switchboard_argv(command: str | None, port: int) -> list[str]:
    """``<command> run`` on 127.0.0.1:``port``; by default ``command`` is this venv's
    ``switchboard`` console script (``python -m bot`` if there is none)."""
    if command:
        head = shlex.split(command)
    else:
        script = Path(sys.executable).with_name("switchboard")
        head = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    return [*head, "run", "--host", HOST, "--port", str(port)]


def switchboard_env(sandbox: SlackSandbox, database_url: str) -> dict[str, str]:
    """Switchboard's environment: this one cleaned, the sandbox as Slack, ``database_url``,
    JSON logs at warning (at info a few lines a turn into a pipe would be measured too)."""
    return {
        **clean_env(),
        "SLACK_BOT_TOKEN": sandbox.bot_token,
        "SLACK_SIGNING_SECRET": sandbox.signing_secret,
        "SWITCHBOARD_SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": database_url,
        "SWITCHBOARD_LOG_FORMAT": "json",
        "SWITCHBOARD_LOG_LEVEL": "warning",
    }


async def wait_healthy(
    session: aiohttp.ClientSession, proc: BotProcess, port: int, timeout: float
) -> None:
    """Probe Switchboard's ``/healthz`` until it answers 200 (bounded; it logs no port at
    warning level, so there is no line to await)."""
    url = f"http://{HOST}:{port}/healthz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.running:
            raise RuntimeError(proc.describe_exit())
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(url) as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{proc.name} not healthy within {timeout}s:\n" + "\n".join(proc.tail))


# -- load ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Batch:
    """One batch against one server: what this process saw."""

    latencies: list[float]  # seconds, send -> HTTP answer, one per POST
    ack_seconds: float  # first POST sent -> last answer received
    ack_errors: int  # answers other than 200, and failed requests
    turn_seconds: float | None = None  # first POST -> N-th reply seen; None if any is missing
    missing: int = 0  # replies not seen within the timeout
    cpu_seconds: float | None = None  # the server's CPU from the first POST to the last reply


@dataclass(slots=True)
class Server:
    """A server under test and its measured batches."""

    name: str
    url: str
    replies: bool
    bot: BotProcess
    sent: int = 0  # POSTs sent, warm-up included
    batches: list[Batch] = field(default_factory=list)


class LoadGenerator:
    """Builds, signs and POSTs ``app_mention`` deliveries; awaits the replies in the sandbox."""

    def __init__(
        self,
        sandbox: SlackSandbox,
        session: aiohttp.ClientSession,
        *,
        concurrency: int,
        reply_timeout: float,
    ) -> None:
        self._sandbox = sandbox
        self._session = session
        self._verifier = SignatureVerifier(sandbox.signing_secret)
        self._concurrency = concurrency
        self._reply_timeout = reply_timeout
        self._events = 0
        self._text = f"<@{sandbox.workspace.directory.bot_user_id}> help"

    def _delivery(self, message: dict[str, Any]) -> bytes:
        """A Slack ``event_callback`` envelope around an ``app_mention`` of ``message``."""
        self._events += 1
        team_id = self._sandbox.workspace.directory.team_id
        event = {"type": "app_mention"}
        for key in ("user", "ts", "client_msg_id", "text", "team", "blocks"):
            if key in message:
                event[key] = message[key]
        event.update(channel=CHANNEL, event_ts=message["ts"])
        envelope = {
            "token": "BeNcHmArKvErIfIcAtIoN",
            "team_id": team_id,
            "context_team_id": team_id,
            "context_enterprise_id": None,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev0BENCH{self._events:08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": self._sandbox.workspace.directory.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return json.dumps(envelope).encode()

    def prepare(self, count: int) -> tuple[list[bytes], set[str]]:
        """Store ``count`` parent messages in the sandbox (nothing is delivered) and build
        their deliveries; returns the bodies and the parents' ts (the replies' thread_ts).

        The sandbox's ``chat.postMessage`` answers ``thread_not_found`` for a ``thread_ts`` it
        never stored, so each mention must exist there before a bot replies to it.
        """
        workspace = self._sandbox.workspace
        channel_id = workspace.channel(CHANNEL).id
        bodies, parents = [], set()
        for _ in range(count):
            message = workspace.store.add(
                channel_id, workspace.human_message(user=USER, text=self._text)
            )
            parents.add(str(message["ts"]))
            bodies.append(self._delivery(message))
        return bodies, parents

    async def _post_all(self, url: str, bodies: list[bytes]) -> tuple[float, Batch]:
        latencies: list[float] = []
        errors = 0
        pending: Iterator[bytes] = iter(bodies)  # shared by the workers: each takes the next

        async def worker() -> None:
            nonlocal errors
            for body in pending:
                stamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": str(
                        self._verifier.generate_signature(timestamp=stamp, body=body)
                    ),
                }
                sent = time.monotonic()
                try:
                    async with self._session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        ok = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                latencies.append(time.monotonic() - sent)
                errors += not ok

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(min(self._concurrency, len(bodies)))))
        return started, Batch(latencies, time.monotonic() - started, errors)

    async def _await_replies(self, parents: set[str], started: float) -> tuple[float | None, int]:
        """Seconds from ``started`` to the last reply in these threads, and how many are
        missing after the timeout (event-driven: the sandbox wakes the waiter)."""

        def ours(call: ApiCall) -> bool:
            return (
                call.status == 200
                and call.response.get("ok") is True
                and call.args.get("thread_ts") in parents
            )

        try:
            last = await self._sandbox.calls.wait_for(
                "chat.postMessage", where=ours, count=len(parents), timeout=self._reply_timeout
            )
        except TimeoutError:
            seen = sum(
                1 for call in self._sandbox.calls.for_method("chat.postMessage") if ours(call)
            )
            return None, len(parents) - seen
        return last.at - started, 0

    async def run_batch(self, server: Server, count: int) -> Batch:
        """POST ``count`` deliveries to ``server`` and, if it replies, await every reply."""
        if not server.bot.running:
            raise RuntimeError(server.bot.describe_exit())
        bodies, parents = self.prepare(count)
        cpu_before = server.bot.cpu_seconds()
        started, batch = await server.bot.guard(self._post_all(server.url, bodies))
        server.sent += count
        if server.replies:
            replies = self._await_replies(parents, started)
            batch.turn_seconds, batch.missing = await server.bot.guard(replies)
        cpu_after = server.bot.cpu_seconds()
        if cpu_before is not None and cpu_after is not None:
            batch.cpu_seconds = cpu_after - cpu_before
        return batch


# -- figures ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of ``values`` (which must not be empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Figures:
    """One server's summary over every measured round."""

    name: str
    ack_rps: float  # median over rounds of N / batch ack wall time
    ack_p50_ms: float  # pooled over all rounds' POSTs
    ack_p99_ms: float
    turns_per_s: float | None  # median over rounds with every reply; None for the no-op
    missing: int
    ack_errors: int
    ack_rps_rounds: list[float]
    turns_per_s_rounds: list[float | None]
    rss_mib: float | None  # VmRSS after the last round, before the server stops
    cpu_ms_per_delivery: float | None  # the server's CPU over its batches / POSTs in them

    @classmethod
    def of(cls, server: Server, rss_mib: float | None) -> Figures:
        """Summarize the server's batches."""
        pooled = [latency for batch in server.batches for latency in batch.latencies]
        ack_rounds = [len(b.latencies) / b.ack_seconds for b in server.batches]
        turn_rounds: list[float | None] = [
            None if b.turn_seconds is None else len(b.latencies) / b.turn_seconds
            for b in server.batches
        ]
        complete = [rate for rate in turn_rounds if rate is not None]
        cpu = [b.cpu_seconds for b in server.batches]
        posts = sum(len(b.latencies) for b in server.batches)
        cpu_ms = None if None in cpu or not posts else 1000 * sum(filter(None, cpu)) / posts
        return cls(
            name=server.name,
            ack_rps=statistics.median(ack_rounds),
            ack_p50_ms=percentile(pooled, 50) * 1000,
            ack_p99_ms=percentile(pooled, 99) * 1000,
            turns_per_s=statistics.median(complete) if server.replies and complete else None,
            missing=sum(b.missing for b in server.batches),
            ack_errors=sum(b.ack_errors for b in server.batches),
            ack_rps_rounds=[round(rate, 1) for rate in ack_rounds],
            turns_per_s_rounds=[None if r is None else round(r, 1) for r in turn_rounds]
            if server.replies
            else [],
            rss_mib=rss_mib,
            cpu_ms_per_delivery=cpu_ms,
        )


def rss_mib(pid: int | None) -> float | None:
    """VmRSS of a running process in MiB (None if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def ratios(figures: dict[str, Figures]) -> dict[str, dict[str, float | None]]:
    """Switchboard's, the durable bot's and the no-op's figures as multiples of the naive
    bot's."""
    naive = figures[NAIVE]
    result: dict[str, dict[str, float | None]] = {}
    for name in [name for name in (SWITCHBOARD, BEFORE, DURABLE, NOOP) if name in figures]:
        mine = figures[name]
        result[name] = {
            "ack_throughput": _ratio(mine.ack_rps, naive.ack_rps),
            "full_turn_throughput": _ratio(mine.turns_per_s, naive.turns_per_s),
            "ack_p50": _ratio(mine.ack_p50_ms, naive.ack_p50_ms),
            "ack_p99": _ratio(mine.ack_p99_ms, naive.ack_p99_ms),
            "rss": _ratio(mine.rss_mib, naive.rss_mib),
            "cpu_per_delivery": _ratio(mine.cpu_ms_per_delivery, naive.cpu_ms_per_delivery),
        }
    return result


def goals(ratio: dict[str, float | None]) -> dict[str, bool | None]:
    """Whether each of Switchboard's goals is met (None: not measurable)."""

    def check(value: float | None, ok: Callable[[float], bool]) -> bool | None:
        return None if value is None else ok(value)

    return {
        f"ack_throughput >= {GOAL_ACK}x": check(ratio["ack_throughput"], lambda v: v >= GOAL_ACK),
        f"full_turn_throughput >= {GOAL_TURNS}x": check(
            ratio["full_turn_throughput"], lambda v: v >= GOAL_TURNS
        ),
        f"ack_p99 <= {GOAL_P99}x": check(ratio["ack_p99"], lambda v: v <= GOAL_P99),
        f"rss <= {GOAL_RSS}x": check(ratio["rss"], lambda v: v <= GOAL_RSS),
    }


def count_rows(database: Path) -> dict[str, Any]:
    """What Switchboard persisted: row counts of its tables (read after it stopped)."""
    with contextlib.closing(sqlite3.connect(database)) as conn:

        def scalar(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        def grouped(sql: str) -> dict[str, int]:
            return {str(key): int(count) for key, count in conn.execute(sql).fetchall()}

        return {
            "events": scalar("SELECT COUNT(*) FROM events"),
            "events_by_status": grouped("SELECT status, COUNT(*) FROM events GROUP BY status"),
            "messages": scalar("SELECT COUNT(*) FROM messages"),
            "messages_by_direction_status": grouped(
                "SELECT direction || '/' || status, COUNT(*) FROM messages GROUP BY 1"
            ),
            "traces": scalar("SELECT COUNT(*) FROM traces"),
            "traces_delivered": scalar(
                "SELECT COUNT(*) FROM traces WHERE delivered_at IS NOT NULL"
            ),
            "conversations": scalar("SELECT COUNT(*) FROM conversations"),
        }


def source_revision() -> str:
    """The commit of the Switchboard checkout being measured (``+dirty`` with local changes)."""
    root = Path(switchboard_package.__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"{root} (not a git checkout)"
    return head + ("+dirty" if dirty else "")


def environment() -> dict[str, Any]:
    """Versions, the machine and the measured revision, for the record."""

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": source_revision(),
        "python": platform.python_version(),
        "slack_bolt": installed("slack_bolt"),
        "slack_sdk": installed("slack_sdk"),
        "aiohttp": installed("aiohttp"),
        "sqlalchemy": installed("sqlalchemy"),
        "aiosqlite": installed("aiosqlite"),
        "sqlite": sqlite3.sqlite_version,
        "cores": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def report(
    config: dict[str, Any],
    env: dict[str, Any],
    figures: dict[str, Figures],
    rows: dict[str, Any] | None,
    switchboard_sent: int,
    durable_rows: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Print the tables; return everything as one JSON-able dict."""
    print()
    print(
        f"ack_and_turns  {env['date']}  rounds={config['rounds']} batch={config['batch']} "
        f"concurrency={config['concurrency']} warmup={config['warmup']}"
    )
    print(
        f"python {env['python']}  slack_bolt {env['slack_bolt']}  slack_sdk {env['slack_sdk']}  "
        f"aiohttp {env['aiohttp']}  sqlalchemy {env['sqlalchemy']}  aiosqlite {env['aiosqlite']}"
        f"  sqlite {env['sqlite']}"
    )
    print(f"{env['cores']} cores ({env['cpu']}), {env['platform']}; switchboard {env['revision']}")
    print(
        f"1-min load average {config['loadavg_1m_at_start']} before the run, "
        f"{env['loadavg_1m_at_end']} after it (this run included)"
    )
    print()
    header = (
        f"{'server':<12} {'ack req/s':>10} {'ack p50 ms':>11} {'ack p99 ms':>11} "
        f"{'turns/s':>9} {'missing':>8} {'ack errors':>11} {'CPU ms/POST':>12} {'RSS MiB':>8}"
    )
    print(header)
    print("-" * len(header))
    for name in [name for name in (SWITCHBOARD, BEFORE, NAIVE, DURABLE, NOOP) if name in figures]:
        f = figures[name]
        missing = str(f.missing) if f.turns_per_s_rounds else "-"
        print(
            f"{name:<12} {f.ack_rps:>10.0f} {f.ack_p50_ms:>11.2f} {f.ack_p99_ms:>11.2f} "
            f"{_fmt(f.turns_per_s, 0):>9} {missing:>8} {f.ack_errors:>11} "
            f"{_fmt(f.cpu_ms_per_delivery, 3):>12} {_fmt(f.rss_mib):>8}"
        )
    print()
    ratio = ratios(figures)
    print(
        "vs the naive bot   ack throughput   full-turn throughput   ack p50   ack p99   CPU/POST"
        "      RSS"
    )
    for name in ratio:
        r = ratio[name]
        acks, turns = _times(r["ack_throughput"]), _times(r["full_turn_throughput"])
        p50, p99, cpu = _times(r["ack_p50"]), _times(r["ack_p99"]), _times(r["cpu_per_delivery"])
        rss = _times(r["rss"])
        print(f"{name:<18} {acks:>14}   {turns:>20}   {p50:>7}   {p99:>7}   {cpu:>8}   {rss:>6}")
    print()
    verdicts = goals(ratio[SWITCHBOARD])
    for goal, met in verdicts.items():
        verdict = "n/a" if met is None else ("met" if met else "NOT met")
        print(f"goal: switchboard {goal:<30} {verdict}")
    for name, persisted in ((SWITCHBOARD, rows), (DURABLE, durable_rows)):
        if persisted is not None:
            print()
            print(
                f"{name} persisted (sent {switchboard_sent} incl. warm-up): "
                f"events {persisted['events']} {persisted['events_by_status']}, messages "
                f"{persisted['messages']} {persisted['messages_by_direction_status']}, traces "
                f"{persisted['traces']} (delivered {persisted['traces_delivered']}), "
                f"conversations {persisted['conversations']}"
            )
    print()
    for name in figures:
        f = figures[name]
        turns = f"  turns/s {f.turns_per_s_rounds}" if f.turns_per_s_rounds else ""
        print(f"per round {name:<12} ack req/s {f.ack_rps_rounds}{turns}")
    return {
        "config": config,
        "environment": env,
        "figures": {
            name: {
                key: getattr(f, key)
                for key in (
                    "ack_rps",
                    "ack_p50_ms",
                    "ack_p99_ms",
                    "turns_per_s",
                    "missing",
                    "ack_errors",
                    "ack_rps_rounds",
                    "turns_per_s_rounds",
                    "rss_mib",
                    "cpu_ms_per_delivery",
                )
            }
            for name, f in figures.items()
        },
        "ratios_vs_naive": ratio,
        "goals": verdicts,
        "switchboard_sent": switchboard_sent,
        "switchboard_rows": rows,
        "durable_rows": durable_rows,
    }


# -- the run ----------------------------------------------------------------------------------


async def start_servers(
    sandbox: SlackSandbox,
    session: aiohttp.ClientSession,
    database_url: str,
    switchboard_command: str | None = None,
    before: tuple[str, str] | None = None,
    durable: Path | None = None,
) -> list[Server]:
    """Start the three servers (concurrently) and return them once each is serving; with
    ``before`` (a command and its database URL), a second Switchboard build as well; with
    ``durable`` (a migrated SQLite file), the durable baseline bot writing into it."""
    base = clean_env()
    sb_port = free_port()
    switchboard = BotProcess(
        SWITCHBOARD,
        switchboard_argv(switchboard_command, sb_port),
        switchboard_env(sandbox, database_url),
    )
    baseline_env = {
        **base,
        "SLACK_BOT_TOKEN": sandbox.bot_token,
        "SLACK_SIGNING_SECRET": sandbox.signing_secret,
        "SLACK_API_URL": sandbox.api_url,
    }
    baselines = [
        BotProcess(mode, [sys.executable, str(BASELINE_BOTS), "--mode", mode], baseline_env)
        for mode in (NAIVE, NOOP)
    ]
    if durable is not None:
        argv = [sys.executable, str(BASELINE_BOTS), "--mode", DURABLE, "--database", str(durable)]
        baselines.append(BotProcess(DURABLE, argv, baseline_env))
    servers: list[Server] = []

    async def launch_switchboard(proc: BotProcess, port: int) -> None:
        await proc.start()
        servers.append(Server(proc.name, _events_url(port), True, proc))
        await wait_healthy(session, proc, port, timeout=60)

    launches = [launch_switchboard(switchboard, sb_port)]
    if before is not None:
        before_port = free_port()
        argv = switchboard_argv(before[0], before_port)
        old = BotProcess(BEFORE, argv, switchboard_env(sandbox, before[1]))
        launches.append(launch_switchboard(old, before_port))

    async def launch_baseline(proc: BotProcess) -> None:
        await proc.start()
        server = Server(proc.name, "", proc.name in (NAIVE, DURABLE), proc)
        servers.append(server)
        server.url = _events_url(await proc.reported_port(timeout=60))

    await asyncio.gather(*launches, *(launch_baseline(proc) for proc in baselines))
    order = {SWITCHBOARD: 0, BEFORE: 1, NAIVE: 2, DURABLE: 3, NOOP: 4}
    return sorted(servers, key=lambda s: order[s.name])


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Keep this process's garbage collector out of a timed batch: collect and freeze what
    lives (the sandbox's growing state) before it, collect nothing during it."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def progress(message: str) -> None:
    """One line of progress on stderr (the figures go to stdout)."""
    print(message, file=sys.stderr, flush=True)


def _round_summary(servers: Sequence[Server]) -> str:
    parts = []
    for server in servers:
        batch = server.batches[-1]
        part = f"{server.name} ack {len(batch.latencies) / batch.ack_seconds:.0f}/s"
        if batch.turn_seconds is not None:
            part += f" turns {len(batch.latencies) / batch.turn_seconds:.0f}/s"
        elif server.replies:
            part += f" ({batch.missing} replies missing)"
        parts.append(part)
    return ", ".join(parts)


def cancel_on_sigterm() -> None:
    """SIGTERM to the benchmark cancels the running task, so its cleanup (stopping the bots)
    still runs."""
    current = asyncio.current_task()
    if current is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, current.cancel)


def _events_url(port: int) -> str:
    return f"http://{HOST}:{port}{EVENTS_PATH}"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start everything, measure, stop everything (always), report."""
    cancel_on_sigterm()
    loadavg_at_start = round(os.getloadavg()[0], 2)
    tmpdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    database = tmpdir / "bench.db"
    sandbox = SlackSandbox(
        signing_secret=secrets.token_hex(16),
        app_id=APP_ID,
        subscriptions={"app_mention"},
        http_timeout=10.0,
    )
    connector = aiohttp.TCPConnector(limit=max(100, 3 * args.concurrency))
    session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))
    servers: list[Server] = []
    try:
        await sandbox.start(host=HOST, port=0)
        began = time.monotonic()
        before = None
        if args.before_cmd:
            before = (args.before_cmd, f"sqlite+aiosqlite:///{tmpdir / 'before.db'}")
        durable = await durable_database(tmpdir) if args.durable_baseline else None
        servers = await start_servers(
            sandbox,
            session,
            f"sqlite+aiosqlite:///{database}",
            args.switchboard_cmd,
            before,
            durable,
        )
        progress(f"servers up in {time.monotonic() - began:.1f}s; warming up")
        load = LoadGenerator(
            sandbox, session, concurrency=args.concurrency, reply_timeout=args.reply_timeout
        )
        for server in servers:
            warm = await load.run_batch(server, args.warmup)
            if warm.missing or warm.ack_errors:
                raise RuntimeError(
                    f"{server.name} warm-up failed: {warm.ack_errors} ack errors, "
                    f"{warm.missing} replies missing\n" + "\n".join(server.bot.tail)
                )
        for round_index in range(args.rounds):
            shift = round_index % len(servers)
            for server in servers[shift:] + servers[:shift]:
                with collector_paused():
                    server.batches.append(await load.run_batch(server, args.batch))
                await asyncio.sleep(args.settle)
            progress(f"round {round_index + 1}/{args.rounds}: " + _round_summary(servers))
        rss = {server.name: rss_mib(server.bot.pid) for server in servers}
        for server in servers:
            code = await server.bot.stop()
            if code not in (0, None):
                print(server.bot.describe_exit(), file=sys.stderr)
        rows = count_rows(database)
        durable_rows = count_rows(durable) if durable is not None else None
        figures = {server.name: Figures.of(server, rss[server.name]) for server in servers}
        config = {
            "rounds": args.rounds,
            "batch": args.batch,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "settle_s": args.settle,
            "reply_timeout_s": args.reply_timeout,
            "switchboard_log_level": "warning",
            "switchboard_command": args.switchboard_cmd,
            "before_command": args.before_cmd,
            "durable_baseline": args.durable_baseline,
            "loadavg_1m_at_start": loadavg_at_start,
        }
        sent = next(s.sent for s in servers if s.name == SWITCHBOARD)
        return report(config, environment(), figures, rows, sent, durable_rows)
    finally:
        await asyncio.gather(*(server.bot.stop() for server in servers), return_exceptions=True)
        await session.close()
        await sandbox.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


def add_durable_baseline(parser: argparse.ArgumentParser) -> None:
    """The ``--durable-baseline`` option (see :func:`durable_database`)."""
    parser.add_argument(
        "--durable-baseline",
        action="store_true",
        help="also measure the naive bot writing Switchboard's durable records of each turn "
        "(baseline_bots.py --mode durable), in the same rounds",
    )


async def durable_database(tmpdir: Path) -> Path:
    """A SQLite file in ``tmpdir`` with Switchboard's schema, for the durable baseline bot."""
    path = tmpdir / "durable.db"
    await migrated_sqlite(path)
    return path


def add_switchboard_cmd(parser: argparse.ArgumentParser) -> None:
    """The ``--switchboard-cmd`` option (see :func:`switchboard_argv`)."""
    parser.add_argument(
        "--switchboard-cmd",
        help="command that starts Switchboard, `run --host --port` appended (to compare a "
        "build or a patch); default: this venv's `switchboard`",
    )


def add_before_cmd(parser: argparse.ArgumentParser) -> None:
    """The ``--before-cmd`` option: a second Switchboard build measured in the same rounds."""
    parser.add_argument(
        "--before-cmd",
        help="also measure this Switchboard build (`run --host --port` appended) in the same "
        "rounds, as the server `before`, on its own database (a before/after pair in one run)",
    )


def exit_with(result: dict[str, Any] | int, json_path: Path | None) -> int:
    """The exit code of a benchmark that ran to ``result`` (an exit code if it was stopped),
    its figures also written as JSON to ``json_path`` when one is given."""
    if isinstance(result, int):
        return result
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def run_quietly(
    benchmark: Coroutine[Any, Any, dict[str, Any]], *, stopped: str
) -> dict[str, Any] | int:
    """Run ``benchmark`` with this process logging at warning; its result, or the exit code
    after Ctrl-C (130) or SIGTERM (143, see :func:`cancel_on_sigterm`), ``stopped`` said."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.basicConfig(level=logging.WARNING)
    try:
        return asyncio.run(benchmark)
    except KeyboardInterrupt:
        progress(f"interrupted; {stopped}")
        return 130
    except asyncio.CancelledError:
        progress(f"terminated; {stopped}")
        return 143


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the benchmark, optionally write the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument("--batch", type=int, default=300, help="POSTs per batch (default 300)")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="POSTs in flight at once (default 16)"
    )
    parser.add_argument("--warmup", type=int, default=50, help="warm-up POSTs per server")
    parser.add_argument("--settle", type=float, default=0.25, help="pause between batches, seconds")
    parser.add_argument(
        "--reply-timeout", type=float, default=60.0, help="seconds to await a batch's replies"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    add_durable_baseline(parser)
    add_switchboard_cmd(parser)
    add_before_cmd(parser)
    args = parser.parse_args(argv)
    if min(args.rounds, args.batch, args.concurrency, args.warmup) < 1:
        parser.error("--rounds, --batch, --concurrency and --warmup must be at least 1")
    result = run_quietly(run(args), stopped="every server was stopped")
    return exit_with(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
