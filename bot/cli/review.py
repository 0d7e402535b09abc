"""``switchboard review|trace|kpis|export``: the review queue, one turn, KPIs per agent and the
evaluation set in the terminal.

Whoever can run these can read the database, so they are not limited to reviewers; every
label and promotion is stored as made by ``cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from agents.actions.jobs import AuditQuery
from agents.feedback.export import case_record
from agents.feedback.ports import FeedbackStore, Promotion
from agents.feedback.values import AgentKpis, parse_label
from agents.turns.grounding import UNGROUNDED_CLAIM
from bot.cli.conventions import EXIT_CONFIG, Subparsers
from bot.clock import SystemClock
from bot.config import Settings

if TYPE_CHECKING:
    from storage import Database

__all__ = [
    "add_parser",
    "command",
    "export_command",
    "kpis_command",
    "review_label_command",
    "review_list_command",
    "review_promote_command",
    "review_show_command",
]

_ACTOR = "cli"
_KINDS = {"feedback": "👎", "rejection": "rejected", "flag": "flagged"}
_LABELS = "bug, docs_gap, routing, expected"


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard review list|show|label|promote``, ``trace``, ``kpis`` and
    ``export``."""
    review = subparsers.add_parser(
        "review", help="the review queue: 👎s, rejected approvals and flagged answers"
    )
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

    trace = subparsers.add_parser(
        "trace", help="one turn from the database: route, plan, actions, timings"
    )
    trace.add_argument("trace")

    kpis = subparsers.add_parser("kpis", help="KPIs per agent as a table")
    kpis.add_argument("--agent", help="only this agent")
    kpis.add_argument("--days", type=int, default=7)

    export = subparsers.add_parser("export", help="write the evaluation set (promoted turns)")
    export.add_argument("--format", dest="fmt", default="jsonl", choices=["jsonl"])
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """``review …``, ``trace``, ``kpis`` or ``export``; returns the exit code."""
    if args.command == "trace":
        return await review_show_command(settings, args.trace)
    if args.command == "kpis":
        return await kpis_command(settings, days=args.days, agent=args.agent)
    if args.command == "export":
        return await export_command(settings, fmt=args.fmt, output=args.out)
    if args.review_command == "list":
        return await review_list_command(
            settings, days=args.days, limit=args.limit, unlabelled=args.unlabelled
        )
    if args.review_command == "show":
        return await review_show_command(settings, args.trace)
    if args.review_command == "label":
        return await review_label_command(settings, args.trace, args.label)
    corrections = _corrections(args)
    if corrections is None:
        print("switchboard: --param takes NAME=VALUE", file=sys.stderr)
        return EXIT_CONFIG
    return await review_promote_command(settings, args.trace, corrections=corrections)


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


async def _open(settings: Settings) -> Database:
    from storage import Database

    database = await Database.connect(settings.database_url)
    if database.dialect == "sqlite":
        await database.migrate()
    return database


def _table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


async def review_list_command(
    settings: Settings, *, days: int, limit: int, unlabelled: bool, out: TextIO | None = None
) -> int:
    """Print the review queue (👎s, rejections and flagged answers), newest first."""
    out = out or sys.stdout
    since = SystemClock().now() - timedelta(days=days)
    database = await _open(settings)
    try:
        items = await database.feedback.queue(
            team_id=None, since=since, limit=limit, unlabelled=unlabelled
        )
    finally:
        await database.close()
    if not items:
        print(f"nothing to review in the last {days} days", file=out)
        return 0
    rows = [("WHEN (UTC)", "KIND", "AGENT", "BY", "WHAT", "LABEL", "EVAL", "TRACE")]
    for item in items:
        what = {"rejection": item.action, "flag": UNGROUNDED_CLAIM}.get(item.kind)
        rows.append(
            (
                f"{item.at:%Y-%m-%d %H:%M}",
                _KINDS[item.kind],
                item.agent,
                item.by or "switchboard",
                what or item.reason or "-",
                item.label or "-",
                "yes" if item.promoted else "-",
                item.trace_id,
            )
        )
    _table(rows, out)
    return 0


async def review_show_command(
    settings: Settings, trace_id: str, *, out: TextIO | None = None
) -> int:
    """Print one turn (``review show`` and ``trace``): route, planner, tool calls, timings,
    tokens, cost, the approvals it requested with their audit trail, votes and label."""
    out = out or sys.stdout
    database = await _open(settings)
    try:
        case = await database.feedback.case(trace_id)
        votes = await database.feedback.votes(trace_id)
        audit = await database.audit.entries(AuditQuery(limit=200, trace_id=trace_id))
    finally:
        await database.close()
    if case is None:
        print(f"switchboard: no turn with trace id {trace_id!r}", file=sys.stderr)
        return 1
    t = case.trace
    lines = [
        f"trace      {t.trace_id}",
        f"when       {t.started_at:%Y-%m-%d %H:%M:%S} UTC  team {t.team_id}  channel {t.channel_id}"
        f"  thread {case.thread_ts or '-'}",
        f"from       {t.user_id} ({t.source})",
        f"route      {t.agent} ({t.route_reason}, score {t.route_score:.2f})",
        f"planner    {t.planner}"
        + (f" via {t.provider}" if t.provider else "")
        + (f", degraded: {t.degraded}" if t.degraded else ""),
        f"tool calls {', '.join(t.tool_calls) or '-'}",
        f"outcome    {t.outcome}" + (f": {t.error}" if t.error else ""),
        f"latency    route {t.route_ms:.1f} ms, agent {t.agent_ms:.1f} ms, "
        f"total {t.total_ms:.1f} ms",
        f"tokens     {t.input_tokens} in / {t.output_tokens} out, cost ${t.cost_micros / 1e6:.4f}",
        f"label      {case.label or '-'}{'  (in the evaluation set)' if case.promoted else ''}",
        "",
        f"asked      {case.question}",
        f"answered   {case.answer}",
    ]
    if case.approval is not None:
        params = " ".join(f"{k}={v}" for k, v in case.approval.params.items())
        needed = "needed approval" if case.approval.required else "ran without approval"
        lines.append(f"action     {case.approval.action} {params} ({needed})")
    for entry in audit:
        details = " ".join(f"{k}={v}" for k, v in entry.details.items())
        lines.append(
            f"audit      {entry.at:%Y-%m-%d %H:%M:%S} {entry.kind} by {entry.actor} "
            f"({entry.action}) {details}".rstrip()
        )
    for vote in votes:
        detail = ", ".join(
            part
            for part in (
                vote.reason or "",
                vote.comment,
                f"expected: {vote.expected}" if vote.expected else "",
            )
            if part
        )
        lines.append(
            f"vote       {'👍' if vote.vote == 'up' else '👎'} {vote.user_id} {detail}".rstrip()
        )
    print("\n".join(lines), file=out)
    return 0


async def review_label_command(settings: Settings, trace_id: str, label: str) -> int:
    """Label a turn (``bug``, ``docs_gap``, ``routing``, ``expected``)."""
    parsed = parse_label(label)
    if parsed is None:
        print(f"switchboard: unknown label {label!r} (one of {_LABELS})", file=sys.stderr)
        return 2
    return await _on_turn(
        settings,
        trace_id,
        lambda feedback: feedback.label(trace_id, parsed, by=_ACTOR, at=SystemClock().now()),
        done=f"labelled {parsed}",
    )


async def review_promote_command(
    settings: Settings, trace_id: str, *, corrections: dict[str, object]
) -> int:
    """Add a turn to the evaluation set, with the reviewer's corrections of what it expects."""
    return await _on_turn(
        settings,
        trace_id,
        lambda feedback: feedback.promote(
            Promotion(trace_id, by=_ACTOR, at=SystemClock().now(), expected=corrections or None)
        ),
        done="in the evaluation set",
    )


async def _on_turn(
    settings: Settings,
    trace_id: str,
    change: Callable[[FeedbackStore], Awaitable[bool]],
    *,
    done: str,
) -> int:
    """Apply a reviewer's ``change`` to one turn; exit 1 when no such turn is stored."""
    database = await _open(settings)
    try:
        found = await change(database.feedback)
    finally:
        await database.close()
    if not found:
        print(f"switchboard: no turn with trace id {trace_id!r}", file=sys.stderr)
        return 1
    print(f"{trace_id}: {done}")
    return 0


def _kpi_row(kpi: AgentKpis) -> tuple[str, ...]:
    return (
        kpi.agent,
        str(kpi.turns),
        _percent(kpi.up_rate),
        str(kpi.down),
        _percent(kpi.fallback_rate),
        _percent(kpi.error_rate),
        str(kpi.requested),
        str(kpi.approved),
        str(kpi.rejected),
        str(kpi.expired),
        _seconds(kpi.median_approval_seconds),
        f"${kpi.cost_micros / 1_000_000:.2f}",
    )


async def kpis_command(
    settings: Settings, *, days: int, agent: str | None, out: TextIO | None = None
) -> int:
    """Print KPIs per agent for the last ``days`` days as a table."""
    out = out or sys.stdout
    since = SystemClock().now() - timedelta(days=days)
    database = await _open(settings)
    try:
        kpis = await database.feedback.kpis(since=since, agent=agent)
    finally:
        await database.close()
    if not kpis:
        print(f"no turns in the last {days} days", file=out)
        return 0
    header = (
        "AGENT", "TURNS", "👍 RATE", "👎", "FALLBACK", "ERRORS",
        "ASKED", "APPROVED", "REJECTED", "EXPIRED", "MEDIAN TO APPROVAL", "COST",
    )  # fmt: skip
    _table([header, *(_kpi_row(k) for k in kpis)], out)
    print(f"\nlast {days} days; 👍 rate counts rejected approvals as 👎", file=out)
    return 0


async def export_command(
    settings: Settings, *, fmt: str, output: Path | None, out: TextIO | None = None
) -> int:
    """Write the evaluation set (promoted turns) as JSONL cases for ``switchboard eval``."""
    if fmt != "jsonl":
        print(f"switchboard: unsupported export format {fmt!r} (jsonl)", file=sys.stderr)
        return 2
    database = await _open(settings)
    try:
        cases = await database.feedback.promoted()
    finally:
        await database.close()
    records = [case_record(case) for case in cases]
    empty = [r["source_trace"] for r in records if not r["expected"]]
    for trace_id in empty:
        print(
            f"switchboard: skipped {trace_id}: nothing left to expect (people said its agent "
            "and action were wrong); give the right ones with `review promote --agent/--action`",
            file=sys.stderr,
        )
    lines = [json.dumps(r, ensure_ascii=False) for r in records if r["expected"]]
    text = "".join(f"{line}\n" for line in lines)
    if output is None:
        (out or sys.stdout).write(text)
    else:
        _write(output, text)
        print(f"{len(lines)} case(s) written to {output}", file=sys.stderr)
    return 0


def _write(path: Path, text: str) -> None:
    # A few kilobytes, once, at the end of a command: blocking here holds up nothing.
    path.write_text(text, encoding="utf-8")
