"""Deciding on a request: the clicks on its card (approve, reject, cancel, edit) and who may.

Every check is made here, server-side: the click must be on the request's own card (the
channel and message its button's token belongs to), the clicker must be an approver (by Slack
user id or user group), the requester may not approve their own high-risk request, and a click
on a card from before an edit is refused. A refusal is a return value written for the clicker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import structlog

from agents.actions.approval import (
    Approval,
    ApprovalEvent,
    Approve,
    Cancel,
    EditParams,
    Refusal,
    Reject,
)
from agents.actions.canonical import TargetResolver, canonical_action
from agents.actions.catalog import ActionCatalog
from agents.actions.policy import Denied, Person, decide, is_approver, may_approve
from agents.actions.ports import ApprovalNews
from agents.actions.spec import ActionSpec, validate_params
from agents.actions.transitions import DIGEST_KEY, Transitions, digest_details
from agents.kernel.redaction import redact

__all__ = ["ClickSite", "Decisions", "VoteKind", "VoteOutcome"]

log = structlog.get_logger(__name__)

VoteKind = Literal["approve", "reject", "cancel"]
_UNKNOWN_BUTTON = "This button does not belong to any request I know."
MISPLACED_BUTTON = (
    "This button does not belong to the request on this card, so nothing was counted. "
    "Vote on the request's own card."
)


@dataclass(frozen=True, slots=True)
class ClickSite:
    """Where a button was clicked: the channel and ts of the message holding it (None when
    it was not a channel message, e.g. a view), and the workspace of the person who clicked
    (None: not known, as in tests of the domain alone)."""

    channel_id: str | None
    message_ts: str | None
    team_id: str | None = None


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    """The result of a click: the approval after it, or why nothing changed."""

    approval: Approval | None
    refusal: str | None = None


class Decisions:
    """Votes, edits and the requests waiting on a person."""

    def __init__(
        self, catalog: ActionCatalog, transitions: Transitions, *, targets: TargetResolver
    ) -> None:
        self._catalog = catalog
        self._transitions = transitions
        self._targets = targets

    async def approval(self, approval_id: str) -> Approval | None:
        """The stored approval with this id."""
        return await self._transitions.stores.approvals.get(approval_id)

    async def card_posted(self, approval_id: str, ts: str) -> None:
        """Remember where the approval's card is, so later transitions update it."""
        await self._transitions.stores.approvals.set_message_ts(approval_id, ts)

    async def vote(
        self,
        token: str,
        *,
        user_id: str,
        site: ClickSite,
        kind: VoteKind,
        reason: str | None = None,
        seen_edits: int | None = None,
    ) -> VoteOutcome:
        """Apply a click (approve, reject, cancel) by ``user_id`` at ``site`` on a button
        carrying ``token``.

        ``seen_edits`` is the edit round the clicked card showed: a click on a card from
        before the parameters were edited is refused (the voter never saw the new ones).
        """
        found = await self._request(token, user_id=user_id, site=site, attempted=kind)
        if isinstance(found, VoteOutcome):
            return found
        approval, action = found
        channel_id = site.channel_id
        if seen_edits is not None and seen_edits != approval.edits and approval.state == "pending":
            return VoteOutcome(
                approval, "The parameters were changed since this card was shown; vote again."
            )
        if kind != "cancel":
            person = await self._catalog.person(user_id, channel_id)
            refusal = may_approve(action, person, requester=approval.requester)
            if refusal is not None:
                await self._transitions.audit(
                    "refused",
                    user_id,
                    action.name,
                    approval=approval,
                    details={"attempted": kind, "reason": refusal},
                )
                return VoteOutcome(approval, refusal)
        event: ApprovalEvent
        if kind == "approve":
            event = Approve(user_id)
        elif kind == "reject":
            # The reason is shown on the card and in the thread, and stored: never a secret.
            event = Reject(user_id, redact((reason or "").strip()) or "no reason given")
        else:
            event = Cancel(user_id)
        after = await self._transitions.apply(approval, event, actor=user_id)
        if isinstance(after, Refusal):
            return VoteOutcome(approval, after.reason)
        await self._transitions.notify(after, news=ApprovalNews("voted", user_id))
        return VoteOutcome(after)

    async def may_decide(
        self, token: str, *, user_id: str, site: ClickSite, attempted: str
    ) -> VoteOutcome:
        """Whether ``user_id`` may vote on (or edit) the pending request behind ``token``,
        clicked at ``site`` (``attempted``: what the form would do, for the audit trail).

        Used before opening a modal, so a person who may not decide gets an explanation
        instead of a form.
        """
        found = await self._request(token, user_id=user_id, site=site, attempted=attempted)
        if isinstance(found, VoteOutcome):
            return found
        approval, action = found
        if approval.state != "pending":
            return VoteOutcome(approval, f"This request is already {approval.state}.")
        return await self._not_approver(approval, action, user_id, site.channel_id) or VoteOutcome(
            approval
        )

    async def edit(
        self, token: str, *, user_id: str, site: ClickSite, raw: Mapping[str, str]
    ) -> VoteOutcome:
        """An approver changes the parameters: re-validated, re-checked, the canonical action
        and its digest recomputed, votes reset; the thread is shown before and after."""
        found = await self._request(token, user_id=user_id, site=site, attempted="edit")
        if isinstance(found, VoteOutcome):
            return found
        approval, action = found
        channel_id = site.channel_id
        refusal = await self._not_approver(approval, action, user_id, channel_id)
        if refusal is not None:
            return refusal
        values, missing, errors = validate_params(action, raw)
        if errors or missing:
            problems = errors + [f"{name} is required" for name in missing]
            return VoteOutcome(approval, "Not changed: " + "; ".join(problems) + ".")
        requester = await self._catalog.person(approval.requester, approval.channel_id)
        if isinstance(decide(action, requester), Denied):
            return VoteOutcome(approval, "Not changed: the requester may not run it that way.")
        canonical = canonical_action(action, values, targets=self._targets)
        details = digest_details(values, digest=canonical.digest)
        if approval.digest is not None:
            details[f"previous-{DIGEST_KEY}"] = approval.digest
        after = await self._transitions.apply(
            approval, EditParams(user_id, canonical), actor=user_id, details=details
        )
        if isinstance(after, Refusal):
            return VoteOutcome(approval, after.reason)
        await self._transitions.notify(after, news=ApprovalNews("edited", user_id, before=approval))
        return VoteOutcome(after)

    async def pending_for(self, person: Person, *, team_id: str) -> list[Approval]:
        """Pending requests ``person`` may approve or has asked for."""
        waiting = []
        stored = await self._transitions.stores.approvals.pending(team_id=team_id, limit=200)
        for approval in stored:
            action = self._catalog.action(approval.action)
            if action is None:
                continue
            if (
                approval.requester == person.user_id
                or may_approve(action, person, requester=approval.requester) is None
            ):
                waiting.append(approval)
        return waiting

    async def _request(
        self, token: str, *, user_id: str, site: ClickSite, attempted: str
    ) -> tuple[Approval, ActionSpec] | VoteOutcome:
        """The request behind a button's token and its action, or why the click counts for
        nothing: no such request, a click away from its card, an action no longer configured."""
        approval = await self._transitions.stores.approvals.by_token(token)
        if approval is None:
            return VoteOutcome(None, _UNKNOWN_BUTTON)
        misplaced = await self._misplaced(approval, site)
        if misplaced is not None:
            log.warning(
                "approval_click_misplaced",
                approval_id=approval.id,
                attempted=attempted,
                why=misplaced,
                clicked_channel=site.channel_id,
                clicked_ts=site.message_ts,
            )
            await self._transitions.audit(
                "refused",
                user_id,
                approval.action,
                approval=approval,
                details={
                    "attempted": attempted,
                    "reason": MISPLACED_BUTTON,
                    "why": misplaced,
                    "clicked_channel": site.channel_id or "",
                    "clicked_ts": site.message_ts or "",
                },
            )
            return VoteOutcome(None, MISPLACED_BUTTON)
        action = self._catalog.action(approval.action)
        if action is None:
            return VoteOutcome(approval, f"The action `{approval.action}` is no longer configured.")
        return approval, action

    async def _misplaced(self, approval: Approval, site: ClickSite) -> str | None:
        """Why a click at ``site`` is not on ``approval``'s card, or None when it is.

        The card is the one message the request was posted as (its channel and ``message_ts``);
        no other surface carries its buttons. Until that ts is recorded (the moment between
        the post and its record, or a crash between them) a click in the request's channel
        counts unless its message is recorded as another request's card.

        The reason depends only on where the click was made, never on whether this request's
        ts is recorded yet: a person can click within milliseconds of the card appearing, so
        the same click gets the same refusal and the same audited ``why`` in either order.
        """
        if site.team_id and site.team_id != approval.team_id:
            # a channel shared between workspaces (Slack Connect) shows the card to both;
            # only the requester's workspace decides
            return "another workspace"
        if not site.channel_id or site.channel_id != approval.channel_id:
            return "another channel"
        if not site.message_ts:
            return "no message"
        if site.message_ts == approval.message_ts:
            return None
        other = await self._transitions.stores.approvals.by_card(site.channel_id, site.message_ts)
        if other is not None:
            return None if other.id == approval.id else "another request's card"
        return None if approval.message_ts is None else "another message"

    async def _not_approver(
        self, approval: Approval, action: ActionSpec, user_id: str, channel_id: str | None
    ) -> VoteOutcome | None:
        """A refusal when ``user_id`` is not one of the action's approvers, else None."""
        if is_approver(action, await self._catalog.person(user_id, channel_id)):
            return None
        return VoteOutcome(approval, f"You are not an approver for `{action.name}`.")
