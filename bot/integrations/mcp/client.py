"""The one seam to the MCP Python SDK (``mcp``): open a session with a server, list its tools,
call one tool.

A server is reached over stdio (its command, argv and never a shell, started with only the
allowlisted environment variables plus the SDK's safe defaults: HOME, PATH, SHELL, TERM...) or
over Streamable HTTP (its URL, with the configured headers, whose ``${ENV_VAR}`` references are
resolved here from the injected environment and go nowhere but the request). The SDK is
imported here, lazily, so a config with no MCP servers never loads it. Its exceptions are
translated here, with short, secret-free reasons: :class:`McpServerError` when a server cannot
be reached or listed, :class:`McpCallError` when a call did not give a result (saying whether
the request may have reached the server).

:func:`open_session` is what the long-lived connection (:mod:`.connection`) holds open;
:func:`list_tools` and :func:`call_tool` open a session for one use (``config check``,
``doctor``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from bot.config_file import McpEndpoint
from bot.config_file.templates import MissingEnvironmentVariable, resolve_env

if TYPE_CHECKING:
    from mcp import ClientSession
    from mcp.client.session import MessageHandlerFnT

__all__ = [
    "HttpRefused",
    "McpCallError",
    "McpCallResult",
    "McpServerError",
    "McpTool",
    "MessageHandler",
    "call_result",
    "call_tool",
    "list_tools",
    "list_with",
    "open_session",
    "opened",
    "reason",
    "server_environment",
]

MessageHandler = Callable[[object], Awaitable[None]]
"""Told each notification the server sends (and each transport fault)."""


@dataclass(frozen=True, slots=True)
class McpTool:
    """One tool as a server lists it: its JSON input schema and its risk hints."""

    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)
    read_only: bool = False
    destructive: bool = False


@dataclass(frozen=True, slots=True)
class McpCallResult:
    """A tool's answer: whether it reported an error, and its text content joined."""

    is_error: bool
    text: str


class McpServerError(Exception):
    """A server could not be reached, initialised or listed in time."""

    def __init__(self, server: str, reason: str) -> None:
        super().__init__(f"MCP server {server!r}: {reason}")
        self.server = server
        self.reason = reason


class HttpRefused(Exception):
    """An HTTP server answered the session's start with an error status (the SDK does not say
    which, so it is noted from the response)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class McpCallError(Exception):
    """A call gave no result; ``sent``: the request may have reached the server."""

    def __init__(self, reason: str, *, sent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


def server_environment(allowlist: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The allowlisted variables that are set (values never logged)."""
    return {name: environ[name] for name in allowlist if name in environ}


def opened(endpoint: McpEndpoint) -> str:
    """What opening a session takes: a stdio server is started, an HTTP one reached."""
    return "started" if endpoint.url is None else "reached"


def reason(exc: BaseException) -> str:
    """A short, secret-free reason: the innermost exception's type, an OS error's text, an
    HTTP status (never a header or a body)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, MissingEnvironmentVariable):
        needing = getattr(exc, "needing", "a header")
        return f"{needing} needs ${{{exc.name}}}, which is not set"
    oauth = _oauth_reason(exc)
    if oauth is not None:
        return oauth
    if isinstance(exc, HttpRefused):
        refused = exc.status in (401, 403)
        hint = ": refused, check the server's headers and their secrets" if refused else ""
        return f"HTTP {exc.status}{hint}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return type(exc).__name__


def _oauth_reason(exc: BaseException) -> str | None:
    """An OAuth failure's reason: the token endpoint's status only (its body may echo what
    was sent), or the flow's own message (URLs and issuers, never a secret)."""
    module = type(exc).__module__
    if not module.startswith("mcp.client.auth"):
        return None
    from mcp.client.auth import OAuthTokenError

    if isinstance(exc, OAuthTokenError):
        status = re.search(r"\((\d{3})\)", str(exc))
        code = f"HTTP {status.group(1)}" if status else "an error"
        return (
            f"OAuth: the token endpoint answered {code}: refused, check the oauth client_id "
            "and the client_secret its variable holds"
        )
    return f"OAuth: {str(exc).splitlines()[0][:200]}"


@asynccontextmanager
async def open_session(
    endpoint: McpEndpoint,
    environ: Mapping[str, str],
    *,
    on_message: MessageHandler | None = None,
    auth: Any = None,
) -> AsyncIterator[ClientSession]:
    """An initialised session with the server (closed, and a stdio server stopped, on exit).

    ``auth``: the HTTP client's auth (a long-lived connection passes its own, so that its
    OAuth token outlives one session); by default one is made from the endpoint's ``oauth``.

    Raises:
        MissingEnvironmentVariable: a header names a variable that is not set.
        Exception: whatever the SDK or the transport raise (callers translate them).
    """
    from mcp import ClientSession

    statuses: list[int] = []
    async with AsyncExitStack() as stack:
        if endpoint.url is None:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            argv = endpoint.argv
            params = StdioServerParameters(
                command=argv[0],
                args=list(argv[1:]),
                env=server_environment(endpoint.env, environ),
            )
            read, write = await stack.enter_async_context(stdio_client(params))
        else:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            from bot.integrations.mcp.oauth import client_credentials

            headers = {name: resolve_env(value, environ) for name, value in endpoint.headers}
            auth = auth or client_credentials(endpoint.url, endpoint.oauth, environ)
            client = await stack.enter_async_context(
                create_mcp_http_client(headers=headers, auth=auth)
            )

            async def note(response: Any) -> None:
                if response.status_code >= 400:
                    statuses.append(response.status_code)

            client.event_hooks = {"request": [], "response": [note]}
            read, write = await stack.enter_async_context(
                streamable_http_client(endpoint.url, http_client=client)
            )
        session = await stack.enter_async_context(
            ClientSession(read, write, message_handler=cast("MessageHandlerFnT | None", on_message))
        )
        try:
            await session.initialize()
        except Exception as exc:
            if statuses:
                raise HttpRefused(statuses[-1]) from exc
            raise
        yield session


async def list_with(session: ClientSession) -> tuple[McpTool, ...]:
    """Every tool an open session's server lists (all pages)."""
    from mcp.types import PaginatedRequestParams

    tools: list[McpTool] = []
    cursor: str | None = None
    while True:
        params = PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools.extend(_tool(tool) for tool in page.tools)
        cursor = page.next_cursor
        if not cursor:
            return tuple(tools)


async def list_tools(
    endpoint: McpEndpoint, environ: Mapping[str, str], *, timeout: float
) -> tuple[McpTool, ...]:
    """Every tool the server lists, in a session of its own.

    Raises:
        McpServerError: the server could not be reached, initialised or listed in ``timeout``.
    """
    try:
        async with asyncio.timeout(timeout), open_session(endpoint, environ) as session:
            return await list_with(session)
    except TimeoutError:
        raise McpServerError(
            endpoint.server, f"did not list its tools within {timeout:g}s"
        ) from None
    except Exception as exc:  # the SDK, the child process, the network: translate at the seam
        raise McpServerError(
            endpoint.server, f"could not be {opened(endpoint)} or listed ({reason(exc)})"
        ) from None


def _tool(tool: Any) -> McpTool:
    hints = tool.annotations
    return McpTool(
        name=tool.name,
        description=tool.description or "",
        input_schema=dict(tool.input_schema or {}),
        read_only=bool(hints is not None and hints.read_only_hint),
        destructive=bool(hints is not None and hints.destructive_hint),
    )


async def call_tool(
    endpoint: McpEndpoint,
    environ: Mapping[str, str],
    *,
    tool: str,
    arguments: Mapping[str, object],
    timeout: float,
) -> McpCallResult:
    """Call ``tool`` once, in a session of its own.

    Raises:
        McpCallError: no result within ``timeout`` or the connection failed; ``sent`` says
            whether the call request may have reached the server.
    """
    sent: list[bool] = []
    try:
        async with asyncio.timeout(timeout), open_session(endpoint, environ) as session:
            sent.append(True)
            result = await session.call_tool(tool, dict(arguments))
    except TimeoutError:
        raise McpCallError(f"no answer within {timeout:g}s", sent=bool(sent)) from None
    except Exception as exc:  # the SDK and the child process: translate at the seam
        raise McpCallError(f"the call failed ({reason(exc)})", sent=bool(sent)) from None
    return call_result(result)


def call_result(result: object) -> McpCallResult:
    """The SDK's call result as ours: the error flag and the text content joined."""
    texts = [block.text for block in getattr(result, "content", ()) if _is_text(block)]
    return McpCallResult(is_error=bool(getattr(result, "is_error", False)), text="\n".join(texts))


def _is_text(block: object) -> bool:
    return getattr(block, "type", None) == "text" and isinstance(getattr(block, "text", None), str)
