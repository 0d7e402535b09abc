"""The steps before planning: the rate limit, ``/ops approvals``, an open question, and the
router's classifier and ask-back."""

from __future__ import annotations

from collections.abc import Sequence

from agents.actions.approval import Approval
from agents.kernel.models import AgentInfo, Outbound, PendingAction, Reply
from agents.llm.budgets import Budgets
from agents.turns.classify import Classifier
from agents.turns.steps.approvals import ListApprovals
from agents.turns.steps.choice import AskBack, Classify
from agents.turns.steps.limits import RateLimit
from agents.turns.steps.pending import ContinuePending
from tests.agents.actions.test_operations import World
from tests.agents.fakes import FakeClock, MemoryConversations
from tests.agents.fakes_llm import ScriptedModel, called
from tests.agents.fakes_usage import MemoryRateLimiter
from tests.agents.turns.steps.helpers import ALICE, BOB, turn


async def test_the_rate_limit_refuses_once_the_bucket_is_empty() -> None:
    """Two turns in a burst of two pass; the third is answered with a refusal."""
    step = RateLimit(MemoryRateLimiter(), capacity=2, refill_per_second=0.0, clock=FakeClock())
    states = [turn("deploy api") for _ in range(3)]
    for state in states:
        await step(state)
    assert [s.reply for s in states[:2]] == [None, None]
    refused = states[2]
    assert refused.outcome == "refused" and refused.reply is not None
    assert "at most 2 in a burst" in refused.reply.text


async def test_the_rate_limit_keeps_a_bucket_per_person() -> None:
    """Alice's flood does not refuse Bob."""
    limiter = MemoryRateLimiter()
    step = RateLimit(limiter, capacity=1, refill_per_second=0.0, clock=FakeClock())
    await step(turn("x"))
    bob = turn("x", user=BOB)
    await step(bob)
    assert bob.reply is None
    assert set(limiter.buckets) == {f"turns:T1:{ALICE}", f"turns:T1:{BOB}"}


class _View:
    def __init__(self) -> None:
        self.shown: list[Sequence[Approval]] = []

    def pending(self, approvals: Sequence[Approval]) -> Reply:
        self.shown.append(approvals)
        return Reply(text=f"{len(approvals)} waiting")


async def test_ops_approvals_lists_the_requests_under_the_fallback_agent() -> None:
    """``/ops approvals`` is answered from the pending requests, worded by the view."""
    world, view = World(), _View()
    await world.request("deploy", service="api", env="prod")  # Alice asked; Bob approves
    step = ListApprovals(world.ops.catalog, world.ops.decisions, view=view, fallback="help")
    mine = turn("approvals", source="command", user=BOB)
    await step(mine)
    assert mine.reply == Reply(text="1 waiting")
    assert (mine.route.agent, mine.route.reason) == ("help", "explicit")
    assert [a.action for a in view.shown[0]] == ["deploy"]


async def test_approvals_in_a_mention_or_another_command_passes_on() -> None:
    """Only a slash command whose first word is ``approvals`` is a listing."""
    world = World()
    step = ListApprovals(world.ops.catalog, world.ops.decisions, view=_View(), fallback="help")
    for state in (turn("approvals"), turn("deploy approvals", source="command")):
        await step(state)
        assert state.reply is None


def _asked(requester: str = ALICE) -> MemoryConversations:
    replies = MemoryConversations()
    question = Reply(
        text="To run `deploy` I need *env*.",
        pending=PendingAction("deploy", (("service", "api"),), ("env",), requester),
    )
    replies.replies["t0"] = Outbound("t0", "T1", "C_OPS", "100.1", "deploy", question)
    return replies


async def test_the_asker_completes_the_open_question() -> None:
    """A reply in the thread from the asker fills the missing parameter: a card is made."""
    world = World()
    step = ContinuePending(_asked(), world.ops.catalog, world.ops.proposals)
    state = turn("prod", agent="help", reason="fallback")
    await step(state)
    assert state.reply is not None and state.reply.approval_id is not None
    assert (state.route.agent, state.route.reason) == ("deploy", "pending")
    assert state.plan.planner == "rules"


async def test_someone_elses_answer_leaves_the_question_open() -> None:
    """Bob cannot answer Alice's question: he is told, and the question stays open."""
    world = World()
    step = ContinuePending(_asked(), world.ops.catalog, world.ops.proposals)
    state = turn("prod", user=BOB)
    await step(state)
    assert state.reply is not None and state.reply.pending is not None
    assert state.reply.text == f"I am waiting for <@{ALICE}> to answer that."
    assert state.plan.planner == "none"


async def test_no_open_question_outside_a_thread_or_for_an_explicit_agent() -> None:
    """A top-level mention starts a new thread and an explicit prefix names its own agent."""
    world = World()
    step = ContinuePending(_asked(), world.ops.catalog, world.ops.proposals)
    top_level = turn("prod", ts="100.1", thread_ts="100.1")
    explicit = turn("prod", reason="explicit")
    for state in (top_level, explicit):
        await step(state)
        assert state.reply is None


async def test_a_confident_classifier_settles_an_unsure_route() -> None:
    """An ``ask`` decision becomes the classifier's choice, with its confidence."""
    model = ScriptedModel("p", called("choose_agent", {"agent": "deploy", "confidence": 0.9}))
    agents = (AgentInfo("deploy", "Deploys."), AgentInfo("help", "Helps."))
    step = Classify(Classifier(model, model_name="m1"), agents=agents, threshold=0.5)
    state = turn("ship it", agent="help", reason="ask", candidates=("deploy", "help"))
    await step(state)
    assert (state.route.agent, state.route.reason, state.route.score) == ("deploy", "llm", 0.9)
    assert state.reply is None


async def test_a_sure_route_is_not_sent_to_the_classifier() -> None:
    """Only ``ask`` decisions cost a model call."""
    model = ScriptedModel("p")
    step = Classify(Classifier(model, model_name="m1"), agents=(), threshold=0.5)
    await step(turn("deploy api"))
    assert model.requests == []


async def test_an_unsure_route_asks_the_person_with_buttons() -> None:
    """Ask-back offers the candidates; only the asker may choose, and what they asked goes
    with the buttons."""
    state = turn("ship it", agent="help", reason="ask", candidates=("deploy", "oncall"))
    await AskBack()(state)
    assert state.reply is not None
    assert state.reply.choices == ("deploy", "oncall")
    assert (state.reply.asked, state.reply.asked_by) == ("ship it", ALICE)
    assert "*deploy*, *oncall*" in state.reply.text
    sure = turn("deploy api")
    await AskBack()(sure)
    assert sure.reply is None


def test_budgets_default_to_no_rate_limit() -> None:
    """Without a configured capacity there is no rate-limit step to run."""
    assert Budgets().rate_capacity is None
