"""Policy: may this person run this action, does it need approval, may this person approve.

Identity is the Slack user id and the user groups Slack says the user belongs to (resolved at
the edge through ``usergroups.users.list``), never a display name or anything in the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.actions.spec import ActionSpec, ApprovalPolicy, Audience

__all__ = [
    "Auto",
    "Decision",
    "Denied",
    "NeedsApproval",
    "Person",
    "decide",
    "may_approve",
    "may_request",
]


@dataclass(frozen=True, slots=True)
class Person:
    """Someone acting in Slack: their user id, the groups they belong to, where they are."""

    user_id: str
    groups: frozenset[str] = frozenset()
    channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class Auto:
    """Run at once."""


@dataclass(frozen=True, slots=True)
class NeedsApproval:
    """Run only once the policy's approvers have approved."""

    policy: ApprovalPolicy


@dataclass(frozen=True, slots=True)
class Denied:
    """Not allowed; ``reason`` is written for the person who asked."""

    reason: str


Decision = Auto | NeedsApproval | Denied


def _in_people(person: Person, audience: Audience) -> bool:
    return person.user_id in audience.users or bool(person.groups & audience.groups)


def may_request(action: ActionSpec, person: Person) -> bool:
    """Whether ``person`` may ask for ``action`` (an empty requester list means anyone)."""
    audience = action.requesters
    if (audience.users or audience.groups) and not _in_people(person, audience):
        return False
    return not audience.channels or person.channel_id in audience.channels


def decide(action: ActionSpec, person: Person) -> Decision:
    """Auto, NeedsApproval or Denied for ``person`` asking to run ``action``."""
    if not may_request(action, person):
        return Denied(f"You are not allowed to run `{action.name}`.")
    if not action.needs_approval:
        return Auto()
    approvers = action.approval.approvers
    if not (approvers.users or approvers.groups):
        return Denied(f"`{action.name}` needs approval but has no approvers configured.")
    return NeedsApproval(action.approval)


def is_approver(action: ActionSpec, person: Person) -> bool:
    """Whether ``person`` is one of the action's approvers (by user id or user group)."""
    return _in_people(person, action.approval.approvers)


def may_approve(action: ActionSpec, person: Person, *, requester: str) -> str | None:
    """None if ``person`` may vote on a request for ``action`` made by ``requester``.

    Returns:
        The reason, written for ``person``, when they may not.
    """
    if not is_approver(action, person):
        return f"You are not an approver for `{action.name}`."
    self_allowed = action.approval.allow_self_approval and action.risk != "dangerous"
    if person.user_id == requester and not self_allowed:
        return "You asked for this action, so someone else has to approve it."
    return None
