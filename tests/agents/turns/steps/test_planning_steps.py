"""The planning and answering steps, the pipeline that runs the steps, and the agent catalog."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.actions.catalog import ActionCatalog
from agents.actions.spec import ActionSpec, ExecutorInfo
from agents.kernel.errors import ConfigError
from agents.kernel.models import AgentInfo, Reply
from agents.turns.catalog import AgentCatalog, usable_actions
from agents.turns.pipeline import TurnState, run_steps
from agents.turns.plan import Plan, Proposal
from agents.turns.profiles import AgentProfile
from agents.turns.router import Router
from agents.turns.steps.answer import Answer
from agents.turns.steps.planner import PlanTurn
from tests.agents.actions.test_operations import ACTIONS, World
from tests.agents.fakes import FakeGroups
from tests.agents.turns.steps.helpers import Oncall, catalog, turn


def _router(agents: AgentCatalog) -> Router:
    return Router(agents.infos, agents.fallback, actions=ACTIONS)


async def test_the_rules_plan_proposes_the_action_a_format_matches() -> None:
    """Without a model, the agent's actions are planned by their command formats."""
    agents, world = catalog(), World()
    step = PlanTurn(agents, router=_router(agents), actions=world.ops.catalog)
    state = turn("deploy api")
    await step(state)
    assert state.plan.planner == "rules"
    assert state.plan.proposal is not None and state.plan.proposal.action.name == "deploy"
    assert state.scope is not None
    assert [a.name for a in state.scope.usable] == [a.name for a in ACTIONS if a.agent == "deploy"]


async def test_a_bound_channel_hands_off_what_its_agent_cannot_plan() -> None:
    """The channel's agent has no action for the message: the router picks another (once)."""
    oncall = Oncall()
    agents, world = catalog(oncall), World()
    step = PlanTurn(agents, router=_router(agents), actions=world.ops.catalog)
    state = turn("deploy api", agent="oncall", reason="binding", channel="C_ONCALL")
    await step(state)
    assert state.route.agent == "deploy"
    assert state.plan.proposal is not None


async def test_no_hand_off_to_a_fallback_or_an_unsure_route() -> None:
    """A message nobody else claims stays with the channel's agent."""
    oncall = Oncall()
    agents, world = catalog(oncall), World()
    step = PlanTurn(agents, router=_router(agents), actions=world.ops.catalog)
    state = turn("who is on call", agent="oncall", reason="binding", channel="C_ONCALL")
    await step(state)
    assert state.route.agent == "oncall" and state.plan.empty


async def test_a_command_of_an_ownerless_action_outside_the_agents_scope_is_refused() -> None:
    """An action with no owner (an MCP tool reachable by scope only) that the routed agent
    was not granted: the plan refuses it by name and the trace will record
    ``ACTION:refused_scope``."""
    oncall = Oncall()
    agents = catalog(oncall)
    ownerless = replace(ACTIONS[1], agent="")
    step = PlanTurn(
        agents, router=_router(agents), actions=ActionCatalog((ownerless,), groups=FakeGroups({}))
    )
    state = turn("deploy api", agent="oncall", reason="explicit")
    await step(state)
    assert state.route.agent == "oncall" and state.plan.proposal is None
    assert state.plan.text == "`deploy` is not in the scope of agent `oncall`, so it was not run."
    assert state.plan.tool_calls == ("deploy:refused_scope",)


async def test_a_command_of_another_agents_action_is_left_to_the_routed_agent() -> None:
    """An owned action outside the scope is not refused by the planner: the routed agent's
    own handler answers (it may read the words as its own command)."""
    oncall = Oncall()
    agents, world = catalog(oncall), World()
    step = PlanTurn(agents, router=_router(agents), actions=world.ops.catalog)
    state = turn("deploy api", agent="oncall", reason="explicit")
    await step(state)
    assert state.route.agent == "oncall" and state.plan.empty


async def test_a_granted_action_is_planned_by_the_agent_it_is_granted_to() -> None:
    """A scope grant adds an action the agent does not own to what its rules planner
    matches."""
    oncall = Oncall()
    granted = AgentProfile(info=AgentInfo("oncall", ""), granted=("deploy",))
    agents = catalog(oncall, profiles={"oncall": granted})
    world = World()
    step = PlanTurn(agents, router=_router(agents), actions=world.ops.catalog)
    state = turn("deploy api", agent="oncall", reason="explicit")
    await step(state)
    assert state.plan.proposal is not None and state.plan.proposal.action.name == "deploy"
    assert state.scope is not None and [a.name for a in state.scope.usable] == ["deploy"]


async def test_a_proposal_goes_to_policy_and_approval() -> None:
    """The answer to a planned action is the proposal's card, never the planner's word."""
    world = World()
    action = world.ops.catalog.action("deploy")
    assert action is not None
    state = turn("deploy api")
    state.plan = Plan("rules", proposal=Proposal(action, {"service": "api", "env": "prod"}))
    await Answer(catalog(), proposals=world.ops.proposals)(state)
    assert state.reply is not None and state.reply.approval_id is not None
    assert world.audit.kinds() == ["requested"]


async def test_a_planned_text_is_the_reply_with_the_degraded_note() -> None:
    """A planner's text answers; a lesser planner says so under it."""
    state = turn("hello")
    state.plan = Plan("rules", text="Hi.", degraded="provider_server")
    await Answer(catalog())(state)
    assert state.reply == Reply(
        text="Hi.", note="Answered by the rules planner: the language model is unavailable."
    )


async def test_otherwise_the_routed_agent_answers_with_its_scope() -> None:
    """An empty plan: the agent itself answers, seeing the catalogue and its actions."""
    oncall = Oncall()
    state = turn("who is on call", agent="oncall")
    await Answer(catalog(oncall))(state)
    assert state.reply == Reply(text="Bob is on call.")
    (seen,) = oncall.seen
    assert [info.name for info in seen.catalog] == ["help", "deploy", "oncall"]


async def test_the_pipeline_stops_at_the_first_answer() -> None:
    """Later steps do not run once a step has answered."""
    ran: list[str] = []

    async def first(state: TurnState) -> None:
        ran.append("first")

    async def answering(state: TurnState) -> None:
        ran.append("answering")
        state.answer(Reply(text="done"))

    async def never(state: TurnState) -> None:
        ran.append("never")

    answer = await run_steps([first, answering, never], turn("x"))
    assert answer == Reply(text="done") and ran == ["first", "answering"]


async def test_a_pipeline_without_an_answering_step_is_an_error() -> None:
    """A turn must always be answered: no answering step is a bug, said loudly."""
    with pytest.raises(RuntimeError, match="no step answered"):
        await run_steps([], turn("x"))


def test_a_profile_overrides_the_builtin_info_field_by_field() -> None:
    """Configured keywords replace the built-in ones; what the file leaves out is kept."""
    profile = AgentProfile(info=AgentInfo("oncall", "", keywords=("pager",)))
    agents = AgentCatalog([Oncall()], fallback="oncall", profiles={"oncall": profile})
    (info,) = agents.infos
    assert (info.keywords, info.description, info.channels) == (
        ("pager",),
        "Who is on call.",
        ("C_ONCALL",),
    )


def test_a_profile_for_an_unregistered_agent_is_a_config_error() -> None:
    """A typo in the config file's agent name is reported at start-up."""
    profile = AgentProfile(info=AgentInfo("oncal", ""))
    with pytest.raises(ConfigError, match="no agent is registered"):
        AgentCatalog([Oncall()], fallback="oncall", profiles={"oncal": profile})


def test_an_agent_uses_the_actions_its_profile_lists_else_its_own() -> None:
    """``actions:`` in a profile narrows (or widens) what the agent may use."""
    status = ActionSpec("status", "ops", "Status.", "read", ExecutorInfo("http", "api"))
    deploy = ActionSpec("deploy", "deploy", "Deploy.", "write", ExecutorInfo("http", "api"))
    own = AgentProfile(info=AgentInfo("deploy", ""))
    listed = AgentProfile(info=AgentInfo("deploy", ""), actions=("status",))
    assert usable_actions(own, (status, deploy)) == (deploy,)
    assert usable_actions(listed, (status, deploy)) == (status,)
