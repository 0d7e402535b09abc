"""Agents' MCP scopes granted as actions once the servers listed their tools (pure)."""

from __future__ import annotations

from bot.config_file import parse_config
from bot.integrations.mcp.scopes import grant_scopes
from bot.integrations.mcp.tools import ToolListing

CONFIG = """
version: 1
agents:
  - {name: dba, mcp: [ops, 'ops:cluster_health', 'pager:*']}
  - {name: viewer, mcp: ['ops:cluster_*']}
mcp:
  servers:
    - {name: ops, command: [ops-mcp]}
    - {name: pager, command: [pager-mcp], agent: oncall}
"""


def _tool(tool: str, agent: str = "") -> ToolListing:
    return ToolListing(tool, f"ops_{tool}", "read", agent, "runs at once", explicit=False)


def test_grants_each_agent_the_listed_tools_its_entries_match_once() -> None:
    """A bare server grants all its tools; overlapping entries grant each action once; a
    server that could not be listed grants nothing and is not reported as unmatched."""
    config = parse_config(CONFIG)
    grants = grant_scopes(config, {"ops": [_tool("cluster_health"), _tool("failover")]})
    assert dict(grants.granted) == {
        "dba": ("ops_cluster_health", "ops_failover"),
        "viewer": ("ops_cluster_health",),
    }
    assert grants.config.planning.profiles["dba"].granted == (
        "ops_cluster_health",
        "ops_failover",
    )
    assert grants.unmatched == () and grants.unreachable == ()


def test_reports_entries_matching_nothing_and_tools_nobody_may_use() -> None:
    config = parse_config(CONFIG)
    grants = grant_scopes(config, {"ops": [_tool("failover")], "pager": [_tool("page", "x")]})
    assert grants.unmatched == (("dba", "ops:cluster_health"), ("viewer", "ops:cluster_*"))
    assert grants.unreachable == ()  # pager's tools have an owner; ops' failover is granted
    alone = grant_scopes(parse_config(CONFIG.replace("[ops, ", "[")), {"ops": [_tool("sync")]})
    assert alone.unreachable == (("ops", "sync"),)
