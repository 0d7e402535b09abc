"""Wiring MCP servers into a runtime: their tools as actions at start-up, and the executors
of the tools a server adds while running.

Kept apart from :mod:`bot.runtime` so that it stays the story of a runtime's parts; the
servers themselves are :class:`~bot.integrations.mcp.McpServers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import structlog

from agents.actions.execution import Executor
from bot.config_file import ConfigFileError, LoadedConfig, McpExecutorConfig
from bot.integrations.executors.build import LiveExecutors, guarded_mcp_executor
from bot.integrations.mcp import McpServers
from bot.integrations.resilience import CircuitBreaker, Sleep

__all__ = ["live_mcp_executors", "with_mcp_tools"]

log = structlog.get_logger(__name__)


async def with_mcp_tools(
    config: LoadedConfig, environ: Mapping[str, str]
) -> tuple[LoadedConfig, McpServers | None]:
    """The config with its MCP servers' tools as actions, and the servers' live connections
    (which keep those tools current). A server that cannot be listed is logged
    (``mcp_server_unavailable``) and the bot starts without its tools (the runtime keeps
    trying it: :meth:`McpServers.revive`); a tool whose policy
    breaks a rule (a risk looser than its annotations...) stops start-up.

    Raises:
        ConfigFileError: listing every such tool problem.
    """
    if not config.mcp_servers:
        return config, None
    mcp = McpServers(config.mcp_servers, environ=environ)
    try:
        discovery = await mcp.discover(config, environ=environ)
    except BaseException:
        await mcp.close()
        raise
    for server in discovery.servers:
        if server.tools is None:
            log.error(
                "mcp_server_unavailable",
                server=server.name,
                reason=server.failure,
                retrying=True,
            )
            continue
        for tool, reason in server.tools.refused:
            log.warning("mcp_tool_refused", server=server.name, tool=tool, reason=reason)
        log.info("mcp_server_listed", server=server.name, tools=len(server.tools.actions))
    if discovery.issues:
        await mcp.close()
        raise ConfigFileError(config.source, list(discovery.issues))
    return discovery.config, mcp


def live_mcp_executors(
    built: Mapping[str, Executor],
    mcp: McpServers,
    *,
    breakers: dict[str, CircuitBreaker],
    sleep: Sleep,
    wrap: Callable[[Mapping[str, Executor]], Mapping[str, Executor]],
) -> Mapping[str, Executor]:
    r"""``built``, plus the executor of each tool a server adds while running, made (behind
    its server's breaker, then ``wrap``\ ped like the others) when it is first asked for."""

    def added(name: str) -> Executor | None:
        spec = mcp.configs.get(name)
        if not isinstance(spec, McpExecutorConfig):
            return None
        one = guarded_mcp_executor(
            name,
            spec,
            configs=mcp.configs,
            connection=mcp.connections[spec.server],
            breakers=breakers,
            sleep=sleep,
        )
        return wrap({name: one})[name]

    return LiveExecutors(built, added)
