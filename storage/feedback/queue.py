"""The review queue: 👎 votes and rejected approvals, newest first, with where each was said."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Row, Select, and_, select
from sqlalchemy.engine import Connection

from agents.feedback.values import ReviewItem, ReviewLabel, parse_label, parse_reason
from storage._records import from_row
from storage.tables import approvals, conversations, feedback, messages, reviews, traces

__all__ = ["queue_on"]


def queue_on(
    connection: Connection, team_id: str | None, since: datetime, limit: int, unlabelled: bool
) -> list[ReviewItem]:
    """👎 votes and rejected approvals since ``since``, newest first, at most ``limit``."""
    downs, rejections = _downs(since, limit), _rejections(since, limit)
    if team_id is not None:
        downs = downs.where(feedback.c.team_id == team_id)
        rejections = rejections.where(approvals.c.team_id == team_id)
    if unlabelled:
        downs = downs.where(reviews.c.label.is_(None))
        rejections = rejections.where(reviews.c.label.is_(None))
    items = [_from_vote(row) for row in connection.execute(downs)]
    items += [_from_rejection(row) for row in connection.execute(rejections)]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _downs(since: datetime, limit: int) -> Select[Any]:
    reply = messages.alias("reply")
    return (
        select(
            feedback,
            traces.c.agent,
            traces.c.channel_id,
            conversations.c.thread_ts,
            reply.c.ts.label("message_ts"),
            reviews.c.label,
            reviews.c.promoted_at,
        )
        .join(traces, traces.c.trace_id == feedback.c.trace_id)
        .outerjoin(reply, and_(reply.c.trace_id == feedback.c.trace_id, reply.c.direction == "out"))
        .outerjoin(conversations, conversations.c.id == reply.c.conversation_id)
        .outerjoin(reviews, reviews.c.trace_id == feedback.c.trace_id)
        .where(feedback.c.vote == "down", feedback.c.at >= since)
        .order_by(feedback.c.at.desc())
        .limit(limit)
    )


def _rejections(since: datetime, limit: int) -> Select[Any]:
    return (
        select(
            approvals,
            traces.c.agent,
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


def _from_rejection(row: Row[Any]) -> ReviewItem:
    return ReviewItem(
        trace_id=row.trace_id,
        kind="rejection",
        team_id=row.team_id,
        channel_id=row.channel_id,
        agent=row.agent or "",
        by=row.decided_by or "",
        at=row.updated_at or row.created_at,
        comment=row.reason or "",
        action=row.action,
        **_placed(row),
    )
