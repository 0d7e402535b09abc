"""An MCP server that is down when the bot starts, through the real app, sandbox, database and
worker: the bot starts without its tools, keeps trying it in the background, and offers its
tools as soon as it answers (no restart), logged, counted and shown on ``/readyz``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from structlog.testing import capture_logs

from bot.config_file import parse_config
from bot.integrations.mcp import Backoff
from sandbox import SlackSandbox
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.mcp_http import McpFiles, calls, free_port, http_mcp_server, until

CONFIG = """
version: 1
mcp:
  servers:
    - name: ops
      url: {url}
      agent: deploy
      timeout: 5s
      tools: {{allow: [cluster_health]}}
"""

QUICK = Backoff(first=0.05, cap=0.3)


async def _ready(bot: Bot) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/readyz") as response:
        return dict(await response.json())


async def test_a_server_down_at_start_up_is_offered_once_it_comes_up(
    sandbox: SlackSandbox, database_url: str, tmp_path: Path
) -> None:
    """Nothing listens on the server's port when the bot starts: it starts without the tool
    (a mention for it finds no such action) and says so on ``/readyz`` and in the metrics.
    Then the server starts on that port: within a bounded wait the bot lists it, logs and
    counts the recovery, and a mention using its tool runs it on the server."""
    files = McpFiles(tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    config = parse_config(CONFIG.format(url=url))
    with capture_logs() as logs:
        async with running_bot(
            sandbox, database_url, config=config, environ={}, mcp_backoff=QUICK
        ) as bot:
            runtime = bot.runtime
            catalog = runtime.domain.operations.catalog
            assert runtime.mcp is not None
            assert catalog.action("ops_cluster_health") is None
            assert "ops" in runtime.mcp.unavailable
            ready = await _ready(bot)
            assert ready["mcp"]["ops"].startswith("unavailable, retrying: could not be reached")
            assert b'switchboard_mcp_server_up{server="ops"} 0.0' in runtime.metrics.exposition()
            async with http_mcp_server(files, bearer=None, port=port):
                await until(lambda: catalog.action("ops_cluster_health") is not None, "listed")
                before = sandbox.calls.count("chat.postMessage")
                await sandbox.people.say("<@U0BOT> ops cluster_health db1", user="U0ALICE")
                answer = await sandbox.calls.wait_for(
                    "chat.postMessage",
                    count=before + 1,
                    where=lambda c: "3/3 nodes healthy" in str(c.args),
                    timeout=30,
                )
                assert "cluster db1" in str(answer.args)
                assert calls(files) == [{"tool": "cluster_health", "arguments": {"cluster": "db1"}}]
                assert (await _ready(bot))["mcp"] == {"ops": "ok"}
                exposition = runtime.metrics.exposition()
                assert b'switchboard_mcp_server_up{server="ops"} 1.0' in exposition
                assert b'switchboard_mcp_server_recovered_total{server="ops"} 1.0' in exposition
    events = [e["event"] for e in logs]
    assert "mcp_server_unavailable" in events
    assert "reconnect_scheduled" in events
    (recovered,) = [e for e in logs if e["event"] == "mcp_server_recovered"]
    assert recovered["server"] == "ops" and recovered["tools"] == 1
