"""Build one chat model per configured provider.

The SDKs are optional extras (``switchboard[openai]``, ``switchboard[anthropic]``): each is
imported here, when a provider of its kind is configured, so a deployment without LLM
providers needs neither.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from agents.kernel.errors import ConfigError
from agents.llm.chat import ChatModel
from bot.integrations.llm.provider import ProviderChatModel
from bot.integrations.llm.settings import ProviderKind, ProviderSettings
from bot.integrations.resilience import Sleep

__all__ = ["build_chat_models", "close_chat_models"]

_ADAPTERS: dict[ProviderKind, tuple[str, str, str]] = {
    "openai": ("openai", "bot.integrations.llm.openai_compat", "OpenAIChatModel"),
    "anthropic": ("anthropic", "bot.integrations.llm.anthropic_messages", "AnthropicChatModel"),
}
"""Per wire format: the SDK (also the name of its extra), and the adapter's module and class."""


@runtime_checkable
class _Closable(Protocol):
    async def aclose(self) -> None: ...


def build_chat_models(
    providers: Sequence[ProviderSettings],
    *,
    sleep: Sleep = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> dict[str, ChatModel]:
    """A chat model per provider name, each with its own circuit breaker.

    Args:
        sleep: the wait between retries (tests pass one that only records).
        monotonic: seconds, for the breakers' cooldown and the latency in the log line.

    Raises:
        ConfigError: a provider's SDK is not installed, or two providers share a name.
    """
    models: dict[str, ChatModel] = {}
    for settings in providers:
        if settings.name in models:
            raise ConfigError(f"providers.{settings.name}", "is defined more than once")
        models[settings.name] = _adapter(settings, sleep=sleep, monotonic=monotonic)
    return models


async def close_chat_models(models: Mapping[str, ChatModel]) -> None:
    """Close the connection pools of models built by :func:`build_chat_models`."""
    for model in models.values():
        if isinstance(model, _Closable):
            await model.aclose()


def _adapter(
    settings: ProviderSettings, *, sleep: Sleep, monotonic: Callable[[], float]
) -> ChatModel:
    """The adapter of the provider's kind, its SDK imported only now."""
    sdk, module, name = _ADAPTERS[settings.kind]
    try:
        importlib.import_module(sdk)  # only to learn whether the extra is installed
    except ImportError as exc:
        raise ConfigError(
            f"providers.{settings.name}",
            f"needs the optional extra: pip install 'switchboard[{sdk}]'",
        ) from exc
    adapter: object = getattr(importlib.import_module(module), name)
    assert isinstance(adapter, type) and issubclass(adapter, ProviderChatModel)
    return adapter(settings, sleep=sleep, monotonic=monotonic)
