"""The demo's people: each line typed (or played) becomes what a person does in Slack."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.cli.demo.screen import is_card

if TYPE_CHECKING:
    from sandbox import ApiCall, SlackSandbox

__all__ = ["PEOPLE", "DemoSession"]

PEOPLE = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL"}
_TIMEOUT = 15.0
_QUIET = 0.5  # seconds without a new call before the demo counts the bot as done


class DemoSession:
    """A person (or three) chatting with the bot through the sandbox.

    Args:
        busy: how many turns the bot is running (settling waits for none).
    """

    def __init__(
        self,
        sandbox: SlackSandbox,
        *,
        busy: Callable[[], int],
        channel: str = "C0GENERAL",
    ) -> None:
        self._sandbox = sandbox
        self._busy = busy
        self._channel = channel
        self.user = "U0ALICE"
        self.thread_ts: str | None = None
        self._streams_before = 0  # streams in the thread before the last message

    @property
    def who(self) -> str:
        """The name of the person speaking now."""
        return next(name for name, user in PEOPLE.items() if user == self.user)

    def new_thread(self) -> None:
        """The next message starts a new thread."""
        self.thread_ts = None

    async def act(self, line: str) -> str | None:
        """Do what ``line`` says; returns a note for the person (what the bot says is in
        the call log)."""
        if line.startswith("/as "):
            name = line.removeprefix("/as ").strip().lower()
            if name not in PEOPLE:
                return f"(no such person {name!r}; try {', '.join(PEOPLE)})"
            self.user = PEOPLE[name]
            return f"(you are now {name})"
        if line == "/new":
            self.new_thread()
            return "(the next message starts a new thread)"
        if line == "/stop":
            return await self._stop()
        if line.startswith("/ops"):
            await self._sandbox.people.run_command(
                "/ops", line.removeprefix("/ops").strip(), user=self.user, channel=self._channel
            )
        elif line == "/approve" or line.startswith("/reject"):
            return await self._decide(line)
        elif line == "/up" or line.startswith("/down"):
            return await self._vote(line)
        elif line == "/home":
            await self._sandbox.people.open_home(user=self.user)
        elif line.startswith("/"):
            return f"(no command {line.split()[0]!r}; see the list above)"
        else:
            await self._message(line)
        return None

    async def settle(self, *, until_streaming: bool = False) -> None:
        """Wait until the bot is done with what was asked: no turn running and no call for
        a moment (a job's outcome comes from the worker, after the turn), at most 15 s.
        ``until_streaming``: only until an answer streams in this thread (to stop it)."""
        if until_streaming:
            calls = self._sandbox.calls
            with contextlib.suppress(TimeoutError):
                started = await calls.wait_for(
                    "chat.startStream",
                    where=self._streams_here,
                    count=self._streams_before + 1,
                    timeout=_TIMEOUT,
                )
                ts = started.response.get("ts")
                await calls.wait_for(  # the text has grown once since it started
                    "chat.appendStream", where=lambda c: c.args.get("ts") == ts, timeout=_TIMEOUT
                )
            return
        deadline = time.monotonic() + _TIMEOUT
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self._sandbox.calls)
            if count != seen:
                seen, quiet_since = count, time.monotonic()
            elif self._busy() == 0 and time.monotonic() - quiet_since >= _QUIET:
                return
            await asyncio.sleep(0.05)

    def _streams_here(self, call: ApiCall) -> bool:
        """A stream the bot started in this thread."""
        return bool(call.response.get("ok")) and (
            call.args.get("channel"),
            call.args.get("thread_ts"),
        ) == (self._channel, self.thread_ts)

    async def _message(self, line: str) -> None:
        sandbox = self._sandbox
        starts = sandbox.calls.for_method("chat.startStream")
        self._streams_before = sum(1 for call in starts if self._streams_here(call))
        if self.thread_ts is None:
            sent = await sandbox.people.say(
                f"<@{sandbox.workspace.directory.bot_user_id}> {line}",
                user=self.user,
                channel=self._channel,
            )
            self.thread_ts = sent.ts
            self._streams_before = 0
        else:
            await sandbox.people.say(
                line, user=self.user, channel=self._channel, thread_ts=self.thread_ts
            )

    async def _stop(self) -> str | None:
        if self.thread_ts is None:
            return "(nothing to stop: no thread yet)"
        try:
            await self._sandbox.people.stop(self.thread_ts, user=self.user, channel=self._channel)
        except ValueError:
            return "(nothing to stop: the bot is not working in this thread)"
        return f"({self.who} clicked Stop)"

    def _latest(self, wanted: Callable[[Any], bool]) -> str | None:
        """The ts of the latest message in the channel that ``wanted`` picks."""
        for call in reversed(self._sandbox.calls.all()):
            if call.args.get("channel") == self._channel and wanted(call) and call.response:
                ts = call.response.get("ts") or call.args.get("ts")
                if ts:
                    return str(ts)
        return None

    async def _decide(self, line: str) -> str | None:
        card = self._latest(lambda c: c.method == "chat.postMessage" and is_card(c))
        if card is None:
            return "(no approval card to click yet)"
        sandbox, user = self._sandbox, self.user
        if line == "/approve":
            await sandbox.people.click(card, "approval_approve", user=user)
            return None
        reason = line.removeprefix("/reject").strip() or "no reason given"
        values = {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}
        await self._fill_form(sandbox.people.click(card, "approval_reject", user=user), values)
        return None

    async def _vote(self, line: str) -> str | None:
        answer = self._latest(_is_answer)
        if answer is None:
            return "(no answer to vote on yet)"
        sandbox, user, channel = self._sandbox, self.user, self._channel
        if line == "/up":
            await sandbox.people.give_feedback(answer, positive=True, user=user, channel=channel)
            return None
        comment = line.removeprefix("/down").strip()
        values = {
            "reason": {
                "value": {"type": "radio_buttons", "selected_option": {"value": "wrong_answer"}}
            },
            "comment": {"value": {"type": "plain_text_input", "value": comment}},
        }
        down = sandbox.people.give_feedback(answer, positive=False, user=user, channel=channel)
        await self._fill_form(down, values)
        return None

    async def _fill_form(self, click: Awaitable[object], values: dict[str, Any]) -> None:
        """Make the click that opens a form, then submit the form with ``values``."""
        sandbox, user = self._sandbox, self.user
        before = sandbox.calls.count("views.open")
        await click
        with contextlib.suppress(TimeoutError):
            opened = await sandbox.calls.wait_for("views.open", count=before + 1, timeout=_TIMEOUT)
            await sandbox.people.submit_view(str(opened.response["view"]["id"]), values, user=user)


def _is_answer(call: Any) -> bool:
    """A message the bot answered with, posted or streamed (it has feedback buttons)."""
    if call.method not in ("chat.postMessage", "chat.stopStream", "chat.update"):
        return False
    return "feedback_buttons" in str(call.args.get("blocks") or "")
