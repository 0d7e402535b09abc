"""``switchboard doctor``: every check passes on a healthy set-up; each broken piece is named
with how to fix it."""

from __future__ import annotations

import io
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.doctor import doctor_command
from bot.config import Settings
from sandbox import SlackSandbox
from storage import Database, head_revision
from tests.e2e.approvals_config import approvals_config
from tests.e2e.mcp_http import McpFiles, http_mcp_server


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox() as sb:
        yield sb


async def _settings(tmp_path: Path, sandbox: SlackSandbox, **changes: object) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'doctor.db'}"
    database = await Database.connect(url)
    await database.migrate()
    await database.close()
    config = tmp_path / "switchboard.yaml"
    config.write_text(approvals_config(sandbox.base_url))
    values: dict[str, object] = {
        "SLACK_BOT_TOKEN": sandbox.bot_token,
        "SLACK_SIGNING_SECRET": sandbox.signing_secret,
        "SWITCHBOARD_SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": url,
        "SWITCHBOARD_CONFIG": str(config),
        **changes,
    }
    return Settings.model_validate(values)


async def _doctor(settings: Settings) -> tuple[int, str]:
    out = io.StringIO()
    code = await doctor_command(settings, out=out)
    return code, out.getvalue()


async def test_a_healthy_setup_passes_every_check(tmp_path: Path, sandbox: SlackSandbox) -> None:
    """Config, database at head, a valid token, and every action's target reachable."""
    code, text = await _doctor(await _settings(tmp_path, sandbox))
    assert code == 0, text
    assert "ok   config:" in text and "3 action(s)" in text
    assert f"ok   database: sqlite reachable, schema at {head_revision()}" in text
    assert "ok   slack: token valid for @switchboard" in text
    assert text.count("ok   action ") == 3
    assert "0 to fix" in text


async def test_each_broken_piece_is_named_with_its_fix(
    tmp_path: Path, sandbox: SlackSandbox
) -> None:
    """A broken config file, a schema behind, a refused token and no mode secret: each is a
    BAD line followed by how to fix it; the exit status is 1."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nactions:\n  - name: deploy\n    agent: deploy\n")
    settings = await _settings(
        tmp_path,
        sandbox,
        SLACK_BOT_TOKEN="xoxb-" + "0" * 24,
        SLACK_SIGNING_SECRET=None,
        SWITCHBOARD_CONFIG=str(broken),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
    )
    code, text = await _doctor(settings)
    assert code == 1
    lines = text.splitlines()

    def fix_after(prefix: str) -> str:
        index = next(i for i, line in enumerate(lines) if line.startswith(prefix))
        return lines[index + 1]

    assert "switchboard config check" in fix_after("BAD  config:")
    assert "switchboard db upgrade" in fix_after(
        "BAD  database: sqlite reachable, schema at nothing"
    )
    assert "invalid_auth" in text and "SLACK_BOT_TOKEN" in fix_after("BAD  slack:")
    assert "SLACK_APP_TOKEN" in text and "fix:" in fix_after("BAD  slack mode:")


async def test_many_workspaces_need_the_oauth_secrets_not_a_bot_token(
    tmp_path: Path, sandbox: SlackSandbox
) -> None:
    """With SLACK_CLIENT_ID the bot token is not asked for; a missing state secret is named
    with its fix, and once set the slack check passes."""
    oauth = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_BOT_TOKEN": None}
    missing = await _settings(tmp_path, sandbox, SLACK_CLIENT_SECRET="c", **oauth)
    code, text = await _doctor(missing)
    assert code == 1 and "BAD  slack: many workspaces: SLACK_STATE_SECRET not set" in text
    ready = await _settings(
        tmp_path, sandbox, SLACK_CLIENT_SECRET="c", SLACK_STATE_SECRET="s" * 32, **oauth
    )
    code, text = await _doctor(ready)
    assert "ok   slack: many workspaces: installs at /slack/install" in text, text


async def test_an_unreachable_action_target_is_named(tmp_path: Path, sandbox: SlackSandbox) -> None:
    """An http target nobody listens on is reported with its host and port."""
    config = tmp_path / "closed.yaml"
    config.write_text(approvals_config("http://127.0.0.1:9"))
    code, text = await _doctor(await _settings(tmp_path, sandbox, SWITCHBOARD_CONFIG=str(config)))
    assert code == 1
    assert text.count("BAD  action ") == 3 and "cannot connect to 127.0.0.1:9" in text


LOCAL = f"{sys.executable}, -m, sandbox.mcp_server"


async def test_each_mcp_server_is_listed_or_named_with_its_fix(
    tmp_path: Path, sandbox: SlackSandbox
) -> None:
    """A stdio server and an HTTP server given the right token list their tools (how many);
    the same HTTP server with a wrong token, one whose token variable is not set, and a
    command that does not exist are each a BAD line with how to fix it."""
    files = McpFiles(tmp_path)
    async with http_mcp_server(files, bearer="doctor-token-31") as url:
        config = tmp_path / "mcp.yaml"
        http = "headers: {Authorization: 'Bearer ${%s}'}, agent: deploy, url: " + url
        config.write_text(
            "version: 1\nmcp:\n  servers:\n"
            f"    - {{name: local, agent: deploy, command: [{LOCAL}]}}\n"
            f"    - {{name: remote, {http % 'GOOD_TOKEN'}}}\n"
            f"    - {{name: refused, {http % 'BAD_TOKEN'}}}\n"
            f"    - {{name: unset, {http % 'NO_TOKEN'}}}\n"
            "    - {name: gone, agent: deploy, command: [/nonexistent/ops-mcp]}\n",
            encoding="utf-8",
        )
        settings = await _settings(tmp_path, sandbox, SWITCHBOARD_CONFIG=str(config))
        out = io.StringIO()
        environ = {"GOOD_TOKEN": "doctor-token-31", "BAD_TOKEN": "not-it"}
        code = await doctor_command(settings, out=out, environ=environ)
    text = out.getvalue()
    assert code == 1
    assert "ok   mcp local: " in text and "6 tool(s) listed over stdio" in text
    assert f"ok   mcp remote: {url}: 6 tool(s) listed over http" in text
    lines = text.splitlines()

    def fix_after(prefix: str) -> str:
        index = next(i for i, line in enumerate(lines) if line.startswith(prefix))
        return lines[index + 1]

    assert "HTTP 401" in next(line for line in lines if line.startswith("BAD  mcp refused:"))
    assert "check the token the headers reference" in fix_after("BAD  mcp refused:")
    assert "set that variable" in fix_after("BAD  mcp unset:")
    assert "${NO_TOKEN}, which is not set" in text
    assert "argv[0] must exist" in fix_after("BAD  mcp gone:")
    assert "a running bot keeps trying it in the background" in fix_after("BAD  mcp gone:")
    assert "doctor-token-31" not in text and "not-it" not in text
