"""Single-turn latency: one mention at a time, each awaited to its reply, beside the naive bot.

Switchboard and the naive Bolt bot (``baseline_bots.py --mode naive``; with ``--before-cmd``, a
second Switchboard build too; with ``--durable-baseline``, the naive bot writing Switchboard's
durable records) run as ``ack_and_turns.py`` starts them, on one in-process
``SlackSandbox``. In each round every server, in a rotated order, gets ``--turns`` signed
``<@bot> help`` mentions one after the other: the next is POSTed only after the reply to the
last reached the sandbox and ``--gap`` seconds passed, so the bot is idle when each arrives
(what one person asking a quiet bot sees). A turn's latency runs from just before its POST to
the reply's arrival in the sandbox (``chat.postMessage`` in the mention's thread).

``ack_and_turns.py --concurrency 1`` measures something else: it sends the next mention as
soon as the last is acknowledged, so turns overlap and its figure is the inverse of a
throughput.

    python benchmarks/turn_latency.py [--rounds R] [--turns N] [--gap S] [--warmup W]
                                      [--json FILE] [--switchboard-cmd CMD] [--before-cmd CMD]
                                      [--durable-baseline] [--slack-rtt MS]

See benchmarks/README.md for the figures measured so far.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from ack_and_turns import (
    APP_ID,
    BEFORE,
    DURABLE,
    HOST,
    NAIVE,
    SWITCHBOARD,
    LoadGenerator,
    Server,
    add_before_cmd,
    add_durable_baseline,
    add_switchboard_cmd,
    cancel_on_sigterm,
    collector_paused,
    durable_database,
    environment,
    exit_with,
    percentile,
    progress,
    run_quietly,
    start_servers,
)

from sandbox import Fault, SlackSandbox

GOAL = 1.5  # issue 19: Switchboard's single-turn latency at most 1.5x the naive bot's


async def one_turn(load: LoadGenerator, server: Server) -> tuple[float, float]:
    """One mention to ``server``, awaited to its reply: (POST -> reply, POST -> ack) seconds."""
    batch = await load.run_batch(server, 1)
    if batch.turn_seconds is None or batch.ack_errors:
        raise RuntimeError(
            f"{server.name}: {batch.ack_errors} ack errors, {batch.missing} replies missing\n"
            + "\n".join(server.bot.tail)
        )
    return batch.turn_seconds, batch.latencies[0]


def summary(turns: list[float], acks: list[float]) -> dict[str, float]:
    """Milliseconds: the turns' p50, p95, p99 and mean, and the acks' p50."""
    return {
        "turn_p50_ms": percentile(turns, 50) * 1000,
        "turn_p95_ms": percentile(turns, 95) * 1000,
        "turn_p99_ms": percentile(turns, 99) * 1000,
        "turn_mean_ms": statistics.fmean(turns) * 1000,
        "ack_p50_ms": percentile(acks, 50) * 1000,
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Start the servers, send the turns one at a time, stop everything (always), report."""
    cancel_on_sigterm()
    loadavg_at_start = round(os.getloadavg()[0], 2)
    tmpdir = Path(tempfile.mkdtemp(prefix="switchboard-latency-"))
    sandbox = SlackSandbox(
        signing_secret=secrets.token_hex(16),
        app_id=APP_ID,
        subscriptions={"app_mention"},
        http_timeout=10.0,
    )
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    servers: list[Server] = []
    try:
        await sandbox.start(host=HOST, port=0)
        if args.slack_rtt > 0:  # every Web API call answered that much later, as over a network
            sandbox.faults.outage(Fault.slow(args.slack_rtt / 1000))
        before = None
        if args.before_cmd:
            before = (args.before_cmd, f"sqlite+aiosqlite:///{tmpdir / 'before.db'}")
        servers = await start_servers(
            sandbox,
            session,
            f"sqlite+aiosqlite:///{tmpdir / 'bench.db'}",
            args.switchboard_cmd,
            before,
            await durable_database(tmpdir) if args.durable_baseline else None,
        )
        answering = [server for server in servers if server.replies]  # not the no-op
        load = LoadGenerator(sandbox, session, concurrency=1, reply_timeout=args.reply_timeout)
        for server in answering:
            for _ in range(args.warmup):
                await one_turn(load, server)
        turns: dict[str, list[float]] = {server.name: [] for server in answering}
        acks: dict[str, list[float]] = {server.name: [] for server in answering}
        rounds: dict[str, list[float]] = {server.name: [] for server in answering}
        for index in range(args.rounds):
            shift = index % len(answering)
            for server in answering[shift:] + answering[:shift]:
                mine: list[float] = []
                with collector_paused():
                    for _ in range(args.turns):
                        turn, ack = await one_turn(load, server)
                        mine.append(turn)
                        acks[server.name].append(ack)
                        await asyncio.sleep(args.gap)
                turns[server.name] += mine
                rounds[server.name].append(round(percentile(mine, 50) * 1000, 3))
            progress(
                f"round {index + 1}/{args.rounds}: "
                + ", ".join(f"{name} p50 {values[-1]:.2f} ms" for name, values in rounds.items())
            )
        figures = {name: summary(turns[name], acks[name]) for name in turns}
        config = {
            "rounds": args.rounds,
            "turns": args.turns,
            "gap_s": args.gap,
            "slack_rtt_ms": args.slack_rtt,
            "warmup": args.warmup,
            "switchboard_command": args.switchboard_cmd,
            "before_command": args.before_cmd,
            "durable_baseline": args.durable_baseline,
            "loadavg_1m_at_start": loadavg_at_start,
        }
        return report(config, figures, rounds)
    finally:
        await asyncio.gather(*(server.bot.stop() for server in servers), return_exceptions=True)
        await session.close()
        await sandbox.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


def report(
    config: dict[str, Any], figures: dict[str, dict[str, float]], rounds: dict[str, list[float]]
) -> dict[str, Any]:
    """Print the table and the goal; return everything as one JSON-able dict."""
    env = environment()
    print()
    print(
        f"turn_latency  {env['date']}  rounds={config['rounds']} turns={config['turns']} "
        f"gap={config['gap_s']}s slack_rtt={config['slack_rtt_ms']}ms warmup={config['warmup']}; "
        f"switchboard {env['revision']}"
    )
    print(
        f"{env['cores']} cores ({env['cpu']}); python {env['python']}; 1-min load average "
        f"{config['loadavg_1m_at_start']} before, {env['loadavg_1m_at_end']} after"
    )
    print()
    header = f"{'server':<12} {'turn p50 ms':>12} {'p95':>8} {'p99':>8} {'mean':>8} {'ack p50':>8}"
    print(header)
    print("-" * len(header))
    for name in [name for name in (SWITCHBOARD, BEFORE, NAIVE, DURABLE) if name in figures]:
        f = figures[name]
        print(
            f"{name:<12} {f['turn_p50_ms']:>12.3f} {f['turn_p95_ms']:>8.3f} "
            f"{f['turn_p99_ms']:>8.3f} {f['turn_mean_ms']:>8.3f} {f['ack_p50_ms']:>8.3f}"
        )
    naive = figures[NAIVE]
    ratios = {
        name: {
            key: figures[name][key] / naive[key]
            for key in ("turn_p50_ms", "turn_p95_ms", "turn_mean_ms")
        }
        for name in (SWITCHBOARD, BEFORE, DURABLE)
        if name in figures
    }
    print()
    for name, ratio in ratios.items():
        print(
            f"{name:<12} vs the naive bot: p50 {ratio['turn_p50_ms']:.2f}x, "
            f"p95 {ratio['turn_p95_ms']:.2f}x, mean {ratio['turn_mean_ms']:.2f}x"
        )
    met = ratios[SWITCHBOARD]["turn_p50_ms"] <= GOAL
    print(f"goal: switchboard single-turn latency p50 <= {GOAL}x   {'met' if met else 'NOT met'}")
    print()
    for name, values in rounds.items():
        print(f"per round {name:<12} turn p50 ms {values}")
    return {
        "config": config,
        "environment": env,
        "figures": figures,
        "ratios_vs_naive": ratios,
        "per_round_p50_ms": rounds,
        "goal_met": met,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the benchmark, optionally write the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options = (
        ("--rounds", int, 5, "measured rounds"),
        ("--turns", int, 100, "turns per server in a round"),
        ("--gap", float, 0.02, "seconds between a reply and the next mention"),
        ("--warmup", int, 30, "warm-up turns per server"),
        ("--reply-timeout", float, 10.0, "seconds to await one reply"),
        ("--slack-rtt", float, 0.0, "ms the sandbox waits before answering a Web API call"),
    )
    for flag, kind, default, meaning in options:
        parser.add_argument(flag, type=kind, default=default, help=f"{meaning} (default {default})")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    add_durable_baseline(parser)
    add_switchboard_cmd(parser)
    add_before_cmd(parser)
    args = parser.parse_args(argv)
    if min(args.rounds, args.turns, args.warmup) < 1 or min(args.gap, args.slack_rtt) < 0:
        parser.error(
            "--rounds, --turns and --warmup must be at least 1, --gap and --slack-rtt at least 0"
        )
    result = run_quietly(measure(args), stopped="every server was stopped")
    return exit_with(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
