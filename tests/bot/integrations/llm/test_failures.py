"""Failures of both adapters, over loopback: what is retried (and how long it waits), what is
not, and how each failure reaches the domain as a ``ProviderError``."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from agents.kernel.errors import ProviderError
from agents.llm.chat import ChatMessage, ChatRequest
from bot.integrations.llm import ProviderKind
from bot.integrations.llm.failures import parse_retry_after
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import delay, error, malformed, reply

from .conftest import API_KEY, ModelFactory, RecordingSleep

REQUEST = ChatRequest(model="test-model", messages=(ChatMessage("user", "status of api?"),))


async def test_rate_limit_honours_retry_after(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, sleep: RecordingSleep
) -> None:
    """A 429 with ``Retry-After: 1`` is retried after waiting at least a second."""
    llm.script(error(429, retry_after=1), reply("all green"))
    completion = await make_model(kind).complete(REQUEST)
    assert completion.text == "all green"
    assert len(sleep.waits) == 1 and sleep.waits[0] >= 1
    assert len(await llm.wait_for_requests(2)) == 2


async def test_server_error_then_success(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, sleep: RecordingSleep
) -> None:
    """A 500 is retried after a jittered wait; the second attempt's answer is returned."""
    llm.script(error(500), reply("recovered"))
    completion = await make_model(kind).complete(REQUEST)
    assert completion.text == "recovered"
    assert len(sleep.waits) == 1 and 0 <= sleep.waits[0] <= 8


async def test_three_server_errors_give_up(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, sleep: RecordingSleep
) -> None:
    """Three 500s end the call as ``server`` after exactly three requests."""
    llm.script(error(500), error(503), error(500), reply("never asked"))
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST)
    assert caught.value.kind == "server"
    assert caught.value.provider == f"test-{kind}"
    assert len(llm.requests) == 3 and llm.pending == 1
    assert len(sleep.waits) == 2


async def test_max_attempts_is_respected(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A provider configured for one attempt is not retried."""
    llm.script(error(502), reply("never asked"))
    with pytest.raises(ProviderError, match="server"):
        await make_model(kind, max_attempts=1).complete(REQUEST)
    assert len(llm.requests) == 1


async def test_retry_after_beyond_the_budget_is_not_waited_for(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, sleep: RecordingSleep
) -> None:
    """A 429 asking for more time than the call's budget ends the call at once, with the
    wait the provider asked for."""
    llm.script(error(429, retry_after=3600), reply("never asked"))
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST)
    assert caught.value.kind == "rate_limited"
    assert caught.value.retry_after == 3600
    assert sleep.waits == [] and len(llm.requests) == 1


async def test_timeout(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A server slower than the configured timeout ends the attempt as ``timeout``."""
    llm.script(delay(5, reply("too late")))
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await make_model(kind, timeout=0.2, max_attempts=1).complete(REQUEST)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 3


async def test_timeouts_are_retried(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A timed-out attempt is retried, and a prompt second answer is returned."""
    llm.script(delay(5, reply("too late")), reply("in time"))
    completion = await make_model(kind, timeout=0.2).complete(REQUEST)
    assert completion.text == "in time"
    assert len(llm.requests) == 2


async def test_malformed_body_is_bad_response(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A 200 whose body is not JSON is ``bad_response``, and is not retried."""
    llm.script(malformed(), reply("never asked"))
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST)
    assert caught.value.kind == "bad_response"
    assert caught.value.detail == "the answer is not JSON"
    assert len(llm.requests) == 1


async def test_missing_fields_are_bad_response(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A 200 JSON body without the vendor's required fields is ``bad_response``."""
    llm.script(error(200, body={"id": "x", "object": "chat.completion"}))  # a 200 "error" step
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST)
    assert caught.value.kind == "bad_response"
    assert caught.value.detail.startswith("unexpected answer:")


async def test_unauthorized_is_auth_and_not_retried(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A wrong key is ``auth`` after one request, and the key is not in the message even when
    the provider echoes it."""
    echoed = f"Incorrect API key provided: {API_KEY}"
    llm.script(error(401, message=echoed), reply("never asked"))
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST)
    assert caught.value.kind == "auth"
    assert API_KEY not in str(caught.value)
    assert "[redacted]" in caught.value.detail
    assert len(llm.requests) == 1


async def test_wrong_key_is_refused_by_the_server(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """The server checks the key, so a misconfigured one is ``auth`` (and 403 is too)."""
    with pytest.raises(ProviderError, match="auth"):
        await make_model(kind, api_key="sk-wrong").complete(REQUEST)
    llm.script(error(403))
    with pytest.raises(ProviderError, match="auth"):
        await make_model(kind).complete(REQUEST)


async def test_other_client_errors_are_bad_request(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A 400 (a request the provider refuses) is ``bad_request``, not retried."""
    llm.script(error(400, message="context too long"), reply("never asked"))
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST)
    assert caught.value.kind == "bad_request"
    assert "context too long" in caught.value.detail
    assert len(llm.requests) == 1


async def test_connection_refused(kind: ProviderKind, make_model: ModelFactory) -> None:
    """Nothing listening is ``connection``, after every attempt."""
    closed = ScriptedLLMServer()
    await closed.start()
    settings_url = closed.openai_base_url if kind == "openai" else closed.anthropic_base_url
    await closed.close()
    with pytest.raises(ProviderError) as caught:
        await make_model(kind, base_url=settings_url).complete(REQUEST)
    assert caught.value.kind == "connection"
    assert "connection failed" in caught.value.detail


async def test_tool_message_without_call_id_is_refused_before_sending(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A tool result that answers no call is ``bad_request`` and nothing is sent."""
    broken = ChatRequest(model="m", messages=(ChatMessage("tool", "orphan result"),))
    with pytest.raises(ProviderError, match="tool_call_id"):
        await make_model(kind).complete(broken)
    assert llm.requests == []


def test_retry_after_forms() -> None:
    """``Retry-After`` is read as seconds or an HTTP date; ``retry-after-ms`` wins."""
    now = 1_800_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 7, tz=UTC), usegmt=True)
    assert parse_retry_after({"retry-after": "2"}, now=now) == 2
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(7)
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}, now=now) == 1.5
    assert parse_retry_after({"retry-after": "soon"}, now=now) is None
    assert parse_retry_after({}, now=now) is None


async def test_http_date_retry_after_is_honoured(
    llm: ScriptedLLMServer, make_model: ModelFactory, sleep: RecordingSleep
) -> None:
    """A ``Retry-After`` given as an HTTP date is waited for too."""
    when = format_datetime(datetime.fromtimestamp(time.time() + 5, tz=UTC), usegmt=True)
    llm.script(error(429, retry_after=when), reply("ok"))
    assert (await make_model("openai").complete(REQUEST)).text == "ok"
    assert 3 <= sleep.waits[0] <= 5


async def test_cancellation_leaves_no_vote(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A call cancelled mid-flight neither opens nor closes the circuit."""
    llm.script(delay(5, reply("late")))
    model = make_model(kind, breaker_threshold=1)
    task = asyncio.create_task(model.complete(REQUEST))
    await llm.wait_for_requests(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    llm.script(reply("fine"))
    assert (await model.complete(REQUEST)).text == "fine"
