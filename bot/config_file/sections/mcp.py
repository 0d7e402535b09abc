"""The ``mcp:`` section: MCP stdio servers whose tools become actions.

A server is a command (argv, never through a shell) with an allowlist of environment
variables passed on, which of its tools to expose (``allow``/``deny``: names or glob
patterns), a per-call timeout, the agent that owns its tools, and per tool: risk, approval
policy and owner. A tool's risk comes from its annotations once the server is running
(:mod:`bot.integrations.mcp`); what is checked here is what can be checked without it.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from bot.config_file.sections.actions import ApprovalModel, Risk
from bot.config_file.sections.base import (
    Duration,
    EnvName,
    Name,
    Problem,
    Strict,
    duration_default,
    repeats,
)
from bot.config_file.yamlsource import format_path

__all__ = [
    "McpModel",
    "McpServerModel",
    "McpToolModel",
    "McpToolsModel",
    "check_mcp",
]


class McpToolModel(Strict):
    """The policy of one tool; anything left out comes from the server (risk) or the server
    entry (agent, approval)."""

    risk: Risk | None = Field(
        None, description="only stricter than the tool's annotations, never looser"
    )
    approval: ApprovalModel | None = None
    agent: Name | None = None
    formats: list[str] | None = Field(
        None, description='command formats, e.g. "failover {cluster} to {region}"'
    )


class McpToolsModel(Strict):
    """Which tools to expose: those matching ``allow`` and no ``deny`` (names or globs)."""

    allow: list[str] = Field(["*"], min_length=1)
    deny: list[str] = []


class McpServerModel(Strict):
    """One MCP server spoken to over stdio."""

    name: Name
    command: list[str] = Field(min_length=1, description="argv; run directly, never by a shell")
    env: list[EnvName] = Field([], description="only these variables reach the server")
    agent: Name | None = Field(
        None,
        description="the agent owning the server's tools (unless per_tool says); without "
        "one, a tool is used only by the agents whose mcp scope names it",
    )
    tools: McpToolsModel = McpToolsModel()
    timeout: Duration = duration_default("10s", description="per call, including start-up")
    approval: ApprovalModel | None = Field(
        None, description="the approval policy of its tools with none of their own"
    )
    per_tool: dict[str, McpToolModel] = {}


class McpModel(Strict):
    """MCP servers whose tools become actions."""

    servers: list[McpServerModel] = []


def check_mcp(mcp: McpModel, *, agents: frozenset[str]) -> Iterator[Problem]:
    """Repeated server names and owners that are no known agent (absolute locations)."""
    servers = mcp.servers
    for index, name, first in repeats((i, s.name) for i, s in enumerate(servers)):
        where = format_path(("mcp", "servers", first))
        yield ("mcp", "servers", index, "name"), f"duplicate server name {name!r} (see {where})"
    for index, server in enumerate(servers):
        here = ("mcp", "servers", index)
        if server.agent is not None and server.agent not in agents:
            yield (*here, "agent"), f"unknown agent {server.agent!r}"
        for tool, policy in server.per_tool.items():
            if policy.agent is not None and policy.agent not in agents:
                yield (*here, "per_tool", tool, "agent"), f"unknown agent {policy.agent!r}"
