"""Turns/s and turn latency with 1, 2 and 3 replicas on PostgreSQL, beside one SQLite process.

Each configuration runs ``switchboard run`` processes on 127.0.0.1 (a fresh PostgreSQL
database per configuration, or a SQLite file) behind one in-process ``SlackSandbox``, which
hands each delivery to one replica in turn (``fan_out=1``: a load balancer) — or to two of
them (``--fan-out 2``: every event reaching two replicas, as a Slack retry does). EVENTS
mentions are sent C at a time; a turn's latency runs from its delivery to its reply's
``chat.postMessage``. Every reply is awaited: a missing one fails the run.

    python benchmarks/replicas.py [--events N] [--concurrency C] [--fan-out F]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--replicas 1,2,3]
        [--before-pythonpath DIR] [--pin] [--cpu-quota PCT]
        [--pool-size N [--pool-size-too]]

Prints turns/s, p50 and p99 per configuration and each one's ratio to the SQLite process,
and the replicas' CPU per turn (user + system, and system alone, from /proc, the measured
turns only).
``--before-pythonpath`` (an export of another build) runs each configuration with that build
too, right before this one (``python -P -m bot``, so the checkout is not imported); ratios
are to the same build's SQLite process. ``--pin`` runs replica i on core i modulo the
machine's cores (``taskset``); this process (the sandbox) and PostgreSQL are not pinned.
``--cpu-quota PCT`` gives each replica (and the SQLite process) a CPU budget of its own, PCT %
of one core (a cgroup, :mod:`cpu_quota`; root on Linux), once it listens: where the machine
has fewer cores than processes, the budgets stand in for cores of their own, and a column
gives the share of the measured 100 ms periods in which the kernel throttled a replica (near
100%: the budget is what held it back, not the database or the sandbox).
``--pool-size`` sets the replicas' ``SWITCHBOARD_DB_POOL_SIZE`` (``--pool-size-too``: this
build is run with the default and with it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from cpu_quota import CpuQuota, QuotaUnavailable
from floor_report import quiet
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sandbox import SlackSandbox
from storage import Database, create_engine

_WARMUP = 30


class Replica:
    """One ``switchboard run`` process; its port is read from its ``http_listening`` line."""

    def __init__(
        self,
        database_url: str,
        sandbox: SlackSandbox,
        *,
        pythonpath: str | None,
        core: int | None,
        pool_size: int | None = None,
        quota: float | None = None,
    ) -> None:
        prefixes = ("SLACK_", "SWITCHBOARD_", "DATABASE_URL")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env.update(
            SLACK_BOT_TOKEN=sandbox.bot_token,
            SLACK_SIGNING_SECRET=sandbox.signing_secret,
            SWITCHBOARD_SLACK_API_URL=sandbox.api_url,
            DATABASE_URL=database_url,
            SWITCHBOARD_LOG_FORMAT="json",
        )
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        if pool_size:
            env["SWITCHBOARD_DB_POOL_SIZE"] = str(pool_size)
        self._env = env
        self._pin = [] if core is None else ["taskset", "-c", str(core)]
        self._quota_percent = quota
        self.quota: CpuQuota | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._command: tuple[str, ...] = (sys.executable, "-P", "-m", "bot", "run",
                                          "--host", "127.0.0.1", "--port", "0")  # fmt: skip
        self.url = ""

    async def start(self) -> None:
        """Start it and wait for the ``http_listening`` line that names its port (the rest of
        its log is read and dropped)."""
        self._proc = await asyncio.create_subprocess_exec(
            *self._pin, *self._command,
            env=self._env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self._proc.stderr is not None
        async with asyncio.timeout(60):
            async for raw in self._proc.stderr:
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue
                if entry.get("event") == "http_listening":
                    self.url = f"http://127.0.0.1:{entry['port']}/slack/events"
                    break
        if not self.url:
            raise RuntimeError("replica exited before listening")
        if self._quota_percent is not None:
            self.quota = CpuQuota(self._quota_percent)
            self.quota.add(self._proc.pid)
        asyncio.get_running_loop().create_task(self._drain())

    def cpu_seconds(self) -> tuple[float, float]:
        """User and system CPU the process used so far."""
        assert self._proc is not None
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    async def _drain(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        async for _ in self._proc.stderr:
            pass

    async def stop(self) -> None:
        """SIGTERM and wait."""
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            await self._proc.wait()
        if self.quota is not None:
            self.quota.remove()


async def _admin(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def fresh_postgres(server: str) -> AsyncIterator[str]:
    """A new, migrated database on ``server``, dropped afterwards."""
    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        database = await Database.connect(url)
        await database.migrate()
        await database.close()
        yield url
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _send(sandbox: SlackSandbox, count: int, concurrency: int) -> list[float]:
    """Send ``count`` mentions, ``concurrency`` at a time; per-turn seconds to the reply."""
    sent_at: dict[str, float] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            started = time.monotonic()
            message = await sandbox.people.say(f"<@U0BOT> help {n}")
            sent_at[message.ts] = started

    started = time.monotonic()
    await asyncio.gather(*(one(n) for n in range(count)))
    wanted = set(sent_at)
    await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("thread_ts") in wanted,
        count=count,
        timeout=300,
    )
    replies = {
        c.args["thread_ts"]: c.at
        for c in sandbox.calls.for_method("chat.postMessage")
        if c.args.get("thread_ts") in wanted
    }
    latencies = [replies[ts] - sent_at[ts] for ts in wanted]
    latencies.append(max(replies.values()) - started)  # the last slot carries the wall time
    return latencies


async def measure(
    label: str, urls: list[str], *, events: int, concurrency: int, fan_out: int, build: Build
) -> dict[str, float]:
    """Run ``events`` turns through replicas on ``urls`` (each a database URL per replica)."""
    async with SlackSandbox() as sandbox:
        cores = os.cpu_count() or 1
        replicas = [
            Replica(
                url,
                sandbox,
                pythonpath=build.pythonpath,
                core=i % cores if build.pin else None,
                pool_size=build.pool_size,
                quota=build.quota,
            )
            for i, url in enumerate(urls)
        ]
        try:
            for replica in replicas:
                await replica.start()
            sandbox.driver.deliver_to_replicas([r.url for r in replicas], fan_out=fan_out)
            await _send(sandbox, _WARMUP, concurrency)
            user, system = _cpu(replicas)
            periods, throttled = _throttled(replicas)
            figures = await _send(sandbox, events, concurrency)
            user_after, system_after = _cpu(replicas)
            periods_after, throttled_after = _throttled(replicas)
        finally:
            for replica in replicas:
                await replica.stop()
    wall = figures.pop()
    ordered = sorted(figures)
    return {
        "label": label,  # type: ignore[dict-item]
        "turns_per_s": events / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
        "cpu_ms_per_turn": (user_after - user + system_after - system) * 1000 / events,
        "sys_ms_per_turn": (system_after - system) * 1000 / events,
        "throttled": (throttled_after - throttled) / max(1, periods_after - periods),
    }


def _throttled(replicas: list[Replica]) -> tuple[int, int]:
    """The replicas' CPU budgets' periods and throttled periods so far (0, 0 without)."""
    counts = [r.quota.throttled() for r in replicas if r.quota is not None]
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def _cpu(replicas: list[Replica]) -> tuple[float, float]:
    """User and system CPU of the replicas together."""
    times = [r.cpu_seconds() for r in replicas]
    return sum(t[0] for t in times), sum(t[1] for t in times)


@dataclasses.dataclass(frozen=True)
class Build:
    """Which code the replicas run (None: this checkout) and whether they are pinned."""

    name: str
    pythonpath: str | None
    pin: bool
    pool_size: int | None = None
    quota: float | None = None


async def _measure_on(args: argparse.Namespace, count: int, build: Build) -> dict[str, float]:
    """One configuration: ``count`` PostgreSQL replicas, or (0) one SQLite process."""
    options = {"events": args.events, "concurrency": args.concurrency, "build": build}
    if count == 0:
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            return await measure(f"{build.name}sqlite x1", [sqlite_url], fan_out=1, **options)
    async with fresh_postgres(args.postgres) as url:
        fan_out = min(args.fan_out, count)
        return await measure(
            f"{build.name}postgres x{count}", [url] * count, fan_out=fan_out, **options
        )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--fan-out", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--before-pythonpath", default=None)
    parser.add_argument("--pin", action="store_true")
    parser.add_argument(
        "--cpu-quota", type=float, default=None, metavar="PCT", help="per replica, %% of one core"
    )
    parser.add_argument("--pool-size", type=int, default=None, help="SWITCHBOARD_DB_POOL_SIZE")
    parser.add_argument("--pool-size-too", action="store_true", help="this build with it too")
    args = parser.parse_args()
    quiet()
    if args.cpu_quota is not None:
        try:  # fails here, before any run, if it cannot work
            CpuQuota(args.cpu_quota).remove()
        except QuotaUnavailable as exc:
            print(f"replicas.py: --cpu-quota: {exc}", file=sys.stderr)
            return 2
    quota = args.cpu_quota
    builds = [Build("", None, args.pin, quota=quota)]
    if args.pool_size:
        pooled = Build(f"pool {args.pool_size} ", None, args.pin, args.pool_size, quota)
        builds = [*builds, pooled] if args.pool_size_too else [pooled]
    if args.before_pythonpath:  # each configuration: before, then this build
        builds.insert(0, Build("before ", args.before_pythonpath, args.pin, quota=quota))
    print(
        f"events={args.events} concurrency={args.concurrency} fan_out={args.fan_out}"
        + ("" if quota is None else f" cpu_quota={quota:g}% of a core per replica")
    )
    header = ("setup", "turns/s", "p50 ms", "p99 ms", "vs sqlite", "CPU ms/turn", "of it sys")
    line = "{:<20} {:>8} {:>8} {:>8} {:>10} {:>12} {:>10}".format(*header)
    print(line if quota is None else f"{line} {'throttled':>10}")
    sqlite: dict[str, float] = {}
    for count in [0, *(int(n) for n in args.replicas.split(","))]:
        for build in builds:
            row = await _measure_on(args, count, build)
            sqlite.setdefault(build.name, float(row["turns_per_s"]))
            ratio = float(row["turns_per_s"]) / sqlite[build.name]
            print(
                f"{row['label']:<20} {row['turns_per_s']:8.1f} {row['p50_ms']:8.1f} "
                f"{row['p99_ms']:8.1f} {ratio:9.2f}x {row['cpu_ms_per_turn']:12.2f} "
                f"{row['sys_ms_per_turn']:10.2f}"
                + ("" if quota is None else f" {row['throttled']:9.0%}"),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
