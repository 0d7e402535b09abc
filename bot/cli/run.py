"""``switchboard run``: the bot against Slack, over HTTP or Socket Mode."""

from __future__ import annotations

import argparse
import gc
from datetime import timedelta

from bot.cli.conventions import Subparsers
from bot.config import Settings

__all__ = ["add_parser", "command"]

# Young objects the collector lets pile up before a collection (CPython's default: 700). A
# delivery allocates a few thousand short-lived containers (a parsed body, Bolt's request and
# context, rows, a reply); at 700 the collector ran several times per delivery.
_YOUNG_THRESHOLD = 7000


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard run [--host H] [--port P] [--socket]``."""
    run = subparsers.add_parser("run", help="run the bot against Slack (HTTP or Socket Mode)")
    run.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")  # noqa: S104 (a server must be reachable by Slack)
    run.add_argument(
        "--port",
        type=int,
        default=3000,
        help="HTTP port (default 3000; 0: any); in Socket Mode it serves only /healthz, "
        "/readyz and /metrics",
    )
    run.add_argument("--socket", action="store_true", help="use Socket Mode instead of HTTP")


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until SIGTERM/SIGINT; returns the exit code."""
    from bot.runtime import Runtime, RuntimeOptions
    from bot.serve import serve_http, serve_socket_mode
    from bot.worker import WorkerOptions

    worker = WorkerOptions(lease=timedelta(seconds=settings.job_lease_seconds))
    if settings.tracing_requested:
        from bot.instruments import configure_tracing_if_installed

        configure_tracing_if_installed()
    lease = settings.event_lease_seconds
    options = RuntimeOptions(
        socket_mode=args.socket,
        worker=worker,
        event_lease=timedelta(seconds=lease),
        recovery_interval=min(30.0, lease / 3),
        recovery_grace=min(120.0, lease),
        migrate_apart=True,  # Alembic stays out of the long-running process
    )
    runtime = await Runtime.create(settings, options)
    settle_heap()
    if args.socket:
        await serve_socket_mode(runtime, host=args.host, port=args.port)
    else:
        await serve_http(runtime, host=args.host, port=args.port)
    return 0


def settle_heap() -> None:
    """After start-up: what it built (modules, the app, the configuration) lives as long as
    the process, so it is moved out of the collector's sight (``gc.freeze``), and young
    objects are collected less often. A full collection then walks only what the traffic
    made, not what start-up imported; without this, with fewer modules imported, a full
    collection (about 50 ms) landed inside load tests and stalled the acks in flight
    (benchmarks/README.md, issue 19)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_THRESHOLD, older, oldest)
