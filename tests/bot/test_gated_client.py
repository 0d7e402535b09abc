"""The Web API client's policies in order: the gate, then the link guard, then the call."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.slack_client import build_web_client
from bot.slack_gate import GateClosed, SlackGate
from handlers.links import LinkPolicy
from sandbox import SlackSandbox


class CountingPolicy(LinkPolicy):
    """A link policy that counts the calls it guards."""

    guarded: list[str]

    def guard(self, method: str, arguments: Any) -> dict[str, Any]:
        self.guarded.append(method)
        return super().guard(method, arguments)


def _policy() -> CountingPolicy:
    policy = CountingPolicy(frozenset({"slack.com"}))
    object.__setattr__(policy, "guarded", [])
    return policy


async def test_a_call_the_gate_refuses_is_not_guarded_and_one_let_through_is() -> None:
    """A refused call raises before its arguments are walked; a call let through goes out
    guarded (its link defused), and only once."""
    policy = _policy()
    gate = SlackGate()
    gate.rate_limited("assistant.threads.setStatus", 30)
    async with SlackSandbox() as sandbox, aiohttp.ClientSession() as session:
        token, url = sandbox.bot_token, sandbox.api_url
        client = build_web_client(
            token=token, base_url=url, session=session, gate=gate, retry=False, links=policy
        )
        with pytest.raises(GateClosed):
            await client.assistant_threads_setStatus(
                channel_id="C0GENERAL", thread_ts="1.2", status="see evil.example/x"
            )
        assert policy.guarded == []
        await client.chat_postMessage(channel="C0GENERAL", text="see evil.example/x")
        assert policy.guarded == ["chat.postMessage"]
        posted = await sandbox.calls.wait_for("chat.postMessage")
        assert posted.args["text"] == "see evil[.]example (link removed)"
