"""A tiny MCP stdio server for tests and the demo, written with the official SDK.

Tools: ``cluster_health`` (read-only), ``failover`` (destructive) and ``slow_report`` (read-only,
answers after ``seconds``: for timeouts). Each call is
appended as one JSON line to the file named by ``SANDBOX_MCP_CALL_LOG`` (if set), so a test
can count how many times a tool really ran. Run: ``python -m sandbox.mcp_server``.
"""

from __future__ import annotations

import json
import os
from typing import Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

__all__ = ["main", "server"]

server = MCPServer("sandbox-ops")


def _record(tool: str, arguments: dict[str, object]) -> None:
    path = os.environ.get("SANDBOX_MCP_CALL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"tool": tool, "arguments": arguments}) + "\n")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def cluster_health(cluster: str) -> str:
    """Report the health of a database cluster."""
    _record("cluster_health", {"cluster": cluster})
    return f"cluster {cluster}: 3/3 nodes healthy, replication lag 0s"


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def failover(cluster: str, region: Literal["eu", "us"], force: bool = False) -> str:
    """Fail a database cluster over to another region."""
    _record("failover", {"cluster": cluster, "region": region, "force": force})
    return f"failover of {cluster} to {region} started"


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
async def slow_report(seconds: int) -> str:
    """Answer after ``seconds`` seconds."""
    _record("slow_report", {"seconds": seconds})
    await anyio.sleep(seconds)
    return f"report after {seconds}s"


def main() -> None:
    """Serve over stdio."""
    server.run(transport="stdio")


if __name__ == "__main__":
    main()
