"""Three `switchboard run` processes on one PostgreSQL database behind one sandbox that hands
every delivery to two replicas at once: one reply per event, one execution per approval."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from handlers.approval_blocks import APPROVE_ACTION
from sandbox import SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import reply
from storage import Database
from tests.e2e.approvals_config import approvals_config
from tests.e2e.llm_config import LLM_KEY, LLM_SECTIONS
from tests.e2e.postgres import fresh_postgres
from tests.e2e.process import BotProcess

pytestmark = pytest.mark.slow

EVENTS = 500
_BATCH = 25


@pytest.fixture
async def shared_postgres() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database for this test (dropped afterwards)."""
    async with fresh_postgres("sb_replicas") as url:
        yield url


@asynccontextmanager
async def _replicas(
    sandbox: SlackSandbox,
    url: str,
    config: Path,
    *,
    count: int = 3,
    fan_out: int = 2,
    env: dict[str, str] | None = None,
) -> AsyncIterator[list[BotProcess]]:
    """``count`` bot processes; the sandbox delivers each payload to ``fan_out`` of them."""
    environ = {
        "SWITCHBOARD_CONFIG": str(config),
        "DEPLOY_API_TOKEN": "t0ken",
        "SWITCHBOARD_JOB_LEASE_SECONDS": "1",
        **(env or {}),
    }
    processes = [BotProcess(sandbox, url, env=environ) for _ in range(count)]
    urls = []
    try:
        for process in processes:
            await process.start()
            assert sandbox.driver.request_url is not None
            urls.append(sandbox.driver.request_url)
        sandbox.driver.deliver_to_replicas(urls, fan_out=fan_out)
        yield processes
    finally:
        for process in processes:
            await process.terminate()


@pytest.fixture
async def replicas(
    sandbox: SlackSandbox, shared_postgres: str, tmp_path: Path
) -> AsyncIterator[list[BotProcess]]:
    """Three bot processes; the sandbox delivers each payload to two of them at once."""
    config = tmp_path / "switchboard.yaml"
    config.write_text(approvals_config(sandbox.base_url))
    sandbox.workspace.directory.add_usergroup("S0SRE", "sre", ["U0CAROL"])
    async with _replicas(sandbox, shared_postgres, config) as processes:
        yield processes


async def _done_events(url: str) -> int:
    database = await Database.connect(url)
    try:
        async with database.engine.connect() as connection:
            query = text("SELECT count(*) FROM events WHERE status = 'done'")
            return int((await connection.execute(query)).scalar() or 0)
    finally:
        await database.close()


async def test_each_event_to_two_replicas_gets_one_reply(
    sandbox: SlackSandbox, replicas: list[BotProcess], shared_postgres: str
) -> None:
    """500 mentions, each delivered to two replicas at once: 500 replies, one per thread,
    500 claims, none twice."""
    threads: list[str] = []
    for start in range(0, EVENTS, _BATCH):
        sent = await asyncio.gather(
            *(sandbox.people.say(f"<@U0BOT> help {n}") for n in range(start, start + _BATCH))
        )
        threads += [message.ts for message in sent]
    wanted = set(threads)
    await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: c.args.get("thread_ts") in wanted,
        count=EVENTS,
        timeout=180,
    )
    for process in replicas:  # a graceful stop lets every running turn finish its records
        assert await process.terminate() == 0
    replies = Counter(
        c.args.get("thread_ts")
        for c in sandbox.calls.for_method("chat.postMessage")
        if c.args.get("thread_ts") in wanted
    )
    assert len(replies) == EVENTS and set(replies.values()) == {1}
    duplicates = sum(1 for p in replicas for e in p.logs if e.get("event") == "delivery_duplicate")
    assert duplicates == EVENTS  # every event reached a second replica, which dropped it
    assert await _done_events(shared_postgres) == EVENTS


async def test_an_approval_clicked_on_two_replicas_runs_once(
    sandbox: SlackSandbox, replicas: list[BotProcess]
) -> None:
    """A request made through one replica, approved by a click delivered to two others at
    the same moment (and again by the second approver): one execution."""
    sent = await sandbox.people.say("<@U0BOT> deploy api to prod")
    card = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=20
    )
    await asyncio.gather(
        sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB"),
        sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0CAROL"),
    )
    await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args.get("blocks")), timeout=30
    )
    assert sandbox.deploy_api.applied_count() == 1


async def _running_job_owner(url: str) -> str:
    database = await Database.connect(url)
    try:
        async with database.engine.connect() as connection:
            query = text("SELECT lease_owner FROM jobs WHERE state = 'running'")
            return str((await connection.execute(query)).scalar())
    finally:
        await database.close()


async def test_a_replica_killed_holding_a_job_is_taken_over_and_runs_once(
    sandbox: SlackSandbox, replicas: list[BotProcess], shared_postgres: str
) -> None:
    """SIGKILL the replica whose worker is running the deploy: another replica takes the job
    once its lease runs out and re-sends it with the same idempotency key; applied once."""
    sent = await sandbox.people.say("<@U0BOT> deploy api to prod")
    card = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=20
    )
    sandbox.deploy_api.hold_next()
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.deploy_api.wait_for_arrivals(1)
    owner = await _running_job_owner(shared_postgres)
    holders = [
        p
        for p in replicas
        if any(e.get("event") == "worker_started" and e.get("owner") == owner for e in p.logs)
    ]
    assert len(holders) == 1
    await holders[0].kill()
    sandbox.deploy_api.release()
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: "succeeded" in str(c.args.get("text")), timeout=30
    )
    assert len({r.idempotency_key for r in sandbox.deploy_api.requests}) == 1
    assert sandbox.deploy_api.arrived == 2  # sent again by another replica...
    assert sandbox.deploy_api.applied_count() == 1  # ...and applied once


async def test_a_daily_budget_holds_across_replicas(
    sandbox: SlackSandbox, shared_postgres: str, tmp_path: Path
) -> None:
    """The first turn (on one replica) spends the agent's whole daily budget; the next turn,
    answered by another replica, makes no model call and says the budget is spent."""
    async with ScriptedLLMServer(api_key=LLM_KEY) as llm:
        llm.script(reply("first answer", usage=(500_000, 0)))
        config = tmp_path / "switchboard.yaml"
        config.write_text(
            approvals_config(sandbox.base_url)
            + LLM_SECTIONS.format(
                providers="primary",
                kind="openai",
                primary_url=llm.openai_base_url,
                backup_url="http://127.0.0.1:9/v1",
                timeout="2s",
                daily_budget="daily_budget_usd: 0.5",
            )
        )
        env = {"PRIMARY_LLM_KEY": LLM_KEY}
        async with _replicas(
            sandbox, shared_postgres, config, count=2, fan_out=1, env=env
        ) as processes:
            urls = list(sandbox.driver.replica_urls)
            # The first turn: the model's answer streams into the thread (replicas run with
            # streamed answers on, as the command's default).
            sandbox.driver.deliver_to_replicas([urls[0]], fan_out=1)  # this turn: this replica
            first = await sandbox.people.say("<@U0BOT> deploy: hello")
            started = await sandbox.calls.wait_for(
                "chat.startStream", where=lambda c: c.args.get("thread_ts") == first.ts, timeout=20
            )
            stream_ts = started.response["ts"]
            await sandbox.calls.wait_for(
                "chat.stopStream", where=lambda c: c.args.get("ts") == stream_ts, timeout=20
            )
            streamed = sandbox.streams.get(str(stream_ts))
            # The second turn, on the other replica: no model call, so a posted reply.
            sandbox.driver.deliver_to_replicas([urls[1]], fan_out=1)
            second = await sandbox.people.say("<@U0BOT> deploy: status of web")
            refused = await sandbox.calls.wait_for(
                "chat.postMessage",
                # The turn's reply (an action's result note may come first).
                where=lambda c: (
                    c.args.get("thread_ts") == second.ts
                    and (c.args.get("metadata") or {}).get("event_type") == "switchboard_turn"
                ),
                timeout=20,
            )
            for process in processes:
                assert await process.terminate() == 0
            turns = [sum(1 for e in p.logs if e.get("event") == "turn_routed") for p in processes]
    assert turns == [1, 1]  # each replica answered one of the two turns
    assert streamed is not None and "first answer" in streamed.text
    assert "budget is spent" in str(refused.args["blocks"])
    assert len(llm.requests) == 1
