"""A base for clients that wrap a provider's client (timing, tracing): the name and the
pool's closing pass through, so a wrapper only writes ``complete``."""

from __future__ import annotations

from agents.llm.chat import ChatModel

__all__ = ["ChatModelDecorator"]


class ChatModelDecorator:
    """Holds the wrapped ``ChatModel``; subclasses implement ``complete``."""

    def __init__(self, inner: ChatModel) -> None:
        self._inner = inner

    @property
    def name(self) -> str:
        """The provider's name in the config file."""
        return self._inner.name

    async def aclose(self) -> None:
        """Close the wrapped client's connection pool, if it has one."""
        close = getattr(self._inner, "aclose", None)
        if close is not None:
            await close()
