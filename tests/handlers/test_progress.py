"""What a person sees while a turn works: a status line in its thread, or a reaction."""

from __future__ import annotations

import asyncio
from typing import Any

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

    async def agents_sessions_setStatus(self, **kwargs: Any) -> dict[str, Any]:
        self.sessions.append(kwargs)
        if not self._sessions:
            raise refusal("agents.sessions.setStatus", "not_allowed")
        return {"ok": True}

    async def assistant_threads_setStatus(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("assistant.threads.setStatus", kwargs))
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
) -> TurnWatch:
    delivery = Delivery(client)  # type: ignore[arg-type]
    return TurnWatch(
        client,  # type: ignore[arg-type]
        delivery,
        _inbound(thread_ts),
        status=True,
        reaction_after=after,
        status_every=every,
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


async def test_a_refused_status_falls_back_to_the_reaction_and_is_not_tried_again() -> None:
    """An old workspace refuses setStatus: one try, then the ⏳ reaction after the delay,
    replaced by ✅ at the end."""
    client = _Client(refuse="method_not_supported_for_channel_type")
    watch = _watch(client, after=0.0)
    await watch.start()
    await watch.status("is thinking…")
    await asyncio.wait_for(client.reacted.wait(), timeout=5)  # the ⏳, once its delay passed
    await watch.finish("replied", posted=True)
    assert client.methods() == [
        "assistant.threads.setStatus",
        "reactions.add",
        "reactions.remove",
        "reactions.add",
    ]
    assert client.calls[-1][1]["name"] == "white_check_mark"


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
