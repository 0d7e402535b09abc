"""The image's entrypoint and health check, run here without an engine: the Dockerfile's
`ENTRYPOINT` + `CMD` with its `ENV` (the database on a temporary path instead of /data, the
host and port loopback and free) serves /healthz to the `HEALTHCHECK` command, and SIGTERM
(the `STOPSIGNAL`) lets a running turn post its reply before the process exits 0."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox import SlackSandbox
from sandbox.app_process import AppProcess
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import delay, reply
from tests.deploy.dockerfile import parse
from tests.e2e.llm_config import LLM_KEY, llm_config_text

pytestmark = pytest.mark.slow

_BIN = str(Path(sys.executable).parent)


def _image_command() -> list[str]:
    """ENTRYPOINT + CMD, with --host and --port made loopback and free (port 0)."""
    final = parse().final
    command = final.last("ENTRYPOINT").exec_form() + final.last("CMD").exec_form()
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = "0"
    return [os.path.join(_BIN, command[0]), *command[1:]]


def _image_env(config: Path) -> dict[str, str]:
    """The final stage's ENV (DATABASE_URL and PATH are set by the test) and the config."""
    dockerfile = parse()
    env = dockerfile.final.env(dockerfile.stage_args(dockerfile.final))
    env.pop("DATABASE_URL")
    env["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
    return {**env, "SWITCHBOARD_CONFIG": str(config), "PRIMARY_LLM_KEY": LLM_KEY}


async def _health(port: int) -> int:
    """The HEALTHCHECK command's exit code against ``port``."""
    argv = parse().final.last("HEALTHCHECK").exec_form()
    env = {"PATH": _BIN + os.pathsep + os.environ.get("PATH", ""), "SWITCHBOARD_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    async with asyncio.timeout(15):
        return await process.wait()


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox(signing_secret="image-test-signing-secret") as running:
        yield running


async def test_the_entrypoint_serves_the_health_check_and_drains_on_sigterm(
    sandbox: SlackSandbox, tmp_path: Path
) -> None:
    """Healthy while it runs; SIGTERM mid-turn: the turn finishes and its answer is posted,
    the process exits 0, and afterwards the health check fails."""
    answer = "Deploys wait for an approver, then run once."
    async with ScriptedLLMServer(api_key=LLM_KEY) as llm:
        config = tmp_path / "switchboard.yaml"
        config.write_text(llm_config_text(sandbox.base_url, primary_url=llm.openai_base_url))
        llm.script(delay(1.0, reply(answer)))
        bot = AppProcess(
            sandbox,
            f"sqlite:///{tmp_path / 'data' / 'switchboard.db'}",
            command=_image_command(),
            events_path="/slack/events",
            env=_image_env(config),
        )
        (tmp_path / "data").mkdir()
        await bot.start()
        port = int((await bot.wait_for_log("http_listening"))["port"])
        try:
            assert await _health(port) == 0
            sent = await sandbox.people.say("<@U0BOT> deploy: how do deploys work?")
            await llm.wait_for_requests(1, timeout=20)  # the turn is inside its model call
        finally:
            code = await bot.terminate()
        assert code == 0
        events = [entry.get("event") for entry in bot.logs]
        assert events.index("shutdown_requested") < events.index("turn_completed")
        thread = sandbox.workspace.store.thread("C0GENERAL", sent.ts)
        assert any(answer in str(m.get("blocks") or m.get("text")) for m in thread[1:])
        assert await _health(port) != 0
