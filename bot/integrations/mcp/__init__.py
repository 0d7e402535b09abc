"""MCP servers as actions: the SDK seam (:mod:`.client`), one long-lived session per server
(:mod:`.connection`), listed tools as actions (:mod:`.tools`), the start-up listing
(:mod:`.discovery`) and the running bot's servers, kept current (:mod:`.live`). The executor is
:class:`bot.integrations.executors.mcp.McpExecutor`. Nothing here imports the SDK until a
server is used.
"""

from __future__ import annotations

from bot.integrations.mcp.discovery import McpDiscovery, ServerReport, discover_mcp_tools
from bot.integrations.mcp.live import Backoff, McpServers, ToolsUpdate

__all__ = [
    "Backoff",
    "McpDiscovery",
    "McpServers",
    "ServerReport",
    "ToolsUpdate",
    "discover_mcp_tools",
]
