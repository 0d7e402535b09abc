"""Recording calls and awaiting them: past or future, by predicate and count, with a
timeout that says what was seen."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import ApiCall, SlackSandbox
from sandbox.recorder import CallLog


def _call(method: str, text: str = "", status: int = 200) -> ApiCall:
    return ApiCall(method, {"text": text}, "xoxb-t", status, {"ok": status == 200}, 0.0)


async def test_wait_for_returns_a_call_already_made(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """wait_for returns at once when the call was already recorded."""
    await client.chat_postMessage(channel="C0GENERAL", text="done")
    call = await sandbox.calls.wait_for("chat.postMessage", timeout=0.01)
    assert call.args["text"] == "done"
    assert call.token == sandbox.bot_token
    assert call.ok
    assert sandbox.calls.all() == [call]


async def test_wait_for_awaits_a_call_still_to_come(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """wait_for waits for a call that arrives later, matching `where` and `count`."""
    waiting = asyncio.create_task(
        sandbox.calls.wait_for("chat.postMessage", where=lambda c: c.args["text"] == "b", count=2)
    )
    for text in ["a", "b", "a", "b"]:
        await client.chat_postMessage(channel="C0GENERAL", text=text)
    call = await waiting
    assert call is sandbox.calls.for_method("chat.postMessage")[3]


async def test_wait_for_timeout_lists_what_was_seen(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """A timeout raises TimeoutError naming the method and listing its calls."""
    await client.chat_postMessage(channel="C0GENERAL", text="only one")
    with pytest.raises(TimeoutError) as info:
        await sandbox.calls.wait_for("chat.postMessage", count=2, timeout=0.05)
    message = str(info.value)
    assert "no 2nd 'chat.postMessage' call within 0.05s" in message
    assert "saw 1 'chat.postMessage' call(s)" in message
    assert '"text": "only one"' in message
    with pytest.raises(TimeoutError, match="other methods called"):
        await sandbox.calls.wait_for("chat.update", timeout=0.01)


async def test_calls_are_indexed_by_method() -> None:
    """calls_for is per method and keeps arrival order; calls keeps the global order."""
    log = CallLog()
    for method in ["a", "b", "a"]:
        log.record(_call(method))
    assert [c.method for c in log.all()] == ["a", "b", "a"]
    assert len(log.for_method("a")) == 2
    assert log.for_method("zzz") == []


async def test_a_broken_predicate_fails_only_its_wait() -> None:
    """A `where` that raises fails that wait_for, not the recording."""
    log = CallLog()

    async def record() -> None:
        log.record(_call("m"))

    # gather starts the waiter first, so it is registered when the call is recorded
    waited, recorded = await asyncio.gather(
        log.wait_for("m", where=lambda c: 1 / 0 == 0), record(), return_exceptions=True
    )
    assert isinstance(waited, ZeroDivisionError)
    assert recorded is None
    assert len(log) == 1
