"""build_executors: one executor per action, one breaker per target, entrypoints checked."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from agents.actions.execution import ExecutionRequest, Executor
from bot.config_file import ConfigFileError, LoadedConfig, load_config, parse_config
from bot.integrations.executors import BreakerExecutor, build_executors

from .conftest import RecordingSleep
from .fake_api import FakeApi, Scripted

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "switchboard.yaml"


def _config(base_url: str) -> str:
    actions = ""
    for name in ("restart", "status"):
        actions += (
            f"  - name: {name}\n"
            "    agent: deploy\n"
            f"    description: {name}\n"
            "    risk: read\n"
            "    executor:\n"
            f"      http: {{method: GET, url: '{base_url}/{name}', retries: 1}}\n"
        )
    return "version: 1\nactions:\n" + actions


async def test_example_builds_an_executor_per_action(session: aiohttp.ClientSession) -> None:
    """Every action of the example gets an executor behind a circuit breaker."""
    config = load_config(EXAMPLE)
    executors = build(config, session)
    assert set(executors) == {action.name for action in config.actions}
    assert all(isinstance(e, BreakerExecutor) for e in executors.values())


async def test_actions_on_one_target_share_its_breaker(
    api: FakeApi, session: aiohttp.ClientSession
) -> None:
    """Failures of one action open the circuit for every action on the same host:port."""
    api.script("/restart", Scripted(500))
    api.script("/status", Scripted(200))
    executors = build(parse_config(_config(api.base_url)), session, threshold=2)
    request = ExecutionRequest("restart", {}, "k", "t", "U0ALICE")
    for _ in range(2):
        await executors["restart"].run(request)
    refused = await executors["status"].run(request)
    assert refused.circuit_open
    assert [seen.raw_path for seen in api.seen] == ["/restart", "/restart"]


async def test_unimportable_python_entrypoints_are_config_errors(
    session: aiohttp.ClientSession,
) -> None:
    """Every python entrypoint that cannot be used is listed, by field path."""
    text = "version: 1\nactions:\n" + "".join(
        f"  - name: a{i}\n    agent: deploy\n    description: x\n    risk: read\n"
        f"    executor: {{python: {{entrypoint: '{entrypoint}'}}}}\n"
        for i, entrypoint in enumerate(["asyncio:sleep", "no_such_mod:f", "json:dumps"])
    )
    with pytest.raises(ConfigFileError) as caught:
        build(parse_config(text, source="ops.yaml"), session)
    assert [issue.field_path for issue in caught.value.issues] == [
        "actions[1].executor.python.entrypoint",
        "actions[2].executor.python.entrypoint",
    ]


def build(
    config: LoadedConfig, session: aiohttp.ClientSession, *, threshold: int = 5
) -> dict[str, Executor]:
    """Executors with a recording sleep and no environment."""
    return build_executors(
        config, session=session, environ={}, sleep=RecordingSleep(), failure_threshold=threshold
    )
