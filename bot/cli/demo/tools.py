"""The demo's MCP server: the sandbox's local one (``sandbox/mcp_server.py``), started over
stdio with this interpreter, two of its tools shown as actions of a ``dba`` agent.

``cluster_health`` is read-only (it runs at once: ``health of db1``) and ``failover`` is
destructive (``failover db1 to eu`` waits for someone in ``@sre`` other than the requester).
The incident agent is granted ``cluster_health`` by scope, so it can check a cluster during an
incident without owning the server. Nothing here imports the sandbox: the server is a command.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["DEMO_MCP_SERVER", "demo_mcp_command", "with_demo_mcp"]


def demo_mcp_command() -> list[str]:
    """The server's argv: its file run as a script when it can be found (a few hundred ms
    faster to start than ``-m``, which imports the whole sandbox package first)."""
    spec = importlib.util.find_spec("sandbox.mcp_server")
    if spec is not None and spec.origin:
        return [sys.executable, spec.origin]
    return [sys.executable, "-m", "sandbox.mcp_server"]


DEMO_MCP_SERVER: dict[str, Any] = {
    "name": "ops",
    "agent": "dba",
    "timeout": "20s",
    "tools": {"allow": ["cluster_health", "failover"]},
    "approval": {"approvers": {"groups": ["sre"]}},
    "per_tool": {
        "cluster_health": {"formats": ["health of {cluster}", "ops cluster_health {cluster}"]},
        "failover": {"formats": ["failover {cluster} to {region}"]},
    },
}
"""The server entry of the demo's config (``mcp.servers``), but its ``command``."""

_DBA = {
    "name": "dba",
    "description": "Checks database clusters and fails them over (tools of a local MCP server).",
    "keywords": ["cluster", "database", "failover", "replication"],
    "examples": ["health of db1", "failover db1 to eu"],
}


def with_demo_mcp(document: Mapping[str, Any]) -> dict[str, Any]:
    """The config ``document`` (as read from YAML) with the demo's MCP server, its ``dba``
    agent, and ``cluster_health`` in the incident agent's scope (blocks already there are
    kept)."""
    blocks = [dict(block) for block in document.get("agents") or []]
    if not any(block.get("name") == "dba" for block in blocks):
        blocks.append(dict(_DBA))
    incident = next((b for b in blocks if b.get("name") == "incident"), None)
    if incident is None:
        incident = {"name": "incident"}
        blocks.append(incident)
    incident["mcp"] = [*incident.get("mcp", []), "ops:cluster_health"]
    mcp = dict(document.get("mcp") or {})
    mcp["servers"] = [*mcp.get("servers", []), {**DEMO_MCP_SERVER, "command": demo_mcp_command()}]
    return {**document, "agents": blocks, "mcp": mcp}
