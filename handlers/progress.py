"""What a person sees while their turn works.

In a thread, the answer streams in as the model writes it (``handlers/streaming.py``), and
before that a status line under the bot's name (``assistant.threads.setStatus``, which Slack
accepts in channels and DMs with ``chat:write``): it says what the agent is doing as the
domain reports it, and Slack clears it when the reply is posted in the thread. Where there is
no thread to show a status in (a top-level DM), a ⏳ reaction on the person's message after a
second of work, replaced by ✅ or ⚠️ when the turn ends. Showing progress is best effort: a
refusal is logged once and the turn goes on without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.errors import SlackApiFailure
from agents.kernel.models import Inbound, Outbound, TurnOutcome
from agents.turns.progress import TaskUpdate
from handlers.delivery import Delivery
from handlers.slack_calls import call_slack
from handlers.streaming import AnswerStream

__all__ = ["LOADING", "STATUS_EVERY", "WORKING", "TurnWatch"]

log = structlog.get_logger(__name__)

WORKING = "is working on it…"
"""The first status of every turn, shown as soon as its work starts."""
LOADING = ("Reading your message…", "Finding the right agent…", "Checking what you may run…")
"""The loading messages Slack rotates under the first status."""
STATUS_EVERY = 1.0
"""Seconds a status shows before the next replaces it. Slack admits about one status a
second per conversation; a turn's quick steps (routing, reading the thread) would otherwise
spend its allowance in a burst nobody could read. A change within the second waits, and only
the latest waiting status is shown, unless the answer comes first."""
_PROGRESS, _DONE, _FAILED = "hourglass_flowing_sand", "white_check_mark", "warning"
_STOPPED = "octagonal_sign"
_TITLE = 80


def _title(text: str) -> str:
    """A session's title from the message that started it (Slack keeps 200 characters)."""
    line = " ".join(text.split()) or "Switchboard"
    return line if len(line) <= _TITLE else line[: _TITLE - 1] + "…"


class TurnWatch:
    """The progress of one turn as Slack shows it (the domain's ``Progress`` port).

    Args:
        status: show a status line in the turn's thread (off: only the reaction).
        reaction_after: seconds of work before the ⏳ reaction where no status can be shown
            (None: never).
        stream: stream the answer into the thread as the model writes it.
        on_stream: told the streamed message's ts once it started (crash recovery finishes
            that message instead of posting another).
        status_every: seconds between two statuses (:data:`STATUS_EVERY`).
        on_signal: called once, when the person first sees something of the turn (a status,
            the ⏳ reaction, the streamed answer; the runner adds the posted reply).
    """

    def __init__(
        self,
        client: AsyncWebClient,
        delivery: Delivery,
        inbound: Inbound,
        *,
        status: bool,
        reaction_after: float | None,
        stream: bool = False,
        on_stream: Callable[[str], Awaitable[None]] | None = None,
        status_every: float = STATUS_EVERY,
        on_signal: Callable[[], None] | None = None,
        status_after: float = 0.0,
    ) -> None:
        self._client = client
        self._on_signal = on_signal
        self._delivery = delivery
        self._inbound = inbound
        self._thread = inbound.thread_ts if status else None
        self._reaction_after = reaction_after
        self._shown = ""
        self._refused = False
        self._timer: asyncio.TimerHandle | None = None
        self._reacting: asyncio.Task[bool] | None = None
        self._stream = (
            AnswerStream(client, inbound, delivery, on_start=self._stream_started(on_stream))
            if stream
            else None
        )
        self._session = False
        self._status_every = status_every
        self._shown_at: float | None = None  # loop time the shown status was set
        self._waiting: str | None = None  # the latest status waiting for its turn
        self._wait: asyncio.TimerHandle | None = None
        self._showing: asyncio.Task[None] | None = None
        self._answered = False
        self._starting: asyncio.Task[bool] | None = None  # the session turning processing
        self._status_after = status_after
        self._begun = False  # the first status (and the session's processing) sent
        self._begin_timer: asyncio.TimerHandle | None = None
        self._beginning: asyncio.Task[None] | None = None
        self._routed: str | None = None  # the routing's status, shown once the turn began

    def signalled(self) -> None:
        """The person sees something of the turn now; the first call tells ``on_signal``."""
        on_signal, self._on_signal = self._on_signal, None
        if on_signal is not None:
            on_signal()

    def _stream_started(
        self, on_stream: Callable[[str], Awaitable[None]] | None
    ) -> Callable[[str], Awaitable[None]]:
        async def started(ts: str) -> None:
            self.signalled()
            if on_stream is not None:
                await on_stream(ts)

        return started

    async def start(self) -> None:
        """Show the first signal: the status in the thread, else arm the reaction's timer.
        In a thread the agent session turns ``processing`` too: Slack shows its Stop button.

        With ``status_after``, the status and the session wait until the turn reports work
        that takes a while (a status, a task, streamed text) or has worked that long: a turn
        answered sooner sends neither, and its reply, one Slack round trip after its message
        instead of two, is its first signal."""
        if self._thread is not None:
            if self._status_after > 0:
                self._begin_timer = asyncio.get_running_loop().call_later(
                    self._status_after, self._begin_later
                )
            else:
                await self._begin()
        if not self._shown and self._reaction_after is not None and self._inbound.ts:
            # A timer, not a task: most turns finish first, and cancelling one costs nothing.
            self._timer = asyncio.get_running_loop().call_later(self._reaction_after, self._react)

    async def _begin(self) -> None:
        """Send the first status, the session's ``processing`` beside it, then the routing's
        status (which waits its turn like any other)."""
        if self._begun or self._thread is None or self._answered:
            return
        self._begun = True
        if self._begin_timer is not None:
            self._begin_timer.cancel()
            self._begin_timer = None
        # Sent right behind the status, and not waited for: the turn's work goes on
        # meanwhile; the answer (posted or streamed) and the end wait for it.
        self._starting = asyncio.create_task(
            self._set_session("processing"), name=f"session-{self._inbound.trace_id}"
        )
        await self.status(WORKING)
        routed, self._routed = self._routed, None
        if routed is not None:
            await self.status(routed)

    def _begin_later(self) -> None:
        """The turn has worked ``status_after``: show that it works."""
        self._begin_timer = None
        if not self._begun and not self._answered:
            self._beginning = asyncio.create_task(
                self._begin(), name=f"first-status-{self._inbound.trace_id}"
            )

    async def routed(self, agent: str) -> None:
        """Say which agent works on the turn, once the turn shows that it works."""
        text = f"is asking the {agent} agent…"
        if self._begun:
            await self.status(text)
        else:
            self._routed = text

    async def _started(self) -> None:
        """Wait for the session's ``processing`` (no Stop button after the answer)."""
        starting, self._starting = self._starting, None
        if starting is not None:
            self._session = await starting

    async def status(self, text: str) -> None:
        """Show what the agent is doing now: once per change of text, at most one status a
        ``status_every`` (a change within it waits, and a later one replaces it), never
        once the answer streams or is given: its message says enough."""
        if self._thread is None or self._refused or self._streaming or self._answered:
            return
        if not self._begun:  # work that takes a while: the first status shows now
            self._routed = None  # this one says more
            await self._begin()
            if text != WORKING:
                await self.status(text)  # after the first, as any change
            return
        self._waiting = None
        if text == self._shown:
            return
        loop = asyncio.get_running_loop()
        due = 0.0 if self._shown_at is None else self._shown_at + self._status_every - loop.time()
        if due > 0:
            self._waiting = text
            if self._wait is None:
                self._wait = loop.call_later(due, self._show_waiting)
            return
        await self._show(text)

    def _show_waiting(self) -> None:
        self._wait = None
        text, self._waiting = self._waiting, None
        if text is None or text == self._shown or self._streaming or self._answered:
            return
        self._showing = asyncio.create_task(
            self._show(text), name=f"status-{self._inbound.trace_id}"
        )

    async def _show(self, text: str) -> None:
        if await self._set_status(text):
            self.signalled()
            self._shown = text
            self._shown_at = asyncio.get_running_loop().time()

    async def _settle_status(self) -> None:
        """No status after the answer: drop the waiting one, let one being set finish."""
        self._answered = True
        self._waiting = None
        if self._begin_timer is not None:  # answered before it had to show: no status
            self._begin_timer.cancel()
            self._begin_timer = None
        beginning, self._beginning = self._beginning, None
        if beginning is not None:
            await beginning
        await self._started()
        if self._wait is not None:
            self._wait.cancel()
            self._wait = None
        if self._showing is not None:
            await self._showing
            self._showing = None

    async def task(self, update: TaskUpdate) -> None:
        """Show a task of the plan in the answer's stream (where answers stream)."""
        if self._stream is not None:
            await self._begin()
            await self._started()
            await self._stream.task(update)

    async def text(self, piece: str) -> None:
        """Stream the next piece of the answer (where answers stream)."""
        if self._stream is not None:
            await self._begin()
            await self._started()
            await self._stream.text(piece)

    async def answer(self, outbound: Outbound) -> str | None:
        """Make the streamed message the reply; its ts, or None when the reply is to be
        posted as usual (nothing streamed, or an approval card)."""
        await self._settle_status()
        return await self._stream.finish(outbound) if self._stream is not None else None

    @property
    def _streaming(self) -> bool:
        return self._stream is not None and self._stream.ts is not None

    async def finish(self, outcome: TurnOutcome | None, *, posted: bool) -> None:
        """The turn ended (``outcome`` None: it failed before answering). Replace a ⏳ with
        the outcome; clear a status no posted reply cleared."""
        if self._timer is not None:
            self._timer.cancel()
        await self._settle_status()
        shown = await self._reacting if self._reacting is not None else False
        if shown:
            await self._delivery.react(self._inbound, _PROGRESS, remove=True)
            done = {"replied": _DONE, "stopped": _STOPPED}.get(outcome or "", _FAILED)
            await self._delivery.react(self._inbound, done)
        if self._shown and not posted:
            await self._set_status("")
        if self._session:
            await self._set_session("active")  # the work is done: no more Stop button

    def _react(self) -> None:
        if self._shown:  # a status shows that the turn works (one shown since start)
            return
        self._reacting = asyncio.create_task(
            self._delivery.react(self._inbound, _PROGRESS),
            name=f"progress-{self._inbound.trace_id}",
        )
        self._reacting.add_done_callback(self._reacted)

    def _reacted(self, task: asyncio.Task[bool]) -> None:
        if not task.cancelled() and task.exception() is None and task.result():
            self.signalled()

    async def _set_session(self, status: str) -> bool:
        """The thread's agent session status (``processing`` while the turn works); False
        where Slack has no session for the app (it is not declared an agent)."""
        thread = self._thread
        if thread is None:
            return False
        inbound = self._inbound
        try:
            await call_slack(
                "agents.sessions.setStatus",
                lambda: self._client.agents_sessions_setStatus(
                    channel_id=inbound.channel_id,
                    thread_ts=thread,
                    status=status,
                    initiator_user_id=inbound.user_id,
                    # Kept only when the session is created: the thread's first message.
                    title=_title(inbound.text),
                ),
            )
        except SlackApiFailure as exc:
            log.info("session_status_not_set", status=status, error=exc.error)
            return False
        return True

    async def _set_status(self, text: str) -> bool:
        thread = self._thread
        if thread is None:
            return False
        try:
            await call_slack(
                "assistant.threads.setStatus",
                lambda: self._client.assistant_threads_setStatus(
                    channel_id=self._inbound.channel_id,
                    thread_ts=thread,
                    status=text,
                    # Slack rotates these while the first status shows (the work has begun).
                    loading_messages=list(LOADING) if text == WORKING else None,
                ),
            )
        except SlackApiFailure as exc:
            log.info("status_not_shown", error=exc.error)
            self._refused = True
            return False
        return True
