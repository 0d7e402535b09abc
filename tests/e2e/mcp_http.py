"""The sandbox's MCP server (``sandbox.mcp_server``) over Streamable HTTP, as a process of its
own on a loopback port the system picks, for the MCP scenarios."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from bot.config_file import LoadedConfig
from sandbox import SlackSandbox

__all__ = [
    "McpFiles",
    "calls",
    "free_port",
    "http_mcp_server",
    "set_control",
    "start_up_failure",
    "until",
]


class McpFiles:
    """Where a sandbox MCP server records its calls and reads its control file."""

    def __init__(self, directory: Path) -> None:
        self.call_log = directory / "mcp-calls.jsonl"
        self.control = directory / "mcp-control.json"
        self.control.write_text("{}", encoding="utf-8")

    @property
    def env(self) -> dict[str, str]:
        """The variables that point a server at these files."""
        return {
            "SANDBOX_MCP_CALL_LOG": str(self.call_log),
            "SANDBOX_MCP_CONTROL": str(self.control),
        }


def calls(files: McpFiles) -> list[dict[str, Any]]:
    """Every call the server recorded, in order."""
    if not files.call_log.exists():
        return []
    lines = files.call_log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


async def until(check: Callable[[], bool], what: str) -> None:
    """Await ``check()`` being true (polled every 50 ms, for at most 30 s)."""
    for _ in range(600):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def start_up_failure(
    sandbox: SlackSandbox, database_url: str, config: LoadedConfig, environ: Mapping[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """Start and stop the bot with ``config``, whose one MCP server ``ops`` cannot be listed:
    the reason it logged (the bot ran without the server's tools), and every log entry."""
    from tests.e2e.conftest import running_bot

    with capture_logs() as logs:
        async with running_bot(sandbox, database_url, config=config, environ=environ) as bot:
            assert bot.runtime.domain.operations.catalog.action("ops_cluster_health") is None
    (unavailable,) = [e for e in logs if e["event"] == "mcp_server_unavailable"]
    return str(unavailable["reason"]), logs


def free_port() -> int:
    """A loopback port nothing listens on (for a server that is down, then comes up)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def set_control(files: McpFiles, **control: object) -> None:
    """Change the server's tools at run time (it announces the change to its sessions)."""
    files.control.write_text(json.dumps(control), encoding="utf-8")


@asynccontextmanager
async def http_mcp_server(
    files: McpFiles,
    *,
    bearer: str | None,
    env: Mapping[str, str] | None = None,
    port: int = 0,
) -> AsyncIterator[str]:
    """The server's URL while it runs (requiring ``Authorization: Bearer <bearer>`` if given;
    on ``port``, or any free one)."""
    port_file = files.control.with_name("mcp-port")
    variables = {**files.env, **(env or {})}
    if bearer is not None:
        variables["SANDBOX_MCP_BEARER"] = bearer
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.mcp_server",
        "--http",
        "--port-file",
        str(port_file),
        "--port",
        str(port),
        env={"PATH": "/usr/bin:/bin", **variables},
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            text = port_file.read_text(encoding="utf-8") if port_file.exists() else ""
            if text.strip().isdigit():
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the sandbox MCP server did not start listening")
        yield f"http://127.0.0.1:{text.strip()}/mcp"
    finally:
        process.terminate()
        await process.wait()
