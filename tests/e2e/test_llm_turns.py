"""LLM planning through the real app: Slack event -> Bolt -> router -> LLM planner over the
scripted OpenAI-compatible / Anthropic server on loopback -> policy -> Slack reply.

A compromised model can only propose; policy and a different human still decide.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from agents.kernel.models import Trace
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import error, reply, tool_call
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.llm_config import LLM_KEY, llm_config

ENV = {"PRIMARY_LLM_KEY": LLM_KEY, "DEPLOY_API_TOKEN": "t0ken"}


@pytest.fixture
async def llm() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer(api_key=LLM_KEY) as server:
        yield server


async def _ask(sandbox: SlackSandbox, text: str, *, user: str = "U0ALICE") -> ApiCall:
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", user=user)
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1, timeout=10)


async def _trace(bot: Bot, posted: ApiCall) -> Trace:
    trace_id = posted.args["metadata"]["event_payload"]["trace_id"]
    await bot.idle()
    trace = await bot.runtime.database.traces.get(trace_id)
    assert trace is not None
    return trace


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_tool_call_becomes_an_approval_card(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer, kind: str
) -> None:
    """The model calls `deploy` with typed arguments: the card is posted, nothing runs yet,
    and the trace records the planner, the provider, tokens and cost."""
    llm.script(tool_call("deploy", {"service": "api", "env": "prod"}, usage=(1000, 200)))
    url = llm.openai_base_url if kind == "openai" else llm.anthropic_base_url
    config = llm_config(sandbox.base_url, primary_url=url, kind=kind)
    async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
        card = await _ask(sandbox, "deploy: please ship the api to production")
        assert any(
            e.get("action_id") == APPROVE_ACTION
            for b in card.args["blocks"]
            for e in b.get("elements", [])
        )
        trace = await _trace(bot, card)
    assert (trace.planner, trace.provider, trace.tool_calls) == (
        "llm",
        "primary",
        ("deploy:proposed",),
    )
    assert (trace.input_tokens, trace.output_tokens, trace.cost_micros) == (1000, 200, 1400)
    assert sandbox.deploy_api.applied_count() == 0
    (request,) = llm.requests
    assert request.flavour == kind
    body = request.body or {}
    tools = body["tools"]
    names = [t["function"]["name"] if kind == "openai" else t["name"] for t in tools]
    assert names == ["status", "deploy", "rollback"]


async def test_rate_limited_provider_is_retried_after_retry_after(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """429 with Retry-After: 1, then an answer: the reply comes once, after the wait."""
    llm.script(error(429, retry_after=1), reply("api is deployed at v1.2.3"))
    config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
    async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
        started = time.monotonic()
        posted = await _ask(sandbox, "deploy: what is running?")
        waited = time.monotonic() - started
        trace = await _trace(bot, posted)
    assert "v1.2.3" in posted.args["text"] and waited >= 0.9
    assert len(llm.requests) == 2 and trace.degraded is None


async def test_all_providers_down_rules_planner_answers_and_says_so(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """Primary answers 500 three times, backup is unreachable: the rules planner matches the
    command format, the card is posted, and the reply carries the degraded note."""
    llm.script(error(500), error(500), error(500))
    config = llm_config(
        sandbox.base_url, primary_url=llm.openai_base_url, providers="primary, backup"
    )
    async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
        posted = await _ask(sandbox, "deploy: status of api")
        trace = await _trace(bot, posted)
    assert (trace.planner, trace.degraded) == ("rules", "provider_connection")
    assert trace.tool_calls == ("primary:server", "backup:connection")
    assert len(llm.requests) == 3


async def test_provider_timeout_falls_back(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """A provider slower than its timeout counts as down; rules answer with a note."""
    from sandbox.llm_steps import delay

    llm.script(*(delay(1.0, reply("too late")) for _ in range(3)))
    config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url, timeout="200ms")
    async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
        posted = await _ask(sandbox, "deploy: hello there")
        trace = await _trace(bot, posted)
    assert trace.degraded == "provider_timeout"
    assert "Answered by the rules planner" in str(posted.args["blocks"])


async def test_compromised_model_cannot_get_its_rollback_run(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """A model that always asks for the most dangerous action: the request waits for two
    other humans; the requester's own click is refused; nothing reaches the deploy API."""
    llm.responder = lambda body: tool_call("rollback", {"service": "api"})
    config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
    async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
        card = await _ask(sandbox, "deploy: how are things?")
        assert "rollback" in str(card.args["blocks"])
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0ALICE")
        refusal = await sandbox.calls.wait_for(
            "chat.postEphemeral", where=lambda c: c.args["user"] == "U0ALICE"
        )
        await bot.idle()
        async with bot.runtime.database.engine.connect() as connection:
            jobs = (await connection.execute(sa.text("SELECT count(*) FROM jobs"))).scalar_one()
            state = (await connection.execute(sa.text("SELECT state FROM approvals"))).scalar_one()
    assert "own" in refusal.args["text"].lower() or "not" in refusal.args["text"].lower()
    assert (jobs, state) == (0, "pending")  # nothing was queued to run
    assert sandbox.deploy_api.applied_count() == 0


async def test_the_api_key_never_reaches_the_logs(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """Nothing logged during an LLM turn contains the provider's key."""
    llm.script(reply("hi"))
    config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
    with capture_logs() as logs:
        async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
            await _ask(sandbox, "deploy: hello")
            await bot.idle()
    assert logs and LLM_KEY not in repr(logs)


async def test_budget_exhausted_mid_day_rules_take_over(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """The first answer costs the whole daily budget; the next turn makes no model call."""
    llm.script(reply("first answer", usage=(500_000, 0)))
    config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url, daily_budget_usd=0.5)
    async with running_bot(sandbox, database_url, config=config, environ=ENV) as bot:
        first = await _ask(sandbox, "deploy: hello")
        await bot.idle()
        second = await _ask(sandbox, "deploy: status of web")
        trace = await _trace(bot, second)
    assert "first answer" in first.args["text"]
    assert trace.degraded == "budget_agent" and len(llm.requests) == 1
    assert "budget is spent" in str(second.args["blocks"])


async def test_missing_api_key_variable_stops_start_up(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """A provider whose key variable is unset is a config error naming the variable."""
    from agents.kernel.errors import ConfigError

    config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
    with pytest.raises(ConfigError, match="PRIMARY_LLM_KEY"):
        async with running_bot(sandbox, database_url, config=config, environ={}):
            pass


async def test_slow_turn_shows_a_reaction_replaced_by_the_outcome(
    sandbox: SlackSandbox, database_url: str, llm: ScriptedLLMServer
) -> None:
    """The model takes 0.5 s, longer than the 0.1 s progress delay: the message gets ⏳, and
    ✅ replaces it once the answer is posted."""
    from sandbox.llm_steps import delay

    llm.script(delay(0.5, reply("all good")))
    config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
    async with running_bot(
        sandbox, database_url, config=config, environ=ENV, progress_after=0.1
    ) as bot:
        sent = await sandbox.people.say("<@U0BOT> deploy: how is it going?")
        await sandbox.calls.wait_for("reactions.add", count=2, timeout=10)
        await bot.idle()
    added = [c.args["name"] for c in sandbox.calls.for_method("reactions.add")]
    removed = [c.args["name"] for c in sandbox.calls.for_method("reactions.remove")]
    assert added == ["hourglass_flowing_sand", "white_check_mark"]
    assert removed == ["hourglass_flowing_sand"]
    assert {c.args["timestamp"] for c in sandbox.calls.for_method("reactions.add")} == {sent.ts}
