"""Slack wording of domain results that are answered as replies (mentions, dates, lists).

The domain hands over values; how they read in Slack is decided here.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.actions.approval import Approval
from agents.kernel.models import Reply, ReplyItem

__all__ = ["SlackApprovalsView", "pending_approvals"]


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
