"""``switchboard doctor``: check what a running bot needs, and say how to fix what is wrong.

Checks, in order: the config file, the database (reachable, schema at the newest migration),
the Slack credentials (``auth.test``; the signing secret or app token for the chosen mode),
each action's executor target (an HTTP target accepts a TCP connection, a shell executable
exists and is allowed, a Python entrypoint imports), PagerDuty when configured (the REST token
is accepted and each service has an escalation policy; each pageable service's routing-key
variable is set), and each MCP server (it starts or answers, and lists its tools: how many, or
why not). Nothing is executed and no request reaches an action's target beyond opening and
closing a connection; PagerDuty is only read; no MCP tool is called.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from agents.kernel.errors import ConfigError, StorageError
from bot.cli.conventions import Subparsers
from bot.config import Settings, process_environment
from bot.config_file import (
    ConfigFileError,
    HttpExecutorConfig,
    LoadedConfig,
    McpServerModel,
    PagerDutyExecutorConfig,
    PythonExecutorConfig,
    ShellExecutorConfig,
    load_config,
)

if TYPE_CHECKING:
    from bot.integrations.pagerduty import PagerDutyClient

__all__ = ["Check", "add_parser", "command", "doctor_command", "pagerduty_checks"]

_CONNECT_TIMEOUT = 3.0
_SLACK_FIXES = {
    "invalid_auth": "the bot token is mistyped or was revoked: copy it again from OAuth & "
    "Permissions (SLACK_BOT_TOKEN)",
    "not_authed": "set SLACK_BOT_TOKEN",
    "account_inactive": "the app was uninstalled or its user deactivated: reinstall the app",
    "token_revoked": "reinstall the app and copy the new bot token (SLACK_BOT_TOKEN)",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict: what was checked, whether it passed, what was found, how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard doctor``."""
    subparsers.add_parser(
        "doctor",
        help="check config, database, Slack credentials and action targets; say how to fix",
    )


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """Run the checks; the exit code (1 if any failed)."""
    return await doctor_command(settings)


async def doctor_command(
    settings: Settings, *, out: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """Run every check, print one line each (and the fix under a failure); exit 1 if any
    check failed.

    Args:
        environ: what MCP servers are given (their ``env`` allowlist, their headers'
            ``${VAR}`` secrets); the process environment by default.
    """
    out = out or sys.stdout
    checks: list[Check] = []
    config = _config(settings, checks)
    checks.append(await _database(settings))
    checks += await _slack(settings)
    if config is not None:
        checks += await _targets(config)
        variables = process_environment() if environ is None else environ
        checks += await pagerduty_checks(settings, config, environ=variables)
        checks += await asyncio.gather(*(_mcp(s, variables) for s in config.mcp_servers))
    for check in checks:
        print(f"{'ok ' if check.ok else 'BAD'}  {check.name}: {check.detail}", file=out)
        if not check.ok and check.fix:
            print(f"     fix: {check.fix}", file=out)
    failed = sum(not c.ok for c in checks)
    print(f"\n{len(checks) - failed} ok, {failed} to fix", file=out)
    return 1 if failed else 0


def _config(settings: Settings, checks: list[Check]) -> LoadedConfig | None:
    path = settings.config_file
    if path is None:
        checks.append(Check("config", True, "no SWITCHBOARD_CONFIG: built-in agents, no actions"))
        return None
    try:
        config = load_config(path)
    except ConfigFileError as exc:
        lines = str(exc).strip().splitlines()
        first = lines[1] if len(lines) > 1 else lines[0]
        checks.append(
            Check(
                "config",
                False,
                f"{path}: {len(exc.issues)} problem(s), first: {first.strip()}",
                f"run `switchboard config check {path}` for every problem with its line",
            )
        )
        return None
    checks.append(Check("config", True, f"{path}: {len(config.actions)} action(s)"))
    return config


async def _database(settings: Settings) -> Check:
    from storage import Database
    from storage.migrate import head_revision

    try:
        database = await Database.connect(settings.database_url)
    except (StorageError, ConfigError) as exc:
        return Check(
            "database", False, str(exc), "check DATABASE_URL and that the database server runs"
        )
    try:
        current = await database.current_revision()
    except StorageError as exc:
        return Check("database", False, str(exc), "check the database user's permissions")
    finally:
        await database.close()
    head = head_revision()
    if current != head:
        return Check(
            "database",
            False,
            f"{database.dialect} reachable, schema at {current or 'nothing'}, newest is {head}",
            "run `switchboard db upgrade`",
        )
    return Check("database", True, f"{database.dialect} reachable, schema at {head}")


def _distribution(settings: Settings) -> list[Check]:
    """Many workspaces (``SLACK_CLIENT_ID``): the OAuth secrets, not a bot token, are needed
    (each workspace's token is checked when it is used; docs/distribute.md)."""
    missing = [
        variable
        for variable, value in (
            ("SLACK_CLIENT_SECRET", settings.slack_client_secret),
            ("SLACK_STATE_SECRET", settings.slack_state_secret),
        )
        if value is None
    ]
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        missing.append("SLACK_SIGNING_SECRET")  # HTTP mode (Socket Mode: SLACK_APP_TOKEN)
    if missing:
        fix = "set " + ", ".join(missing) + " (docs/distribute.md)"
        return [Check("slack", False, "many workspaces: " + ", ".join(missing) + " not set", fix)]
    return [Check("slack", True, "many workspaces: installs at /slack/install")]


async def _slack(settings: Settings) -> list[Check]:
    from slack_sdk.errors import SlackApiError, SlackClientError
    from slack_sdk.web.async_client import AsyncWebClient

    if settings.multi_workspace:
        return _distribution(settings)
    token = settings.slack_bot_token
    if token is None:
        return [Check("slack", False, "SLACK_BOT_TOKEN is not set", "set SLACK_BOT_TOKEN (xoxb-…)")]
    client = AsyncWebClient(token=token.get_secret_value(), base_url=settings.slack_api_url)
    checks: list[Check] = []
    try:
        answer = await client.auth_test()
        checks.append(
            Check("slack", True, f"token valid for @{answer.get('user')} in {answer.get('team')}")
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        fix = _SLACK_FIXES.get(error, "check the bot token and the app's installation")
        checks.append(Check("slack", False, f"Slack refused the token: {error}", fix))
    except (SlackClientError, OSError, TimeoutError) as exc:
        checks.append(
            Check(
                "slack",
                False,
                f"cannot reach {settings.slack_api_url}: {type(exc).__name__}",
                "check the network, proxy and SWITCHBOARD_SLACK_API_URL",
            )
        )
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        checks.append(
            Check(
                "slack mode",
                False,
                "neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is set",
                "set the signing secret from Basic Information, or an xapp- token for Socket Mode",
            )
        )
    return checks


async def _targets(config: LoadedConfig) -> list[Check]:
    checks: list[Check] = []
    for action in config.actions:
        spec = config.executors[action.name]
        name = f"action {action.name}"
        if isinstance(spec, HttpExecutorConfig):
            checks.append(await _http_target(name, spec.url))
        elif isinstance(spec, ShellExecutorConfig):
            checks.append(_shell_target(name, spec))
        elif isinstance(spec, PythonExecutorConfig):
            checks.append(_python_target(name, spec.entrypoint))
    return checks


async def _http_target(name: str, url: str) -> Check:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), timeout=_CONNECT_TIMEOUT
        )
    except (OSError, TimeoutError) as exc:
        reason = (
            "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        )
        return Check(
            name,
            False,
            f"cannot connect to {host}:{port} ({reason})",
            "check that the target service runs and this host may reach it (URL in the config)",
        )
    writer.close()
    await writer.wait_closed()
    return Check(name, True, f"{host}:{port} accepts connections")


def _shell_target(name: str, spec: ShellExecutorConfig) -> Check:
    executable = spec.argv[0]
    if executable not in spec.executable_allowlist:
        return Check(
            name,
            False,
            f"{executable} is not in executable_allowlist",
            "add its absolute path to executable_allowlist, or fix argv[0]",
        )
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        return Check(name, False, f"{executable} is missing or not executable", "install it")
    return Check(name, True, f"{executable} is executable")


def _python_target(name: str, entrypoint: str) -> Check:
    from bot.integrations.executors.python import load_entrypoint

    try:
        load_entrypoint(entrypoint)
    except ConfigError as exc:
        return Check(name, False, exc.message, "fix the entrypoint (module:function, async)")
    return Check(name, True, f"{entrypoint} imports")


async def pagerduty_checks(
    settings: Settings, config: LoadedConfig, *, environ: Mapping[str, str]
) -> list[Check]:
    """PagerDuty, when configured: the token reads each service's escalation policy, and
    each pageable service's routing-key variable is set (its value is never shown)."""
    pagerduty = config.pagerduty
    if pagerduty is None:
        return []
    checks: list[Check] = []
    for action in config.actions:
        spec = config.executors[action.name]
        if not isinstance(spec, PagerDutyExecutorConfig) or spec.event_action != "trigger":
            continue
        for service, variable in spec.routing_keys.items():
            name = f"pagerduty {service} routing key"
            if environ.get(variable):
                checks.append(Check(name, True, f"{variable} is set"))
            else:
                fix = f"set {variable} to the service's Events API v2 integration key"
                checks.append(Check(name, False, f"{variable} is not set", fix))
    import aiohttp  # only when PagerDuty is configured: `doctor --help` stays light

    from bot.integrations.pagerduty import PagerDutyClient

    token = settings.pagerduty_api_token
    if token is None:
        fix = "set PAGERDUTY_API_TOKEN to a read-only REST API key"
        return [*checks, Check("pagerduty api", False, "PAGERDUTY_API_TOKEN is not set", fix)]
    async with aiohttp.ClientSession() as session:
        client = PagerDutyClient(
            session,
            api_url=pagerduty.api_url,
            events_url=pagerduty.events_url,
            token=token.get_secret_value(),
            timeout=_CONNECT_TIMEOUT,
        )
        for service, service_id in pagerduty.service_ids.items():
            checks.append(await _pagerduty_service(client, service, service_id))
    return checks


async def _pagerduty_service(client: PagerDutyClient, service: str, service_id: str) -> Check:
    from bot.integrations.pagerduty import PagerDutyAuthError, PagerDutyError

    name = f"pagerduty {service}"
    try:
        _, policy = await client.service_policy(service_id)
    except PagerDutyAuthError as exc:
        return Check(name, False, exc.reason, "check PAGERDUTY_API_TOKEN (a REST API key)")
    except PagerDutyError as exc:
        fix = f"check the service id {service_id} and pagerduty.api_url in the config"
        return Check(name, False, exc.reason, fix)
    return Check(name, True, f"service {service_id}, escalation policy {policy}")


async def _mcp(server: McpServerModel, environ: Mapping[str, str]) -> Check:
    """The server starts (or answers) and lists its tools within its timeout."""
    from bot.integrations.mcp.client import McpServerError, list_tools

    endpoint = server.endpoint()
    where = endpoint.url or " ".join(endpoint.argv)
    name = f"mcp {server.name}"
    try:
        tools = await list_tools(endpoint, environ, timeout=server.timeout.total_seconds())
    except McpServerError as exc:
        fix = f"{_mcp_fix(exc.reason, server)} (a running bot keeps trying it in the background)"
        return Check(name, False, f"{where}: {exc.reason}", fix)
    return Check(name, True, f"{where}: {len(tools)} tool(s) listed over {endpoint.transport}")


def _mcp_fix(reason: str, server: McpServerModel) -> str:
    """How to fix what kept a server from being listed, from its (secret-free) reason."""
    if "which is not set" in reason:
        return "set that variable in the bot's environment (the header's secret)"
    if "OAuth:" in reason:
        return "check the oauth block: client_id, the secret in its client_secret variable, issuer"
    if "HTTP 401" in reason or "HTTP 403" in reason:
        return "the server refused the credentials: check the token the headers reference"
    if "FileNotFoundError" in reason:
        return "install the server, or fix its command (argv[0] must exist)"
    if "within" in reason:
        seconds = server.timeout.total_seconds()
        return f"check that it starts and answers, or raise its timeout ({seconds:g}s)"
    if server.url is not None:
        return "check that the server runs at that URL and this host may reach it"
    return "run its command by hand to see why it does not start"
