"""LLM providers: the adapters behind the domain's :class:`~agents.llm.chat.ChatModel` port.

``openai_compat`` speaks OpenAI-compatible chat completions, ``anthropic_messages`` speaks
Anthropic Messages. Both share one base (:class:`~.provider.ProviderChatModel`): each call
sits behind its provider's circuit breaker and the provider retry policy of
:mod:`bot.integrations.resilience` (:mod:`.calls`), and every SDK failure becomes a
:class:`~agents.kernel.errors.ProviderError` (:mod:`.failures`); an adapter keeps only its SDK
calls and its error map. The SDKs are optional extras, so the adapter modules are not imported
here: :func:`build_chat_models` imports the ones the configured providers need. Nor are the
others until a name is first asked for (PEP 562): the bot's decorators subclass
:mod:`.decorator`, and a bot without providers never needs the rest (issue 19).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.integrations.llm.build import build_chat_models, close_chat_models
    from bot.integrations.llm.calls import CallGuard
    from bot.integrations.llm.settings import (
        MAX_ATTEMPTS_LIMIT,
        ProviderKind,
        ProviderSettings,
    )

_HOMES = {
    "build_chat_models": "build",
    "close_chat_models": "build",
    "CallGuard": "calls",
    "MAX_ATTEMPTS_LIMIT": "settings",
    "ProviderKind": "settings",
    "ProviderSettings": "settings",
}

__all__ = [
    "MAX_ATTEMPTS_LIMIT",
    "CallGuard",
    "ProviderKind",
    "ProviderSettings",
    "build_chat_models",
    "close_chat_models",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
