"""The knowledge agent: quotes sections with citations, or reports a miss and never guesses."""

from __future__ import annotations

from dataclasses import replace

from agents.builtin.knowledge import KnowledgeAgent, KnowledgeDeps
from agents.kernel.models import Inbound, Route
from agents.memory.compose import Composer
from agents.memory.knowledge import KnowledgeSettings, Miss
from agents.memory.markdown import chunk_markdown
from agents.turns.agent import TurnContext
from agents.turns.progress import TaskUpdate
from tests.agents.fakes import FakeClock
from tests.agents.fakes_knowledge import WordIndex
from tests.agents.fakes_llm import ScriptedModel, failing, said
from tests.agents.fakes_progress import RecordingProgress
from tests.agents.fakes_usage import MemoryUsage

RUNBOOK = """# Payments

## Rollback

Roll back payments with the rollback action and the previous version.
"""


def _turn(text: str) -> TurnContext:
    inbound = Inbound("T1", "C1", "U1", text, "mention", "E1", "t1", FakeClock().now(), "1.1")
    return TurnContext(inbound=inbound, route=Route("knowledge", "explicit", 1.0, text), catalog=())


def _agent(settings: KnowledgeSettings | None = None) -> tuple[KnowledgeAgent, WordIndex]:
    index = WordIndex(chunk_markdown("runbooks/payments.md", RUNBOOK))
    deps = KnowledgeDeps(clock=FakeClock(), index=index, settings=settings or KnowledgeSettings())
    return KnowledgeAgent(deps), index


async def test_an_answer_quotes_the_section_and_cites_it() -> None:
    """`how do I roll back payments?` quotes the Rollback section with file and heading."""
    agent, index = _agent()
    reply = await agent.handle(_turn("how do I roll back payments?"))
    (item,) = reply.items
    assert item.label == "runbooks/payments.md: Payments > Rollback"
    assert "previous version" in item.detail and index.missed == []


async def test_citations_link_with_a_base_url_and_escape_the_label() -> None:
    """With a base URL the citation is a Slack link to the heading's anchor."""
    agent, _ = _agent(KnowledgeSettings(base_url="https://docs.example.com/"))
    reply = await agent.handle(_turn("payments rollback"))
    assert reply.items[0].label == (
        "<https://docs.example.com/runbooks/payments.md#rollback"
        "|runbooks/payments.md: Payments &gt; Rollback>"
    )


async def test_nothing_relevant_is_a_miss_with_the_topic_owner() -> None:
    """A question the runbooks do not cover: no guess, the owner named, the miss stored."""
    agent, index = _agent(KnowledgeSettings(owners=(("kafka", "<@U0KAFKA>"),)))
    reply = await agent.handle(_turn("how do I increase kafka retention?"))
    assert "found nothing about 'increase kafka retention'" in reply.text
    assert "<@U0KAFKA> may know" in reply.text and reply.items == ()
    assert index.missed == [Miss("T1", "C1", "U1", "increase kafka retention", FakeClock().now())]


async def test_a_miss_without_an_owner_suggests_asking_the_channel() -> None:
    """No owner listed for the topic: the reply points to the channel, never to a guess."""
    agent, index = _agent(KnowledgeSettings(owners=(("kafka", "<@U0KAFKA>"),)))
    reply = await agent.handle(_turn("vault unseal steps"))
    assert "Someone in this channel may know" in reply.text and "<@U0KAFKA>" not in reply.text
    assert len(index.missed) == 1


async def test_a_weak_match_is_not_quoted() -> None:
    """Sharing one word of four is below the coverage threshold: a miss, not an answer."""
    agent, index = _agent()
    reply = await agent.handle(_turn("payments invoice tax export"))
    assert "found nothing" in reply.text and len(index.missed) == 1


async def test_no_index_says_how_to_make_one() -> None:
    """Without an index the agent explains the command."""
    reply = await KnowledgeAgent(KnowledgeDeps(clock=FakeClock())).handle(_turn("payments"))
    assert "switchboard knowledge index" in reply.text


def _composing(*steps: object) -> tuple[KnowledgeAgent, WordIndex, ScriptedModel, MemoryUsage]:
    model = ScriptedModel("primary", *steps)  # type: ignore[arg-type]
    usage = MemoryUsage()
    composer = Composer(model, model_name="m1", usage=usage, prices={}, clock=FakeClock())
    index = WordIndex(chunk_markdown("runbooks/payments.md", RUNBOOK))
    deps = KnowledgeDeps(clock=FakeClock(), index=index, composer=composer)
    return KnowledgeAgent(deps), index, model, usage


async def test_with_a_model_the_answer_is_composed_from_the_sections_and_cited() -> None:
    """The model sees only the retrieved section; its answer comes with the sources."""
    agent, _, model, usage = _composing(
        said("Use the rollback action with the previous version [1].")
    )
    reply = await agent.handle(_turn("how do I roll back payments?"))
    assert reply.text.startswith("Use the rollback action")
    assert "[1] runbooks/payments.md: Payments > Rollback" in reply.text
    system = model.requests[0].messages[0].content
    assert "only the numbered runbook excerpts" in system and "previous version" in system
    assert len(usage.records) == 1


async def test_a_model_that_finds_no_answer_in_the_sections_falls_back_to_quotes() -> None:
    """NOT IN RUNBOOKS (or a provider failure) means the sections are quoted instead."""
    agent, _, _, _ = _composing(said("NOT IN RUNBOOKS"))
    reply = await agent.handle(_turn("how do I roll back payments?"))
    assert reply.text.startswith("From the runbooks")
    agent, _, _, _ = _composing(failing("primary", "timeout"))
    reply = await agent.handle(_turn("how do I roll back payments?"))
    assert reply.text.startswith("From the runbooks")


async def test_the_search_is_a_task_of_the_plan_with_its_sources() -> None:
    """While it searches the status says so; the search task ends complete, listing the
    sections found with links when the runbooks have a base URL."""
    agent, _ = _agent(KnowledgeSettings(base_url="https://wiki.example/ops"))
    progress = RecordingProgress()
    await agent.handle(replace(_turn("how do I roll back payments?"), progress=progress))
    assert progress.of("status") == ["is searching the runbooks…"]
    (task,) = progress.of("task")
    assert isinstance(task, TaskUpdate)
    assert (task.task_id, task.status) == ("search", "complete")
    assert [s.url for s in task.sources] == [
        "https://wiki.example/ops/runbooks/payments.md#rollback"
    ]


async def test_a_search_that_finds_nothing_is_a_complete_task_saying_so() -> None:
    """Nothing found is still a finished task, with no sources."""
    agent, _ = _agent()
    progress = RecordingProgress()
    await agent.handle(replace(_turn("kubernetes quota"), progress=progress))
    (task,) = progress.of("task")
    assert isinstance(task, TaskUpdate)
    assert (task.details, task.sources) == ("nothing found", ())
