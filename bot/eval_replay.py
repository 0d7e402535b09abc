"""Record/replay: evaluation cases through the real router, planner and policy, no side effects.

The domain is wired as :meth:`bot.runtime.Runtime.create` wires it (the configured agents,
actions, planner and policy), with these differences, so that a replay touches nothing:

- each run of each case gets its own copy of an empty, migrated SQLite database in a
  temporary folder (deleted afterwards), never the configured ``DATABASE_URL``; runs are
  therefore independent of each other and of the order of the cases;
- every outbound edge is a recorder: Slack workspace operations (create a channel, invite,
  post), approval notifications and executors record their calls and answer canned results
  (fake channel ids ``C0EVAL0001``…, executors "succeeded");
- there is no Slack client and no worker: an approved job is never run (except a read a
  model's turn calls, which the turn runs itself: through the recording executor, so the
  model reads "recorded by the replay, not run"); no rate limiter;
- the people replayed belong to no Slack user group.

The planner is the configured one (:func:`bot.planning_wiring.build_planning`): the rules
planner unless the config gives an agent a ``model``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from agents.actions.approval import Approval
from agents.actions.execution import ExecutionRequest, ExecutionResult, Executor
from agents.actions.ports import ApprovalNews, ApprovalStore
from agents.feedback.eval_cases import EvalCase
from agents.feedback.evaluation import (
    CaseResult,
    EvalReport,
    Observed,
    RunResult,
    aggregate,
    score,
)
from agents.incidents.ports import SlackMessage
from agents.incidents.records import Incident
from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, Outbound, Reply
from agents.kernel.redaction import redact
from agents.turns.turns import Turns
from bot.clock import SystemClock
from bot.config import process_environment
from bot.config_file import LoadedConfig
from bot.integrations.llm import close_chat_models
from bot.planning_wiring import Planning, build_planning
from bot.wiring import Edges, build_domain
from handlers.wording import SlackApprovalsView
from storage import Database

__all__ = ["PlanningFactory", "RecordedCall", "Recorder", "Replayer"]

PlanningFactory = Callable[[Database, Clock], Planning]
"""Builds a run's planning pieces over that run's database (its usage store) and clock."""

CallKind = Literal[
    "create_channel", "invite", "post", "refresh", "tell", "approval_changed", "escalate", "execute"
]
_EPOCH = 1_800_000_000  # Slack-like message timestamps: one second of them per run


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """A call an edge would have made: ``run`` counts runs from 1 across the whole replay."""

    run: int
    kind: CallKind
    detail: str


@dataclass
class Recorder:
    """Every call the recording edges received, in order."""

    calls: list[RecordedCall] = field(default_factory=list)
    run: int = 0

    def record(self, kind: CallKind, detail: str) -> None:
        """Record one call in the current run."""
        self.calls.append(RecordedCall(self.run, kind, detail))

    def of(self, kind: CallKind) -> list[RecordedCall]:
        """The calls of one kind."""
        return [call for call in self.calls if call.kind == kind]


class _RecordingWorkspace:
    """The incident agent's Slack operations: recorded, with fake ids."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._channels = 0
        self._posts = 0

    async def create_channel(self, name: str) -> str:
        self._channels += 1
        self._recorder.record("create_channel", name)
        return f"C0EVAL{self._channels:04d}"

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        self._recorder.record("invite", f"{channel_id} {' '.join(user_ids)}")

    async def post(self, channel_id: str, reply: Reply) -> str:
        self._posts += 1
        self._recorder.record("post", f"{channel_id} {reply.text}")
        return f"{_EPOCH - 1}.{self._posts:06d}"

    # The incident board, recorded the same way (a card is a post, a private note a tell).
    async def show(self, incident: Incident) -> str:
        return await self.post(incident.channel_id, Reply(text=f"Incident: {incident.title}"))

    async def refresh(self, incident: Incident) -> None:
        self._recorder.record("refresh", incident.channel_id)

    async def tell(self, channel_id: str, user_id: str, reply: Reply) -> None:
        self._recorder.record("tell", f"{channel_id} {user_id}")

    async def thread(self, incident: Incident, text: str, *, link: str | None = None) -> None:
        self._recorder.record("post", f"{incident.channel_id} {text}")

    async def message(self, channel_id: str, ts: str) -> SlackMessage | None:
        return None

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        return None


class _RecordingNotifier:
    """Approval cards and escalations: recorded, never posted."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    async def approval_changed(self, approval: Approval, *, news: ApprovalNews | None) -> None:
        self._recorder.record("approval_changed", f"{approval.action} {approval.state}")

    async def escalate(self, approval: Approval, *, channel_id: str) -> None:
        self._recorder.record("escalate", f"{approval.action} {channel_id}")


class _NoGroups:
    """Nobody replayed belongs to a Slack user group."""

    async def groups_of(self, user_id: str) -> frozenset[str]:
        return frozenset()


class _RecordingExecutor:
    """Records the run and answers success without reaching anything. With no worker in a
    replay only a model's turn calls it, for a read it waits on; it is here so that anything
    else that did would show in the record instead of deploying something."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        self._recorder.record("execute", request.action)
        return ExecutionResult("succeeded", f"`{request.action}` recorded by the replay, not run")


@dataclass(frozen=True, slots=True)
class Replayer:
    """Replays cases, each run on a fresh copy of an empty database; open with :meth:`open`."""

    config: LoadedConfig
    _: KW_ONLY
    workdir: Path
    template: Path
    planning: PlanningFactory
    clock: Clock
    recorder: Recorder = field(default_factory=Recorder)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls,
        config: LoadedConfig,
        *,
        planning: PlanningFactory | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> AsyncIterator[Replayer]:
        """A replayer over a temporary folder, removed with everything in it on exit.

        Args:
            config: the actions, agents and planner settings to replay with.
            planning: builds the planning pieces per run (default: from ``config``, like the
                running bot).
            environ: where provider API keys are read (default: the process environment).
            clock: the clock (default: the system clock).

        Raises:
            ConfigError: a provider's API key variable is not set.
            StorageError: the temporary database cannot be created.
        """
        env = environ if environ is not None else process_environment()

        def configured(database: Database, run_clock: Clock) -> Planning:
            return build_planning(config, usage=database.usage, clock=run_clock, environ=env)

        with tempfile.TemporaryDirectory(prefix="switchboard-eval-") as tmp:
            workdir = Path(tmp)
            template = workdir / "eval.db"
            database = await Database.connect(_url(template))
            try:
                await database.migrate()
            finally:
                await database.close()
            yield cls(
                config,
                workdir=workdir,
                template=template,
                planning=planning or configured,
                clock=clock or SystemClock(),
            )

    async def evaluate(self, cases: Sequence[EvalCase], *, k: int) -> EvalReport:
        """Replay every case ``k`` times and score the runs."""
        results = []
        for case in cases:
            runs = []
            for _ in range(k):
                observed = await self.replay(case)
                runs.append(RunResult(observed, score(case.expected, observed)))
            results.append(CaseResult(case, tuple(runs)))
        return aggregate(results, k=k)

    async def replay(self, case: EvalCase) -> Observed:
        """Run the case's message once, after its context, on a fresh database."""
        self.recorder.run += 1
        run = self.recorder.run
        path = self.workdir / f"run-{run}.db"
        shutil.copyfile(self.template, path)
        database = await Database.connect(_url(path))
        planning: Planning | None = None
        try:
            planning = self.planning(database, self.clock)
            turns = self._wire(database, planning)
            inbound = await self._seed(case, database, second=_EPOCH + run)
            outbound = await turns.run_turn(inbound, fresh=True)
            return await _observe(outbound, database.approvals)
        finally:
            if planning is not None:
                await close_chat_models(planning.models)
            await database.close()
            for leftover in self.workdir.glob(f"{path.name}*"):
                leftover.unlink()

    def _wire(self, database: Database, planning: Planning) -> Turns:
        """The domain as ``Runtime.create`` wires it, with recorders at the edges."""
        config, clock, recorder = self.config, self.clock, self.recorder
        executors: dict[str, Executor] = {
            action.name: _RecordingExecutor(recorder) for action in config.actions
        }
        domain = build_domain(
            config,
            database,
            planning,
            Edges(
                workspace=(recording := _RecordingWorkspace(recorder)),
                board=recording,
                groups=_NoGroups(),
                executors=executors,
                notifier=_RecordingNotifier(recorder),
                approvals_view=SlackApprovalsView(),
                ledger=database.ledger,
                usage=database.usage,
                rate_limiter=None,
            ),
            clock=clock,
        )
        return domain.turns

    async def _seed(self, case: EvalCase, database: Database, *, second: int) -> Inbound:
        """Store the case's context in its conversation; return the message to replay.

        A mention without context starts a thread; with context it continues the thread the
        context is in (as does a ``thread`` reply). A DM or command is answered at the top
        level, where the context is stored too (a turn reads no context there).
        """
        given = case.input
        trace = f"eval-{uuid.uuid4().hex}"
        first = 1 if given.source == "thread" and not case.context else 0  # a parent before it
        stamps = [f"{second}.{n:06d}" for n in range(first, first + len(case.context) + 1)]
        now = self.clock.now()
        inbound = Inbound(
            team_id=given.team_id,
            channel_id=given.channel_id,
            user_id=given.user_id,
            text=redact(given.text.strip()),  # as the Slack edge hands it over
            source=given.source,
            event_id=f"eval:{trace}",
            trace_id=trace,
            received_at=now,
            ts="" if given.source == "command" else stamps[-1],
            thread_ts=None if given.source in ("dm", "command") else f"{second}.000000",
        )
        conversations = database.conversations
        for n, message in enumerate(case.context):
            at = now - timedelta(seconds=len(case.context) - n)
            if message.direction == "in":
                earlier = Inbound(
                    team_id=given.team_id,
                    channel_id=given.channel_id,
                    user_id=message.user_id,
                    text=redact(message.text),
                    source=given.source,
                    event_id=f"eval:{trace}:{n}",
                    trace_id=f"{trace}:{n}",
                    received_at=at,
                    ts=stamps[n],
                    thread_ts=inbound.thread_ts,
                )
                await conversations.record_inbound(earlier)
            else:
                reply = Outbound(
                    trace_id=f"{trace}:{n}",
                    team_id=given.team_id,
                    channel_id=given.channel_id,
                    thread_ts=inbound.thread_ts,
                    agent="",
                    reply=Reply(text=message.text),
                    status="sent",
                    ts=stamps[n],
                )
                await conversations.record_reply(reply, now=at)
        return inbound


async def _observe(outbound: Outbound, approvals: ApprovalStore) -> Observed:
    """What the turn did: its agent, the approval request it created, its answer's text."""
    reply = outbound.reply
    approval = await approvals.get(reply.approval_id) if reply.approval_id else None
    lines = [reply.text, *(f"{item.label}: {item.detail}" for item in reply.items)]
    return Observed(
        agent=outbound.agent,
        action=approval.action if approval is not None else None,
        params=dict(approval.params) if approval is not None else {},
        approval_required=approval is not None and approval.quorum > 0,
        answer="\n".join(lines),
    )


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"
