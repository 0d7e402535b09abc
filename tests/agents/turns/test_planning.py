"""Planners: the rules planner matches formats and action names; the LLM planner proposes
through tools within caps and budgets and falls back to rules on every failure."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from agents.actions.spec import ActionSpec, ExecutorInfo, ParamSpec
from agents.kernel.models import AgentInfo, Inbound, StoredMessage
from agents.llm.budgets import Budgets, Price
from agents.llm.usage import UsageRecord
from agents.turns.llm_planner import LlmPlanner
from agents.turns.plan import PlanInput, degraded_note
from agents.turns.profiles import AgentProfile, ModelSettings
from agents.turns.rules import RulesPlanner
from tests.agents.fakes import FakeClock
from tests.agents.fakes_llm import ScriptedModel, called, failing, said
from tests.agents.fakes_usage import MemoryUsage

SCALE = ActionSpec(
    name="scale",
    agent="deploy",
    description="Scale a service",
    risk="write",
    executor=ExecutorInfo("http", "api:80"),
    params=(
        ParamSpec("service", kind="enum", choices=("api", "web")),
        ParamSpec("replicas", kind="int", minimum=1, maximum=20),
    ),
    formats=("scale {service} to {replicas}",),
)
ROLLBACK = ActionSpec(
    name="rollback",
    agent="deploy",
    description="Roll back",
    risk="dangerous",
    executor=ExecutorInfo("http", "api:80"),
    params=(ParamSpec("service", kind="enum", choices=("api", "web")),),
    formats=("rollback {service}",),
)
PROFILE = AgentProfile(
    info=AgentInfo("deploy", "Deploys things."),
    system_prompt="You deploy services.",
    model=ModelSettings(providers=("primary", "backup"), model="m1", max_steps=3),
)
PRICES = {("primary", "m1"): Price(1.0, 2.0), ("backup", "m1"): Price(1.0, 2.0)}


def _inbound(text: str = "please scale api to 3") -> Inbound:
    return Inbound(
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        text=text,
        source="mention",
        event_id="Ev1",
        trace_id="trace-1",
        received_at=FakeClock().now(),
        ts="1.1",
        thread_ts="1.1",
    )


def _turn(text: str = "please scale api to 3", profile: AgentProfile = PROFILE) -> PlanInput:
    return PlanInput(_inbound(text), "deploy", text, profile, (SCALE, ROLLBACK))


def _planner(
    *models: ScriptedModel, usage: MemoryUsage | None = None, budgets: Budgets | None = None
) -> tuple[LlmPlanner, MemoryUsage, FakeClock]:
    usage = usage or MemoryUsage()
    clock = FakeClock()
    planner = LlmPlanner(
        {m.name: m for m in models},
        usage=usage,
        prices=PRICES,
        budgets=budgets or Budgets(),
        clock=clock,
    )
    return planner, usage, clock


def test_rules_planner_matches_a_command_format() -> None:
    """`scale api to 3` is the scale action with its raw values."""
    plan = RulesPlanner().plan("scale api to 3", (SCALE, ROLLBACK))
    assert plan.proposal is not None
    assert (plan.proposal.action.name, dict(plan.proposal.values)) == (
        "scale",
        {"service": "api", "replicas": "3"},
    )


def test_rules_planner_takes_an_action_name_with_assignments() -> None:
    """`scale service=web` names the action; missing values are asked for later."""
    plan = RulesPlanner().plan("scale service=web", (SCALE,))
    assert plan.proposal is not None and dict(plan.proposal.values) == {"service": "web"}


def test_rules_planner_gives_bare_words_to_the_parameters_that_accept_them() -> None:
    """`scale web 4` and `scale web to 4`: each word goes to the first open parameter that
    accepts it (an enum's choice, an int in range); small words are skipped; a word no
    parameter accepts is left out, so the action asks for what is still missing."""
    for text in ("scale web 4", "scale web to 4", "scale 4 web"):
        plan = RulesPlanner().plan(text, (SCALE,))
        assert plan.proposal is not None
        assert dict(plan.proposal.values) == {"service": "web", "replicas": "4"}, text
    plan = RulesPlanner().plan("scale db 40", (SCALE,))
    assert plan.proposal is not None and dict(plan.proposal.values) == {}
    plan = RulesPlanner().plan("scale web replicas=2 7", (SCALE,))
    assert plan.proposal is not None
    assert dict(plan.proposal.values) == {"replicas": "2", "service": "web"}


def test_rules_planner_returns_an_empty_plan_for_anything_else() -> None:
    """Free text is left for the agent's own answer."""
    assert RulesPlanner().plan("how are you", (SCALE,)).empty


async def test_valid_tool_call_becomes_a_proposal_with_usage_and_cost() -> None:
    """The model's scale call is validated and proposed; tokens and cost are recorded."""
    model = ScriptedModel("primary", called("scale", {"service": "api", "replicas": 3}))
    planner, usage, _ = _planner(model)
    plan = await planner.plan(_turn())
    assert plan.planner == "llm" and plan.provider == "primary"
    assert plan.proposal is not None
    assert dict(plan.proposal.values) == {"service": "api", "replicas": 3}
    assert plan.tool_calls == ("scale:proposed",)
    assert (plan.input_tokens, plan.output_tokens, plan.cost_micros) == (100, 20, 140)
    assert [r.cost_micros for r in usage.records] == [140]
    request = model.requests[0]
    assert [t.name for t in request.tools] == ["scale", "rollback"]
    assert request.tools[0].parameters["required"] == ["service", "replicas"]
    assert request.messages[0].role == "system" and "You deploy services." in (
        request.messages[0].content
    )


async def test_a_text_answer_is_the_reply() -> None:
    """Without a tool call the model's text is the answer."""
    planner, _, _ = _planner(ScriptedModel("primary", said("I can scale api or web.")))
    plan = await planner.plan(_turn("what can you do"))
    assert (plan.text, plan.proposal, plan.degraded) == ("I can scale api or web.", None, None)


async def test_invalid_arguments_go_back_to_the_model_then_it_corrects_itself() -> None:
    """replicas=50 breaks the schema: the error is sent back as the tool result."""
    model = ScriptedModel(
        "primary",
        called("scale", {"service": "api", "replicas": 50}, call_id="c1"),
        called("scale", {"service": "api", "replicas": 5}, call_id="c2"),
    )
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn())
    assert plan.tool_calls == ("scale:invalid_args", "scale:proposed")
    assert plan.proposal is not None and plan.proposal.values["replicas"] == 5
    feedback = model.requests[1].messages[-1]
    assert feedback.role == "tool" and feedback.tool_call_id == "c1"
    assert "less than or equal to 20" in feedback.content


async def test_malformed_json_arguments_are_reported_to_the_model() -> None:
    """Arguments that are not JSON are an error for the model, not a crash."""
    model = ScriptedModel("primary", called("scale", "{service: api"), said("Sorry."))
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn())
    assert plan.tool_calls == ("scale:invalid_args",)
    assert "not valid JSON" in model.requests[1].messages[-1].content
    assert plan.text == "Sorry."


async def test_a_tool_outside_the_agents_scope_is_refused_and_never_proposed() -> None:
    """A compromised model asking for `approve` or another agent's action gets nothing."""
    model = ScriptedModel("primary", always=called("approve", {"approval": "all"}))
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn("approve everything"))
    assert plan.proposal is None
    assert plan.tool_calls == ("approve:refused_scope",) * 3
    assert plan.degraded == "gave_up"  # step cap reached: the rules planner answered
    assert len(model.requests) == PROFILE.model.max_steps  # type: ignore[union-attr]


async def test_the_tool_call_cap_stops_the_loop() -> None:
    """More tool calls than allowed end the turn with the rules planner."""
    profile = AgentProfile(
        info=PROFILE.info,
        model=ModelSettings(providers=("primary",), model="m1", max_steps=5, max_tool_calls=2),
    )
    model = ScriptedModel("primary", always=called("nope", {}))
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn("scale api to 3", profile))
    assert plan.tool_calls == ("nope:refused_scope", "nope:refused_scope", "nope:over_cap")
    assert plan.degraded == "gave_up"
    assert plan.proposal is not None and plan.proposal.action.name == "scale"  # rules matched


async def test_a_failing_provider_falls_through_to_the_next() -> None:
    """primary is down: backup answers, and the failure is on the plan."""
    primary = ScriptedModel("primary", failing("primary", "rate_limited"))
    backup = ScriptedModel("backup", said("done by backup"))
    planner, _, _ = _planner(primary, backup)
    plan = await planner.plan(_turn("hi"))
    assert (plan.text, plan.provider, plan.degraded) == ("done by backup", "backup", None)
    assert plan.tool_calls == ("primary:rate_limited",)


async def test_all_providers_down_falls_back_to_rules_and_says_so() -> None:
    """Both providers fail: the rules planner matches the format; the reason is kept."""
    planner, _, _ = _planner(
        ScriptedModel("primary", failing("primary", "timeout")),
        ScriptedModel("backup", failing("backup", "circuit_open")),
    )
    plan = await planner.plan(_turn("scale api to 3"))
    assert plan.planner == "rules" and plan.degraded == "provider_circuit_open"
    assert plan.proposal is not None and plan.proposal.action.name == "scale"
    assert "unavailable" in degraded_note(plan.degraded)


@pytest.mark.parametrize(
    ("budgets", "profile_limit", "narrow", "reason"),
    [
        (Budgets(), 1000, {"agent": "deploy"}, "budget_agent"),
        (Budgets(per_user_daily_micros=1000), None, {"user_id": "U1"}, "budget_user"),
        (Budgets(per_channel_daily_micros=1000), None, {"channel_id": "C1"}, "budget_channel"),
    ],
)
async def test_a_spent_budget_skips_the_model(
    budgets: Budgets, profile_limit: int | None, narrow: dict[str, str], reason: str
) -> None:
    """Spend at the limit today: no model call, the rules planner answers with the reason."""
    usage = MemoryUsage()
    clock = FakeClock()
    fields = {"agent": "other", "user_id": "U9", "channel_id": "C9", **narrow}
    await usage.record(
        UsageRecord(
            trace_id="old",
            team_id="T1",
            provider="primary",
            model="m1",
            input_tokens=1,
            output_tokens=1,
            cost_micros=1000,
            at=clock.now() - timedelta(hours=1),
            **fields,
        )
    )
    model = ScriptedModel("primary", said("should not be asked"))
    profile = AgentProfile(
        info=PROFILE.info, model=PROFILE.model, daily_budget_micros=profile_limit
    )
    planner, _, _ = _planner(model, usage=usage, budgets=budgets)
    plan = await planner.plan(_turn("scale api to 3", profile))
    assert plan.degraded == reason and model.requests == []


async def test_yesterdays_spend_does_not_count() -> None:
    """Budgets are per UTC day: spend before midnight is not held against today."""
    usage = MemoryUsage()
    clock = FakeClock()
    await usage.record(
        UsageRecord(
            "old",
            "T1",
            "C1",
            "U1",
            "deploy",
            "primary",
            "m1",
            1,
            1,
            10_000,
            clock.now() - timedelta(days=1),
        )
    )
    profile = AgentProfile(info=PROFILE.info, model=PROFILE.model, daily_budget_micros=1000)
    planner, _, _ = _planner(ScriptedModel("primary", said("ok")), usage=usage)
    assert (await planner.plan(_turn("hi", profile))).text == "ok"


async def test_history_is_sent_before_the_message() -> None:
    """Earlier thread messages go to the model as user/assistant turns, oldest first."""
    model = ScriptedModel("primary", said("ok"))
    planner, _, clock = _planner(model)
    history = (
        StoredMessage("in", "U1", "scale api", "t0", "1.0", clock.now()),
        StoredMessage("out", "B1", "To how many?", "t0", "1.1", clock.now()),
    )
    turn = _turn("to 3")
    await planner.plan(
        PlanInput(turn.inbound, turn.agent, turn.text, turn.profile, turn.actions, history)
    )
    roles = [(m.role, m.content) for m in model.requests[0].messages[1:]]
    assert roles == [("user", "scale api"), ("assistant", "To how many?"), ("user", "to 3")]


async def test_unknown_price_counts_tokens_at_zero_cost() -> None:
    """A model missing from the price table still has its tokens counted."""
    model = ScriptedModel("primary", said("ok", model="m-unpriced"))
    planner = LlmPlanner(
        {"primary": model}, usage=MemoryUsage(), prices={}, budgets=Budgets(), clock=FakeClock()
    )
    plan = await planner.plan(_turn("hi"))
    assert (plan.input_tokens, plan.cost_micros) == (100, 0)


async def test_notes_and_the_thread_summary_reach_the_model_before_the_history() -> None:
    """Kept notes and the summary of older messages are system messages ahead of the thread."""
    from agents.memory.notes import Note

    model = ScriptedModel("primary", said("ok"))
    planner, _, clock = _planner(model)
    note = Note("n1", "T1", "channel", "C1", "payments is owned by ana", "U1", clock.now())
    turn = _turn("who owns payments")
    await planner.plan(
        PlanInput(
            turn.inbound,
            turn.agent,
            turn.text,
            turn.profile,
            turn.actions,
            (),
            (note,),
            "<@U1>: payments 502 since v2.3.1",
        )
    )
    system = [m.content for m in model.requests[0].messages if m.role == "system"]
    assert "payments is owned by ana" in system[1]
    assert "payments 502 since v2.3.1" in system[2]


async def test_the_channel_the_person_views_beside_the_dm_is_shown_to_the_model() -> None:
    """Asked from the agent's DM while viewing a channel: the model is told which one."""
    model = ScriptedModel("primary", always=said("ok"))
    planner, _usage, _clock = _planner(model)
    await planner.plan(replace(_turn("what broke here?"), viewing="C0INCIDENT"))
    system = [m.content for m in model.requests[0].messages if m.role == "system"]
    assert any("<#C0INCIDENT>" in line for line in system)
    await planner.plan(_turn("what broke here?"))
    assert not any("<#" in m.content for m in model.requests[1].messages if m.role == "system")


async def test_only_what_the_model_writes_before_a_tool_call_streams() -> None:
    """The first answer streams; once the model called a tool (here refused), its next
    answer is not streamed: it is checked against the turn's records before anyone sees it."""
    pieces: list[str] = []

    async def sink(piece: str) -> None:
        pieces.append(piece)

    first = replace(called("purge", {"service": "api"}), text="Let me see. ")
    model = ScriptedModel("primary", first, said("Done, purged."))
    planner, _, _ = _planner(model)
    plan = await planner.plan(replace(_turn(), on_text=sink))
    assert plan.text == "Done, purged." and plan.tool_calls == ("purge:refused_scope",)
    assert "".join(pieces) == "Let me see. "
