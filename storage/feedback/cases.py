"""Reviewed turns as evaluation cases: the trace, what was said around it, what was expected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from agents.feedback.values import ApprovalOutcome, ReviewCase, parse_label
from agents.kernel.models import StoredMessage
from storage._records import from_row
from storage.tables import approvals, conversations, feedback, messages, reviews, traces
from storage.traces import trace_from_row

__all__ = ["cases_on"]

_CONTEXT_MESSAGES = 20
"""At most this many earlier messages of the thread go into an evaluation case."""


def cases_on(connection: Connection, trace_ids: Sequence[str]) -> list[ReviewCase]:
    """The cases of the turns with these trace ids, in order; unknown ids are left out."""
    found = (_case(connection, trace_id) for trace_id in trace_ids)
    return [case for case in found if case is not None]


def _case(connection: Connection, trace_id: str) -> ReviewCase | None:
    row = connection.execute(select(traces).where(traces.c.trace_id == trace_id)).first()
    if row is None:
        return None
    trace = trace_from_row(row)
    said = {
        m.direction: m
        for m in connection.execute(select(messages).where(messages.c.trace_id == trace_id))
    }
    question, answer = said.get("in"), said.get("out")
    context, thread_ts = _thread(connection, question or answer)
    approval = _approval(connection, trace_id)
    expected = connection.execute(
        select(feedback.c.expected)
        .where(feedback.c.trace_id == trace_id, feedback.c.expected != "")
        .order_by(feedback.c.at.desc())
    ).scalar()
    review = connection.execute(select(reviews).where(reviews.c.trace_id == trace_id)).first()
    return ReviewCase(
        trace=trace,
        question=question.text if question is not None else "",
        answer=answer.text if answer is not None else "",
        context=context,
        approval=approval,
        expected=expected or "",
        label=parse_label(review.label) if review is not None and review.label else None,
        promoted=review is not None and review.promoted_at is not None,
        thread_ts=thread_ts,
        corrections=dict(review.expected_json or {}) if review is not None else {},
        reasons=_reasons(connection, trace_id),
    )


def _thread(
    connection: Connection, anchor: Row[Any] | None
) -> tuple[tuple[StoredMessage, ...], str]:
    """The messages before ``anchor`` in its thread, oldest first, and the thread's ts."""
    if anchor is None:
        return (), ""
    earlier = connection.execute(
        select(messages)
        .where(
            messages.c.conversation_id == anchor.conversation_id,
            messages.c.id < anchor.id,
        )
        .order_by(messages.c.id.desc())
        .limit(_CONTEXT_MESSAGES)
    ).all()
    thread_ts = connection.execute(
        select(conversations.c.thread_ts).where(conversations.c.id == anchor.conversation_id)
    ).scalar()
    return tuple(from_row(StoredMessage, m) for m in reversed(earlier)), thread_ts or ""


def _approval(connection: Connection, trace_id: str) -> ApprovalOutcome | None:
    """The first approval the turn requested, if any."""
    request = connection.execute(
        select(approvals.c.action, approvals.c.params_json, approvals.c.quorum)
        .where(approvals.c.trace_id == trace_id)
        .order_by(approvals.c.created_at)
    ).first()
    if request is None:
        return None
    return ApprovalOutcome(
        action=request.action,
        params={k: str(v) for k, v in dict(request.params_json or {}).items()},
        required=request.quorum > 0,
    )


def _reasons(connection: Connection, trace_id: str) -> tuple[str, ...]:
    """What the 👎 forms on the turn said went wrong."""
    statement = select(feedback.c.reason).where(
        feedback.c.trace_id == trace_id, feedback.c.reason.is_not(None)
    )
    return tuple(reason for reason in connection.execute(statement).scalars())
