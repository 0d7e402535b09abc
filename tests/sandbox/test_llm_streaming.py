"""The scripted LLM server's streams, read with a plain HTTP client: each vendor's events, how
a reply is cut into pieces, the pace, the faults mid-stream, and the records of how each
stream ended."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import (
    Streaming,
    delay,
    drop_after,
    error,
    error_event,
    hang_after,
    malformed,
    reply,
    tool_call,
)

OPENAI = {"model": "m-1", "messages": [{"role": "user", "content": "hi"}], "stream": True}
ANTHROPIC = {**OPENAI, "max_tokens": 64}
ANTHROPIC_HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "k"}


@pytest.fixture
async def server() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer() as llm:
        yield llm


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def events(raw: bytes) -> list[tuple[str | None, str]]:
    """The ``(event, data)`` pairs of a server-sent event stream."""
    parsed: list[tuple[str | None, str]] = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        parsed.append((fields.get("event"), fields["data"]))
    return parsed


async def openai_stream(
    http: aiohttp.ClientSession, server: ScriptedLLMServer, body: dict[str, Any] = OPENAI
) -> tuple[aiohttp.ClientResponse, list[Any]]:
    """The response and its data lines (``[DONE]`` kept as a string)."""
    async with http.post(f"{server.openai_base_url}/chat/completions", json=body) as response:
        raw = await response.read()
    datas = [data for _, data in events(raw)]
    return response, [data if data == "[DONE]" else json.loads(data) for data in datas]


async def anthropic_stream(
    http: aiohttp.ClientSession, server: ScriptedLLMServer
) -> list[tuple[str | None, Any]]:
    url = f"{server.anthropic_base_url}/v1/messages"
    async with http.post(url, json=ANTHROPIC, headers=ANTHROPIC_HEADERS) as response:
        assert response.status == 200
        assert response.content_type == "text/event-stream"
        raw = await response.read()
    return [(name, json.loads(data)) for name, data in events(raw)]


async def test_openai_chunks(server: ScriptedLLMServer, http: aiohttp.ClientSession) -> None:
    """OpenAI: ``chat.completion.chunk`` data lines, the role first, the text in
    ``delta.content`` pieces, ``finish_reason`` on the last choice chunk, a usage chunk with
    empty ``choices`` (every other chunk ``"usage": null``), then ``[DONE]``."""
    server.script(reply("Hello brave world", usage=(3, 2), stream=Streaming(piece_size=6)))
    body = {**OPENAI, "stream_options": {"include_usage": True}}
    response, chunks = await openai_stream(http, server, body)
    assert response.status == 200 and response.content_type == "text/event-stream"
    *objects, done = chunks
    assert done == "[DONE]"
    assert {c["object"] for c in objects} == {"chat.completion.chunk"}
    assert len({c["id"] for c in objects}) == 1 and {c["model"] for c in objects} == {"m-1"}
    deltas = [c["choices"][0]["delta"] for c in objects[:-1]]
    assert deltas[0]["role"] == "assistant"
    assert [d["content"] for d in deltas[1:-1]] == ["Hello ", "brave ", "world"]
    assert objects[-2]["choices"][0]["finish_reason"] == "stop"
    assert [c["choices"][0]["finish_reason"] for c in objects[:-2]] == [None] * 4
    assert objects[-1]["choices"] == []
    assert objects[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert all(c["usage"] is None for c in objects[:-1])


async def test_openai_without_usage_option(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """Without ``stream_options.include_usage`` no usage chunk is sent."""
    server.script(reply("ok"))
    _, chunks = await openai_stream(http, server)
    assert all(c == "[DONE]" or (c["choices"] and "usage" not in c) for c in chunks)


async def test_openai_tool_call_fragments(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """OpenAI: a call's first chunk has its index, id and name; its arguments follow in
    fragments naming the same index; the finish reason is ``tool_calls``."""
    server.script(
        tool_call("lookup", {"q": "api"}, call_id="call_1", stream=Streaming(piece_size=4))
    )
    _, chunks = await openai_stream(http, server)
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks[:-1]
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    opening, *fragments = calls
    assert opening == {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup", "arguments": ""},
    }
    assert {f["index"] for f in fragments} == {0} and all("id" not in f for f in fragments)
    assert "".join(f["function"]["arguments"] for f in fragments) == '{"q": "api"}'
    assert len(fragments) == 3
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


async def test_anthropic_events(server: ScriptedLLMServer, http: aiohttp.ClientSession) -> None:
    """Anthropic: named events whose data has the same ``type``: ``message_start`` with the
    input tokens, a ``ping``, a text block and a ``tool_use`` block (``text_delta`` and
    ``input_json_delta`` pieces), ``message_delta`` with the stop reason and output tokens,
    ``message_stop``."""
    server.script(
        tool_call(
            "lookup",
            {"q": "api"},
            call_id="toolu_1",
            text="Looking it up.",
            usage=(7, 4),
            stream=Streaming(piece_size=5),
        )
    )
    stream = await anthropic_stream(http, server)
    assert all(name == data["type"] for name, data in stream)
    names = [name for name, _ in stream]
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "content_block_start",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = stream[0][1]["message"]
    assert (start["content"], start["stop_reason"], start["model"]) == ([], None, "m-1")
    assert start["usage"]["input_tokens"] == 7
    deltas = [data for name, data in stream if name == "content_block_delta"]
    assert "".join(d["delta"]["text"] for d in deltas if d["index"] == 0) == "Looking it up."
    json_deltas = [d["delta"] for d in deltas if d["index"] == 1]
    assert {d["type"] for d in json_deltas} == {"input_json_delta"}
    assert json.loads("".join(d["partial_json"] for d in json_deltas)) == {"q": "api"}
    tool_start = stream[7][1]["content_block"]
    assert tool_start == {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}
    ending = stream[-2][1]
    assert ending["delta"]["stop_reason"] == "tool_use" and ending["usage"]["output_tokens"] == 4


@pytest.mark.parametrize(
    ("streaming", "pieces"),
    [
        (Streaming(), ["One ", "two  ", "three"]),
        (Streaming(piece_size=4), ["One ", "two ", " thr", "ee"]),
        (Streaming(pieces=("On", "e two  thre", "e")), ["On", "e two  thre", "e"]),
    ],
    ids=["words", "piece-size", "explicit"],
)
async def test_how_a_reply_is_cut(
    server: ScriptedLLMServer,
    http: aiohttp.ClientSession,
    streaming: Streaming,
    pieces: list[str],
) -> None:
    """By default one piece per word; else pieces of ``piece_size`` characters, or the pieces
    given."""
    server.script(reply("One two  three", stream=streaming))
    stream = await anthropic_stream(http, server)
    texts = [d["delta"]["text"] for name, d in stream if name == "content_block_delta"]
    assert texts == pieces
    (ended,) = await server.wait_for_streams(1)
    assert (ended.index, ended.pieces, ended.outcome) == (0, len(pieces), "completed")


def test_pieces_must_join_to_the_text() -> None:
    """Explicit pieces that do not make the text, or two ways of cutting, are refused."""
    with pytest.raises(ValueError, match="join"):
        reply("abc", stream=Streaming(pieces=("a", "b")))
    with pytest.raises(ValueError, match="not both"):
        Streaming(piece_size=2, pieces=("ab",))
    with pytest.raises(ValueError, match=">= 0"):
        hang_after(-1)


async def test_pieces_are_paced(server: ScriptedLLMServer, http: aiohttp.ClientSession) -> None:
    """``interval`` spaces the pieces: three pieces take at least two intervals."""
    server.script(reply("a b c", stream=Streaming(interval=0.05)))
    started = time.monotonic()
    await openai_stream(http, server)
    assert time.monotonic() - started >= 0.1


async def test_the_first_piece_is_timed(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """A stream's record says when its first piece was written (before the pace's pauses);
    a stream cut before any piece has no such time."""
    server.script(
        reply("a b c", stream=Streaming(interval=0.05)),
        reply("a b", stream=Streaming(fault=drop_after(0))),
    )
    started = time.monotonic()
    await openai_stream(http, server)
    finished = time.monotonic()
    url = f"{server.openai_base_url}/chat/completions"
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.post(url, json=OPENAI) as response:
            await response.read()
    paced, cut = await server.wait_for_streams(2)
    assert paced.first_piece_at is not None
    assert started <= paced.first_piece_at <= finished - 0.1  # two intervals came after it
    assert (cut.pieces, cut.first_piece_at) == (0, None)


async def test_error_before_the_stream_is_a_status(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """An error step answers a streamed request with its status and ``Retry-After``, as the
    real APIs do before any event."""
    server.script(error(429, retry_after=2))
    async with http.post(f"{server.openai_base_url}/chat/completions", json=OPENAI) as response:
        assert response.status == 429 and response.headers["Retry-After"] == "2"
        assert response.content_type == "application/json"
    assert server.streams == []


async def test_drop_cuts_the_connection(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """``drop_after(1)``: one piece, then the connection closes without the stream's end."""
    server.script(reply("one two three", stream=Streaming(fault=drop_after(1))))
    url = f"{server.openai_base_url}/chat/completions"
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.post(url, json=OPENAI) as response:
            await response.read()
    (ended,) = await server.wait_for_streams(1)
    assert (ended.pieces, ended.outcome) == (1, "dropped")


@pytest.mark.parametrize(
    ("status", "anthropic_type", "openai_type"),
    [(529, "overloaded_error", "server_error"), (429, "rate_limit_error", "requests")],
)
async def test_error_event_ends_the_stream(
    server: ScriptedLLMServer,
    http: aiohttp.ClientSession,
    status: int,
    anthropic_type: str,
    openai_type: str,
) -> None:
    """``error_event``: Anthropic's ``error`` event, OpenAI's ``data: {"error": ...}``, after
    the pieces asked for; nothing follows it."""
    fault = Streaming(fault=error_event(status, after=2, message="busy"))
    server.script(reply("one two three", stream=fault), reply("one two three", stream=fault))
    stream = await anthropic_stream(http, server)
    texts = [d["delta"]["text"] for name, d in stream if name == "content_block_delta"]
    assert texts == ["one ", "two "]
    assert stream[-1] == (
        "error",
        {"type": "error", "error": {"type": anthropic_type, "message": "busy"}},
    )
    _, chunks = await openai_stream(http, server)
    assert chunks[-1]["error"]["type"] == openai_type and "[DONE]" not in chunks
    outcomes = [(s.pieces, s.outcome) for s in await server.wait_for_streams(2)]
    assert outcomes == [(2, "error_event"), (2, "error_event")]


async def test_a_hang_holds_the_stream_until_released(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """``hang_after(1)``: one piece, then nothing until :meth:`release`; then the rest."""
    server.script(reply("one two", stream=Streaming(fault=hang_after(1))))
    url = f"{server.openai_base_url}/chat/completions"
    async with http.post(url, json=OPENAI) as response:
        first = await response.content.readuntil(b"\n\n")
        second = await response.content.readuntil(b"\n\n")
        assert json.loads(second.removeprefix(b"data: "))["choices"][0]["delta"] == {
            "content": "one "
        }
        (held,) = await server.wait_for_hangs(1)
        assert held.streamed and server.hanging == 1
        assert server.release() == 1
        rest = await response.read()
    assert first.startswith(b"data: ") and rest.endswith(b"data: [DONE]\n\n")
    (ended,) = await server.wait_for_streams(1)
    assert (ended.pieces, ended.outcome) == (2, "completed")


async def test_a_client_closing_mid_stream_is_recorded(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """A client that closes the connection while the stream hangs ends it as
    ``disconnected``, and the hang is let go."""
    server.script(reply("one two", stream=Streaming(fault=hang_after(1))))
    url = f"{server.anthropic_base_url}/v1/messages"
    response = await http.post(url, json=ANTHROPIC, headers=ANTHROPIC_HEADERS)
    await server.wait_for_hangs(1)
    response.close()
    (ended,) = await server.wait_for_streams(1)
    assert (ended.pieces, ended.outcome) == (1, "disconnected")
    assert server.hanging == 0


async def test_closing_the_server_ends_a_hung_stream(http: aiohttp.ClientSession) -> None:
    """A stream still held when the server closes ends as ``closed``."""
    server = ScriptedLLMServer()
    await server.start()
    server.script(reply("one two", stream=Streaming(fault=hang_after(0))))
    url = f"{server.openai_base_url}/chat/completions"
    reading = asyncio.create_task(http.post(url, json=OPENAI))
    await server.wait_for_hangs(1)
    await server.close()
    assert [s.outcome for s in server.streams] == ["closed"]
    (await reading).close()


async def test_malformed_streams_an_event_that_is_not_json(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """``malformed()`` asked for as a stream is an event stream whose data is not JSON."""
    server.script(malformed("oops"))
    async with http.post(f"{server.openai_base_url}/chat/completions", json=OPENAI) as response:
        assert response.content_type == "text/event-stream"
        assert events(await response.read()) == [(None, "oops")]


async def test_requests_say_whether_they_streamed(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """Each request is recorded with ``streamed`` from its body's ``stream``."""
    server.script(reply("a"), reply("b"))
    await openai_stream(http, server)
    unstreamed = {k: v for k, v in OPENAI.items() if k != "stream"}
    async with http.post(f"{server.openai_base_url}/chat/completions", json=unstreamed) as r:
        assert (await r.json())["object"] == "chat.completion"
    first, second = await server.wait_for_requests(2)
    assert (first.streamed, second.streamed) == (True, False)


async def test_a_stream_record_names_its_request(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """A stream's record points at the request it answered, even when others arrived while
    it was delayed."""
    server.script(delay(0.2, reply("late")), error(503))
    url = f"{server.openai_base_url}/chat/completions"
    slow = asyncio.create_task(openai_stream(http, server))
    await server.wait_for_requests(1)
    async with http.post(url, json=OPENAI) as response:
        assert response.status == 503
    await slow
    (ended,) = await server.wait_for_streams(1)
    assert ended.index == 0 and server.requests[ended.index].streamed
