"""A turn as a pipeline of named steps, the way Bolt's middleware chain reads.

The turn's state (:class:`TurnState`) goes through the steps in order; each step may change
the route, set the plan, or answer. The first step that answers ends the pipeline: rate
limit, a listing of pending approvals, an open question in the thread, the router's
classifier, the ask-back buttons, the planner, and finally the answer itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agents.actions.spec import ActionSpec
from agents.kernel.models import Inbound, Reply, Route, TurnOutcome
from agents.turns.plan import NO_PLAN, Plan
from agents.turns.profiles import AgentProfile
from agents.turns.progress import SILENT, Progress
from agents.turns.stopping import StopSignal

__all__ = ["Scope", "Step", "TurnState", "run_steps"]


@dataclass(frozen=True, slots=True)
class Scope:
    """What the routed agent may use for this person.

    Attributes:
        profile: the agent as configured.
        runnable: every configured action the person may request (for help listings).
        usable: the agent's own actions, whether or not the person may run them.
        offered: those of ``usable`` the person may request (the tools a model is offered).
    """

    profile: AgentProfile
    runnable: tuple[ActionSpec, ...] = ()
    usable: tuple[ActionSpec, ...] = ()

    @property
    def offered(self) -> tuple[ActionSpec, ...]:
        """The agent's actions the person may request."""
        return tuple(action for action in self.usable if action in self.runnable)


@dataclass(slots=True)
class TurnState:
    """One turn on its way through the steps.

    Attributes:
        route: the router's decision; a step may replace it (classifier, hand-off, an open
            question in the thread).
        plan: what the planner made of the turn (``NO_PLAN`` until a planner ran).
        scope: set by the planning step for the answering step.
        reply: set by the step that answers; the pipeline stops there.
        progress: where the steps say what they are doing (the edge shows it).
        stop: set when a person stops the turn; checked between steps, and a model call
            waits on it (the call is cancelled).
    """

    inbound: Inbound
    route: Route
    plan: Plan = NO_PLAN
    scope: Scope | None = None
    reply: Reply | None = None
    outcome: TurnOutcome = "replied"
    progress: Progress = SILENT
    stop: StopSignal = field(default_factory=StopSignal)

    def answer(
        self,
        reply: Reply,
        *,
        route: Route | None = None,
        plan: Plan | None = None,
        outcome: TurnOutcome = "replied",
    ) -> None:
        """Answer the turn (optionally under another route or plan); later steps are skipped."""
        self.reply = reply
        self.outcome = outcome
        if route is not None:
            self.route = route
        if plan is not None:
            self.plan = plan


class Step(Protocol):
    """One named step of a turn: it reads and changes the turn's state."""

    async def __call__(self, turn: TurnState) -> None:
        """Do this step's part of ``turn``; answer it to end the pipeline."""
        ...


async def run_steps(steps: Sequence[Step], turn: TurnState) -> Reply:
    """Run ``steps`` in order until one answers the turn; returns the answer.

    Raises:
        TurnStopped: a person stopped the turn before it answered.
        RuntimeError: no step answered (the pipeline lacks its final answering step).
    """
    for step in steps:
        turn.stop.check()
        await step(turn)
        if turn.reply is not None:
            return turn.reply
    raise RuntimeError("no step answered the turn")
