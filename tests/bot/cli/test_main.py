"""The ``switchboard`` command: clear one-line errors, migrations, the scripted demo."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from storage import head_revision

REPO = Path(__file__).resolve().parents[3]


def _run(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SWITCHBOARD_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
        (
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "DATABASE_URL": "mysql://x/y",
            },
            "DATABASE_URL",
        ),
    ],
)
def test_bad_setting_stops_start_with_one_line(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    """A missing or malformed setting: exit 2, one stderr line naming it, no traceback."""
    result = _run("run", "--port", "0", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_socket_mode_needs_the_app_token(tmp_path: Path) -> None:
    """`run --socket` without SLACK_APP_TOKEN names that variable."""
    result = _run("run", "--socket", env={"SLACK_BOT_TOKEN": "xoxb-1"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    """`db upgrade` migrates a new SQLite file to head; `db current` reports it."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    upgraded = _run("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    current = _run("db", "current", env=env, cwd=tmp_path)
    assert current.stdout.strip() == upgraded.stdout.strip() == head_revision()


def test_default_database_lives_under_var(tmp_path: Path) -> None:
    """With no DATABASE_URL the SQLite file is var/switchboard.db in the working directory."""
    result = _run("db", "upgrade", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "switchboard.db").is_file()


def test_scripted_demo_prints_the_transcript(tmp_path: Path) -> None:
    """`demo --script` plays each line through the sandbox and prints the bot's answers."""
    script = tmp_path / "script.txt"
    script.write_text("# a comment\nhello\n/ops help\n")
    result = _run("demo", "--script", str(script), env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "alice> hello" in out
    assert "I did not find an agent for 'hello'" in out
    assert "alice> /ops help" in out
    said = [line for line in out.splitlines() if line.startswith("switchboard> ")]
    # The answer and /ops help's, and nothing before them: a rules turn answered within
    # RuntimeOptions.status_after shows no status line (the tour's model turns do).
    assert len(said) == 2 and not any(line.startswith("switchboard> (status: ") for line in said)
    assert (tmp_path / "var" / "demo.db").is_file()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--model", "openai:gpt-4o-mini"], {}, "set OPENAI_API_KEY"),
        (["--model", "local:llama"], {}, "needs --base-url"),
        (["--base-url", "http://127.0.0.1:9/v1"], {}, "--base-url needs --model"),
        (
            ["--model", "ollama:x"],
            {"SWITCHBOARD_CONFIG": str(REPO / "examples" / "switchboard.yaml")},
            "declare the provider",
        ),
    ],
)
def test_demo_refuses_a_model_it_cannot_use_with_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = _run("demo", *args, env=env, cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # nothing started


async def test_sandbox_command_serves_the_web_api(tmp_path: Path) -> None:
    """`switchboard sandbox --port 0` prints its settings, answers auth.test, stops on SIGTERM."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        "0",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        printed: dict[str, str] = {}
        async with asyncio.timeout(30):
            while len(printed) < 3:
                name, _, value = (await proc.stdout.readline()).decode().strip().partition("=")
                printed[name] = value
        client = AsyncWebClient(
            token=printed["SLACK_BOT_TOKEN"], base_url=printed["SWITCHBOARD_SLACK_API_URL"]
        )
        assert (await client.auth_test())["user_id"] == "U0BOT"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await proc.wait() == 0


def test_bad_actions_config_never_starts_the_bot(tmp_path: Path) -> None:
    """`run` with a config that has errors exits 2 listing each with its line; no traceback."""
    config = tmp_path / "bad.yaml"
    config.write_text(
        "version: 1\nactions:\n  - name: deploy\n    agent: deploy\n    description: d\n"
        "    risk: sometimes\n    executor: {python: {entrypoint: 'nope:missing'}}\n"
    )
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "SWITCHBOARD_CONFIG": str(config),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    result = _run("run", "--port", "0", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert f"{config}:6" in result.stderr  # the line of `risk: sometimes`
    assert "Traceback" not in result.stderr
    checked = _run("config", "check", str(config), env={}, cwd=tmp_path)
    assert checked.returncode == 2
    assert f"{config}:6" in checked.stdout


def test_example_config_checks_clean(tmp_path: Path) -> None:
    """The shipped example passes `config check`."""
    result = _run(
        "config", "check", str(REPO / "examples" / "switchboard.yaml"), env={}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok:")


def test_knowledge_index_and_misses_from_the_command_line(tmp_path: Path) -> None:
    """`knowledge index DIR` indexes its Markdown; a second run finds nothing changed;
    `knowledge misses` reports none; a missing path is an error with exit code 2."""
    docs = tmp_path / "runbooks"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\ntext\n")
    (docs / "notes.txt").write_text("not markdown")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    first = _run("knowledge", "index", str(docs), env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "indexed 1 files (1 chunks), unchanged 0, removed 0"
    again = _run("knowledge", "index", str(docs), env=env, cwd=tmp_path)
    assert again.stdout.strip() == "indexed 0 files (0 chunks), unchanged 1, removed 0"
    misses = _run("knowledge", "misses", env=env, cwd=tmp_path)
    assert misses.stdout.strip() == "no misses recorded"
    (docs / "b.md").write_text("# B\n\ntext\n")
    kept = _run("knowledge", "index", str(docs / "b.md"), env=env, cwd=tmp_path)
    assert kept.stdout.strip() == "indexed 1 files (1 chunks), unchanged 0, removed 0"
    (docs / "a.md").unlink()
    kept = _run("knowledge", "index", "--keep-missing", str(docs), env=env, cwd=tmp_path)
    assert kept.stdout.strip().endswith("removed 0")
    pruned = _run("knowledge", "index", str(docs), env=env, cwd=tmp_path)
    assert pruned.stdout.strip().endswith("removed 1")
    bad = _run("knowledge", "index", str(tmp_path / "nope"), env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "no such file or directory" in bad.stderr


def test_start_up_loads_no_storage_runtime_slack_or_sandbox(tmp_path: Path) -> None:
    """Building the parser (every command's flags) imports none of the heavy parts: each
    command imports them when it runs, so ``--help`` and ``config`` stay fast."""
    heavy = ("storage", "sqlalchemy", "aiohttp", "slack_sdk", "slack_bolt", "sandbox")
    probe = (
        "import sys; from bot.cli import build_parser; build_parser(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} "
        "or m in ('bot.runtime', 'bot.foundation', 'bot.slack_edges', 'bot.serve', "
        "'bot.server', 'bot.worker')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
