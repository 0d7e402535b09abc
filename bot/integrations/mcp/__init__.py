"""MCP servers as actions: the SDK seam (:mod:`.client`), listed tools as actions
(:mod:`.tools`) and the start-up listing (:mod:`.discovery`). The executor is
:class:`bot.integrations.executors.mcp.McpExecutor`. Nothing here imports the SDK until a
server is used.
"""

from __future__ import annotations

from bot.integrations.mcp.discovery import McpDiscovery, ServerReport, discover_mcp_tools

__all__ = ["McpDiscovery", "ServerReport", "discover_mcp_tools"]
