"""Each action's resolved target, for the canonical action an approval consents to.

The domain's :class:`~agents.actions.canonical.TargetResolver` over the config file's executor
templates, rendered with the same functions the executors use (:mod:`.render`), so what a
card's digest covers is what the executor sends: the method, the URL and the JSON body with
the parameters substituted (and the header templates, ``${ENV_VAR}`` references unresolved);
the argv, working directory and the names of the variables passed on; the Python callable;
an MCP tool's server name, its command argv and environment variable names (stdio) or its URL
and header names (HTTP), the tool's name and the digest of its input schema as last listed; a
PagerDuty event's URL, action and the *name* of the variable holding the routing key.
Nothing here reads the environment: a secret cannot reach the canonical form.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.actions.spec import ActionSpec, ParamValue
from bot.config_file import (
    ExecutorConfig,
    HttpExecutorConfig,
    McpExecutorConfig,
    PagerDutyExecutorConfig,
    ShellExecutorConfig,
)
from bot.integrations.executors.render import render_argv, render_json, render_url

__all__ = ["ConfigTargets", "UnknownExecutor"]


class UnknownExecutor(LookupError):
    """An action with no executor in the config (the config and the catalog disagree)."""


class ConfigTargets:
    """``TargetResolver`` over the executors of the loaded config, by action name."""

    def __init__(self, executors: Mapping[str, ExecutorConfig]) -> None:
        self._executors = executors

    def resolve(self, action: ActionSpec, params: Mapping[str, ParamValue]) -> Mapping[str, object]:
        """The executor's target for ``params`` (see the module docstring).

        Raises:
            UnknownExecutor: the config has no executor for ``action``.
        """
        config = self._executors.get(action.name)
        if config is None:
            raise UnknownExecutor(action.name)
        if isinstance(config, HttpExecutorConfig):
            return {
                "method": config.method,
                "url": render_url(config.url, params),
                "body": render_json(config.body, params),
                "headers": dict(config.headers),
            }
        if isinstance(config, ShellExecutorConfig):
            return {
                "argv": render_argv(config.argv, params),
                "cwd": config.cwd,
                "env": sorted(config.env_allowlist),
            }
        if isinstance(config, McpExecutorConfig):
            return _mcp_target(config)
        if isinstance(config, PagerDutyExecutorConfig):
            service = str(params.get("service", ""))
            return {
                "url": config.events_url.rstrip("/") + "/v2/enqueue",
                "event_action": config.event_action,
                "routing_key_env": config.routing_keys.get(service),
            }
        return {"callable": config.entrypoint}


def _mcp_target(config: McpExecutorConfig) -> dict[str, object]:
    endpoint = config.endpoint
    where: dict[str, object] = (
        {"argv": list(endpoint.argv), "env": sorted(endpoint.env)}
        if endpoint.url is None
        else {"url": endpoint.url, "headers": sorted(name for name, _ in endpoint.headers)}
    )
    if endpoint.oauth is not None:  # who the bot acts as there (never the secret)
        where["oauth_client"] = endpoint.oauth.client_id
    return {
        "server": config.server,
        **where,
        "tool": config.tool,
        "schema": config.schema_digest,
    }
