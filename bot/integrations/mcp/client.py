"""The one seam to the MCP Python SDK (``mcp``): list a stdio server's tools, call one tool.

Each use starts the server's command (argv, never a shell) with only the allowlisted
environment variables (plus the SDK's safe defaults: HOME, PATH, SHELL, TERM...), initialises a
session, does its one thing and stops the server. The SDK is imported here, lazily, so a
config with no MCP servers never loads it. Its exceptions are translated here:
:class:`McpServerError` when a server cannot be listed, :class:`McpCallError` when a call did
not give a result (saying whether the request may have reached the server).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp import ClientSession

__all__ = [
    "McpCallError",
    "McpCallResult",
    "McpServerError",
    "McpTool",
    "call_tool",
    "list_tools",
    "server_environment",
]


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
    """A server could not be started, initialised or listed in time."""

    def __init__(self, server: str, reason: str) -> None:
        super().__init__(f"MCP server {server!r}: {reason}")
        self.server = server
        self.reason = reason


class McpCallError(Exception):
    """A call gave no result; ``sent``: the request may have reached the server."""

    def __init__(self, reason: str, *, sent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


def server_environment(allowlist: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The allowlisted variables that are set (values never logged)."""
    return {name: environ[name] for name in allowlist if name in environ}


def _reason(exc: BaseException) -> str:
    """A short, secret-free reason: the innermost exception's type (and an OS error's text)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return type(exc).__name__


@asynccontextmanager
async def _session(argv: Sequence[str], env: Mapping[str, str]) -> AsyncIterator[ClientSession]:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=argv[0], args=list(argv[1:]), env=dict(env))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def list_tools(
    server: str, argv: Sequence[str], env: Mapping[str, str], *, timeout: float
) -> tuple[McpTool, ...]:
    """Every tool the server lists (all pages).

    Raises:
        McpServerError: the server did not start, initialise or answer within ``timeout``.
    """
    try:
        async with asyncio.timeout(timeout), _session(argv, env) as session:
            tools: list[McpTool] = []
            cursor: str | None = None
            while True:
                from mcp.types import PaginatedRequestParams

                params = PaginatedRequestParams(cursor=cursor) if cursor else None
                page = await session.list_tools(params=params)
                tools.extend(_tool(tool) for tool in page.tools)
                cursor = page.next_cursor
                if not cursor:
                    return tuple(tools)
    except TimeoutError:
        raise McpServerError(server, f"did not list its tools within {timeout:g}s") from None
    except Exception as exc:  # the SDK and the child process: translate at the seam
        raise McpServerError(server, f"could not be started or listed ({_reason(exc)})") from None


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
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    tool: str,
    arguments: Mapping[str, object],
    timeout: float,
) -> McpCallResult:
    """Call ``tool`` once.

    Raises:
        McpCallError: no result within ``timeout`` or the connection failed; ``sent`` says
            whether the call request may have reached the server.
    """
    sent: list[bool] = []
    try:
        async with asyncio.timeout(timeout), _session(argv, env) as session:
            sent.append(True)
            result = await session.call_tool(tool, dict(arguments))
    except TimeoutError:
        raise McpCallError(f"no answer within {timeout:g}s", sent=bool(sent)) from None
    except Exception as exc:  # the SDK and the child process: translate at the seam
        raise McpCallError(f"the call failed ({_reason(exc)})", sent=bool(sent)) from None
    texts = [block.text for block in getattr(result, "content", ()) if _is_text(block)]
    return McpCallResult(is_error=bool(getattr(result, "is_error", False)), text="\n".join(texts))


def _is_text(block: object) -> bool:
    return getattr(block, "type", None) == "text" and isinstance(getattr(block, "text", None), str)
