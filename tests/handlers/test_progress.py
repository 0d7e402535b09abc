"""What a person sees while a turn works: a status line in its thread, or a reaction."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agents.kernel.models import Inbound, Outbound, Reply
from handlers.delivery import Delivery
from handlers.progress import WORKING, TurnWatch
from tests.agents.fakes import FakeClock
from tests.handlers.fakes_slack import refusal


class _Client:
    """Records the Web API calls; ``refuse`` makes setStatus fail with that error."""

    def __init__(self, *, refuse: str | None = None, sessions: bool = True) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sessions: list[dict[str, Any]] = []
        self._refuse = refuse
        self._sessions = sessions
        self.reacted = asyncio.Event()
        self.gate: asyncio.Event | None = None  # set: setStatus answers only once it is set
        self._counted: list[tuple[int, asyncio.Event]] = []

    async def statuses(self, count: int) -> list[str]:
        """The statuses sent, once ``count`` were."""
        if len(self.calls) < count:
            reached = asyncio.Event()
            self._counted.append((count, reached))
            await asyncio.wait_for(reached.wait(), timeout=5)
        return [args["status"] for method, args in self.calls if "setStatus" in method]

    async def agents_sessions_setStatus(self, **kwargs: Any) -> dict[str, Any]:
        self.sessions.append(kwargs)
        if not self._sessions:
            raise refusal("agents.sessions.setStatus", "not_allowed")
        return {"ok": True}

    async def assistant_threads_setStatus(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("assistant.threads.setStatus", kwargs))
        for count, reached in self._counted:
            if len(self.calls) >= count:
                reached.set()
        if self.gate is not None:
            await self.gate.wait()
        if self._refuse is not None:
            raise refusal("assistant.threads.setStatus", self._refuse)
        return {"ok": True}

    async def reactions_add(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("reactions.add", kwargs))
        self.reacted.set()
        return {"ok": True}

    async def reactions_remove(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("reactions.remove", kwargs))
        return {"ok": True}

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]


def _inbound(thread_ts: str | None = "1.1") -> Inbound:
    return Inbound(
        "T1", "C1", "U1", "hi", "mention", "E1", "t1", FakeClock().now(), "1.1", thread_ts
    )


def _outbound() -> Outbound:
    return Outbound("t1", "T1", "C1", "1.1", "deploy", Reply(text="done"))


def _watch(
    client: _Client,
    *,
    thread_ts: str | None = "1.1",
    after: float | None = None,
    every: float = 0.0,
    status_after: float = 0.0,
) -> TurnWatch:
    delivery = Delivery(client)  # type: ignore[arg-type]
    return TurnWatch(
        client,  # type: ignore[arg-type]
        delivery,
        _inbound(thread_ts),
        status=True,
        reaction_after=after,
        status_every=every,
        status_after=status_after,
    )


async def test_the_status_says_what_the_agent_does_once_per_change() -> None:
    """The first signal is shown at once; the same status twice is one call; the reply
    posted in the thread clears it, so nothing more is sent."""
    client = _Client()
    watch = _watch(client)
    await watch.start()
    await watch.status("is thinking…")
    await watch.status("is thinking…")
    await watch.finish("replied", posted=True)
    statuses = [args["status"] for _, args in client.calls]
    assert statuses == [WORKING, "is thinking…"]
    assert {(a["channel_id"], a["thread_ts"]) for _, a in client.calls} == {("C1", "1.1")}


async def test_quick_steps_show_only_the_latest_status_a_second_after_the_first() -> None:
    """Statuses within ``status_every`` of the shown one wait; a later one replaces the one
    waiting; it is shown when its time comes."""
    client = _Client()
    watch = _watch(client, every=0.2)
    await watch.start()
    await watch.status("is asking the deploy agent…")
    await watch.status("is reading the thread…")
    await watch.status("is thinking…")
    assert [args["status"] for _, args in client.calls] == [WORKING]
    await asyncio.sleep(0.3)
    await watch.finish("replied", posted=True)
    assert [args["status"] for _, args in client.calls] == [WORKING, "is thinking…"]


async def test_a_status_still_waiting_when_the_answer_comes_is_never_shown() -> None:
    """The answer clears the status: one waiting for its turn is dropped, not shown after."""
    client = _Client()
    watch = _watch(client, every=0.2)
    await watch.start()
    await watch.status("is thinking…")
    assert await watch.answer(_outbound()) is None
    await asyncio.sleep(0.3)
    await watch.finish("replied", posted=True)
    assert [args["status"] for _, args in client.calls] == [WORKING]


async def test_a_turn_that_posted_nothing_clears_its_status() -> None:
    """A failed turn leaves no "is thinking…" behind."""
    client = _Client()
    watch = _watch(client)
    await watch.start()
    await watch.finish(None, posted=False)
    assert [args["status"] for _, args in client.calls] == [WORKING, ""]


@pytest.mark.parametrize(
    ("status_after", "then"),
    [(0.0, "is thinking…"), (0.01, None)],
    ids=["at_once", "once_status_after_passed"],
)
async def test_a_refused_status_falls_back_to_the_reaction_and_is_not_tried_again(
    status_after: float, then: str | None
) -> None:
    """An old workspace refuses setStatus, sent at once or once ``status_after`` passed:
    one try (a later status is not sent), then the ⏳ reaction after its own delay,
    replaced by ✅ at the end."""
    client = _Client(refuse="method_not_supported_for_channel_type")
    watch = _watch(client, after=0.02, status_after=status_after)
    await watch.start()
    await client.statuses(1)
    if then is not None:
        await watch.status(then)
    await asyncio.wait_for(client.reacted.wait(), timeout=5)  # the ⏳, once its delay passed
    await watch.finish("replied", posted=True)
    assert client.methods() == [
        "assistant.threads.setStatus",
        "reactions.add",
        "reactions.remove",
        "reactions.add",
    ]
    assert client.calls[-1][1]["name"] == "white_check_mark"
    assert [args["status"] for _, args in client.calls if "status" in args] == [WORKING]


async def test_without_a_thread_only_the_reaction_shows() -> None:
    """A top-level DM has no thread for a status: no setStatus call at all."""
    client = _Client()
    watch = _watch(client, thread_ts=None, after=60.0)
    await watch.start()
    await watch.status("is thinking…")
    await watch.finish("replied", posted=True)
    assert client.calls == []  # the turn ended before the reaction's delay


async def test_the_agent_session_is_processing_while_the_turn_works() -> None:
    """In a thread the session turns ``processing`` (Slack's Stop button shows) and back to
    ``active`` at the end, started by the person who asked."""
    client = _Client()
    watch = _watch(client)
    await watch.start()
    await watch.finish("replied", posted=True)
    assert [(s["status"], s["thread_ts"], s["initiator_user_id"]) for s in client.sessions] == [
        ("processing", "1.1", "U1"),
        ("active", "1.1", "U1"),
    ]


async def test_an_app_slack_gives_no_session_is_not_asked_again_at_the_end() -> None:
    """An app not declared an agent: setStatus refused once, the turn goes on."""
    client = _Client(sessions=False)
    watch = _watch(client)
    await watch.start()
    await watch.finish("replied", posted=True)
    assert [s["status"] for s in client.sessions] == ["processing"]
    assert [args["status"] for _, args in client.calls] == [WORKING]


class _SlowSession(_Client):
    """The session's status returns only when ``go`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.go = asyncio.Event()

    async def agents_sessions_setStatus(self, **kwargs: Any) -> dict[str, Any]:
        await self.go.wait()
        return await super().agents_sessions_setStatus(**kwargs)


async def test_the_turn_works_while_its_session_turns_processing() -> None:
    """``start`` waits for the status (the first signal) only: the session's ``processing``
    goes out beside it and the turn's work; the answer waits for it, so the Stop button
    never shows after the reply, and ``active`` follows it."""
    client = _SlowSession()
    watch = _watch(client)
    await asyncio.wait_for(watch.start(), timeout=5)  # returns while the session call hangs
    assert [args["status"] for _, args in client.calls] == [WORKING]
    answering = asyncio.create_task(watch.answer(_outbound()))
    await asyncio.sleep(0.01)
    assert not answering.done()  # the answer waits for the session
    client.go.set()
    assert await asyncio.wait_for(answering, timeout=5) is None
    assert [s["status"] for s in client.sessions] == ["processing"]
    await watch.finish("replied", posted=True)
    assert [s["status"] for s in client.sessions] == ["processing", "active"]


async def test_a_session_slack_refuses_is_not_ended_either() -> None:
    """Where Slack has no session for the app, the turn goes on, and no ``active`` follows."""
    client = _Client(sessions=False)
    watch = _watch(client)
    await watch.start()
    assert await watch.answer(_outbound()) is None
    await watch.finish("replied", posted=True)
    assert [s["status"] for s in client.sessions] == ["processing"]


async def test_a_turn_answered_within_status_after_sends_no_status_and_no_session() -> None:
    """A quick turn: routed, answered, done before ``status_after``: nothing is sent, so
    its reply does not wait a Slack round trip for a status nobody would read."""
    client = _Client()
    watch = _watch(client, status_after=60.0)
    await watch.start()
    await watch.routed("help")
    assert await watch.answer(_outbound()) is None
    await watch.finish("replied", posted=True)
    assert client.calls == []
    assert client.sessions == []


async def test_slow_work_shows_the_first_status_at_once() -> None:
    """A status (reading the thread, thinking, searching) says the turn will take a while:
    the first status and the session's ``processing`` go out then, and the status after it;
    the routing's status, which says less, is not shown."""
    client = _Client()
    watch = _watch(client, status_after=60.0)
    await watch.start()
    await watch.routed("deploy")
    assert client.calls == []
    await watch.status("is thinking…")
    await watch.finish("replied", posted=True)
    assert [args["status"] for _, args in client.calls] == [WORKING, "is thinking…"]
    assert [s["status"] for s in client.sessions] == ["processing", "active"]


async def test_a_turn_working_quietly_shows_its_status_once_status_after_passed() -> None:
    """No status reported, but still working after ``status_after``: the first status shows,
    then which agent works on it."""
    client = _Client()
    watch = _watch(client, status_after=0.01)
    await watch.start()
    await watch.routed("deploy")
    assert await client.statuses(2) == [WORKING, "is asking the deploy agent…"]
    await watch.finish("replied", posted=True)
    assert [s["status"] for s in client.sessions] == ["processing", "active"]


async def test_the_answer_waits_for_a_first_status_still_on_its_way() -> None:
    """A status set after the reply would stay under it: the answer waits for the status
    that ``status_after`` sent."""
    client = _Client()
    client.gate = asyncio.Event()
    watch = _watch(client, status_after=0.01)
    await watch.start()
    assert await client.statuses(1) == [WORKING]  # sent, not answered yet
    answering = asyncio.create_task(watch.answer(_outbound()))
    await asyncio.sleep(0.01)
    assert not answering.done()
    client.gate.set()
    assert await asyncio.wait_for(answering, timeout=5) is None
    await watch.finish("replied", posted=True)
    assert [args["status"] for _, args in client.calls] == [WORKING]


async def test_a_status_shown_keeps_the_reaction_away() -> None:
    """Once a status shows, the ⏳ armed at the start does not follow it."""
    client = _Client()
    watch = _watch(client, status_after=0.01, after=0.05)
    await watch.start()
    assert await client.statuses(1) == [WORKING]
    await asyncio.sleep(0.1)  # past the reaction's delay
    await watch.finish("replied", posted=True)
    assert client.methods() == ["assistant.threads.setStatus"]
