"""Proposing an action: policy first, then the parameters, then a card, a question, or a run.

A proposal that passes policy and validation becomes a stored ``pending`` approval (with its
``requested`` audit entry and the digest of its canonical action); one that needs nobody's
approval is approved at once. A read-only
request answered moments ago in the same channel is answered from the read cache instead,
with the output it showed then. :meth:`Proposals.start_read` is the same path for a turn that
runs a read itself and waits for its result (:mod:`agents.actions.reads`).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Literal

from agents.actions.approval import Approval, AutoApprove, Refusal
from agents.actions.canonical import TargetResolver, canonical_action
from agents.actions.catalog import ActionCatalog
from agents.actions.policy import Auto, Denied, decide
from agents.actions.presentation import RunOutput
from agents.actions.read_cache import CachedResult, ReadCache, Where
from agents.actions.scopes import AgentScopes
from agents.actions.spec import ActionSpec, ParamValue, validate_params
from agents.actions.transitions import SYSTEM_ACTOR, Transitions, digest_details
from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, PendingAction, Reply, ReplyItem

__all__ = ["Proposals", "RequestOutcome", "Requested"]

_ASSIGNMENT = re.compile(r"([a-z_][a-z0-9_]*)\s*=\s*(\S+)", re.IGNORECASE)

RequestOutcome = Literal["denied", "invalid", "asked", "cached", "started", "proposed"]
"""What became of a request: refused by policy, refused for its parameters, a question for a
missing one, answered from the read cache, approved at once (its job queued), or a
``pending`` approval waiting for its approvers."""


@dataclass(frozen=True, slots=True)
class Requested:
    """A request's reply and what the records say became of it.

    Attributes:
        values: the validated values (empty when they did not validate).
        quorum: approvals still needed (``proposed`` only).
    """

    reply: Reply
    outcome: RequestOutcome
    values: Mapping[str, ParamValue]
    quorum: int = 0


@dataclass(frozen=True, slots=True)
class Proposals:
    """Turns a request for an action into a card, a question, a refusal, or a run."""

    catalog: ActionCatalog
    transitions: Transitions
    _: KW_ONLY
    clock: Clock
    targets: TargetResolver
    read_cache: ReadCache | None = None
    scopes: AgentScopes | None = None
    """Which agent may use which action; None: no agent's scope is checked."""

    async def propose(
        self, inbound: Inbound, *, action: ActionSpec, raw: Mapping[str, ParamValue]
    ) -> Reply:
        """Ask for ``action`` with the raw values given: a card, a question, or a refusal."""
        return (await self.request(inbound, action=action, raw=raw)).reply

    async def request(
        self,
        inbound: Inbound,
        *,
        action: ActionSpec,
        raw: Mapping[str, ParamValue],
        agent: str | None = None,
    ) -> Requested:
        """:meth:`propose`, saying also what became of the request (for the turn's record).

        Args:
            agent: the agent proposing it: refused unless ``action`` is in its scope, and
                remembered on the request so the worker checks again before the run.
        """
        admitted = await self._admit(inbound, action, raw, agent=agent)
        if isinstance(admitted, Requested):
            return admitted
        values, auto = admitted
        cached = self._cached(inbound, action, values)
        if cached is not None:
            return Requested(
                _cached_reply(action, values, cached, now=self.clock.now()), "cached", values
            )
        approval = await self._request(
            self._new_approval(inbound, action, values, auto=auto, agent=agent)
        )
        if isinstance(approval, Refusal):  # pragma: no cover - quorum 0 always applies
            return Requested(Reply(text=approval.reason), "denied", {})
        if approval.quorum == 0:
            running = Reply(text=f"Running `{action.name}` now.", approval_id=approval.id)
            return Requested(running, "started", values)
        waiting = Reply(text=f"`{action.name}` needs approval.", approval_id=approval.id)
        return Requested(waiting, "proposed", values, quorum=approval.quorum)

    async def start_read(
        self,
        inbound: Inbound,
        *,
        action: ActionSpec,
        raw: Mapping[str, ParamValue],
        agent: str | None = None,
    ) -> Reply | CachedResult | Approval:
        """Ask for a read that runs at once, for a turn that waits for its result: why it
        cannot run (a refusal or a question, as a reply), the result cached for this channel,
        or the request approved by policy (its job queued)."""
        admitted = await self._admit(inbound, action, raw, agent=agent)
        if isinstance(admitted, Requested):
            return admitted.reply
        values, auto = admitted
        if not (auto and action.runs_at_once):
            return Reply(text=f"`{action.name}` needs approval; it cannot run inside a turn.")
        cached = self._cached(inbound, action, values)
        if cached is not None:
            return cached
        approved = await self._request(
            self._new_approval(inbound, action, values, auto=True, agent=agent)
        )
        if isinstance(approved, Refusal):  # pragma: no cover - quorum 0 always applies
            return Reply(text=approved.reason)
        return approved

    async def _admit(
        self,
        inbound: Inbound,
        action: ActionSpec,
        raw: Mapping[str, ParamValue],
        *,
        agent: str | None,
    ) -> tuple[dict[str, ParamValue], bool] | Requested:
        """Scope and policy, then the values: ``(values, runs without approval)``, or the
        refusal or question to answer with (a refusal by scope or policy is audited)."""
        person = await self.catalog.person(inbound.user_id, inbound.channel_id)
        decision = decide(action, person)
        if agent is not None and self.scopes is not None and not self.scopes.allows(agent, action):
            decision = Denied(f"`{action.name}` is not in the scope of agent `{agent}`.")
        if isinstance(decision, Denied):
            await self.transitions.audit(
                "refused",
                person.user_id,
                action.name,
                trace=inbound.trace_id,
                details={"reason": decision.reason},
            )
            return Requested(Reply(text=decision.reason), "denied", {})
        values, missing, errors = validate_params(action, raw)
        if errors:
            text = f"I can't run `{action.name}`: " + "; ".join(errors) + "."
            return Requested(Reply(text=text), "invalid", {})
        if missing:
            return Requested(
                _ask_for(action, raw, missing, requester=inbound.user_id), "asked", values
            )
        return values, isinstance(decision, Auto)

    async def _request(self, approval: Approval) -> Approval | Refusal:
        """Store the request (and its ``requested`` entry); one that needs nobody's approval
        is approved by policy at once (its job queued) and Slack told."""
        requested = self.transitions.entry(
            "requested",
            approval.requester,
            approval,
            details=digest_details(approval.params, digest=approval.digest),
        )
        await self.transitions.stores.approvals.create(approval, audit=requested)
        if approval.quorum != 0:
            return approval
        approved = await self.transitions.apply(approval, AutoApprove(), actor=SYSTEM_ACTOR)
        if not isinstance(approved, Refusal):
            await self.transitions.notify(approved)
        return approved

    async def fill(self, inbound: Inbound, pending: PendingAction) -> Reply | None:
        """Complete a pending action with this reply (``name=value`` pairs or one bare value).

        Returns None when the action no longer exists (the config changed).
        """
        action = self.catalog.action(pending.action)
        if action is None:
            return None
        raw: dict[str, ParamValue] = dict(pending.values)
        pairs = _ASSIGNMENT.findall(inbound.text)
        if pairs:
            raw.update({name: value for name, value in pairs})
        elif inbound.text.strip():
            raw[pending.missing[0]] = inbound.text.strip()
        return await self.propose(inbound, action=action, raw=raw)

    def _cached(
        self, inbound: Inbound, action: ActionSpec, values: Mapping[str, ParamValue]
    ) -> CachedResult | None:
        """A fresh enough result of the same read-only request in this channel, if cached."""
        if self.read_cache is None or not action.runs_at_once:
            return None
        return self.read_cache.get(Where(inbound.team_id, inbound.channel_id), action.name, values)

    def _new_approval(
        self,
        inbound: Inbound,
        action: ActionSpec,
        values: Mapping[str, ParamValue],
        *,
        auto: bool,
        agent: str | None,
    ) -> Approval:
        now = self.clock.now()
        policy = action.approval
        return Approval(
            id=uuid.uuid4().hex,
            token=secrets.token_urlsafe(32),  # 256 bits: the only thing a button carries
            action=action.name,
            params=dict(values),
            requester=inbound.user_id,
            team_id=inbound.team_id,
            channel_id=inbound.channel_id,
            thread_ts=inbound.thread_ts or (inbound.ts or None),
            trace_id=inbound.trace_id,
            idempotency_key=uuid.uuid4().hex,
            quorum=0 if auto else max(policy.quorum, 1),
            self_approval=policy.allow_self_approval and action.risk != "dangerous",
            created_at=now,
            expires_at=now + policy.expires_after,
            canonical=canonical_action(action, values, targets=self.targets),
            agent=agent,
        )


def _cached_reply(
    action: ActionSpec, values: Mapping[str, ParamValue], cached: CachedResult, *, now: datetime
) -> Reply:
    """A cached read's answer: what it said, and how long ago (its fields as items)."""
    age = int((now - cached.at).total_seconds())
    shown = " ".join(f"{k}={v}" for k, v in values.items())
    output = cached.output
    if output is None:
        return Reply(text=f"`{action.name}` {shown}: {cached.summary} (checked {age}s ago)")
    heading = f"`{action.name}` {shown} (checked {age}s ago; {cached.summary})"
    if output.fields:
        items = tuple(ReplyItem(label, _chat_safe(value)) for label, value in output.fields)
        return Reply(text=heading, items=items)
    return Reply(text=f"{heading}:\n{_quoted(output)}")


def _quoted(output: RunOutput) -> str:
    """Output text as a block of data (JSON and raw text as code), safe to post."""
    text = _chat_safe(output.text)
    if output.kind in ("json", "text"):
        return "```" + text.replace("```", "` ` `") + "```"
    return text


def _chat_safe(text: str) -> str:
    """Untrusted text with ``&``, ``<`` and ``>`` escaped, so that it can mention, link or
    ping nobody when the edge posts it as Slack mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ask_for(
    action: ActionSpec,
    raw: Mapping[str, ParamValue],
    missing: Sequence[str],
    *,
    requester: str,
) -> Reply:
    """The question for the first missing parameter, keeping what was given so far."""
    spec = action.param(missing[0])
    hint = ""
    if spec is not None and spec.choices:
        hint = f" ({', '.join(spec.choices)})"
    elif spec is not None and spec.description:
        hint = f" ({spec.description})"
    others = f" I will also need: {', '.join(missing[1:])}." if len(missing) > 1 else ""
    return Reply(
        text=f"To run `{action.name}` I need *{missing[0]}*{hint}. Reply in this thread.{others}",
        pending=PendingAction(
            action=action.name,
            values=tuple((k, str(v)) for k, v in raw.items()),
            missing=tuple(missing),
            requester=requester,
        ),
    )
