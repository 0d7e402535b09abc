"""The running bot's MCP servers: one long-lived connection each, and their tools kept current.

At start-up every server is listed over its connection (:meth:`McpServers.discover`). After
that a server's tools are listed again when it announces ``notifications/tools/list_changed``,
and right before an approved (or read) action of it runs (:meth:`McpServers.refresh`: a server
need not announce its changes). Each listing rebuilds the server's actions with the same
rules as at start-up (:func:`.tools.server_tools`) and updates :attr:`McpServers.configs`, the
live executor configs the executors and the canonical actions read. So:

- a new tool becomes an action at once, told to each subscriber (the catalog, the executors);
- a changed tool's config changes, its input schema digest included: an approval given for
  the old schema no longer matches its digest, and the run is refused;
- a tool the server stopped offering keeps its action, marked :data:`WITHDRAWN` (its digest
  changes, so a waiting approval is refused; a read fails when the server refuses the call);
- a tool whose new listing breaks a policy rule is withdrawn the same way, and logged.

A server that could not be listed at start-up is in :attr:`McpServers.unavailable` (with
why) and offers nothing; :meth:`McpServers.revive` keeps trying it in the background (the
shared :func:`~bot.integrations.resilience.reconnect_policy`: waits growing to
:attr:`Backoff.cap` with jitter) and, once it lists its tools, applies them like any listing,
so its tools become actions without a restart (logged ``mcp_server_recovered``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import structlog

from agents.actions.spec import ActionSpec
from bot.config_file import ExecutorConfig, LoadedConfig, McpExecutorConfig, McpServerModel
from bot.config_file.yamlsource import format_path
from bot.integrations.mcp.client import McpServerError, McpTool
from bot.integrations.mcp.connection import McpConnection, ToolsChanged
from bot.integrations.mcp.discovery import McpDiscovery, discover_mcp_tools
from bot.integrations.mcp.tools import server_tools
from bot.integrations.resilience import Sleep, reconnect_policy

__all__ = ["WITHDRAWN", "Backoff", "McpServers", "ToolsUpdate"]

log = structlog.get_logger(__name__)

WITHDRAWN = "withdrawn"
"""The schema digest of a tool the server no longer offers (or whose policy broke)."""


@dataclass(frozen=True, slots=True)
class ToolsUpdate:
    """A server's actions after it was listed again, the names new among them, and those it
    stopped offering."""

    server: str
    actions: tuple[ActionSpec, ...]
    added: frozenset[str]
    withdrawn: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Backoff:
    """How an unavailable server is tried again: waits from ``first`` seconds, doubling up to
    ``cap``, each with up to ``first`` of jitter."""

    first: float = 1.0
    cap: float = 60.0


class McpServers:
    """The servers of one config (see the module docstring)."""

    def __init__(
        self,
        servers: Sequence[McpServerModel],
        *,
        environ: Mapping[str, str],
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._models = {server.name: (index, server) for index, server in enumerate(servers)}
        self.connections: dict[str, McpConnection] = {}
        for server in servers:
            connection = McpConnection(
                server.endpoint(), environ, timeout=server.timeout.total_seconds(), sleep=sleep
            )
            connection.on_tools = self._listed_by(server.name)
            self.connections[server.name] = connection
        self.configs: dict[str, ExecutorConfig] = {}
        self._listeners: list[Callable[[ToolsUpdate], None]] = []
        self._sleep = sleep
        self.unavailable: dict[str, str] = {}
        """Each server not listed yet, and why (kept current while it is retried)."""
        self._revivals: set[asyncio.Task[None]] = set()

    async def discover(self, config: LoadedConfig, *, environ: Mapping[str, str]) -> McpDiscovery:
        """List every server over its connection; the config with their tools as actions,
        whose executor configs are :attr:`configs` (kept current from now on)."""

        async def listed(server: McpServerModel) -> tuple[McpTool, ...]:
            return await self.connections[server.name].tools()

        discovery = await discover_mcp_tools(config, environ=environ, list_tools=listed)
        self.unavailable = {s.name: s.failure for s in discovery.failures if s.failure}
        self.configs = dict(discovery.config.executors)
        live = dataclasses.replace(discovery.config, executors=MappingProxyType(self.configs))
        return dataclasses.replace(discovery, config=live)

    def subscribe(self, listener: Callable[[ToolsUpdate], None]) -> None:
        """Tell ``listener`` each server's actions whenever they were listed again."""
        self._listeners.append(listener)

    async def refresh(self, action: ActionSpec) -> None:
        """List the server of ``action`` again, if it is an MCP tool (a server that cannot be
        listed leaves things as they were: the call itself will say what is wrong)."""
        config = self.configs.get(action.name)
        if not isinstance(config, McpExecutorConfig):
            return
        try:
            tools = await self.connections[config.server].tools()
        except McpServerError as exc:
            log.warning("mcp_refresh_failed", server=config.server, reason=exc.reason)
            return
        self.apply(config.server, tools)

    def apply(self, server: str, tools: Sequence[McpTool]) -> ToolsUpdate:
        """Rebuild ``server``'s actions from its listed ``tools`` and tell the subscribers."""
        index, model = self._models[server]
        made = server_tools(model, index, tools)
        for loc, message in made.problems:
            log.error(
                "mcp_tool_policy_invalid", server=server, where=format_path(loc), message=message
            )
        own = {
            name
            for name, config in self.configs.items()
            if isinstance(config, McpExecutorConfig) and config.server == server
        }
        actions = tuple(a for a in made.actions if a.name in own or a.name not in self.configs)
        listed = {action.name for action in actions}
        withdrawn = sorted(name for name in own - listed if self._offered(name))
        for name in withdrawn:
            old = self.configs[name]
            assert isinstance(old, McpExecutorConfig)
            self.configs[name] = dataclasses.replace(old, schema_digest=WITHDRAWN)
        changed = sorted(
            a.name for a in actions if self.configs.get(a.name) != made.executors[a.name]
        )
        for action in actions:
            self.configs[action.name] = made.executors[action.name]
        update = ToolsUpdate(server, actions, frozenset(listed - own), frozenset(withdrawn))
        if changed or withdrawn:
            log.info(
                "mcp_tools_updated",
                server=server,
                tools=len(actions),
                added=sorted(update.added),
                changed=changed,
                withdrawn=withdrawn,
            )
        for listener in self._listeners:
            listener(update)
        return update

    def states(self) -> dict[str, bool]:
        """Whether each server has been listed (False: unavailable, being retried)."""
        return {name: name not in self.unavailable for name in self.connections}

    def revive(self, backoff: Backoff, *, on_up: Callable[[str], None] | None = None) -> None:
        """Keep trying each :attr:`unavailable` server in the background until it lists its
        tools; then apply them (telling the subscribers) and tell ``on_up`` its name."""
        for server in list(self.unavailable):
            revival = self._revive(server, backoff, on_up)
            task = asyncio.create_task(revival, name=f"mcp:{server}:up")
            self._revivals.add(task)
            task.add_done_callback(self._revivals.discard)

    async def _revive(
        self, server: str, backoff: Backoff, on_up: Callable[[str], None] | None
    ) -> None:
        def down(exc: BaseException) -> bool:
            if isinstance(exc, McpServerError):
                self.unavailable[server] = exc.reason
                return True
            return False

        try:
            policy = reconnect_policy(
                api=f"mcp:{server}",
                transient=down,
                sleep=self._sleep,
                first=backoff.first,
                cap=backoff.cap,
            )
            async for attempt in policy:
                with attempt:
                    tools = await self.connections[server].tools()
        except Exception:
            log.exception("mcp_revival_failed", server=server)
            return
        self.unavailable.pop(server, None)
        update = self.apply(server, tools)
        log.info("mcp_server_recovered", server=server, tools=len(update.actions))
        if on_up is not None:
            on_up(server)

    def _offered(self, name: str) -> bool:
        config = self.configs.get(name)
        return isinstance(config, McpExecutorConfig) and config.schema_digest != WITHDRAWN

    def _listed_by(self, server: str) -> ToolsChanged:
        async def listed(tools: tuple[McpTool, ...]) -> None:
            self.apply(server, tools)

        return listed

    async def close(self) -> None:
        """Stop retrying unavailable servers; close every connection (stopping stdio ones)."""
        for task in list(self._revivals):
            task.cancel()
        await asyncio.gather(*self._revivals, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in self.connections.values()))
