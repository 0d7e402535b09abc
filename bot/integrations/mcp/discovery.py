"""At start-up (and in ``config check``): list each MCP server's tools and add them to the
loaded config as actions.

Servers are listed concurrently, each within its timeout. A server that cannot be listed is
reported in :attr:`McpDiscovery.failures` (``switchboard run`` logs it and starts without
its tools; ``config check`` fails); a tool whose policy breaks a rule (a risk looser than its
annotations, a dangerous tool with no approvers...) is a config problem in
:attr:`McpDiscovery.issues`, which stops both.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.config_file import ConfigIssue, LoadedConfig, McpServerModel
from bot.config_file.yamlsource import format_path
from bot.integrations.mcp.client import McpServerError, McpTool
from bot.integrations.mcp.client import list_tools as list_tools_once
from bot.integrations.mcp.scopes import ScopeGrants, grant_scopes
from bot.integrations.mcp.tools import ServerTools, server_tools

__all__ = ["ListTools", "McpDiscovery", "ServerReport", "discover_mcp_tools"]

ListTools = Callable[[McpServerModel], Awaitable[tuple[McpTool, ...]]]
"""Lists one server's tools (raising :class:`McpServerError`)."""


@dataclass(frozen=True, slots=True)
class ServerReport:
    """One server: its tools as actions, or why it could not be listed."""

    name: str
    tools: ServerTools | None
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class McpDiscovery:
    """The config with every listed server's tools added (and granted to the agents whose
    ``mcp`` scope names them), and what went wrong."""

    config: LoadedConfig
    servers: tuple[ServerReport, ...]
    issues: tuple[ConfigIssue, ...]
    scopes: ScopeGrants | None = None

    @property
    def failures(self) -> tuple[ServerReport, ...]:
        """The servers that could not be listed."""
        return tuple(server for server in self.servers if server.failure is not None)


async def discover_mcp_tools(
    config: LoadedConfig,
    *,
    environ: Mapping[str, str],
    list_tools: ListTools | None = None,
) -> McpDiscovery:
    """List every server of ``config`` and add its exposed tools as actions.

    Args:
        list_tools: how a server is listed (default: in a session of its own, within the
            server's timeout).
    """
    servers = config.mcp_servers
    if not servers:
        return McpDiscovery(config, (), ())

    async def once(server: McpServerModel) -> tuple[McpTool, ...]:
        return await list_tools_once(server.endpoint(), environ, timeout=_seconds(server))

    lister = list_tools or once
    reports = await asyncio.gather(
        *(_server(server, index, lister) for index, server in enumerate(servers))
    )
    issues: list[ConfigIssue] = []
    actions = list(config.actions)
    executors = dict(config.executors)
    for report in reports:
        if report.tools is None:
            continue
        for loc, message in report.tools.problems:
            issues.append(ConfigIssue(config.source, None, format_path(loc), message))
        for action in report.tools.actions:
            if action.name in executors:
                where = format_path(("mcp", "servers"))
                message = f"tool action {action.name!r} has the name of another action"
                issues.append(ConfigIssue(config.source, None, where, message))
                continue
            actions.append(action)
            executors[action.name] = report.tools.executors[action.name]
    merged = dataclasses.replace(
        config, actions=tuple(actions), executors=MappingProxyType(executors)
    )
    listed = {r.name: r.tools.listings for r in reports if r.tools is not None}
    scopes = grant_scopes(merged, listed)
    return McpDiscovery(scopes.config, tuple(reports), tuple(issues), scopes)


def _seconds(server: McpServerModel) -> float:
    return server.timeout.total_seconds()


async def _server(server: McpServerModel, index: int, list_tools: ListTools) -> ServerReport:
    try:
        tools = await list_tools(server)
    except McpServerError as exc:
        return ServerReport(server.name, None, exc.reason)
    return ServerReport(server.name, server_tools(server, index, tools))
