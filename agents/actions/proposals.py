"""Proposing an action: policy first, then the parameters, then a card, a question, or a run.

A proposal that passes policy and validation becomes a stored ``pending`` approval (with its
``requested`` audit entry and the digest of its canonical action); one that needs nobody's
approval is approved at once. A read-only
request answered moments ago is answered from the read cache instead.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass

from agents.actions.approval import Approval, AutoApprove, Refusal
from agents.actions.canonical import TargetResolver, canonical_action
from agents.actions.catalog import ActionCatalog
from agents.actions.policy import Auto, Denied, decide
from agents.actions.read_cache import ReadCache
from agents.actions.spec import ActionSpec, ParamValue, validate_params
from agents.actions.transitions import SYSTEM_ACTOR, Transitions, digest_details
from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, PendingAction, Reply

__all__ = ["Proposals"]

_ASSIGNMENT = re.compile(r"([a-z_][a-z0-9_]*)\s*=\s*(\S+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Proposals:
    """Turns a request for an action into a card, a question, a refusal, or a run."""

    catalog: ActionCatalog
    transitions: Transitions
    _: KW_ONLY
    clock: Clock
    targets: TargetResolver
    read_cache: ReadCache | None = None

    async def propose(
        self, inbound: Inbound, *, action: ActionSpec, raw: Mapping[str, ParamValue]
    ) -> Reply:
        """Ask for ``action`` with the raw values given: a card, a question, or a refusal."""
        person = await self.catalog.person(inbound.user_id, inbound.channel_id)
        decision = decide(action, person)
        if isinstance(decision, Denied):
            await self.transitions.audit(
                "refused",
                person.user_id,
                action.name,
                trace=inbound.trace_id,
                details={"reason": decision.reason},
            )
            return Reply(text=decision.reason)
        values, missing, errors = validate_params(action, raw)
        if errors:
            return Reply(text=f"I can't run `{action.name}`: " + "; ".join(errors) + ".")
        if missing:
            return _ask_for(action, raw, missing, requester=inbound.user_id)
        cached = self._cached(action, values)
        if cached is not None:
            return cached
        approval = self._new_approval(inbound, action, values, auto=isinstance(decision, Auto))
        requested = self.transitions.entry(
            "requested",
            inbound.user_id,
            approval,
            details=digest_details(values, digest=approval.digest),
        )
        await self.transitions.stores.approvals.create(approval, audit=requested)
        if approval.quorum == 0:
            approved = await self.transitions.apply(approval, AutoApprove(), actor=SYSTEM_ACTOR)
            if isinstance(approved, Refusal):  # pragma: no cover - quorum 0 always applies
                return Reply(text=approved.reason)
            await self.transitions.notify(approved)
            return Reply(text=f"Running `{action.name}` now.", approval_id=approval.id)
        return Reply(text=f"`{action.name}` needs approval.", approval_id=approval.id)

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

    def _cached(self, action: ActionSpec, values: Mapping[str, ParamValue]) -> Reply | None:
        """A fresh enough result of the same read-only request, if one is cached."""
        if self.read_cache is None or action.risk != "read" or action.needs_approval:
            return None
        found = self.read_cache.get(action.name, values)
        if found is None:
            return None
        age = int((self.clock.now() - found.at).total_seconds())
        shown = " ".join(f"{k}={v}" for k, v in values.items())
        return Reply(text=f"`{action.name}` {shown}: {found.summary} (checked {age}s ago)")

    def _new_approval(
        self,
        inbound: Inbound,
        action: ActionSpec,
        values: Mapping[str, ParamValue],
        *,
        auto: bool,
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
        )


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
