"""The root conftest's guard: an LLM call to a real host fails at once in tests; loopback
works."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from agents.kernel.errors import ProviderError
from agents.llm.chat import ChatMessage, ChatRequest
from bot.integrations.llm import ProviderSettings
from bot.integrations.llm.openai_compat import OpenAIChatModel
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import reply

from .conftest import RecordingSleep

REQUEST = ChatRequest(model="gpt-test", messages=(ChatMessage("user", "hi"),))


async def test_real_openai_is_blocked(sleep: RecordingSleep) -> None:
    """An adapter pointed at api.openai.com fails fast, saying the call was blocked."""
    settings = ProviderSettings("openai", "openai", "https://api.openai.com/v1", "sk-test")
    model = OpenAIChatModel(settings, sleep=sleep)
    try:
        async with asyncio.timeout(5):
            with pytest.raises(ProviderError) as caught:
                await model.complete(REQUEST)
    finally:
        await model.aclose()
    assert caught.value.kind == "connection"
    assert "network call to api.openai.com blocked in tests" in str(caught.value)


def test_sync_clients_are_blocked_too() -> None:
    """A synchronous httpx client cannot reach a real host either."""
    with httpx2.Client() as client, pytest.raises(httpx2.ConnectError, match="blocked in tests"):
        client.get("https://example.com/")


async def test_loopback_still_works(sleep: RecordingSleep) -> None:
    """The guard lets requests to 127.0.0.1 through."""
    async with ScriptedLLMServer() as llm:
        llm.script(reply("local answer"))
        settings = ProviderSettings("local", "openai", llm.openai_base_url, None)
        model = OpenAIChatModel(settings, sleep=sleep)
        try:
            assert (await model.complete(REQUEST)).text == "local answer"
        finally:
            await model.aclose()
