"""Serving an aiohttp application on a local port: the one way the sandbox's servers start,
and the ``async with`` protocol they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from aiohttp import web

__all__ = ["LocalServer", "serve_app"]


class LocalServer(ABC):
    """A server used as ``async with Server() as server:``: started on entry (with the
    defaults of its :meth:`start`), closed on exit."""

    @abstractmethod
    async def start(self) -> object:
        """Start serving."""

    @abstractmethod
    async def close(self) -> None:
        """Stop serving."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def serve_app(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``host:port`` (port 0: an ephemeral one).

    Returns:
        The runner (``cleanup()`` stops serving) and the port bound.

    Raises:
        OSError: the port is taken; nothing is left behind.
    """
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner, int(runner.addresses[0][1])
