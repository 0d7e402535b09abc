"""The scripted LLM server itself, spoken to with a plain HTTP client: the wire formats, the
exhausted script, the responder, the records and the checks a real API would make."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import Step, error, malformed, reply, tool_call
from sandbox.records import JSON

OPENAI_BODY = {"model": "m-1", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC_BODY = {"model": "m-1", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC_HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "k"}


@pytest.fixture
async def server() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer() as llm:
        yield llm


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    async with http.post(url, json=body, headers=headers) as response:
        text = await response.text()
        try:
            decoded = await response.json(content_type=None)
        except ValueError:
            decoded = text
        return response.status, decoded, dict(response.headers)


async def test_openai_wire_format(server: ScriptedLLMServer, http: aiohttp.ClientSession) -> None:
    """A tool-call step is a chat completion with ``tool_calls``, ``finish_reason`` and usage."""
    server.script(tool_call("lookup", {"q": "api"}, call_id="call_1", usage=(3, 2)))
    status, body, _ = await post(http, f"{server.openai_base_url}/chat/completions", OPENAI_BODY)
    assert status == 200
    assert body["object"] == "chat.completion" and body["model"] == "m-1"
    assert isinstance(body["created"], int) and body["id"].startswith("chatcmpl-")
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert choice["message"]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "lookup", "arguments": '{"q": "api"}'},
        }
    ]
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


async def test_anthropic_wire_format(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """The same step is a Messages answer with a ``tool_use`` block and ``stop_reason``."""
    server.script(
        tool_call("lookup", {"q": "api"}, call_id="toolu_1", text="Looking.", usage=(3, 2))
    )
    status, body, _ = await post(
        http, f"{server.anthropic_base_url}/v1/messages", ANTHROPIC_BODY, ANTHROPIC_HEADERS
    )
    assert status == 200
    assert (body["type"], body["role"], body["model"]) == ("message", "assistant", "m-1")
    assert body["content"] == [
        {"type": "text", "text": "Looking."},
        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "api"}},
    ]
    assert body["stop_reason"] == "tool_use"
    assert body["usage"]["input_tokens"] == 3 and body["usage"]["output_tokens"] == 2


async def test_errors_in_each_vendor_format(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """An error step carries the status, ``Retry-After`` and the vendor's error body."""
    server.script(error(429, retry_after=2, message="slow down"), error(529, message="busy"))
    status, body, headers = await post(
        http, f"{server.openai_base_url}/chat/completions", OPENAI_BODY
    )
    assert status == 429 and headers["Retry-After"] == "2"
    assert body["error"] == {
        "message": "slow down",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    status, body, _ = await post(
        http, f"{server.anthropic_base_url}/v1/messages", ANTHROPIC_BODY, ANTHROPIC_HEADERS
    )
    assert status == 529
    assert body["type"] == "error"
    assert body["error"] == {"type": "overloaded_error", "message": "busy"}


async def test_malformed_is_a_200_that_is_not_json(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """``malformed()`` answers 200, claims JSON, and is not."""
    server.script(malformed("oops"))
    status, body, headers = await post(
        http, f"{server.openai_base_url}/chat/completions", OPENAI_BODY
    )
    assert status == 200 and body == "oops"
    assert headers["Content-Type"].startswith("application/json")


async def test_exhausted_script_fails_loudly(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """Once the script is empty, requests get a 500 saying so."""
    status, body, _ = await post(http, f"{server.openai_base_url}/chat/completions", OPENAI_BODY)
    assert status == 500
    assert "script exhausted" in body["error"]["message"]


async def test_responder_answers_after_the_script(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """A responder answers every request the script does not, from the request's body."""
    seen: list[JSON] = []

    def compromised(body: JSON) -> Step:
        seen.append(body)
        return tool_call("delete_everything", {"confirm": True})

    server.script(reply("first, a scripted answer"))
    server.responder = compromised
    url = f"{server.openai_base_url}/chat/completions"
    _, first, _ = await post(http, url, OPENAI_BODY)
    assert first["choices"][0]["message"]["content"] == "first, a scripted answer"
    for _ in range(2):
        _, body, _ = await post(http, url, OPENAI_BODY)
        assert (
            body["choices"][0]["message"]["tool_calls"][0]["function"]["name"]
            == "delete_everything"
        )
    assert seen == [OPENAI_BODY, OPENAI_BODY]


async def test_requests_are_recorded_without_credentials(
    server: ScriptedLLMServer, http: aiohttp.ClientSession
) -> None:
    """Each request is recorded with its path and body, never its key."""
    server.script(reply("a"), reply("b"))
    await post(
        http,
        f"{server.openai_base_url}/chat/completions",
        OPENAI_BODY,
        {"Authorization": "Bearer sk-secret", "X-Trace": "t-1"},
    )
    await post(http, f"{server.anthropic_base_url}/v1/messages", ANTHROPIC_BODY, ANTHROPIC_HEADERS)
    first, second = await server.wait_for_requests(2)
    assert (first.flavour, first.path, first.body) == (
        "openai",
        "/v1/chat/completions",
        OPENAI_BODY,
    )
    assert first.headers["X-Trace"] == "t-1"
    assert "sk-secret" not in repr(first)
    assert (second.flavour, second.path) == ("anthropic", "/v1/messages")
    assert "x-api-key" not in {name.lower() for name in second.headers}


async def test_wait_for_requests_times_out(server: ScriptedLLMServer) -> None:
    """Waiting for requests that never come fails after the timeout, saying how many came."""
    with pytest.raises(TimeoutError, match="0 of 1 LLM requests"):
        await server.wait_for_requests(1, timeout=0.05)


@pytest.mark.parametrize(
    ("path", "body", "headers", "complaint"),
    [
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}, {}, "model"),
        ("/v1/chat/completions", {"model": "m", "messages": []}, {}, "messages"),
        ("/v1/messages", ANTHROPIC_BODY, {}, "anthropic-version"),
        ("/v1/messages", {**ANTHROPIC_BODY, "max_tokens": None}, ANTHROPIC_HEADERS, "max_tokens"),
        (
            "/v1/messages",
            {**ANTHROPIC_BODY, "messages": [{"role": "system", "content": "x"}]},
            ANTHROPIC_HEADERS,
            "roles",
        ),
    ],
    ids=["no-model", "no-messages", "no-version", "no-max-tokens", "system-role"],
)
async def test_requests_a_real_api_refuses_get_400(
    server: ScriptedLLMServer,
    http: aiohttp.ClientSession,
    path: str,
    body: JSON,
    headers: dict[str, str],
    complaint: str,
) -> None:
    """A malformed request is answered 400 without taking a scripted step."""
    server.script(reply("kept"))
    status, answer, _ = await post(http, server.base_url + path, body, headers)
    assert status == 400
    assert complaint in str(answer)
    assert server.pending == 1


async def test_key_is_checked_when_set(http: aiohttp.ClientSession) -> None:
    """A server given a key answers 401 to requests without it."""
    async with ScriptedLLMServer(api_key="sk-right") as server:
        server.script(reply("ok"))
        url = f"{server.openai_base_url}/chat/completions"
        status, _, _ = await post(http, url, OPENAI_BODY, {"Authorization": "Bearer sk-wrong"})
        assert status == 401
        status, _, _ = await post(http, url, OPENAI_BODY, {"Authorization": "Bearer sk-right"})
        assert status == 200
