"""Fixtures: the scripted LLM server, a sleep that only records, a clock the test moves,
adapters of either kind pointed at the server, and a text sink that collects a streamed
answer's pieces."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest

from agents.llm.chat import ChatModel
from bot.integrations.llm import (
    ProviderKind,
    ProviderSettings,
    build_chat_models,
    close_chat_models,
)
from sandbox.llm_server import ScriptedLLMServer

from ..fakes import FakeClock, RecordingSleep

API_KEY = "sk-test-4f1c9e2b7a"


ModelFactory = Callable[..., ChatModel]


@pytest.fixture
async def llm() -> AsyncIterator[ScriptedLLMServer]:
    """A running scripted LLM server that checks the key."""
    async with ScriptedLLMServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def sleep() -> RecordingSleep:
    """The recorded waits of the retry policy."""
    return RecordingSleep()


@pytest.fixture
def clock() -> FakeClock:
    """The breakers' monotonic clock."""
    return FakeClock()


@pytest.fixture(params=["openai", "anthropic"])
def kind(request: pytest.FixtureRequest) -> ProviderKind:
    """Each test taking ``kind`` runs once per wire format."""
    value: ProviderKind = request.param
    return value


def settings_for(
    kind: ProviderKind, server: ScriptedLLMServer, **overrides: Any
) -> ProviderSettings:
    """Settings of a provider of ``kind`` pointed at ``server``."""
    base_url = server.openai_base_url if kind == "openai" else server.anthropic_base_url
    settings = ProviderSettings(name=f"test-{kind}", kind=kind, base_url=base_url, api_key=API_KEY)
    return replace(settings, **overrides)


@pytest.fixture
async def make_model(
    llm: ScriptedLLMServer, sleep: RecordingSleep, clock: FakeClock
) -> AsyncIterator[ModelFactory]:
    """Builds an adapter of a kind (settings overridable) at the server; closes it after."""
    built: list[dict[str, ChatModel]] = []

    def make(kind: ProviderKind, **overrides: Any) -> ChatModel:
        settings = settings_for(kind, llm, **overrides)
        models = build_chat_models([settings], sleep=sleep, monotonic=clock)
        built.append(models)
        return models[settings.name]

    yield make
    for models in built:
        await close_chat_models(models)


class Collected:
    """A text sink that keeps the pieces of a streamed answer, in order; a test can await the
    n-th piece instead of sleeping."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self._arrived = asyncio.Condition()

    async def __call__(self, piece: str) -> None:
        async with self._arrived:
            self.pieces.append(piece)
            self._arrived.notify_all()

    async def wait_for(self, count: int, *, timeout: float = 5.0) -> list[str]:
        """The first ``count`` pieces, once they have arrived."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.pieces) >= count)
        return self.pieces[:count]
