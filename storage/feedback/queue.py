"""The review queue: 👎 votes, rejected approvals and turns flagged for an ungrounded claim,
newest first, with where each was said."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Row, Select, and_, select
from sqlalchemy.engine import Connection

from agents.feedback.values import (
    ItemKind,
    ReviewItem,
    ReviewLabel,
    parse_label,
    parse_reason,
)
from agents.turns.grounding import UNGROUNDED_CLAIM
from storage._records import from_row
from storage.tables import approvals, conversations, feedback, messages, reviews, traces

__all__ = ["queue_on"]


def queue_on(
    connection: Connection, team_id: str | None, since: datetime, limit: int, unlabelled: bool
) -> list[ReviewItem]:
    """👎 votes, rejected approvals and flagged turns since ``since``, newest first, at most
    ``limit``."""
    downs, rejections, flags = _downs(since, limit), _rejections(since, limit), _flags(since, limit)
    if team_id is not None:
        downs = downs.where(feedback.c.team_id == team_id)
        rejections = rejections.where(approvals.c.team_id == team_id)
        flags = flags.where(traces.c.team_id == team_id)
    if unlabelled:
        downs = downs.where(reviews.c.label.is_(None))
        rejections = rejections.where(reviews.c.label.is_(None))
        flags = flags.where(reviews.c.label.is_(None))
    items = [_from_vote(row) for row in connection.execute(downs)]
    items += [_from_rejection(row) for row in connection.execute(rejections)]
    items += [_from_flag(row) for row in connection.execute(flags)]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


_REPLY = messages.alias("reply")


def _downs(since: datetime, limit: int) -> Select[Any]:
    statement = select(
        feedback,
        traces.c.agent,
        traces.c.channel_id,
        *_PLACE_COLUMNS,
    ).join(traces, traces.c.trace_id == feedback.c.trace_id)
    return (
        _placed_at(statement, feedback.c.trace_id)
        .where(feedback.c.vote == "down", feedback.c.at >= since)
        .order_by(feedback.c.at.desc())
        .limit(limit)
    )


def _flags(since: datetime, limit: int) -> Select[Any]:
    """Turns whose model claimed what the records do not show (``ungrounded_claim``)."""
    statement = select(
        traces.c.trace_id,
        traces.c.team_id,
        traces.c.channel_id,
        traces.c.agent,
        traces.c.started_at,
        _REPLY.c.text.label("reply_text"),
        *_PLACE_COLUMNS,
    )
    return (
        _placed_at(statement, traces.c.trace_id)
        .where(traces.c.degraded == UNGROUNDED_CLAIM, traces.c.started_at >= since)
        .order_by(traces.c.started_at.desc())
        .limit(limit)
    )


_PLACE_COLUMNS = (
    conversations.c.thread_ts,
    _REPLY.c.ts.label("message_ts"),
    reviews.c.label,
    reviews.c.promoted_at,
)


def _placed_at(statement: Select[Any], trace_id: Any) -> Select[Any]:
    """``statement`` joined to the turn's reply, its thread and its review (all optional)."""
    return (
        statement.outerjoin(
            _REPLY, and_(_REPLY.c.trace_id == trace_id, _REPLY.c.direction == "out")
        )
        .outerjoin(conversations, conversations.c.id == _REPLY.c.conversation_id)
        .outerjoin(reviews, reviews.c.trace_id == trace_id)
    )


def _rejections(since: datetime, limit: int) -> Select[Any]:
    return (
        select(
            approvals,
            traces.c.agent.label("turn_agent"),  # approvals.agent is the proposing agent
            reviews.c.label,
            reviews.c.promoted_at,
        )
        .outerjoin(traces, traces.c.trace_id == approvals.c.trace_id)
        .outerjoin(reviews, reviews.c.trace_id == approvals.c.trace_id)
        .where(approvals.c.state == "rejected", approvals.c.updated_at >= since)
        .order_by(approvals.c.updated_at.desc())
        .limit(limit)
    )


class _Placed(TypedDict):
    """Where an item was said and how far its review got: the same for both kinds."""

    thread_ts: str
    message_ts: str
    label: ReviewLabel | None
    promoted: bool


def _placed(row: Row[Any]) -> _Placed:
    return {
        "thread_ts": row.thread_ts or "",
        "message_ts": row.message_ts or "",
        "label": parse_label(row.label) if row.label else None,
        "promoted": row.promoted_at is not None,
    }


def _from_vote(row: Row[Any]) -> ReviewItem:
    reason = parse_reason(row.reason)
    return from_row(
        ReviewItem, row, kind="feedback", by=row.user_id, reason=reason, action="", **_placed(row)
    )


def _item(
    row: Row[Any],
    kind: ItemKind,
    *,
    agent: str,
    by: str,
    at: datetime,
    comment: str,
    action: str = "",
) -> ReviewItem:
    """A flag or a rejection: the turn's ids and its place come from ``row``."""
    return ReviewItem(
        trace_id=row.trace_id,
        kind=kind,
        team_id=row.team_id,
        channel_id=row.channel_id,
        agent=agent,
        by=by,
        at=at,
        comment=comment,
        action=action,
        **_placed(row),
    )


def _from_flag(row: Row[Any]) -> ReviewItem:
    comment = row.reply_text or ""
    return _item(row, "flag", agent=row.agent, by="", at=row.started_at, comment=comment)


def _from_rejection(row: Row[Any]) -> ReviewItem:
    return _item(
        row,
        "rejection",
        agent=row.turn_agent or row.agent or "",
        by=row.decided_by or "",
        at=row.updated_at or row.created_at,
        comment=row.reason or "",
        action=row.action,
    )
