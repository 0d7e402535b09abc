"""The LLM planner: tool calling over an agent's models.

The LLM planner asks the agent's models in order, bounded by step and tool-call caps and by
budgets, and falls back to the rules planner whenever a provider fails, a budget is spent or
the model gives up. A plan never executes anything by itself: a proposed action still goes
through policy and approval. The one exception is a read that needs nobody's approval: it is
run within the turn (as any request for it would be) and its result goes back to the model as
untrusted tool output (:mod:`agents.turns.tool_output`), so that it can check, then decide.
Only what the model writes before its first tool call streams; its answer after one is
checked against the turn's records before anyone sees it (:mod:`agents.turns.grounding`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import structlog

from agents.actions.reads import ReadRequest
from agents.actions.spec import ActionSpec
from agents.kernel.clock import Clock
from agents.kernel.errors import ProviderError
from agents.kernel.models import Inbound, StoredMessage
from agents.llm.budgets import Budgets, Price
from agents.llm.chat import ChatMessage, ChatModel, ChatRequest, Completion, ToolCall
from agents.llm.spending import Spending
from agents.llm.tokens import TokenEstimator, estimate_tokens
from agents.llm.usage import UsageStore
from agents.turns.plan import Plan, PlanInput, Proposal
from agents.turns.profiles import AgentProfile
from agents.turns.rules import RulesPlanner
from agents.turns.tool_output import TOOL_OUTPUT_RULE, tool_message
from agents.turns.tools import parse_arguments, tool_spec

__all__ = ["LlmPlanner"]

log = structlog.get_logger(__name__)

_GUARD = (
    "You are a Switchboard agent in a Slack thread. Answer briefly. To act, call one of your "
    "tools; you cannot run anything yourself and you cannot approve anything: a person "
    "reviews every risky action. If no tool fits, say what you can do instead."
)
_SUMMARY_PROMPT = (
    "Summarise this Slack thread in at most five short lines: what was asked, what was "
    "decided or done, and what is still open. Do not add anything that is not in it."
)
_SUMMARY_INPUT = 12_000  # characters of transcript sent (the newest of the older part)


@dataclass
class _Tally:
    provider: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micros: int = 0
    calls: list[str] = field(default_factory=list)

    def onto(self, plan: Plan) -> Plan:
        """``plan`` with what the model calls so far cost and which tools they called."""
        return replace(
            plan,
            provider=self.provider,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_micros=self.cost_micros,
            tool_calls=tuple(self.calls),
        )


class LlmPlanner:
    """Tool-calling over the agent's providers, within caps and budgets, with fallback."""

    def __init__(
        self,
        models: Mapping[str, ChatModel],
        *,
        usage: UsageStore,
        prices: Mapping[tuple[str, str], Price],
        budgets: Budgets,
        clock: Clock,
        rules: RulesPlanner | None = None,
        estimator: TokenEstimator | None = None,
    ) -> None:
        self._models = models
        self._spending = Spending(usage, prices=prices, budgets=budgets, clock=clock)
        self._clock = clock
        self._rules = rules or RulesPlanner()
        self.estimator = estimator or TokenEstimator()

    async def plan(self, turn: PlanInput) -> Plan:
        """Ask each provider in turn; any failure falls back to the next, then to rules."""
        settings = turn.profile.model
        if settings is None:
            return self._rules.plan(turn.text, turn.actions)
        over = await self._over_budget(turn)
        if over is not None:
            return self._fallback(turn, over, _Tally())
        tally = _Tally()
        reason = "provider_missing"
        for name in settings.providers:
            model = self._models.get(name)
            if model is None:
                continue
            try:
                plan = await self._loop(turn, model, tally)
            except ProviderError as exc:
                reason = f"provider_{exc.kind}"
                tally.calls.append(f"{name}:{exc.kind}")
                log.warning("llm_provider_failed", provider=name, kind=exc.kind)
                continue
            if plan is not None:
                return plan
            reason = "gave_up"
            break
        return self._fallback(turn, reason, tally)

    async def summarize(
        self, inbound: Inbound, profile: AgentProfile, messages: Sequence[StoredMessage]
    ) -> str | None:
        """A short summary of ``messages`` by the agent's first working provider, within its
        budgets; None when it has no model, is over budget, or every provider fails."""
        settings = profile.model
        if settings is None or not messages:
            return None
        turn = PlanInput(inbound, profile.info.name, "", profile, ())
        if await self._over_budget(turn) is not None:
            return None
        transcript = "\n".join(
            f"{'bot' if m.direction == 'out' else m.user_id}: {m.text}" for m in messages
        )
        request = ChatRequest(
            model=settings.model,
            messages=(
                ChatMessage("system", _SUMMARY_PROMPT),
                ChatMessage("user", transcript[-_SUMMARY_INPUT:]),
            ),
            max_tokens=300,
        )
        for name in settings.providers:
            model = self._models.get(name)
            if model is None:
                continue
            try:
                completion = await model.complete(request, on_text=turn.on_text)
            except ProviderError as exc:
                log.warning("llm_summary_failed", provider=name, kind=exc.kind)
                continue
            await self._account(turn, name, completion, _Tally())
            return completion.text.strip() or None
        return None

    def _fallback(self, turn: PlanInput, reason: str, tally: _Tally) -> Plan:
        log.info("planner_degraded", agent=turn.agent, reason=reason)
        return tally.onto(replace(self._rules.plan(turn.text, turn.actions), degraded=reason))

    async def _loop(self, turn: PlanInput, model: ChatModel, tally: _Tally) -> Plan | None:
        settings = turn.profile.model
        assert settings is not None  # checked by plan()
        offered = {action.name: action for action in turn.actions}
        messages = [ChatMessage("system", _system_prompt(turn.profile))]
        reads = turn.reads if any(a.runs_at_once for a in turn.actions) else None
        if reads is not None:
            messages.append(ChatMessage("system", TOOL_OUTPUT_RULE))
        if turn.facts:
            pinned = "\n".join(f"- {fact}" for fact in turn.facts)
            messages.append(ChatMessage("system", f"Facts pinned in this thread:\n{pinned}"))
        if turn.notes:
            remembered = "\n".join(f"- {note.text}" for note in turn.notes)
            messages.append(
                ChatMessage("system", f"Notes the team asked you to keep:\n{remembered}")
            )
        if turn.summary:
            earlier = f"Earlier in this thread (summary):\n{turn.summary}"
            messages.append(ChatMessage("system", earlier))
        if turn.viewing:
            where = f"The person is looking at channel <#{turn.viewing}> beside this chat."
            messages.append(ChatMessage("system", where))
        messages += [_as_message(m) for m in turn.history]
        messages.append(ChatMessage("user", turn.text))
        tools = tuple(tool_spec(action) for action in turn.actions)
        used = 0
        sink = turn.on_text
        for _ in range(settings.max_steps):
            request = ChatRequest(
                model=settings.model,
                messages=tuple(messages),
                tools=tools,
                max_tokens=settings.max_tokens,
                temperature=settings.temperature,
            )
            completion = await model.complete(request, on_text=sink)
            self.estimator.observe(
                estimated=_estimated_input(request), reported=completion.usage.input_tokens
            )
            await self._account(turn, model.name, completion, tally)
            if not completion.tool_calls:
                text = completion.text.strip()
                return self._done(tally, text=text or None) if text else None
            messages.append(ChatMessage("assistant", completion.text, completion.tool_calls))
            sink = None  # after a tool call, the answer is checked before anyone sees it
            for call in completion.tool_calls:
                used += 1
                if used > settings.max_tool_calls:
                    tally.calls.append(f"{call.name}:over_cap")
                    return None
                proposal, error = _check_call(call, offered)
                if proposal is not None and reads is not None and proposal.action.runs_at_once:
                    asked = ReadRequest(
                        turn.inbound, proposal.action, proposal.values, agent=turn.agent
                    )
                    result = await reads.run(asked, wait=settings.tool_wait)
                    tally.calls.append(f"{call.name}:read_{result.status}")
                    messages.append(ChatMessage("tool", tool_message(result), tool_call_id=call.id))
                    continue
                if proposal is not None:
                    tally.calls.append(f"{call.name}:proposed")
                    return self._done(tally, proposal=proposal)
                tally.calls.append(f"{call.name}:{error[0]}")
                messages.append(ChatMessage("tool", f"error: {error[1]}", tool_call_id=call.id))
        return None

    @staticmethod
    def _done(tally: _Tally, *, text: str | None = None, proposal: Proposal | None = None) -> Plan:
        return tally.onto(Plan("llm", text=text, proposal=proposal))

    async def _account(
        self, turn: PlanInput, provider: str, completion: Completion, tally: _Tally
    ) -> None:
        model = turn.profile.model.model if turn.profile.model else ""
        cost = await self._spending.record(
            turn.inbound, provider, completion, fallback=model, agent=turn.agent
        )
        tally.provider = provider
        tally.input_tokens += completion.usage.input_tokens
        tally.output_tokens += completion.usage.output_tokens
        tally.cost_micros += cost

    async def _over_budget(self, turn: PlanInput) -> str | None:
        return await self._spending.over_budget(
            turn.inbound, agent=turn.agent, agent_limit=turn.profile.daily_budget_micros
        )


def _estimated_input(request: ChatRequest) -> int:
    """The uncalibrated estimate of a request's input tokens (messages and tool schemas)."""
    messages = sum(estimate_tokens(m.content) for m in request.messages)
    tools = sum(
        estimate_tokens(json.dumps(dict(t.parameters)) + t.description) for t in request.tools
    )
    return messages + tools


def _system_prompt(profile: AgentProfile) -> str:
    own = profile.system_prompt.strip() or profile.info.description
    return f"{_GUARD}\n\n{own}" if own else _GUARD


def _as_message(message: StoredMessage) -> ChatMessage:
    return ChatMessage("user" if message.direction == "in" else "assistant", message.text)


def _check_call(
    call: ToolCall, offered: Mapping[str, ActionSpec]
) -> tuple[Proposal | None, tuple[str, str]]:
    action = offered.get(call.name)
    if action is None:
        return None, (
            "refused_scope",
            f"tool {call.name!r} is not available; use one of: {', '.join(offered) or 'none'}",
        )
    values, problem = parse_arguments(action, call.arguments)
    if values is None:
        return None, ("invalid_args", problem)
    return Proposal(action, values), ("proposed", "")
