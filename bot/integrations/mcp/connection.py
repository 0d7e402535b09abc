"""One long-lived session per MCP server, reconnected when it breaks.

The session is held open by a task of its own (the SDK's transports are context managers that
must be entered and left in one task); callers borrow it for a listing or a call. A call or a
listing that fails on the transport marks the session broken: the holding task closes it (and
stops a stdio server) and the next use connects again. Connecting, and then listing or calling,
happen within the caller's timeout.

When the server sends ``notifications/tools/list_changed``, the tools are listed again (in a
task of their own: never inside the SDK's receive loop) and handed to ``on_tools``, so a
server's new or changed tools reach the running bot without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import structlog

from bot.config_file import McpEndpoint
from bot.integrations.mcp.client import (
    McpCallError,
    McpCallResult,
    McpServerError,
    McpTool,
    call_result,
    list_with,
    open_session,
    opened,
    reason,
)
from bot.integrations.resilience import Sleep, api_read_policy

if TYPE_CHECKING:
    from mcp import ClientSession

__all__ = ["LIST_ATTEMPTS", "McpConnection", "ToolsChanged"]

log = structlog.get_logger(__name__)

ToolsChanged = Callable[[tuple[McpTool, ...]], Awaitable[None]]
"""Told a server's tools after it announced that they changed."""

LIST_ATTEMPTS = 2
"""A listing is retried once, on a fresh connection."""


class McpConnection:
    """The bot's session with one server (see the module docstring)."""

    def __init__(
        self,
        endpoint: McpEndpoint,
        environ: Mapping[str, str],
        *,
        timeout: float,
        on_tools: ToolsChanged | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.endpoint = endpoint
        self._environ = environ
        self._timeout = timeout
        self._sleep = sleep
        self.on_tools = on_tools
        self._session: ClientSession | None = None
        self._holder: asyncio.Task[None] | None = None
        self._broken = asyncio.Event()
        self._connecting = asyncio.Lock()
        self._relists: set[asyncio.Task[None]] = set()
        self._holders: set[asyncio.Task[None]] = set()
        """Every holding task not finished yet (one that broke may still be closing)."""
        self._auth: object = None
        """The HTTP client's OAuth (its token outlives a session), made at first connect."""

    @property
    def server(self) -> str:
        """The server's name."""
        return self.endpoint.server

    async def tools(self) -> tuple[McpTool, ...]:
        """Every tool the server lists now (retried once on a fresh connection).

        Raises:
            McpServerError: the server could not be reached or listed in time.
        """
        policy = api_read_policy(
            api=f"mcp:{self.server}",
            transient=lambda exc: isinstance(exc, McpServerError),
            sleep=self._sleep,
            attempts=LIST_ATTEMPTS,
        )
        async for attempt in policy:
            with attempt:
                return await self._list_once()
        raise AssertionError("unreachable: the policy reraises")  # pragma: no cover

    async def _list_once(self) -> tuple[McpTool, ...]:
        try:
            async with asyncio.timeout(self._timeout):
                session = await self._open()
                return await list_with(session)
        except TimeoutError:
            self._break()
            raise McpServerError(
                self.server, f"did not list its tools within {self._timeout:g}s"
            ) from None
        except McpServerError:
            raise
        except Exception as exc:  # the SDK and the transport: translate at the seam
            self._break()
            raise McpServerError(
                self.server, f"could not be {opened(self.endpoint)} or listed ({reason(exc)})"
            ) from None

    async def call(
        self, tool: str, arguments: Mapping[str, object], *, timeout: float
    ) -> McpCallResult:
        """Call ``tool`` once within ``timeout`` (connecting first if need be).

        Raises:
            McpCallError: no result; ``sent`` says whether the request may have reached it.
        """
        sent = False
        try:
            async with asyncio.timeout(timeout):
                session = await self._open()
                sent = True
                result = await session.call_tool(tool, dict(arguments))
        except TimeoutError:
            raise McpCallError(f"no answer within {timeout:g}s", sent=sent) from None
        except McpServerError as exc:
            raise McpCallError(exc.reason, sent=False) from None
        except Exception as exc:  # the SDK and the transport: translate at the seam
            self._break()
            raise McpCallError(f"the call failed ({reason(exc)})", sent=sent) from None
        return call_result(result)

    async def close(self) -> None:
        """Close the session (stopping a stdio server) and any listing under way."""
        for task in list(self._relists):
            task.cancel()
        self._break()
        for holder in list(self._holders):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await holder

    async def _open(self) -> ClientSession:
        """The open session, connecting when there is none (one connection at a time)."""
        async with self._connecting:
            holder = self._holder
            alive = holder is not None and not holder.done() and not self._broken.is_set()
            if self._session is not None and alive:
                return self._session
            ready: asyncio.Future[ClientSession] = asyncio.get_running_loop().create_future()
            self._broken = asyncio.Event()
            self._holder = asyncio.create_task(self._hold(ready), name=f"mcp:{self.server}")
            self._holders.add(self._holder)
            self._holder.add_done_callback(self._holders.discard)
            try:
                self._session = await asyncio.shield(ready)
            except asyncio.CancelledError:
                self._break()
                raise
            except Exception as exc:
                raise McpServerError(
                    self.server, f"could not be {opened(self.endpoint)} ({reason(exc)})"
                ) from None
            log.info("mcp_session_opened", server=self.server, transport=self.endpoint.transport)
            return self._session

    async def _hold(self, ready: asyncio.Future[ClientSession]) -> None:
        broken = self._broken
        try:
            endpoint = self.endpoint
            if self._auth is None and endpoint.url is not None and endpoint.oauth is not None:
                from bot.integrations.mcp.oauth import client_credentials

                self._auth = client_credentials(endpoint.url, endpoint.oauth, self._environ)
            async with open_session(
                endpoint, self._environ, on_message=self._told, auth=self._auth
            ) as session:
                ready.set_result(session)
                await broken.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError("closed"))
            elif isinstance(exc, Exception):
                log.warning("mcp_session_lost", server=self.server, reason=reason(exc))
            if not isinstance(exc, Exception):
                raise
        finally:
            if self._holder is asyncio.current_task():
                self._session = None

    def _break(self) -> None:
        self._broken.set()

    async def _told(self, message: object) -> None:
        """A notification or a transport fault from the SDK's receive loop (never blocks it)."""
        from mcp.types import ToolListChangedNotification

        if isinstance(message, Exception):
            log.warning("mcp_transport_fault", server=self.server, reason=reason(message))
            self._break()
        elif isinstance(message, ToolListChangedNotification) and self.on_tools is not None:
            task = asyncio.create_task(self._relist(), name=f"mcp:{self.server}:relist")
            self._relists.add(task)
            task.add_done_callback(self._relists.discard)

    async def _relist(self) -> None:
        log.info("mcp_tools_list_changed", server=self.server)
        try:
            tools = await self.tools()
        except McpServerError as exc:
            log.warning("mcp_relist_failed", server=self.server, reason=exc.reason)
            return
        if self.on_tools is not None:
            await self.on_tools(tools)
