"""``switchboard run`` with the default configuration imports only what that configuration
uses: every module it imports costs memory for the life of the process (issue 19)."""

from __future__ import annotations

import re
import sys

import pytest

from bot.server import SLACK_EVENTS_PATH
from sandbox import SlackSandbox
from sandbox.app_process import AppProcess
from storage import Database

pytestmark = pytest.mark.slow

# ``-X importtime`` writes one line per module imported to stderr, as it is imported.
COMMAND = (sys.executable, "-X", "importtime", "-m", "bot", "run", "--host", "127.0.0.1")
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$")

UNUSED_BY_DEFAULT = (
    ("alembic", "mako"),  # migrations: at the head already, or run by a child process
    ("cryptography",),  # sealing installations: no token encryption key
    ("opentelemetry",),  # spans: no OTEL_* variable
    ("yaml",),  # the config file's parser: no config file
    ("slack_sdk.socket_mode", "slack_bolt.adapter.socket_mode"),  # HTTP mode
    ("sqlalchemy.dialects.postgresql", "asyncpg"),  # PostgreSQL, on SQLite
    ("openai", "anthropic", "mcp"),  # no LLM provider, no MCP server configured
    ("bot.cli.review", "bot.cli.eval", "bot.cli.demo", "bot.cli.doctor"),  # other commands
    # no config file: only its defaults (bot.config_file.loaded), never the sections' models
    ("bot.config_file.sections", "bot.config_file.loader", "bot.config_file.document"),
    # no actions, MCP servers, PagerDuty, tickets or LLM providers: no integration
    ("bot.integrations.executors", "bot.integrations.mcp", "bot.mcp_wiring"),
    ("bot.integrations.pagerduty", "bot.integrations.tickets"),
    ("bot.integrations.llm.build", "bot.integrations.llm.provider"),
    ("bot.integrations.resilience", "tenacity"),
)


def _imported(logs: list[dict[str, object]]) -> set[str]:
    lines = (str(e.get("line", "")) for e in logs if e.get("event") == "non_json_output")
    return {m[1] for m in map(_IMPORTED.match, lines) if m}


@pytest.mark.parametrize("start", ["first", "restart"])
async def test_the_default_bot_imports_no_module_its_configuration_does_not_use(
    sandbox: SlackSandbox, database_url: str, start: str
) -> None:
    """On a new database (migrated by a child process) or a migrated one, after answering a
    mention."""
    if start == "restart":
        async with await Database.connect(database_url) as database:
            await database.migrate()
    bot = AppProcess(
        sandbox,
        database_url,
        command=(*COMMAND, "--port", "0"),
        events_path=SLACK_EVENTS_PATH,
    )
    await bot.start()
    try:
        await sandbox.people.say("<@U0BOT> help")
        await sandbox.calls.wait_for("chat.postMessage")
    finally:
        assert await bot.terminate() == 0
    imported = _imported(bot.logs)
    assert {"slack_bolt", "aiosqlite", "bot.runtime"} <= imported  # the lines were read
    loaded = [
        name
        for name in (name for group in UNUSED_BY_DEFAULT for name in group)
        if any(module == name or module.startswith(f"{name}.") for module in imported)
    ]
    assert loaded == []
