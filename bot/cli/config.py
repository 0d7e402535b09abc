"""``switchboard config check [FILE]`` and ``switchboard config schema``: validate the config
file, or print its JSON schema for editors. No logging set-up: plain output for people and
editors.

With MCP servers in the file, ``check`` starts each one, lists its tools with their resolved
risk, owner and approval policy, warns about exposed tools with no ``per_tool`` entry, and
fails (exit 2) when a server cannot be listed or a tool's policy breaks a rule."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from agents.kernel.errors import ConfigError
from bot.cli.conventions import EXIT_CONFIG, Subparsers
from bot.config import load_settings, process_environment
from bot.config_file import LoadedConfig, PagerDutyExecutorConfig
from bot.config_file.document import ConfigDocument
from bot.config_file.errors import ConfigFileError, ConfigIssue
from bot.config_file.loader import load_config
from bot.integrations.mcp import McpDiscovery, discover_mcp_tools

__all__ = [
    "EXIT_INVALID",
    "add_parser",
    "check_command",
    "command",
    "config_json_schema",
    "schema_command",
]

EXIT_INVALID = 2
_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard config check [FILE]`` and ``switchboard config schema``."""
    config = subparsers.add_parser("config", help="check the config file, or print its JSON schema")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", help="validate a config file; report every error")
    check.add_argument("file", nargs="?", type=Path, help="default: SWITCHBOARD_CONFIG")
    config_sub.add_parser("schema", help="print the config file's JSON schema (for editors)")


def command(args: argparse.Namespace) -> int:
    """``config check|schema`` (FILE defaults to ``SWITCHBOARD_CONFIG``); the exit code."""
    if args.config_command == "schema":
        return schema_command(sys.stdout)
    path: Path | None = args.file
    if path is None:
        try:
            path = load_settings().config_file
        except ConfigError as exc:
            print(f"switchboard: configuration error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    if path is None:
        print("switchboard: give a FILE or set SWITCHBOARD_CONFIG", file=sys.stderr)
        return EXIT_CONFIG
    return check_command(path, out=sys.stdout, environ=process_environment())


def config_json_schema() -> dict[str, Any]:
    """The JSON schema of the config file, for editors (YAML language servers)."""
    schema = ConfigDocument.model_json_schema()
    return {"$schema": _SCHEMA_DIALECT, **schema}


def check_command(path: Path, *, out: TextIO, environ: Mapping[str, str] | None = None) -> int:
    """Validate ``path``; print ``ok: N actions`` (exit 0) or every issue (exit 2).

    Args:
        environ: the variables MCP servers may be passed (their ``env`` allowlist).
    """
    try:
        config = load_config(path)
    except ConfigFileError as exc:
        return _problems(exc.issues, path, out=out)
    if config.mcp_servers:
        discovery = asyncio.run(discover_mcp_tools(config, environ=environ or {}))
        _print_servers(discovery, out=out)
        _print_scopes(discovery, out=out)
        if discovery.issues:
            return _problems(discovery.issues, path, out=out)
        if discovery.failures:
            print(f"{len(discovery.failures)} MCP server(s) could not be listed", file=out)
            return EXIT_INVALID
        config = discovery.config
    _print_pagerduty(config, environ=environ or {}, out=out)
    count = len(config.actions)
    print(f"ok: {count} action{'s' if count != 1 else ''}", file=out)
    return 0


def _problems(issues: Sequence[ConfigIssue], path: Path, *, out: TextIO) -> int:
    for issue in issues:
        print(issue, file=out)
    count = len(issues)
    print(f"{count} problem{'s' if count != 1 else ''} in {path}", file=out)
    return EXIT_INVALID


def _print_servers(discovery: McpDiscovery, *, out: TextIO) -> None:
    """Each server's tools with their resolved policy, then warnings."""
    for server in discovery.servers:
        if server.tools is None:
            print(f"mcp {server.name}: error: {server.failure}", file=out)
            continue
        print(f"mcp {server.name}: {len(server.tools.listings)} tools exposed", file=out)
        for tool in server.tools.listings:
            print(
                f"  {tool.tool} -> action {tool.action}: risk {tool.risk}, "
                f"agent {tool.agent or '(none: by scope only)'}, "
                f"{tool.approval}",
                file=out,
            )
            if not tool.explicit:
                print(
                    f"  warning: {tool.tool} is exposed with no per_tool policy "
                    f"(defaults from its annotations)",
                    file=out,
                )
        for tool_name, reason in server.tools.refused:
            print(f"  refused: {tool_name}: {reason}", file=out)


def _print_scopes(discovery: McpDiscovery, *, out: TextIO) -> None:
    """The MCP actions each agent's scope grants, then warnings: an entry matching no tool,
    a tool no agent may use."""
    scopes = discovery.scopes
    if scopes is None:
        return
    for agent, actions in scopes.granted.items():
        print(f"scope {agent}: {', '.join(actions)}", file=out)
    for agent, entry in scopes.unmatched:
        print(f"warning: agent {agent}: mcp scope {entry!r} matches no tool", file=out)
    for server, tool in scopes.unreachable:
        print(
            f"warning: mcp {server}: {tool} has no owning agent and no agent's scope names it",
            file=out,
        )


def schema_command(out: TextIO) -> int:
    """Print the JSON schema of the config file."""
    print(json.dumps(config_json_schema(), indent=2, sort_keys=False), file=out)
    return 0


def _print_pagerduty(config: LoadedConfig, *, environ: Mapping[str, str], out: TextIO) -> None:
    """The PagerDuty services, the paging actions' approval policy, the webhook endpoint, and
    each routing-key or webhook-secret variable not set here (a warning: the bot reads a
    routing key when a page runs, and will not start without a webhook secret)."""
    pagerduty = config.pagerduty
    if pagerduty is None:
        return
    services = ", ".join(f"{name} ({ident})" for name, ident in pagerduty.service_ids.items())
    source = "PagerDuty" if pagerduty.oncall else "rotations only"
    print(f"pagerduty: services {services}; on-call from {source}", file=out)
    for action in config.actions:
        spec = config.executors[action.name]
        if not isinstance(spec, PagerDutyExecutorConfig):
            continue
        policy = action.approval
        how = (
            f"needs approval (quorum {policy.quorum})" if action.needs_approval else "runs at once"
        )
        print(f"  {action.name}: {how}", file=out)
    for name, variable in _routing_variables(config).items():
        if not environ.get(variable):
            print(f"  warning: {variable} (routing key of {name}) is not set here", file=out)
    if pagerduty.webhook_secret_envs:
        age = int(pagerduty.webhook_max_age.total_seconds())
        print(f"  webhooks: POST /pagerduty/webhooks, events up to {age}s old", file=out)
    for variable in pagerduty.webhook_secret_envs:
        if not environ.get(variable):
            print(f"  warning: {variable} (webhook signing secret) is not set here", file=out)


def _routing_variables(config: LoadedConfig) -> dict[str, str]:
    return {
        service: variable
        for spec in config.executors.values()
        if isinstance(spec, PagerDutyExecutorConfig)
        for service, variable in spec.routing_keys.items()
    }
