"""Streamed calls that go wrong, over loopback: retried only before the first piece, raised
as they are after it (no text handed over twice), the idle timeout, cancellation closing the
stream, and the breaker counting stream failures."""

from __future__ import annotations

import asyncio
import time

import pytest

from agents.kernel.errors import ProviderError
from agents.llm.chat import ChatMessage, ChatRequest
from bot.integrations.llm import ProviderKind
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import (
    StreamFault,
    Streaming,
    delay,
    drop_after,
    error,
    error_event,
    hang_after,
    malformed,
    reply,
)

from .conftest import Collected, ModelFactory, RecordingSleep

REQUEST = ChatRequest(model="test-model", messages=(ChatMessage("user", "status of api?"),))
TEXT = "The api is up and serving."


async def test_rate_limit_before_the_stream_is_retried_after_retry_after(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, sleep: RecordingSleep
) -> None:
    """A 429 with ``Retry-After: 2`` answered before any event is waited out and retried; the
    sink gets the second answer only."""
    llm.script(error(429, retry_after=2), reply(TEXT))
    sink = Collected()
    completion = await make_model(kind).complete(REQUEST, on_text=sink)
    assert completion.text == TEXT and "".join(sink.pieces) == TEXT
    assert len(sleep.waits) == 1 and sleep.waits[0] >= 2
    first, second = await llm.wait_for_requests(2)
    assert first.streamed and second.streamed


async def test_server_unavailable_before_the_stream_is_retried(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, sleep: RecordingSleep
) -> None:
    """A 503 before any event is retried after a jittered wait."""
    llm.script(error(503), reply(TEXT))
    completion = await make_model(kind).complete(REQUEST, on_text=Collected())
    assert completion.text == TEXT
    assert len(sleep.waits) == 1 and 0 <= sleep.waits[0] <= 8


@pytest.mark.parametrize(
    "fault", [error_event(529), drop_after(0)], ids=["overloaded-event", "dropped"]
)
async def test_failure_before_the_first_piece_is_retried(
    kind: ProviderKind,
    llm: ScriptedLLMServer,
    make_model: ModelFactory,
    fault: StreamFault,
) -> None:
    """An overloaded error event or a dropped connection before any text is retried, and the
    answer of the retry is streamed whole."""
    llm.script(reply(TEXT, stream=Streaming(fault=fault)), reply(TEXT))
    sink = Collected()
    completion = await make_model(kind).complete(REQUEST, on_text=sink)
    assert "".join(sink.pieces) == completion.text == TEXT
    assert len(llm.requests) == 2


async def test_drop_after_pieces_raises_without_retrying(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, sleep: RecordingSleep
) -> None:
    """A connection dropped after two pieces fails the call as ``connection`` at once: no
    retry, so the two pieces are the only text the sink ever got."""
    llm.script(reply(TEXT, stream=Streaming(fault=drop_after(2))), reply("never asked"))
    sink = Collected()
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST, on_text=sink)
    assert caught.value.kind == "connection"
    assert sink.pieces == ["The ", "api "]
    assert len(llm.requests) == 1 and llm.pending == 1
    assert sleep.waits == []


async def test_error_event_after_pieces_raises_its_kind(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """An error event mid-answer fails the call with the kind its type says (an overload is
    ``server``, a rate limit ``rate_limited``), without a retry."""
    llm.script(
        reply(TEXT, stream=Streaming(fault=error_event(529, after=1, message="busy"))),
        reply(TEXT, stream=Streaming(fault=error_event(429, after=3))),
        reply("never asked"),
    )
    model = make_model(kind)
    with pytest.raises(ProviderError) as overloaded:
        await model.complete(REQUEST, on_text=Collected())
    assert overloaded.value.kind == "server" and "busy" in overloaded.value.detail
    with pytest.raises(ProviderError) as limited:
        await model.complete(REQUEST, on_text=Collected())
    assert limited.value.kind == "rate_limited"
    assert len(llm.requests) == 2


async def test_idle_timeout_between_pieces_is_not_retried(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A stream that goes quiet after a piece for longer than the timeout fails as
    ``timeout`` (after that piece, so no retry), and its connection is closed."""
    llm.script(reply(TEXT, stream=Streaming(fault=hang_after(1))), reply("never asked"))
    sink = Collected()
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await make_model(kind, timeout=0.3).complete(REQUEST, on_text=sink)
    assert caught.value.kind == "timeout"
    assert "no event" in caught.value.detail
    assert time.monotonic() - started < 3
    assert sink.pieces == ["The "] and len(llm.requests) == 1
    (ended,) = await llm.wait_for_streams(1)
    assert (ended.pieces, ended.outcome) == (1, "disconnected")


async def test_idle_timeout_before_the_first_piece_is_retried(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A stream that opens and then says nothing within the timeout is retried."""
    llm.script(reply(TEXT, stream=Streaming(fault=hang_after(0))), reply(TEXT))
    completion = await make_model(kind, timeout=0.3).complete(REQUEST, on_text=Collected())
    assert completion.text == TEXT
    assert len(llm.requests) == 2


async def test_slow_headers_time_out_and_are_retried(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A server slower than the timeout to start its stream is retried like an unstreamed
    call."""
    llm.script(delay(5, reply("too late")), reply(TEXT))
    completion = await make_model(kind, timeout=0.3).complete(REQUEST, on_text=Collected())
    assert completion.text == TEXT


async def test_cancelling_the_call_closes_the_stream(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Cancelling the task awaiting a streamed call (a Stop button) ends it at once and
    closes the HTTP stream: the server sees the connection go; the breaker gets no vote."""
    llm.script(reply(TEXT, stream=Streaming(fault=hang_after(2))))
    model = make_model(kind, breaker_threshold=1)
    sink = Collected()
    task = asyncio.create_task(model.complete(REQUEST, on_text=sink))
    await sink.wait_for(2)
    await llm.wait_for_hangs(1)
    cancelled = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - cancelled < 1
    (ended,) = await llm.wait_for_streams(1)
    assert (ended.pieces, ended.outcome) == (2, "disconnected")
    assert llm.hanging == 0
    llm.script(reply("still up"))
    assert (await model.complete(REQUEST, on_text=Collected())).text == "still up"


async def test_a_released_hang_completes_the_answer(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A stream held mid-answer and released within the timeout goes on to the end."""
    llm.script(reply(TEXT, stream=Streaming(fault=hang_after(2))))
    sink = Collected()
    task = asyncio.create_task(make_model(kind).complete(REQUEST, on_text=sink))
    await llm.wait_for_hangs(1)
    assert llm.release() == 1
    completion = await task
    assert completion.text == TEXT == "".join(sink.pieces)


async def test_the_breaker_counts_stream_failures(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A stream that drops after its first piece is a failed call: with a threshold of one the
    circuit opens, and the next call is refused without a request."""
    llm.script(reply(TEXT, stream=Streaming(fault=drop_after(1))), reply("never asked"))
    model = make_model(kind, breaker_threshold=1)
    with pytest.raises(ProviderError, match="connection"):
        await model.complete(REQUEST, on_text=Collected())
    with pytest.raises(ProviderError) as refused:
        await model.complete(REQUEST, on_text=Collected())
    assert refused.value.kind == "circuit_open"
    assert len(llm.requests) == 1


async def test_a_failing_sink_is_not_the_providers_failure(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """When the sink raises, the call raises that error unchanged, is not retried, votes
    nothing to the breaker, and closes the stream."""

    async def broken(_piece: str) -> None:
        raise RuntimeError("slack refused the append")

    llm.script(reply(TEXT, stream=Streaming(fault=hang_after(1))), reply("fine"))
    model = make_model(kind, breaker_threshold=1)
    with pytest.raises(RuntimeError, match="slack refused"):
        await model.complete(REQUEST, on_text=broken)
    (ended,) = await llm.wait_for_streams(1)
    assert ended.outcome == "disconnected"
    assert (await model.complete(REQUEST, on_text=Collected())).text == "fine"


async def test_an_event_that_is_not_json_is_bad_response(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A stream whose event data is not JSON is ``bad_response``, not retried."""
    llm.script(malformed(), reply("never asked"))
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST, on_text=Collected())
    assert caught.value.kind == "bad_response"
    assert len(llm.requests) == 1


async def test_a_server_that_does_not_stream_is_bad_response(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A 200 JSON body where a stream was asked for has no events: ``bad_response``."""
    llm.script(error(200, body={"id": "x", "object": "chat.completion"}))
    with pytest.raises(ProviderError) as caught:
        await make_model(kind).complete(REQUEST, on_text=Collected())
    assert caught.value.kind == "bad_response"
    assert "no events" in caught.value.detail
