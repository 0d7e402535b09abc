"""``switchboard audit``: the append-only audit log as a table."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TextIO

from agents.actions.jobs import AuditQuery
from agents.kernel.errors import ConfigError
from bot.cli.conventions import Subparsers
from bot.config import Settings

__all__ = ["add_parser", "command", "parse_since", "print_audit"]


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard audit [--since WHEN] [--action NAME] [--limit N]``."""
    audit = subparsers.add_parser("audit", help="print the audit log")
    audit.add_argument(
        "--since", help="ISO date or time (UTC), e.g. 2026-11-23 or 2026-11-23T10:00"
    )
    audit.add_argument("--action", help="only this action")
    audit.add_argument("--limit", type=int, default=200)


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """Print the audit log; returns the exit code."""
    return await print_audit(settings, since=args.since, action=args.action, limit=args.limit)


def parse_since(value: str | None) -> datetime | None:
    """``2026-11-23`` or ``2026-11-23T10:00`` (UTC unless an offset is given)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError("--since", f"not an ISO date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def print_audit(
    settings: Settings,
    *,
    since: str | None,
    action: str | None,
    limit: int,
    out: TextIO | None = None,
) -> int:
    """Print the audit entries, oldest first; returns the exit code."""
    from storage import Database

    out = out or sys.stdout
    start = parse_since(since)
    database = await Database.connect(settings.database_url)
    try:
        entries = await database.audit.entries(AuditQuery(limit=limit, since=start, action=action))
    finally:
        await database.close()
    if not entries:
        print("no audit entries", file=out)
        return 0
    for entry in entries:
        details = " ".join(f"{k}={v}" for k, v in sorted(entry.details.items()))
        approval = entry.approval_id[:12] if entry.approval_id else "-"
        print(
            f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.kind:<20} {entry.action:<16} "
            f"{entry.actor:<12} {approval:<12} {details}".rstrip(),
            file=out,
        )
    return 0
