"""Build one chat model per configured provider.

The SDKs are optional extras (``switchboard[openai]``, ``switchboard[anthropic]``): each is
imported here, when a provider of its kind is configured, so a deployment without LLM
providers needs neither.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from agents.core.errors import ConfigError
from agents.core.llm import ChatModel
from bot.integrations.llm.settings import ProviderSettings
from bot.integrations.resilience import Sleep

__all__ = ["build_chat_models", "close_chat_models"]


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
        if settings.kind == "openai":
            models[settings.name] = _openai(settings, sleep=sleep, monotonic=monotonic)
        else:
            models[settings.name] = _anthropic(settings, sleep=sleep, monotonic=monotonic)
    return models


async def close_chat_models(models: Mapping[str, ChatModel]) -> None:
    """Close the connection pools of models built by :func:`build_chat_models`."""
    for model in models.values():
        if isinstance(model, _Closable):
            await model.aclose()


def _missing(settings: ProviderSettings, extra: str) -> ConfigError:
    return ConfigError(
        f"providers.{settings.name}",
        f"needs the optional extra: pip install 'switchboard[{extra}]'",
    )


def _openai(
    settings: ProviderSettings, *, sleep: Sleep, monotonic: Callable[[], float]
) -> ChatModel:
    try:
        import openai  # noqa: F401 - only to learn whether the extra is installed
    except ImportError as exc:
        raise _missing(settings, "openai") from exc
    from bot.integrations.llm.openai_compat import OpenAIChatModel

    return OpenAIChatModel(settings, sleep=sleep, monotonic=monotonic)


def _anthropic(
    settings: ProviderSettings, *, sleep: Sleep, monotonic: Callable[[], float]
) -> ChatModel:
    try:
        import anthropic  # noqa: F401 - only to learn whether the extra is installed
    except ImportError as exc:
        raise _missing(settings, "anthropic") from exc
    from bot.integrations.llm.anthropic_messages import AnthropicChatModel

    return AnthropicChatModel(settings, sleep=sleep, monotonic=monotonic)
