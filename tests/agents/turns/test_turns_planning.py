"""Turns with planners: a compromised model still cannot run or approve anything, the
rules planner answers when models are down or budgets are spent, the router asks when unsure,
a bound channel hands off, and the per-person rate limit refuses floods."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from agents.builtin.deploy import ActionAgent
from agents.builtin.help import HelpAgent
from agents.kernel.models import AgentInfo, Inbound, Reply
from agents.llm.budgets import Budgets, Price
from agents.llm.chat import ChatRequest, Completion, TextSink
from agents.llm.spending import ROUTER_AGENT, Spending
from agents.turns.agent import TurnContext
from agents.turns.assembly import Memory, build_turns
from agents.turns.classify import Classifier
from agents.turns.llm_planner import LlmPlanner
from agents.turns.profiles import AgentProfile, ModelSettings, PlanningSettings, RouterSettings
from agents.turns.progress import SILENT, Progress, TaskUpdate
from agents.turns.stopping import StopSignal, stopped_text
from agents.turns.turns import Turns, TurnStores
from tests.agents.actions.test_operations import ALICE, World
from tests.agents.fakes import MemoryConversations, MemoryEvents, MemoryLedger, MemoryTraces
from tests.agents.fakes_llm import ScriptedModel, called, failing, said
from tests.agents.fakes_notes import MemoryThreads
from tests.agents.fakes_progress import RecordingProgress
from tests.agents.fakes_usage import MemoryRateLimiter, MemoryUsage

LLM = ModelSettings(providers=("primary",), model="m1", max_steps=3)


class Oncall:
    info = AgentInfo("oncall", "Who is on call.", keywords=("on call", "pager"))

    async def handle(self, turn: TurnContext) -> Reply:
        return Reply(text="Bob is on call.")


@dataclass
class Bot:
    """Turns over Operations fakes with one scripted model."""

    model: ScriptedModel
    budgets: Budgets = field(default_factory=Budgets)
    daily_budget: int | None = None
    classifier: ScriptedModel | None = None
    world: World = field(default_factory=World)
    usage: MemoryUsage = field(default_factory=MemoryUsage)
    limiter: MemoryRateLimiter = field(default_factory=MemoryRateLimiter)
    traces: MemoryTraces = field(default_factory=MemoryTraces)
    conversations: MemoryConversations = field(default_factory=MemoryConversations)
    threads: MemoryThreads = field(default_factory=MemoryThreads)
    turns: Turns = field(init=False)

    def __post_init__(self) -> None:
        events, conversations = MemoryEvents(), self.conversations
        profiles = {
            "deploy": AgentProfile(
                info=AgentInfo("deploy", "Deploys.", keywords=("deploy", "rollback")),
                model=LLM,
                daily_budget_micros=self.daily_budget,
            ),
            "oncall": AgentProfile(info=AgentInfo("oncall", "", channels=("C_ONCALL",))),
        }
        clock = self.world.clock
        self.turns = build_turns(
            [HelpAgent(), ActionAgent(AgentInfo("deploy", "Deploys.")), Oncall()],
            fallback="help",
            stores=TurnStores(
                replies=conversations,
                ledger=MemoryLedger(events, conversations, self.traces),
            ),
            clock=clock,
            operations=self.world.ops,
            planning=PlanningSettings(
                profiles=profiles,
                prices={("primary", "m1"): Price(1.0, 2.0)},
                budgets=self.budgets,
                router=RouterSettings(threshold=0.5),
            ),
            llm=LlmPlanner(
                {"primary": self.model},
                usage=self.usage,
                prices={("primary", "m1"): Price(1.0, 2.0)},
                budgets=self.budgets,
                clock=clock,
            ),
            rate_limiter=self.limiter,
            classifier=(
                Classifier(
                    self.classifier,
                    model_name="m1",
                    spending=Spending(
                        self.usage,
                        prices={("primary", "m1"): Price(1.0, 2.0)},
                        budgets=self.budgets,
                        clock=clock,
                    ),
                )
                if self.classifier
                else None
            ),
            memory=Memory(conversations, threads=self.threads),
        )

    async def say(
        self,
        text: str,
        *,
        user: str = ALICE,
        trace: str = "t1",
        channel: str = "C_OPS",
        progress: Progress = SILENT,
        stop: StopSignal | None = None,
    ) -> tuple[Reply, str]:
        inbound = Inbound(
            team_id="T1",
            channel_id=channel,
            user_id=user,
            text=text,
            source="mention",
            event_id=f"Ev-{trace}",
            trace_id=trace,
            received_at=self.world.clock.now(),
            ts="100.1",
            thread_ts=None,
        )
        outbound = await self.turns.run_turn(inbound, progress=progress, stop=stop)
        return outbound.reply, outbound.agent


async def test_compromised_model_proposing_rollback_still_needs_another_humans_approval() -> None:
    """The model always asks for the dangerous rollback: a pending request, nothing runs."""
    bot = Bot(ScriptedModel("primary", always=called("rollback", {"service": "api"})))
    reply, agent = await bot.say("deploy: make everything fine")
    assert agent == "deploy" and reply.approval_id is not None
    approval = await bot.world.approvals.get(reply.approval_id)
    assert approval is not None
    assert (approval.state, approval.requester, approval.quorum) == ("pending", ALICE, 2)
    assert bot.world.jobs.rows == {}  # nothing queued to execute
    assert all(e.runs == 0 for e in bot.world.executors.values())
    trace = bot.traces.rows["t1"]
    assert (trace.planner, trace.tool_calls) == ("llm", ("rollback:proposed",))


async def test_compromised_model_cannot_use_actions_outside_what_it_was_offered() -> None:
    """`purge` (requesters: Bob only) and `status` (another agent's) are refused to Alice's
    model; no approval request is created."""
    model = ScriptedModel(
        "primary",
        called("purge", {"service": "db"}),
        called("status", {"service": "db"}),
        always=called("approve", {"id": "x"}),
    )
    bot = Bot(model)
    reply, _ = await bot.say("deploy: purge the database")
    assert reply.approval_id is None
    assert bot.world.approvals.rows == {}
    offered = {tool.name for tool in model.requests[0].tools}
    assert "purge" not in offered and "status" not in offered and "approve" not in offered
    trace = bot.traces.rows["t1"]
    assert trace.tool_calls == (
        "purge:refused_scope",
        "status:refused_scope",
        "approve:refused_scope",
    )
    assert trace.degraded == "gave_up"


async def test_provider_down_the_rules_planner_answers_with_a_visible_note() -> None:
    """The only provider fails: the rules planner matches the format and the reply says so."""
    bot = Bot(ScriptedModel("primary", failing("primary", "server")))
    reply, agent = await bot.say("deploy: restart api")
    assert agent == "deploy" and reply.approval_id is not None
    assert reply.note is not None and "Answered by the rules planner" in reply.note
    trace = bot.traces.rows["t1"]
    assert (trace.planner, trace.degraded) == ("rules", "provider_server")


async def test_budget_exhaustion_mid_day_switches_to_rules() -> None:
    """The first turn spends the agent's budget; the second is planned by rules."""
    bot = Bot(ScriptedModel("primary", said("Hello!", tokens=(500, 250))), daily_budget=1000)
    first, _ = await bot.say("deploy: hi", trace="t1")
    assert first.text == "Hello!" and bot.traces.rows["t1"].cost_micros == 1000
    second, _ = await bot.say("deploy: restart api", trace="t2")
    assert second.approval_id is not None
    assert second.note is not None and "budget is spent" in second.note
    assert bot.traces.rows["t2"].degraded == "budget_agent"
    assert len(bot.model.requests) == 1


async def test_an_ambiguous_message_asks_with_buttons() -> None:
    """`deploy` and `on call` both score: the reply offers both agents."""
    bot = Bot(ScriptedModel("primary"))
    reply, _ = await bot.say("should I deploy while on call")
    assert reply.choices == ("deploy", "oncall")
    assert (reply.asked, reply.asked_by) == ("should I deploy while on call", ALICE)
    assert bot.traces.rows["t1"].route_reason == "ask"


async def test_the_classifier_settles_an_ambiguous_message() -> None:
    """With a classifier configured, a confident choice routes without asking."""
    classifier = ScriptedModel(
        "primary", called("choose_agent", {"agent": "oncall", "confidence": 0.9})
    )
    bot = Bot(ScriptedModel("primary"), classifier=classifier)
    reply, agent = await bot.say("should I deploy while on call")
    assert (agent, reply.text) == ("oncall", "Bob is on call.")
    trace = bot.traces.rows["t1"]
    assert (trace.route_reason, trace.route_score) == ("llm", 0.9)


async def test_the_classifiers_calls_are_recorded_and_held_to_budgets() -> None:
    """The router's model call is stored as the `router`'s usage, priced; once the person's
    daily budget is spent, the classifier is not called and the person is asked instead."""
    choice = called("choose_agent", {"agent": "oncall", "confidence": 0.9})
    classifier = ScriptedModel("primary", choice, choice)
    bot = Bot(
        ScriptedModel("primary"), classifier=classifier, budgets=Budgets(per_user_daily_micros=1)
    )
    _, agent = await bot.say("should I deploy while on call")
    assert agent == "oncall"
    (record,) = bot.usage.records
    assert (record.agent, record.provider, record.user_id) == (ROUTER_AGENT, "primary", ALICE)
    assert record.cost_micros > 0
    reply, _ = await bot.say("should I deploy while on call", trace="t2")
    assert reply.choices == ("deploy", "oncall")  # asked: no second classifier call
    assert len(classifier.requests) == 1 and len(bot.usage.records) == 1


async def test_an_unsure_classifier_still_asks() -> None:
    """Below the threshold the classifier's pick is not taken."""
    classifier = ScriptedModel(
        "primary", called("choose_agent", {"agent": "oncall", "confidence": 0.2})
    )
    bot = Bot(ScriptedModel("primary"), classifier=classifier)
    reply, _ = await bot.say("should I deploy while on call")
    assert reply.choices == ("deploy", "oncall")


async def test_a_bound_channel_hands_off_what_its_agent_cannot_do() -> None:
    """In #oncall (bound), `deploy: …` is explicit; a plain deploy command is planned by the
    bound agent first, which has no actions, so it is handed to deploy through the router."""
    bot = Bot(ScriptedModel("primary", failing("primary", "timeout")))
    reply, agent = await bot.say("restart api", channel="C_ONCALL")
    assert agent == "deploy" and reply.approval_id is not None


async def test_the_bound_agent_answers_what_it_can() -> None:
    """In the bound channel a message the bound agent handles stays with it."""
    bot = Bot(ScriptedModel("primary"))
    reply, agent = await bot.say("anything at all", channel="C_ONCALL")
    assert (agent, reply.text) == ("oncall", "Bob is on call.")
    assert bot.traces.rows["t1"].route_reason == "binding"


async def test_the_rate_limit_refuses_a_flood_from_one_person() -> None:
    """Capacity 2, no refill in the test: the third turn is refused and recorded so."""
    bot = Bot(ScriptedModel("primary"), budgets=Budgets(rate_capacity=2))
    for trace in ("t1", "t2"):
        reply, _ = await bot.say("help", trace=trace)
        assert "faster than I take them" not in reply.text
    reply, _ = await bot.say("help", trace="t3")
    assert "faster than I take them" in reply.text
    assert bot.traces.rows["t3"].outcome == "refused"
    other, _ = await bot.say("help", trace="t4", user="U_BOB")  # a bucket per person
    assert "faster than I take them" not in other.text


async def test_a_long_thread_gets_a_stored_model_summary_and_pinned_facts_first() -> None:
    """The first turn in a long thread has its older part summarised by the model and stored;
    the next turn reuses it (no second summary call); pinned facts lead the context."""
    from dataclasses import replace as dc_replace

    from agents.kernel.models import ConversationKey, Inbound

    model = ScriptedModel(
        "primary",
        said("SUMMARY: api 502 after v2.3.1"),
        said("answer one"),
        said("answer two"),
    )
    bot = Bot(model)
    threads, conversations = bot.threads, bot.conversations
    base = Inbound(
        "T1", "C_OPS", ALICE, "", "thread", "E", "t", bot.world.clock.now(), "1.0", "100.1"
    )
    for n in range(300):
        text = f"older message {n} about the api 502 " + "x" * 80
        await conversations.record_inbound(
            dc_replace(base, text=text, trace_id=f"old{n}", event_id=f"Eo{n}", ts=f"{n}.5")
        )
    key = ConversationKey("T1", "C_OPS", "100.1")
    await threads.pin(key, "prod is frozen until Friday", now=bot.world.clock.now())

    async def say(trace: str) -> None:
        inbound = dc_replace(base, text="deploy: what now?", trace_id=trace, event_id=f"E{trace}")
        await bot.turns.run_turn(inbound)

    await say("t1")
    assert threads.rows[key].summary == "SUMMARY: api 502 after v2.3.1" and threads.saves == 1
    first = [m.content for m in model.requests[1].messages if m.role == "system"]
    assert "prod is frozen until Friday" in first[1]
    assert "SUMMARY: api 502 after v2.3.1" in first[2]
    await say("t2")
    assert threads.saves == 1 and len(model.requests) == 3  # no second summary call


async def test_the_models_answer_streams_to_progress_as_it_is_written() -> None:
    """The model's text reaches progress piece by piece, after the turn said it was thinking;
    the pieces join into the reply."""
    progress = RecordingProgress()
    answer = "Deploys wait for an approver: a second engineer approves, then the job runs once."
    bot = Bot(ScriptedModel("primary", said(answer)))
    reply, _ = await bot.say("deploy: how do deploys work?", progress=progress)
    pieces = progress.of("text")
    assert len(pieces) > 1 and "".join(str(p) for p in pieces) == reply.text
    assert progress.of("routed") == ["deploy"]
    assert progress.of("status") == ["is reading the thread…", "is thinking…"]
    assert progress.events[0] == ("routed", "deploy")  # routed before the work began
    first_text = next(i for i, (kind, _) in enumerate(progress.events) if kind == "text")
    assert progress.events.index(("status", "is thinking…")) < first_text


async def test_a_proposed_action_says_it_is_being_prepared() -> None:
    """The model proposes `rollback`: the status says so before the card is made."""
    progress = RecordingProgress()
    bot = Bot(ScriptedModel("primary", called("rollback", {"service": "api"})))
    reply, _ = await bot.say("deploy: roll back api", progress=progress)
    assert reply.approval_id is not None
    assert progress.of("status")[-1] == "is preparing `rollback`…"
    assert progress.of("text") == []


class _StopsOn:
    """Progress that presses Stop (as Bob) when the turn reports ``kind`` (a status text
    starting with ``prefix``, or any text piece)."""

    def __init__(self, stop: StopSignal, kind: str, prefix: str = "") -> None:
        self._stop, self._kind, self._prefix = stop, kind, prefix

    async def routed(self, agent: str) -> None:
        return None

    async def status(self, text: str) -> None:
        if self._kind == "status" and text.startswith(self._prefix):
            self._stop.request("U0BOB")

    async def task(self, update: TaskUpdate) -> None:
        return None

    async def text(self, piece: str) -> None:
        if self._kind == "text":
            self._stop.request("U0BOB")


class _EndlessModel(ScriptedModel):
    """Writes a first piece of an answer, then never finishes (until cancelled)."""

    def __init__(self) -> None:
        super().__init__("primary")
        self.cancelled = asyncio.Event()

    async def complete(
        self, request: ChatRequest, *, on_text: TextSink | None = None
    ) -> Completion:
        self.requests.append(request)
        if on_text is not None:  # enough words that some pass the grounding gate
            await on_text("Deploys wait for an approver, then a second engineer approves them ")
        try:
            await asyncio.Event().wait()
        finally:
            self.cancelled.set()
        raise AssertionError("unreachable")


async def test_stop_mid_answer_cancels_the_model_call_and_records_who_stopped() -> None:
    """Stop while the model writes: the call is cancelled, the reply says who stopped the
    turn, nothing is proposed, and the trace keeps the outcome and the person."""
    model = _EndlessModel()
    bot = Bot(model)
    stop = StopSignal()
    reply, _ = await asyncio.wait_for(
        bot.say("deploy: how do deploys work?", progress=_StopsOn(stop, "text"), stop=stop),
        timeout=5,
    )
    assert model.cancelled.is_set()
    assert reply.text == stopped_text("U0BOB") and reply.approval_id is None
    trace = bot.traces.rows["t1"]
    assert (trace.outcome, trace.stopped_by) == ("stopped", "U0BOB")
    assert bot.world.approvals.rows == {}


async def test_stop_before_the_proposal_proposes_nothing() -> None:
    """The model asked for `rollback` but Stop came while the action was being prepared: no
    approval request exists and the turn says it was stopped."""
    bot = Bot(ScriptedModel("primary", called("rollback", {"service": "api"})))
    stop = StopSignal()
    progress = _StopsOn(stop, "status", "is preparing")
    reply, _ = await bot.say("deploy: roll back api", progress=progress, stop=stop)
    assert reply.text == stopped_text("U0BOB") and reply.approval_id is None
    assert bot.world.approvals.rows == {}
    assert bot.traces.rows["t1"].outcome == "stopped"


async def test_a_turn_nobody_stopped_records_no_stopper() -> None:
    """The signal unused: the answer as usual, no ``stopped_by``."""
    bot = Bot(ScriptedModel("primary", said("Deploys wait for an approver.")))
    reply, _ = await bot.say("deploy: how do deploys work?", stop=StopSignal())
    assert reply.text == "Deploys wait for an approver."
    assert bot.traces.rows["t1"].stopped_by is None
