"""Thread context under a token budget: the newest messages verbatim, a summary of the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.kernel.models import StoredMessage
from agents.llm.tokens import estimate_tokens
from agents.memory.context import assemble_context
from agents.memory.summary import extractive_summary

T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _message(n: int, text: str, *, direction: str = "in") -> StoredMessage:
    return StoredMessage(
        direction,
        "U1" if direction == "in" else "",
        text,
        f"t{n}",
        f"{n}.0",
        T0 + timedelta(seconds=n),
    )  # type: ignore[arg-type]


def test_a_short_thread_goes_whole_without_a_summary() -> None:
    """Everything fits: all messages, oldest first, no summary."""
    stored = [_message(2, "second"), _message(1, "first")]
    context = assemble_context(stored, budget=1000)
    assert context.summary == "" and [m.text for m in context.messages] == ["first", "second"]


def test_the_message_being_answered_is_left_out() -> None:
    """The current turn's own message is sent separately, not as history."""
    context = assemble_context(
        [_message(1, "old"), _message(2, "now")], budget=1000, exclude_trace="t2"
    )
    assert [m.text for m in context.messages] == ["old"]


def test_a_long_thread_keeps_the_newest_and_summarises_the_rest() -> None:
    """Over budget: the newest messages verbatim within 3/4 of it, the opening question and
    the thread's recurring subject in the summary."""
    opening = _message(0, "payments api returns 502 since the deploy of v2.3.1")
    chatter = [_message(n, f"filler words number {n} about lunch plans") for n in range(1, 60)]
    recurring = _message(30, "the 502 on payments api is from the v2.3.1 deploy config")
    newest = [_message(100 + n, f"latest update {n}") for n in range(3)]
    stored = [opening, *chatter[:29], recurring, *chatter[30:], *newest]
    budget = 200
    context = assemble_context(stored, budget=budget)
    assert context.messages[-3:] == tuple(newest)
    assert sum(estimate_tokens(m.text) for m in context.messages) <= budget - budget // 4
    assert context.summary.splitlines()[0] == "<@U1>: " + opening.text
    assert "from the v2.3.1 deploy config" in context.summary
    assert len(context.summary) <= (budget // 4) * 4 + 200


def test_the_summary_respects_its_size_and_keeps_order() -> None:
    """Lines come out in the thread's order and within the character budget."""
    messages = [_message(n, f"deploy api step {n} deploy api") for n in range(20)]
    summary = extractive_summary(messages, max_chars=120)
    lines = summary.splitlines()
    numbers = [int(line.split("step ")[1].split()[0]) for line in lines]
    assert numbers == sorted(numbers) and numbers[0] == 0
    assert len(summary) <= 120 + 20
    assert extractive_summary([], max_chars=100) == ""


def test_the_estimate_is_calibrated_by_reported_usage() -> None:
    """Providers counting twice the estimate double it; the factor stays within bounds."""
    from agents.llm.tokens import TokenEstimator

    estimator = TokenEstimator()
    for _ in range(5):
        estimator.observe(estimated=100, reported=200)
    assert estimator.factor == 2.0 and estimator.tokens("x" * 400) == 208
    for _ in range(200):
        estimator.observe(estimated=10, reported=1000)
    assert estimator.factor == 3.0  # clamped
    estimator.observe(estimated=0, reported=50)  # nothing to learn from
    assert estimator.samples == 205


def test_a_calibrated_budget_keeps_fewer_messages() -> None:
    """With tokens costing twice the estimate, half as many messages fit."""
    from agents.llm.tokens import TokenEstimator

    stored = [_message(n, "x" * 76) for n in range(40)]  # 23 estimated tokens each
    plain = assemble_context(stored, budget=460)
    heavy = TokenEstimator()
    heavy.observe(estimated=10, reported=20)
    calibrated = assemble_context(stored, budget=460, estimator=heavy)
    assert len(plain.messages) == 15 and len(calibrated.messages) == 7  # 345 tokens for text


async def test_the_planner_learns_from_each_calls_usage() -> None:
    """After a call whose reported input is far above the estimate, the factor rises."""
    from agents.kernel.models import AgentInfo, Inbound
    from agents.llm.budgets import Budgets
    from agents.turns.llm_planner import LlmPlanner
    from agents.turns.plan import PlanInput
    from agents.turns.profiles import AgentProfile, ModelSettings
    from tests.agents.fakes import FakeClock
    from tests.agents.fakes_llm import ScriptedModel, said
    from tests.agents.fakes_usage import MemoryUsage

    model = ScriptedModel("p", said("ok", tokens=(5000, 10)))
    planner = LlmPlanner(
        {"p": model}, usage=MemoryUsage(), prices={}, budgets=Budgets(), clock=FakeClock()
    )
    profile = AgentProfile(AgentInfo("a", ""), model=ModelSettings(("p",), "m"))
    inbound = Inbound("T", "C", "U", "hi", "mention", "E", "t", T0, "1.1")
    await planner.plan(PlanInput(inbound, "a", "hi", profile, ()))
    assert planner.estimator.factor == 3.0 and planner.estimator.samples == 1


def test_a_stored_summary_is_reused_until_it_is_stale() -> None:
    """Fewer than 20 newly dropped messages: the stored summary stands; more: a new one."""
    from agents.memory.threads import ThreadMemory

    stored = [_message(n, f"message number {n} " + "x" * 60) for n in range(100)]
    fresh = assemble_context(stored, budget=400)
    assert fresh.refreshed and fresh.covered == len(fresh.older) > 0
    kept = ThreadMemory(facts=("prod is frozen",), summary="STORED", covered=fresh.covered)
    reused = assemble_context([*stored, _message(200, "one more")], budget=400, memory=kept)
    assert (reused.summary, reused.refreshed, reused.facts) == (
        "STORED",
        False,
        ("prod is frozen",),
    )
    stale = ThreadMemory(summary="STORED", covered=fresh.covered - 25)
    remade = assemble_context(stored, budget=400, memory=stale)
    assert remade.refreshed and remade.summary != "STORED"
