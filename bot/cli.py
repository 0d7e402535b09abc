"""The ``switchboard`` command line.

Errors a user can fix (a bad setting, an unreachable database) print one line on stderr and
exit non-zero; they never print a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from agents.kernel.errors import ConfigError, StorageError, SwitchboardError
from bot.config import Settings, load_settings
from bot.eval_cli import add_eval_parser
from bot.logs import configure_logging

__all__ = ["main"]

EXIT_CONFIG = 2
EXIT_RUNTIME = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchboard", description="A chat-ops bot for team workflows on Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot against Slack (HTTP or Socket Mode)")
    run.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")  # noqa: S104 (a server must be reachable by Slack)
    run.add_argument(
        "--port",
        type=int,
        default=3000,
        help="HTTP port (default 3000; 0: any); in Socket Mode it serves only /healthz, "
        "/readyz and /metrics",
    )
    run.add_argument("--socket", action="store_true", help="use Socket Mode instead of HTTP")

    sandbox = sub.add_parser("sandbox", help="run the local Slack-compatible sandbox server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=3001, help="port (default 3001; 0: any)")
    sandbox.add_argument(
        "--request-url",
        help="the bot's endpoint for events and commands, e.g. http://127.0.0.1:3000/slack/events",
    )

    demo = sub.add_parser("demo", help="chat with the bot in a local sandbox; no account needed")
    demo.add_argument("--script", type=Path, help="play the lines of FILE and print the transcript")

    config = sub.add_parser("config", help="check the config file, or print its JSON schema")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", help="validate a config file; report every error")
    check.add_argument("file", nargs="?", type=Path, help="default: SWITCHBOARD_CONFIG")
    config_sub.add_parser("schema", help="print the config file's JSON schema (for editors)")

    sub.add_parser(
        "doctor",
        help="check config, database, Slack credentials and action targets; say how to fix",
    )

    audit = sub.add_parser("audit", help="print the audit log")
    audit.add_argument(
        "--since", help="ISO date or time (UTC), e.g. 2026-11-23 or 2026-11-23T10:00"
    )
    audit.add_argument("--action", help="only this action")
    audit.add_argument("--limit", type=int, default=200)

    memory = sub.add_parser("memory", help="erase what Switchboard stored about a person")
    memory_sub = memory.add_subparsers(dest="memory_command", required=True, metavar="ACTION")
    forget = memory_sub.add_parser("forget", help="erase a person's messages and notes")
    forget.add_argument("--user", required=True, help="Slack user id, e.g. U0ALICE")
    forget.add_argument("--team", help="only in this team (default: every team)")

    knowledge = sub.add_parser("knowledge", help="index runbooks; list unanswered questions")
    knowledge_sub = knowledge.add_subparsers(
        dest="knowledge_command", required=True, metavar="ACTION"
    )
    index = knowledge_sub.add_parser("index", help="index Markdown files (folders: *.md)")
    index.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    index.add_argument(
        "--keep-missing",
        action="store_true",
        help="keep the chunks of files no longer present (default: they leave the index)",
    )
    misses = knowledge_sub.add_parser("misses", help="questions the runbooks could not answer")
    misses.add_argument("--limit", type=int, default=100)

    _review_parsers(sub)
    add_eval_parser(sub)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply all migrations")
    db_sub.add_parser("current", help="print the applied migration revision")
    return parser


def _review_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = sub.add_parser("review", help="the review queue: 👎s and rejected approvals")
    review_sub = review.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    listing = review_sub.add_parser("list", help="list the queue, newest first")
    listing.add_argument("--days", type=int, default=7)
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--unlabelled", action="store_true", help="only items without a label")
    show = review_sub.add_parser("show", help="one turn: route, plan, cost, votes")
    show.add_argument("trace")
    label = review_sub.add_parser("label", help="label a turn: bug, docs_gap, routing, expected")
    label.add_argument("trace")
    label.add_argument("label")
    promote = review_sub.add_parser(
        "promote", help="add a turn to the evaluation set (optionally correcting what it expects)"
    )
    promote.add_argument("trace")
    promote.add_argument("--agent", help="the agent it should have been routed to")
    promote.add_argument("--action", help="the action it should have proposed ('none': none)")
    promote.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="expected parameter"
    )
    promote.add_argument("--approval-required", choices=["yes", "no"])
    promote.add_argument("--answer", help="text the answer should contain")

    trace = sub.add_parser(
        "trace", help="one turn from the database: route, plan, actions, timings"
    )
    trace.add_argument("trace")

    kpis = sub.add_parser("kpis", help="KPIs per agent as a table")
    kpis.add_argument("--agent", help="only this agent")
    kpis.add_argument("--days", type=int, default=7)

    export = sub.add_parser("export", help="write the evaluation set (promoted turns)")
    export.add_argument("--format", dest="fmt", default="jsonl", choices=["jsonl"])
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")


def _corrections(args: argparse.Namespace) -> dict[str, object] | None:
    """The reviewer's corrections given to ``review promote``; None if a --param is malformed."""
    corrections: dict[str, object] = {}
    if args.agent:
        corrections["agent"] = args.agent
    if args.action:
        corrections["action"] = None if args.action == "none" else args.action
    if args.param:
        pairs = [p.partition("=") for p in args.param]
        if any(not name or not sep for name, sep, _ in pairs):
            return None
        corrections["params"] = {name: value for name, _, value in pairs}
    if args.approval_required:
        corrections["approval_required"] = args.approval_required == "yes"
    if args.answer:
        corrections["answer"] = args.answer
    return corrections


async def _review_dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot import review_cli

    if args.command == "trace":
        return await review_cli.review_show_command(settings, args.trace)
    if args.command == "kpis":
        return await review_cli.kpis_command(settings, days=args.days, agent=args.agent)
    if args.command == "export":
        return await review_cli.export_command(settings, fmt=args.fmt, output=args.out)
    if args.review_command == "list":
        return await review_cli.review_list_command(
            settings, days=args.days, limit=args.limit, unlabelled=args.unlabelled
        )
    if args.review_command == "show":
        return await review_cli.review_show_command(settings, args.trace)
    if args.review_command == "label":
        return await review_cli.review_label_command(settings, args.trace, args.label)
    corrections = _corrections(args)
    if corrections is None:
        print("switchboard: --param takes NAME=VALUE", file=sys.stderr)
        return EXIT_CONFIG
    return await review_cli.review_promote_command(settings, args.trace, corrections=corrections)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``switchboard`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "config":
        return _config_command(args)
    try:
        settings = load_settings()
        quiet = args.command in ("demo", "eval", "doctor")
        level = "warning" if quiet else settings.log_level
        configure_logging(fmt=settings.effective_log_format, level=level)
        return asyncio.run(_dispatch(args, settings))
    except ConfigError as exc:
        print(f"switchboard: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StorageError as exc:
        print(f"switchboard: database error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    except SwitchboardError as exc:
        print(f"switchboard: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        return 130


def _config_command(args: argparse.Namespace) -> int:
    """``config check|schema``: no logging set-up, plain output for people and editors."""
    from bot.config_file import check_command, schema_command

    if args.config_command == "schema":
        return schema_command(sys.stdout)
    path: Path | None = args.file
    if path is None:
        try:
            path = load_settings().config_file
        except ConfigError as exc:
            print(f"switchboard: configuration error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    if path is None:
        print("switchboard: give a FILE or set SWITCHBOARD_CONFIG", file=sys.stderr)
        return EXIT_CONFIG
    return check_command(path, out=sys.stdout)


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        from bot.runtime import Runtime, RuntimeOptions
        from bot.serve import serve_http, serve_socket_mode
        from bot.worker import WorkerOptions

        worker = WorkerOptions(lease=timedelta(seconds=settings.job_lease_seconds))
        if settings.tracing_requested:
            from bot.runtime import configure_tracing_if_installed

            configure_tracing_if_installed()
        runtime = await Runtime.create(
            settings, RuntimeOptions(socket_mode=args.socket, worker=worker)
        )
        if args.socket:
            await serve_socket_mode(runtime, host=args.host, port=args.port)
        else:
            await serve_http(runtime, host=args.host, port=args.port)
        return 0
    if args.command == "sandbox":
        from bot.sandbox_cli import run_sandbox

        await run_sandbox(host=args.host, port=args.port, request_url=args.request_url)
        return 0
    if args.command == "demo":
        from bot.demo import run_demo

        return await run_demo(settings, script=args.script)
    if args.command == "knowledge":
        from bot.knowledge_cli import index_command, misses_command

        if args.knowledge_command == "index":
            return await index_command(settings, list(args.paths), prune=not args.keep_missing)
        return await misses_command(settings, limit=args.limit)
    if args.command == "memory":
        from bot.memory_cli import forget_user_command

        return await forget_user_command(settings, user_id=args.user, team_id=args.team)
    if args.command == "doctor":
        from bot.doctor import doctor_command

        return await doctor_command(settings)
    if args.command == "eval":
        from bot.eval_cli import eval_command

        return await eval_command(
            settings,
            args.dataset,
            k=args.k,
            baseline=args.baseline,
            config_path=args.config,
            json_output=args.json,
        )
    if args.command in ("review", "kpis", "export", "trace"):
        return await _review_dispatch(args, settings)
    if args.command == "audit":
        from bot.audit_cli import print_audit

        return await print_audit(settings, since=args.since, action=args.action, limit=args.limit)
    if args.command == "db":
        from storage import Database

        database = await Database.connect(settings.database_url)
        try:
            if args.db_command == "upgrade":
                await database.migrate()
            print(await database.current_revision() or "(none)")
        finally:
            await database.close()
        return 0
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse rejects others
