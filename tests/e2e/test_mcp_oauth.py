"""MCP servers behind OAuth (client credentials grant), through the real app, sandbox,
database and worker: the sandbox's MCP server runs over HTTP as an OAuth-protected resource and
its own authorization server (``sandbox.mcp_oauth``); the bot discovers the token endpoint from
the server's metadata and gets its tokens with a client id and a secret from
``${OPS_MCP_SECRET}``."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from bot.cli.config import check_command
from bot.cli.doctor import doctor_command
from bot.config_file import ConfigFileError, parse_config
from bot.integrations.mcp.oauth import ClientCredentials
from sandbox import SlackSandbox
from tests.e2e.conftest import Bot, running_bot, settings_for
from tests.e2e.mcp_http import (
    McpFiles,
    calls,
    http_mcp_server,
    set_control,
    start_up_failure,
    until,
)

SECRET = "oauth-client-secret-5e8b"  # the secret that must never show
WRONG = "not-the-secret-0c4a"

CONFIG = """
version: 1
mcp:
  servers:
    - name: ops
      url: {url}
      agent: deploy
      timeout: 20s
      oauth: {{client_id: switchboard, client_secret: "${{OPS_MCP_SECRET}}", {where}}}
      tools: {{allow: [cluster_health]}}
"""


@pytest.fixture
def files(tmp_path: Path) -> McpFiles:
    return McpFiles(tmp_path)


@pytest.fixture
async def url(files: McpFiles) -> AsyncIterator[str]:
    env = {
        "SANDBOX_MCP_OAUTH_CLIENT": f"switchboard:{SECRET}",
        "SANDBOX_MCP_TOKEN_LOG": str(files.control.with_name("tokens.jsonl")),
        "SANDBOX_MCP_TOKEN_TTL": "3600",
    }
    async with http_mcp_server(files, bearer=None, env=env) as address:
        yield address


def _config_text(url: str, *, token_url: bool = False) -> str:
    origin = url.removesuffix("/mcp")
    where = f'token_url: "{origin}/other/token"' if token_url else f'issuer: "{origin}"'
    return CONFIG.format(url=url, where=where)


def _tokens(files: McpFiles) -> list[dict[str, str]]:
    path = files.control.with_name("tokens.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


async def _ask(sandbox: SlackSandbox, cluster: str) -> None:
    await sandbox.people.say(f"<@U0BOT> ops cluster_health {cluster}")
    await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: f"cluster {cluster}: 3/3 nodes healthy" in str(c.args),
        timeout=30,
    )


async def _stored(bot: Bot) -> str:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT canonical_json, result FROM approvals"))
        return str([tuple(r) for r in rows])


@pytest.mark.parametrize("token_url", [False, True], ids=["discovered", "configured"])
async def test_a_good_client_gets_a_token_and_the_servers_tools(
    sandbox: SlackSandbox, database_url: str, url: str, files: McpFiles, token_url: bool
) -> None:
    """The first request is refused (401), the bot finds the token endpoint (discovered from
    the server's metadata, from the issuer; or configured), gets one token by the client
    credentials grant, and lists and calls the tool with it; the secret is nowhere stored,
    logged or shown."""
    config = parse_config(_config_text(url, token_url=token_url))
    with capture_logs() as logs:
        async with running_bot(
            sandbox, database_url, config=config, environ={"OPS_MCP_SECRET": SECRET}
        ) as bot:
            await _ask(sandbox, "db1")
            stored = await _stored(bot)
    assert calls(files) == [{"tool": "cluster_health", "arguments": {"cluster": "db1"}}]
    at = "/other/token" if token_url else "/oauth/token"
    assert _tokens(files) == [{"refused": "/mcp"}, {"client_id": "switchboard", "at": at}]
    assert '"oauth_client":"switchboard"' in stored
    for text in (stored, str(logs), str(sandbox.calls.all())):
        assert SECRET not in text


async def test_a_wrong_secret_is_a_clear_error_in_config_check_doctor_and_at_start_up(
    sandbox: SlackSandbox, database_url: str, url: str, tmp_path: Path
) -> None:
    """The token endpoint refuses the client: ``config check`` and ``doctor`` say OAuth refused
    the credentials and what to check, the bot starts without the server's tools; the secret
    given shows nowhere."""
    text = _config_text(url)
    path = tmp_path / "switchboard.yaml"
    path.write_text(text, encoding="utf-8")
    wrong = {"OPS_MCP_SECRET": WRONG}
    out = io.StringIO()
    assert await asyncio.to_thread(check_command, path, out=out, environ=wrong) == 2
    checked = out.getvalue()
    assert "mcp ops: error:" in checked
    assert "OAuth: the token endpoint answered HTTP 401: refused, check the oauth client_id" in (
        checked
    )
    settings = settings_for(sandbox, database_url, {"SWITCHBOARD_CONFIG": str(path)})
    out = io.StringIO()
    assert await doctor_command(settings, out=out, environ=wrong) == 1
    doctor = out.getvalue()
    assert "BAD  mcp ops:" in doctor and "OAuth: the token endpoint answered HTTP 401" in doctor
    assert "check the oauth block" in doctor
    reason, logs = await start_up_failure(sandbox, database_url, parse_config(text), wrong)
    assert "OAuth: the token endpoint answered HTTP 401" in reason
    assert all(WRONG not in t for t in (checked, doctor, str(logs)))


async def test_a_token_refused_later_is_replaced_and_the_call_runs_once(
    sandbox: SlackSandbox, database_url: str, url: str, files: McpFiles
) -> None:
    """The server stops accepting the bot's token (as when it expired early or was revoked):
    the next call is refused 401, the bot gets a new token and sends it again; the tool runs
    exactly once."""
    config = parse_config(_config_text(url))
    async with running_bot(
        sandbox, database_url, config=config, environ={"OPS_MCP_SECRET": SECRET}
    ):
        await _ask(sandbox, "db1")
        set_control(files, token_epoch=1)  # read by the server at each request
        await _ask(sandbox, "db2")
    assert [c["arguments"]["cluster"] for c in calls(files)] == ["db1", "db2"]
    tokens = _tokens(files)
    issued = [i for i, t in enumerate(tokens) if "client_id" in t]
    assert len(issued) == 2 and {"refused": "/mcp"} in tokens[issued[0] + 1 : issued[1]]


async def test_a_token_about_to_expire_is_renewed_before_the_call(
    sandbox: SlackSandbox, database_url: str, files: McpFiles
) -> None:
    """Tokens live two seconds: once the bot's token is within its renewal margin, the next
    call first gets a new token, so the server never refuses it; the tool runs once."""
    env = {
        "SANDBOX_MCP_OAUTH_CLIENT": f"switchboard:{SECRET}",
        "SANDBOX_MCP_TOKEN_LOG": str(files.control.with_name("tokens.jsonl")),
        "SANDBOX_MCP_TOKEN_TTL": "2",
    }
    async with http_mcp_server(files, bearer=None, env=env) as address:
        config = parse_config(_config_text(address))
        async with running_bot(
            sandbox, database_url, config=config, environ={"OPS_MCP_SECRET": SECRET}
        ) as bot:
            assert bot.runtime.mcp is not None
            auth = bot.runtime.mcp.connections["ops"]._auth
            assert isinstance(auth, ClientCredentials)
            await until(lambda: not auth.context.is_token_valid(), "the token due for renewal")
            refused = sum("refused" in t for t in _tokens(files))
            await _ask(sandbox, "db3")
    assert calls(files) == [{"tool": "cluster_health", "arguments": {"cluster": "db3"}}]
    after = _tokens(files)
    assert sum("client_id" in t for t in after) == 2
    assert sum("refused" in t for t in after) == refused


def test_the_authorization_code_flow_is_refused_saying_it_is_not_built() -> None:
    """A chat bot has no browser: the interactive grant is refused by name, as is a literal
    secret."""
    base = "version: 1\nmcp:\n  servers:\n    - name: ops\n      url: https://mcp.example.com/mcp\n"
    code = base + "      oauth: {grant: authorization_code, client_id: sb, client_secret: '${S}'}\n"
    with pytest.raises(ConfigFileError) as refused:
        parse_config(code)
    assert "the authorization-code (interactive, browser) OAuth flow is not built" in str(
        refused.value
    )
    literal = base + "      oauth: {client_id: sb, client_secret: hunter2, issuer: https://a.b}\n"
    with pytest.raises(ConfigFileError) as secret:
        parse_config(literal)
    assert "client_secret must be a ${ENV_VAR} reference" in str(secret.value)
    assert "hunter2" not in str(secret.value)


async def test_an_unset_client_secret_variable_is_named(url: str, tmp_path: Path) -> None:
    """``config check`` names the variable the client secret needs."""
    path = tmp_path / "switchboard.yaml"
    path.write_text(_config_text(url), encoding="utf-8")
    out = io.StringIO()
    assert await asyncio.to_thread(check_command, path, out=out, environ={}) == 2
    assert "the oauth client_secret needs ${OPS_MCP_SECRET}, which is not set" in out.getvalue()
