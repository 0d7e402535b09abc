"""Where one replica's CPU goes per turn: ``switchboard run`` under cProfile, as
``replicas.py`` loads it (one replica, mentions sent C at a time by an in-process sandbox).

The replica runs in its own process, so its profile holds neither the sandbox nor this
process. Profiling starts after the warm-up turns (SIGUSR1) and stops after the measured ones
(SIGUSR2, which writes the profile); the figures are the profiled functions' own time
(``tottime``) per measured turn, summed by where the code lives (SQLAlchemy, asyncpg,
greenlet, aiohttp, Bolt, our packages, the event loop, ...), then the top functions. cProfile
slows small calls more than large ones: compare engines and builds in this harness, not with
the unprofiled CPU figures of ``replicas.py`` (also printed, from a second, unprofiled run).

    python benchmarks/replica_profile.py [--postgres SERVER_URL] [--sqlite] [--events N]
        [--concurrency C] [--top N] [--pythonpath DIR] [--pool-size N]
        [--max-overflow N] [--keep FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pstats
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from floor_report import quiet
from replicas import _WARMUP, Replica, _send, fresh_postgres

from sandbox import SlackSandbox

_WRAPPER = """
import cProfile, signal, sys, time
profile = cProfile.Profile(time.thread_time)
signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
def _stop(*_):
    profile.disable()
    profile.dump_stats({out!r})
signal.signal(signal.SIGUSR2, _stop)
sys.argv = ["switchboard", "run", "--host", "127.0.0.1", "--port", "0"]
from bot.cli import main
sys.exit(main())
"""

# Where a function's file lives -> its group (first match wins).
_GROUPS = (
    ("sqlalchemy/dialects/postgresql/asyncpg", "sqlalchemy asyncpg adapter"),
    ("sqlalchemy/util/_concurrency", "sqlalchemy greenlet bridge"),
    ("sqlalchemy/pool", "sqlalchemy pool"),
    ("sqlalchemy/", "sqlalchemy (core, engine, orm)"),
    ("asyncpg/", "asyncpg"),
    ("aiosqlite/", "aiosqlite"),
    ("aiohttp/", "aiohttp"),
    ("slack_bolt/", "slack_bolt"),
    ("slack_sdk/", "slack_sdk"),
    ("structlog/", "structlog"),
    ("pydantic", "pydantic"),
    ("/asyncio/", "asyncio"),
    ("/storage/", "ours: storage"),
    ("/agents/", "ours: agents"),
    ("/handlers/", "ours: handlers"),
    ("/bot/", "ours: bot"),
)


def _group(path: str, name: str) -> str:
    if path == "~":  # a builtin: group the hot ones by what they are
        if "greenlet" in name:
            return "greenlet (switch)"
        if "sqlite3" in name:
            return "sqlite3 (C)"
        if "socket" in name or "send" in name or "recv" in name:
            return "socket calls"
        if "epoll" in name or "select" in name:
            return "epoll"
        return "other builtins"
    for prefix, group in _GROUPS:
        if prefix in path:
            return group
    return "other python"


def _calls(entries: dict[tuple[str, int, str], Any], path: str, name: str) -> int:
    return sum(e[1] for (p, _l, n), e in entries.items() if p.endswith(path) and n == name)


def summary(stats_path: Path, turns: int, top: int) -> None:
    stats = pstats.Stats(str(stats_path))
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values())
    by_group: Counter[str] = Counter()
    for (path, _line, name), entry in entries.items():
        by_group[_group(path, name)] += entry[2]
    print(f"  profiled CPU per turn: {total * 1000 / turns:.3f} ms (own time, all functions)")
    for group, seconds in by_group.most_common():
        share = 100 * seconds / total
        print(f"    {seconds * 1000 / turns:7.3f} ms  {share:5.1f}%  {group}")
    # Pool connections opened (the pool's function: asyncpg's connect is a coroutine, which
    # cProfile counts once per resumption), and asyncpg's preparations (a coroutine too).
    opened = _calls(entries, "sqlalchemy/pool/base.py", "_create_connection")
    prepared = _calls(entries, "asyncpg/connection.py", "_get_statement")
    print(
        f"  per turn: {opened / turns:.3f} connections opened;"
        f" asyncpg's _get_statement {prepared / turns:.3f} (cProfile's calls)"
    )
    print(f"  top {top} functions by own time (ms per turn, calls per turn):")
    ranked = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (path, line, name), entry in ranked:
        where = "/".join(Path(path).parts[-2:]) if path != "~" else ""
        print(f"    {entry[2] * 1000 / turns:7.3f}  {entry[1] / turns:6.1f}  {where}:{line} {name}")


@contextlib.asynccontextmanager
async def _url(args: argparse.Namespace) -> AsyncIterator[str]:
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        return
    async with fresh_postgres(args.postgres) as url:
        yield url


class _Profiled(Replica):
    """A replica whose process runs ``bot.cli.main`` under the profiling wrapper."""

    def __init__(self, out: Path, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._out = out

    async def start(self) -> None:
        code = _WRAPPER.format(out=str(self._out))
        self._command = (sys.executable, "-P", "-c", code)
        await super().start()

    def signal(self, number: int) -> None:
        assert self._proc is not None
        self._proc.send_signal(number)


def _wait_for(path: Path) -> None:
    """Until the replica wrote its profile (it is written in one go: then a moment more)."""
    deadline = time.monotonic() + 30
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the replica wrote no profile")
        time.sleep(0.05)
    time.sleep(0.5)


async def profile(args: argparse.Namespace, out: Path) -> None:
    async with _url(args) as url, SlackSandbox() as sandbox:
        replica = _Profiled(
            out, url, sandbox, pythonpath=args.pythonpath, core=None, pool_size=args.pool_size
        )
        if args.max_overflow is not None:
            replica._env["SWITCHBOARD_DB_MAX_OVERFLOW"] = str(args.max_overflow)
        try:
            await replica.start()
            sandbox.driver.deliver_to_replicas([replica.url], fan_out=1)
            await _send(sandbox, _WARMUP, args.concurrency)
            replica.signal(signal.SIGUSR1)
            user, system = replica.cpu_seconds()
            await _send(sandbox, args.events, args.concurrency)
            user_after, system_after = replica.cpu_seconds()
            replica.signal(signal.SIGUSR2)
            await asyncio.to_thread(_wait_for, out)
        finally:
            await replica.stop()
    cpu = (user_after - user + system_after - system) * 1000 / args.events
    print(f"{'sqlite' if args.sqlite else 'postgresql'}: {args.events} turns, C={args.concurrency}")
    print(f"  replica CPU per turn under the profiler (user + system): {cpu:.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--pythonpath", default=None, help="an export of another build")
    parser.add_argument("--pool-size", type=int, default=None, help="SWITCHBOARD_DB_POOL_SIZE")
    parser.add_argument(
        "--max-overflow", type=int, default=None, help="SWITCHBOARD_DB_MAX_OVERFLOW"
    )
    parser.add_argument("--keep", default=None, help="write the profile (pstats) here too")
    args = parser.parse_args()
    quiet()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "replica.prof"
        asyncio.run(profile(args, out))
        summary(out, args.events, args.top)
        if args.keep:
            shutil.copyfile(out, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
