"""The LLM planner with reads: a read the model calls runs within the turn and its result goes
back to the model as delimited, untrusted tool output, so that it can check, then decide."""

from __future__ import annotations

from dataclasses import replace

from agents.actions.presentation import RunOutput
from agents.actions.reads import ReadRequest, ReadResult
from agents.actions.spec import ActionSpec, ApprovalPolicy, ExecutorInfo, ParamSpec, ParamValue
from agents.turns.plan import PlanInput
from agents.turns.profiles import AgentProfile, ModelSettings
from agents.turns.tool_output import TOOL_OUTPUT_RULE
from tests.agents.fakes_llm import ScriptedModel, called, said
from tests.agents.turns.test_planning import PROFILE, SCALE, _inbound, _planner

HEALTH = ActionSpec(
    name="health",
    agent="deploy",
    description="Show a cluster's health",
    risk="read",
    executor=ExecutorInfo("http", "api:80", idempotent=True),
    params=(ParamSpec("env", kind="enum", choices=("staging", "prod")),),
    approval=ApprovalPolicy(required=False),
)
GREEN = ReadResult(
    "health",
    "succeeded",
    "HTTP 200 from api:80 (attempt 1)",
    RunOutput("State: green\nNodes: 5", "fields", (("State", "green"), ("Nodes", "5"))),
)


class FakeReads:
    """``ReadTools`` answering from a script, recording what it was asked."""

    def __init__(self, *results: ReadResult) -> None:
        self.results = list(results)
        self.asked: list[tuple[str, dict[str, ParamValue], float]] = []

    async def run(self, request: ReadRequest, *, wait: float) -> ReadResult:
        self.asked.append((request.action.name, dict(request.values), wait))
        return self.results.pop(0) if len(self.results) > 1 else self.results[0]


def _turn(reads: FakeReads | None, profile: AgentProfile = PROFILE) -> PlanInput:
    text = "check prod health, then scale api to 3 if it is green"
    return PlanInput(_inbound(text), "deploy", text, profile, (HEALTH, SCALE), reads=reads)


async def test_the_model_reads_the_result_then_answers_with_it() -> None:
    """health runs in the turn; the model gets its fields as untrusted tool output and
    answers; the system prompt says what such output is."""
    reads = FakeReads(GREEN)
    model = ScriptedModel(
        "primary", called("health", {"env": "prod"}, call_id="h1"), said("prod is green (5 nodes).")
    )
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn(reads))
    assert (plan.text, plan.proposal) == ("prod is green (5 nodes).", None)
    assert plan.tool_calls == ("health:read_succeeded",)
    assert reads.asked == [("health", {"env": "prod"}, 10.0)]
    first, second = model.requests
    assert any(m.role == "system" and m.content == TOOL_OUTPUT_RULE for m in first.messages)
    result = second.messages[-1]
    assert (result.role, result.tool_call_id) == ("tool", "h1")
    assert result.content == (
        '<tool_output source="health" trust="untrusted">\n'
        "status: succeeded\n"
        "summary: HTTP 200 from api:80 (attempt 1)\n"
        "output:\n"
        "State: green\n"
        "Nodes: 5\n"
        "</tool_output>"
    )
    assert second.messages[-2].tool_calls[0].name == "health"


async def test_after_reading_the_model_may_propose_a_write_which_still_needs_approval() -> None:
    """Check, then decide: the scale call after the read is a proposal, as before."""
    model = ScriptedModel(
        "primary",
        called("health", {"env": "prod"}),
        called("scale", {"service": "api", "replicas": 3}, call_id="s1"),
    )
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn(FakeReads(GREEN)))
    assert plan.tool_calls == ("health:read_succeeded", "scale:proposed")
    assert plan.proposal is not None and plan.proposal.action.name == "scale"


async def test_a_read_that_did_not_finish_or_was_refused_says_so_to_the_model() -> None:
    """The status tells the model what happened; its wait is the agent's ``tool_wait``."""
    late = ReadResult("health", "not_finished", "it did not finish within 2s; its result ...")
    refused = ReadResult("health", "refused", "You are not allowed to run `health`.")
    reads = FakeReads(late, refused)
    model = ScriptedModel(
        "primary",
        called("health", {"env": "prod"}, call_id="a"),
        called("health", {"env": "staging"}, call_id="b"),
        said("I could not check it."),
    )
    assert PROFILE.model is not None
    profile = replace(PROFILE, model=replace(PROFILE.model, tool_wait=2.0))
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn(reads, profile))
    assert plan.tool_calls == ("health:read_not_finished", "health:read_refused")
    assert [wait for _, _, wait in reads.asked] == [2.0, 2.0]
    assert "status: not_finished" in model.requests[1].messages[-1].content
    assert "status: refused" in model.requests[2].messages[-1].content


async def test_reads_count_against_the_tool_call_cap() -> None:
    """A model that keeps reading is stopped by max_tool_calls; the rules planner answers."""
    profile = AgentProfile(
        info=PROFILE.info,
        model=ModelSettings(providers=("primary",), model="m1", max_steps=5, max_tool_calls=2),
    )
    reads = FakeReads(GREEN)
    model = ScriptedModel("primary", always=called("health", {"env": "prod"}))
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn(reads, profile))
    assert plan.tool_calls == ("health:read_succeeded", "health:read_succeeded", "health:over_cap")
    assert len(reads.asked) == 2 and plan.degraded == "gave_up"


async def test_without_reads_a_read_call_is_proposed_and_no_rule_is_sent() -> None:
    """Where no read runner is wired, the call is a proposal as it always was."""
    model = ScriptedModel("primary", called("health", {"env": "prod"}))
    planner, _, _ = _planner(model)
    plan = await planner.plan(_turn(None))
    assert plan.tool_calls == ("health:proposed",)
    assert plan.proposal is not None and plan.proposal.action.name == "health"
    assert all(m.content != TOOL_OUTPUT_RULE for m in model.requests[0].messages)
