"""Slack wording of domain results that are answered as replies (mentions, dates, lists).

The domain hands over values; how they read in Slack is decided here.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.actions.approval import Approval
from agents.actions.canonical import short_digest
from agents.actions.ports import ApprovalNews
from agents.actions.spec import ParamValue
from agents.kernel.models import Reply, ReplyItem
from handlers.approval_blocks import code

__all__ = ["SlackApprovalsView", "approval_note", "outcome_word", "pending_approvals"]


def pending_approvals(approvals: Sequence[Approval]) -> Reply:
    """The ``/ops approvals`` answer: each request with who asked, votes and expiry."""
    if not approvals:
        return Reply(text="Nothing is waiting for your approval.")
    items = tuple(
        ReplyItem(
            f"{approval.action} " + " ".join(f"{k}={v}" for k, v in approval.params.items()),
            f"asked by <@{approval.requester}>, {len(approval.approvals)}/{approval.quorum}"
            f" approvals, expires {approval.expires_at:%Y-%m-%d %H:%M} UTC",
        )
        for approval in approvals
    )
    return Reply(
        text=f"{len(approvals)} request(s) waiting:", title="Pending approvals", items=items
    )


class SlackApprovalsView:
    """The domain's ``ApprovalsView`` port, worded for Slack."""

    def pending(self, approvals: Sequence[Approval]) -> Reply:
        """See :func:`pending_approvals`."""
        return pending_approvals(approvals)


_RESULT = {"succeeded": "succeeded", "failed": "failed", "unknown": "outcome unknown"}


def outcome_word(approval: Approval) -> str:
    """How a finished run's outcome reads (``succeeded``, ``failed``, ``outcome unknown``)."""
    return _RESULT.get(approval.state, approval.state)


def approval_note(approval: Approval, news: ApprovalNews | None) -> str | None:
    """What the request's thread is told of ``news`` (None: nothing to say, the card alone
    changes: a vote short of the quorum, an approval by policy)."""
    if news is None:
        return None
    if news.kind == "voted":
        return _vote_note(approval, news.actor)
    if news.kind == "edited":
        return _edit_note(approval, news)
    if news.kind == "expired":
        return "This request expired unapproved."
    if news.kind == "action_changed":
        return (
            f":warning: <@{approval.requester}> `{approval.action}` was not run: {approval.result}"
        )
    outcome = outcome_word(approval)
    return f"<@{approval.requester}> `{approval.action}` {outcome}: {approval.result}"


def _shown(value: ParamValue | None) -> str:
    return "_(none)_" if value is None else code(str(value))


def _edit_note(approval: Approval, news: ApprovalNews) -> str:
    """Who edited, that votes were reset, and each changed parameter before → after (with
    the action digest before → after)."""
    lines = [f"<@{news.actor}> changed the parameters; approvals so far were reset."]
    before = news.before
    if before is None:
        return lines[0]
    old, new = before.params, approval.params
    for name in dict.fromkeys([*old, *new]):
        if old.get(name) != new.get(name):
            lines.append(f"• *{name}*: {_shown(old.get(name))} → {_shown(new.get(name))}")
    if before.digest is not None and approval.digest is not None:
        lines.append(
            f"Action digest `{short_digest(before.digest)}` → `{short_digest(approval.digest)}`"
        )
    return "\n".join(lines)


_VOTE_NOTES: dict[str, str] = {
    "approved": "<@{voter}> approved. Running `{action}` now.",
    "rejected": "<@{voter}> rejected `{action}`: {reason}",
    "cancelled": "<@{voter}> cancelled the request.",
}
"""The thread's note on a vote that decided a request, by the state it left (none while
the request still waits for votes)."""


def _vote_note(approval: Approval, voter: str) -> str | None:
    note = _VOTE_NOTES.get(approval.state)
    return note and note.format(voter=voter, action=approval.action, reason=approval.reason)
