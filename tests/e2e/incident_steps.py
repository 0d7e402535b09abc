"""Steps the incident scenarios share: declare an incident through the real app and find its
channel and summary card, and say something to the incident agent in its channel."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import SlackSandbox
from sandbox.records import ApiCall

CONFIG = """
version: 1
oncall:
  rotations:
    - name: primary
      users: [U0BOB]
      start: "2026-01-05T09:00:00Z"
      shift: 7d
incidents: {oncall_rotation: primary}
"""


@dataclass(frozen=True, slots=True)
class Declared:
    """An incident declared in the sandbox: its channel and its summary card's ts."""

    channel: str
    card_ts: str


async def declare(sandbox: SlackSandbox, text: str = "sev1 Checkout is down") -> Declared:
    """Alice declares an incident in #general; wait for its channel and card."""
    said = await sandbox.people.say(f"<@U0BOT> incident: declare {text}")
    created = await sandbox.calls.wait_for("conversations.create")
    channel = str(created.response["channel"]["id"])
    card = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == channel
    )
    # The answer in #general comes after the card is stored: its buttons count from then.
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == said.ts
    )
    return Declared(channel, str(card.response["ts"]))


async def ask(sandbox: SlackSandbox, channel: str, text: str, *, user: str = "U0ALICE") -> ApiCall:
    """``user`` says ``incident: <text>`` in ``channel``; the bot's answer in the thread."""
    said = await sandbox.people.say(f"<@U0BOT> incident: {text}", user=user, channel=channel)
    return await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: c.args["channel"] == channel and c.args.get("thread_ts") == said.ts,
    )


def card_blocks_text(call: ApiCall) -> str:
    """Everything a card's blocks say, as one string (for asserting on roles shown)."""
    return str(call.args.get("blocks"))
