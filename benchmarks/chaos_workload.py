"""The chaos run's people: what they say, run and click, and what Slack recorded of each ask.

Every ask (a mention, a thread reply, a DM, an ``/ops`` command) is built with
:mod:`sandbox.humans` and delivered by the sandbox's driver. An event delivery the bot did not
acknowledge is delivered again with the same ``event_id`` and ``X-Slack-Retry-Num``, as Slack
does (three retries, compressed into seconds); a slash command is not (Slack shows the person
an error instead). Clicks are approvals and rejections by allowed and disallowed people, some
delivered twice at the same moment, and edits of pending requests.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from handlers.approval_blocks import APPROVE_ACTION, EDIT_ACTION, REJECT_ACTION
from sandbox import ApiCall, Delivery, SlackSandbox, humans
from sandbox.records import JSON

AskKind = Literal["mention", "thread", "dm", "command"]

SLACK_RETRIES = 3
"""Slack retries an unacknowledged event three times (here seconds apart, not minutes)."""

_REQUESTS = (
    "help",
    "status of api",
    "status of web",
    "deploy api to staging",
    "deploy web to prod",
    "rollback api",
    "restart web",
    "ship api",
    "ship web, please",
    "release notes for web",
)


@dataclass
class Ask:
    """One thing a person asked the bot, and what became of its deliveries."""

    kind: AskKind
    channel: str
    text: str
    user: str
    ts: str | None = None  # the message's ts (events)
    trigger_id: str | None = None  # slash commands
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def acked(self) -> bool:
        """Whether Slack got a 2xx for one of its deliveries."""
        return any(d.acked for d in self.deliveries)

    @property
    def label(self) -> str:
        """How a report names it."""
        ref = self.ts if self.ts is not None else f"cmd:{self.trigger_id}"
        return f"{self.kind} {ref} in {self.channel} ({self.text!r} by {self.user})"


class Workload:
    """A seeded mix of asks and clicks against the sandbox (see the module docstring)."""

    def __init__(self, sandbox: SlackSandbox, rng: random.Random) -> None:
        self._sandbox = sandbox
        self._rng = rng
        self.asks: list[Ask] = []
        self.done: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._forms = asyncio.Lock()  # one modal at a time, so each form is found again

    async def step(self) -> None:
        """Start one seeded action in the background."""
        roll = self._rng.random()
        action: Callable[[], Awaitable[None]]
        if roll < 0.35:
            action = self._mention
        elif roll < 0.45:
            action = self._thread_reply
        elif roll < 0.55:
            action = self._dm
        elif roll < 0.7:
            action = self._command
        else:
            action = self._click
        task = asyncio.get_running_loop().create_task(action())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for every action started so far (Slack's retries included)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _user(self) -> str:
        return self._rng.choice(["U0ALICE", "U0ALICE", "U0BOB", "U0CAROL"])

    # -- asks --------------------------------------------------------------------------

    async def _mention(self) -> None:
        text = f"<@U0BOT> {self._rng.choice(_REQUESTS)}"
        await self._say(Ask("mention", "C0GENERAL", text, self._user()))

    async def _thread_reply(self) -> None:
        answered = [
            c.args["thread_ts"]
            for c in self._sandbox.calls.for_method("chat.postMessage")
            if c.ok and c.args.get("channel") == "C0GENERAL" and c.args.get("thread_ts")
        ]
        if not answered:
            return await self._mention()
        thread = self._rng.choice(answered)
        text = self._rng.choice(["and web?", "status of web", "thanks, what else?"])
        ask = Ask("thread", "C0GENERAL", f"<@U0BOT> {text}", self._user())
        await self._say(ask, thread_ts=str(thread))

    async def _dm(self) -> None:
        user, channel = self._rng.choice([("U0ALICE", "D0ALICE"), ("U0BOB", "D0BOB")])
        await self._say(Ask("dm", channel, self._rng.choice(_REQUESTS), user))

    async def _say(self, ask: Ask, *, thread_ts: str | None = None) -> None:
        driver = self._sandbox.driver
        posted = humans.post(
            self._sandbox.workspace,
            text=ask.text,
            user=ask.user,
            channel=ask.channel,
            thread_ts=thread_ts,
            subscriptions=driver.subscriptions,
        )
        ask.ts = str(posted.message["ts"])
        self.asks.append(ask)
        self.done[ask.kind] += 1
        for event in posted.events:
            delivery = await driver.send_event(event)
            ask.deliveries.append(delivery)
            for retry in range(1, SLACK_RETRIES + 1):
                if delivery.acked:
                    break
                await asyncio.sleep(2.0**retry)  # 2, 4, 8 s: a restart fits in
                delivery = await driver.send_event(
                    event, event_id=delivery.event_id, retry_num=retry
                )
                ask.deliveries.append(delivery)

    async def _command(self) -> None:
        text = self._rng.choice(["status of api", "deploy web to staging", "help", "rollback web"])
        user = self._user()
        fields = humans.run_command(
            self._sandbox.workspace, command="/ops", text=text, user=user, channel="C0GENERAL"
        )
        ask = Ask("command", "C0GENERAL", f"/ops {text}", user, trigger_id=fields["trigger_id"])
        self.asks.append(ask)
        self.done["command"] += 1
        ask.deliveries.append(await self._sandbox.driver.send_command(fields))

    # -- clicks ------------------------------------------------------------------------

    def _cards(self) -> list[ApiCall]:
        return [
            c
            for c in self._sandbox.calls.for_method("chat.postMessage")
            if c.ok and APPROVE_ACTION in str(c.args.get("blocks"))
        ]

    async def _click(self) -> None:
        cards = self._cards()
        if not cards:
            return await self._mention()
        card = self._rng.choice(cards)
        ts, channel = str(card.response["ts"]), str(card.args["channel"])
        user = self._rng.choice(["U0BOB", "U0BOB", "U0CAROL", "U0CAROL", "U0ALICE"])
        roll = self._rng.random()
        if roll < 0.75:
            twice = self._rng.random() < 0.35
            self.done["approve_twice" if twice else "approve"] += 1
            await self._press(ts, channel, APPROVE_ACTION, user, times=2 if twice else 1)
        elif roll < 0.9:
            self.done["reject"] += 1
            await self._form(ts, channel, REJECT_ACTION, user, _reason())
        else:
            self.done["edit"] += 1
            await self._form(ts, channel, EDIT_ACTION, user, _env(self._rng))

    async def _press(
        self, ts: str, channel: str, action_id: str, user: str, *, times: int = 1
    ) -> JSON | None:
        try:
            payload = humans.click(
                self._sandbox.workspace, message_ts=ts, action_id=action_id, user=user,
                channel=channel,
            )  # fmt: skip
        except ValueError:  # the card no longer shows that button
            return None
        send = self._sandbox.driver.send_interaction
        await asyncio.gather(*(send(payload) for _ in range(times)))
        return payload

    async def _form(self, ts: str, channel: str, action_id: str, user: str, values: JSON) -> None:
        async with self._forms:
            payload = await self._press(ts, channel, action_id, user)
            if payload is None:
                return
            trigger = payload.get("trigger_id")
            try:
                opened = await self._sandbox.calls.wait_for(
                    "views.open",
                    where=lambda c: c.args.get("trigger_id") == trigger and c.ok,
                    timeout=3,
                )
            except TimeoutError:  # not an approver, the bot down, or Slack refused it
                return
            view_id = str(opened.response["view"]["id"])
            await self._sandbox.people.submit_view(view_id, values, user=user)


def _reason() -> JSON:
    return {"reason": {"reason_input": {"type": "plain_text_input", "value": "not now"}}}


def _env(rng: random.Random) -> JSON:
    env = rng.choice(["staging", "prod"])
    return {"param:env": {"value": {"type": "plain_text_input", "value": env}}}
