"""The running bot's servers: a listing again adds new tools, re-digests changed ones and
withdraws those no longer offered, telling the subscribers (no server is started here)."""

from __future__ import annotations

import asyncio
from typing import Any

from structlog.testing import capture_logs

from bot.config_file import McpExecutorConfig, McpServerModel, PythonExecutorConfig
from bot.integrations.mcp import Backoff, McpServers, ToolsUpdate
from bot.integrations.mcp.client import McpServerError, McpTool
from bot.integrations.mcp.live import WITHDRAWN
from bot.integrations.mcp.tools import schema_digest


def _tool(name: str, *props: str) -> McpTool:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {p: {"type": "string"} for p in props},
        "required": list(props),
    }
    return McpTool(name, f"{name}.", schema, read_only=True)


def _servers() -> McpServers:
    model = McpServerModel.model_validate(
        {"name": "ops", "command": ["ops-mcp"], "agent": "deploy"}
    )
    return McpServers([model], environ={})


def test_a_new_listing_adds_changes_and_withdraws_tools() -> None:
    """The first listing makes the actions; the next one adds rollback, changes deploy's
    schema digest, and withdraws health (its digest marked), each subscriber told once."""
    servers = _servers()
    told: list[ToolsUpdate] = []
    servers.subscribe(told.append)
    servers.apply("ops", [_tool("health", "cluster"), _tool("deploy", "service")])
    first = servers.configs["ops_deploy"]
    deploy_v2 = _tool("deploy", "service", "version")
    servers.apply("ops", [deploy_v2, _tool("rollback", "service")])
    assert [sorted(u.added) for u in told] == [["ops_deploy", "ops_health"], ["ops_rollback"]]
    assert [a.name for a in told[-1].actions] == ["ops_deploy", "ops_rollback"]
    deploy = servers.configs["ops_deploy"]
    assert isinstance(first, McpExecutorConfig) and isinstance(deploy, McpExecutorConfig)
    assert deploy.schema_digest == schema_digest(deploy_v2) != first.schema_digest
    health = servers.configs["ops_health"]
    assert isinstance(health, McpExecutorConfig) and health.schema_digest == WITHDRAWN


def test_a_tool_never_shadows_another_action() -> None:
    """A tool whose action name is already another action's is left out."""
    servers = _servers()
    servers.configs["ops_deploy"] = PythonExecutorConfig(entrypoint="ops.hooks:deploy")
    update = servers.apply("ops", [_tool("deploy", "service")])
    assert update.actions == () and isinstance(servers.configs["ops_deploy"], PythonExecutorConfig)


class _Listed:
    """A connection that lists what it is told (no server)."""

    def __init__(self, *tools: McpTool) -> None:
        self.listed = tools

    async def tools(self) -> tuple[McpTool, ...]:
        return self.listed


async def test_refresh_lists_the_actions_server_again_before_a_run() -> None:
    """A server that changed a schema without announcing it: ``refresh`` (called right
    before an action of it runs) lists it again, so the digest check sees the new schema."""
    servers = _servers()
    (deploy,) = servers.apply("ops", [_tool("deploy", "service")]).actions
    changed = _tool("deploy", "service", "version")
    servers.connections["ops"] = _Listed(changed)  # type: ignore[assignment]
    await servers.refresh(deploy)
    config = servers.configs["ops_deploy"]
    assert isinstance(config, McpExecutorConfig)
    assert config.schema_digest == schema_digest(changed)


class _DownThenUp:
    """A connection that fails ``down`` listings, then lists ``tools`` (or raises ``bug``)."""

    def __init__(self, down: int, *tools: McpTool, bug: Exception | None = None) -> None:
        self.down = down
        self.listed = tools
        self.bug = bug
        self.calls = 0

    async def tools(self) -> tuple[McpTool, ...]:
        self.calls += 1
        if self.calls <= self.down:
            raise McpServerError("ops", f"could not be reached ({self.calls})")
        if self.bug is not None:
            raise self.bug
        return self.listed


async def test_a_server_unavailable_is_retried_with_bounded_jittered_waits_until_it_lists() -> None:
    """Three failed listings, then the tools: each wait is within the backoff's bounds, the
    reason is kept current while it is down, and once up its tools are applied (subscribers
    told) and ``on_up`` is told its name."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    model = McpServerModel.model_validate({"name": "ops", "command": ["x"], "agent": "deploy"})
    servers = McpServers([model], environ={}, sleep=sleep)
    servers.unavailable["ops"] = "could not be started (FileNotFoundError)"
    servers.connections["ops"] = _DownThenUp(3, _tool("health", "cluster"))  # type: ignore[assignment]
    told: list[ToolsUpdate] = []
    servers.subscribe(told.append)
    up: list[str] = []
    assert servers.states() == {"ops": False}
    servers.revive(Backoff(first=1.0, cap=3.0), on_up=up.append)
    async with asyncio.timeout(5):
        await asyncio.gather(*servers._revivals)
    assert len(waits) == 3 and all(0 <= w <= 3.0 for w in waits)
    assert waits[0] >= 1.0  # the first wait is at least ``first``
    assert up == ["ops"] and servers.states() == {"ops": True}
    assert [sorted(u.added) for u in told] == [["ops_health"]]


async def test_a_bug_while_reviving_is_logged_and_not_retried() -> None:
    """An exception that is not the server being down ends the retrying, logged."""

    async def sleep(_: float) -> None:
        return None

    servers = McpServers(
        [McpServerModel.model_validate({"name": "ops", "command": ["x"], "agent": "deploy"})],
        environ={},
        sleep=sleep,
    )
    servers.unavailable["ops"] = "down"
    connection = _DownThenUp(1, bug=ValueError("bad listing"))
    servers.connections["ops"] = connection  # type: ignore[assignment]
    with capture_logs() as logs:
        servers.revive(Backoff(first=0.01, cap=0.01))
        async with asyncio.timeout(5):
            await asyncio.gather(*servers._revivals)
    assert connection.calls == 2 and servers.states() == {"ops": False}
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["mcp_revival_failed"]
