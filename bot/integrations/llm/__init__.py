"""LLM providers: the adapters behind the domain's :class:`~agents.llm.chat.ChatModel` port.

``openai_compat`` speaks OpenAI-compatible chat completions, ``anthropic_messages`` speaks
Anthropic Messages. Both share one base (:class:`~.provider.ProviderChatModel`): each call
sits behind its provider's circuit breaker and the provider retry policy of
:mod:`bot.integrations.resilience` (:mod:`.calls`), and every SDK failure becomes a
:class:`~agents.kernel.errors.ProviderError` (:mod:`.failures`); an adapter keeps only its SDK
calls and its error map. The SDKs are optional extras, so the adapter modules are not imported
here: :func:`build_chat_models` imports the ones the configured providers need.
"""

from __future__ import annotations

from bot.integrations.llm.build import build_chat_models, close_chat_models
from bot.integrations.llm.calls import CallGuard
from bot.integrations.llm.settings import MAX_ATTEMPTS_LIMIT, ProviderKind, ProviderSettings

__all__ = [
    "MAX_ATTEMPTS_LIMIT",
    "CallGuard",
    "ProviderKind",
    "ProviderSettings",
    "build_chat_models",
    "close_chat_models",
]
