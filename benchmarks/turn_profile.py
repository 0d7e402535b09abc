"""Where a turn's CPU goes, in one process: cProfile over ``help`` turns.

The set-up of ``turn_cost.py`` (``Runtime`` + ``HttpServer`` behind an in-process
``SlackSandbox``, SQLite): ``--warmup`` uncounted mentions, then ``--turns`` mentions one at a
time, each awaited to its reply and the runner idle. Without ``--profile`` it prints the
process's CPU per turn (bot and sandbox together: compare builds, not benchmarks), best and
median of ``--repeat`` batches; with ``--profile`` it runs one batch under cProfile and prints
the top entries by own time and by cumulative time (and writes the stats to ``--stats``).

    python benchmarks/turn_profile.py [--turns N] [--warmup W] [--repeat R] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time

from turn_cost import database, mentions_only

from bot.cli.run import settle_heap
from bot.logs import configure_logging
from bot.runtime import Runtime, RuntimeOptions
from bot.serve import HttpServer
from bot.server import SLACK_EVENTS_PATH
from sandbox import SlackSandbox


async def turns(sandbox: SlackSandbox, runtime: Runtime, count: int) -> None:
    """``count`` mentions, one at a time, each awaited to the runner idle and its one reply
    (counted, not searched for: the harness's own CPU stays flat as calls pile up)."""
    bot = sandbox.workspace.directory.bot_user_id
    for n in range(count):
        posted = sandbox.calls.count("chat.postMessage")
        sent = await sandbox.people.say(f"<@{bot}> help")
        if not all(d.acked for d in sent.deliveries):
            raise RuntimeError(f"turn {n} was not acked")
        if await runtime.runner.drain(timeout=30):
            raise RuntimeError(f"turn {n} did not end")
        if sandbox.calls.count("chat.postMessage") != posted + 1:
            raise RuntimeError(f"turn {n} did not post its reply")


async def run(args: argparse.Namespace) -> list[float]:
    """CPU µs per turn of each batch (under cProfile when asked)."""
    figures: list[float] = []
    async with database(None, None) as url, SlackSandbox() as sandbox:
        settings = mentions_only(sandbox, url)
        runtime = await Runtime.create(settings, RuntimeOptions())
        settle_heap()  # as ``switchboard run`` does
        server = HttpServer(runtime, host="127.0.0.1", port=0)
        await server.start()
        try:
            sandbox.driver.request_url = f"http://127.0.0.1:{server.port}{SLACK_EVENTS_PATH}"
            await turns(sandbox, runtime, args.warmup)
            gc.collect()
            profiler = cProfile.Profile() if args.profile else None
            for _ in range(1 if profiler else args.repeat):
                cpu = time.process_time()
                if profiler:
                    profiler.enable()
                await turns(sandbox, runtime, args.turns)
                if profiler:
                    profiler.disable()
                figures.append((time.process_time() - cpu) * 1e6 / args.turns)
            if profiler:
                profiler.dump_stats(args.stats)
        finally:
            await server.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--stats", default="turn_profile.prof")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args(argv)
    # As the benchmark's server: JSON logs at warning (ack_and_turns.py), here into nothing.
    with open(os.devnull, "w") as sink:
        configure_logging(fmt="json", level="warning", stream=sink)
        return _measure(args)


def _measure(args: argparse.Namespace) -> int:
    figures = asyncio.run(run(args))
    print("CPU µs per turn (bot and sandbox):", " ".join(f"{f:.0f}" for f in figures))
    print(f"  best {min(figures):.0f}, median {statistics.median(figures):.0f}")
    if args.profile:
        stats = pstats.Stats(args.stats)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumtime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
