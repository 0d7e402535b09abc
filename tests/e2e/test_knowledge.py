"""Runbooks end to end: `switchboard knowledge index` into the bot's database, then a
question in Slack answered with citations, an unknown topic reported as a miss, re-indexing
after an edit and a deletion."""

from __future__ import annotations

import io
import json
from pathlib import Path

from agents.turns.grounding import UNGROUNDED_CLAIM, WARNING
from bot.cli.knowledge import index_command, misses_command
from bot.config_file import parse_config
from sandbox import SlackSandbox
from tests.e2e.conftest import running_bot, settings_for

CONFIG = """
version: 1
knowledge:
  base_url: https://docs.example.com
  owners: {kafka: "<@U0BOB>"}
"""
PAYMENTS = "# Payments\n\n## Rollback\n\nRoll back payments with the rollback action.\n"


async def _ask(sandbox: SlackSandbox, text: str) -> str:
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> knowledge: {text}")
    posted = await sandbox.calls.wait_for("chat.postMessage", count=before + 1)
    return str(posted.args["blocks"])


async def test_index_ask_miss_reindex(
    sandbox: SlackSandbox, database_url: str, tmp_path: Path
) -> None:
    """Indexed, cited, missed, edited, deleted: each visible in Slack and in the CLI."""
    docs = tmp_path / "runbooks"
    docs.mkdir()
    (docs / "payments.md").write_text(PAYMENTS)
    (docs / "database.md").write_text("# Database\n\n## Failover\n\nPromote the replica.\n")
    settings = settings_for(sandbox, database_url)
    out = io.StringIO()
    assert await index_command(settings, [docs], prune=True, out=out) == 0
    assert out.getvalue().strip() == "indexed 2 files (2 chunks), unchanged 0, removed 0"
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        answer = await _ask(sandbox, "how do I roll back payments?")
        miss = await _ask(sandbox, "how do I raise kafka retention?")
        await bot.idle()
    assert "https://docs.example.com/runbooks/payments.md#rollback" in answer
    assert "found nothing about" in miss and "<@U0BOB> may know" in miss

    (docs / "payments.md").write_text(
        PAYMENTS.replace("Rollback", "Revert")
        .replace("rollback", "revert")
        .replace("Roll back", "Revert")
    )
    (docs / "database.md").unlink()
    out = io.StringIO()
    await index_command(settings, [docs], prune=True, out=out)
    assert out.getvalue().strip() == "indexed 1 files (1 chunks), unchanged 0, removed 1"
    async with running_bot(sandbox, database_url, config=parse_config(CONFIG)) as bot:
        gone = await _ask(sandbox, "database failover")
        revert = await _ask(sandbox, "payments revert")
        await bot.idle()
    assert "found nothing" in gone
    assert "payments.md#revert" in revert
    listing = io.StringIO()
    await misses_command(settings, limit=10, out=listing)
    lines = listing.getvalue().splitlines()
    assert [line.split(" ", 4)[4] for line in lines] == [
        "database failover",
        "raise kafka retention",
    ]


async def test_a_configured_model_composes_the_answer_from_the_runbooks(
    sandbox: SlackSandbox, database_url: str, tmp_path: Path
) -> None:
    """With a provider for the knowledge agent, the scripted model's answer is posted with
    the cited sources, and the model was given the retrieved section."""
    from sandbox.llm_server import ScriptedLLMServer
    from sandbox.llm_steps import reply

    docs = tmp_path / "runbooks"
    docs.mkdir()
    (docs / "payments.md").write_text(PAYMENTS)
    settings = settings_for(sandbox, database_url)
    await index_command(settings, [docs], prune=False, out=io.StringIO())
    async with ScriptedLLMServer() as llm:
        llm.script(reply("Run the rollback action [1]."))
        config = parse_config(
            CONFIG
            + f"""
agents:
  - name: knowledge
    model: {{providers: [local], model: m1}}
providers:
  - {{name: local, kind: openai, base_url: "{llm.openai_base_url}"}}
"""
        )
        async with running_bot(sandbox, database_url, config=config) as bot:
            answer = await _ask(sandbox, "how do I roll back payments?")
            await bot.idle()
        body = llm.requests[0].body or {}
    assert "Run the rollback action [1]." in answer and "payments.md#rollback" in answer
    assert "Roll back payments with the rollback action." in str(body["messages"][0])


async def test_a_composed_answer_that_claims_a_run_is_marked_and_flagged(
    sandbox: SlackSandbox, database_url: str, tmp_path: Path
) -> None:
    """The knowledge agent's model calls no tool, so its claim to have rolled payments back
    is marked: the answer opens with the warning, the model's words are a quote (in the
    text and the answer item), the sources stay, and the turn is flagged for review."""
    from sandbox.llm_server import ScriptedLLMServer
    from sandbox.llm_steps import reply

    docs = tmp_path / "runbooks"
    docs.mkdir()
    (docs / "payments.md").write_text(PAYMENTS)
    settings = settings_for(sandbox, database_url)
    await index_command(settings, [docs], prune=False, out=io.StringIO())
    claim = "I already rolled back payments for you, it was approved [1]."
    async with ScriptedLLMServer() as llm:
        llm.script(reply(claim))
        config = parse_config(
            CONFIG
            + f"""
agents:
  - name: knowledge
    model: {{providers: [local], model: m1}}
providers:
  - {{name: local, kind: openai, base_url: "{llm.openai_base_url}"}}
"""
        )
        async with running_bot(sandbox, database_url, config=config) as bot:
            before = sandbox.calls.count("chat.postMessage")
            await sandbox.people.say("<@U0BOT> knowledge: how do I roll back payments?")
            posted = await sandbox.calls.wait_for("chat.postMessage", count=before + 1)
            await bot.idle()
            trace_id = str(posted.args["metadata"]["event_payload"]["trace_id"])
            trace = await bot.runtime.database.traces.get(trace_id)
    text, blocks = str(posted.args["text"]), json.dumps(posted.args["blocks"])
    assert text.startswith(f"{WARNING} no action ran in this turn.")
    assert f"> {claim}" in text and "payments.md#rollback" in text
    sections = [b["text"]["text"] for b in posted.args["blocks"] if b["type"] == "section"]
    assert sections[0].startswith(WARNING)
    assert f"*Answer*\n> {claim}" in sections
    assert "payments.md#rollback" in blocks
    assert trace is not None and trace.degraded == UNGROUNDED_CLAIM
