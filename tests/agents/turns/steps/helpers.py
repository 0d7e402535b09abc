"""A turn's state and the agents a step test needs."""

from __future__ import annotations

from collections.abc import Mapping

from agents.builtin.deploy import ActionAgent
from agents.builtin.help import HelpAgent
from agents.kernel.models import AgentInfo, Inbound, Reply, Route, RouteReason, Source
from agents.turns.agent import TurnContext
from agents.turns.catalog import AgentCatalog
from agents.turns.pipeline import TurnState
from agents.turns.profiles import AgentProfile
from tests.agents.fakes import FakeClock

ALICE, BOB = "U_ALICE", "U_BOB"


class Oncall:
    """An agent that records what it was asked."""

    info = AgentInfo("oncall", "Who is on call.", keywords=("on call",), channels=("C_ONCALL",))

    def __init__(self) -> None:
        self.seen: list[TurnContext] = []

    async def handle(self, turn: TurnContext) -> Reply:
        self.seen.append(turn)
        return Reply(text="Bob is on call.")


def inbound(
    text: str = "",
    *,
    user: str = ALICE,
    source: Source = "mention",
    channel: str = "C_OPS",
    ts: str = "100.2",
    thread_ts: str | None = "100.1",
) -> Inbound:
    return Inbound(
        team_id="T1",
        channel_id=channel,
        user_id=user,
        text=text,
        source=source,
        event_id="Ev1",
        trace_id="t1",
        received_at=FakeClock().now(),
        ts=ts,
        thread_ts=thread_ts,
    )


def turn(
    text: str = "",
    *,
    agent: str = "deploy",
    reason: RouteReason = "keyword",
    candidates: tuple[str, ...] = (),
    **kwargs: object,
) -> TurnState:
    return TurnState(
        inbound(text, **kwargs),  # type: ignore[arg-type]
        Route(agent, reason, 0.5, text, candidates=candidates),
    )


def catalog(*extra: object, profiles: Mapping[str, AgentProfile] | None = None) -> AgentCatalog:
    return AgentCatalog(
        [HelpAgent(), ActionAgent(AgentInfo("deploy", "Deploys.")), *extra],  # type: ignore[list-item]
        fallback="help",
        profiles=profiles,
    )
