"""Consent integrity through the real app, sandbox, database and worker: a click counts only on
its own request's card, the card shows what will run and its digest, and an action whose
configuration changed after its approval is not run."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from agents.actions.jobs import AuditQuery
from bot.config_file import parse_config
from handlers.approval_blocks import APPROVE_ACTION, EDIT_ACTION
from sandbox import ApiCall, Fault, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import tool_call
from tests.e2e.approvals_config import approvals_config, load
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.llm_config import LLM_KEY, llm_config

SECRET = "s3cr3t-consent-" + "7" * 16
_MISPLACED = "does not belong to the request on this card"


@pytest.fixture
async def ops_bot(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    monkeypatch.setenv("DEPLOY_API_TOKEN", SECRET)
    async with running_bot(sandbox, database_url, config=load(sandbox.base_url)) as bot:
        yield bot


async def _request(sandbox: SlackSandbox, text: str) -> ApiCall:
    """Alice asks for an action; returns the card's chat.postMessage call."""
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", user="U0ALICE")
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1)


def _value(card: ApiCall, action_id: str) -> str:
    for block in card.args["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button on the card")


async def _rows(bot: Bot) -> list[dict[str, Any]]:
    """The stored approvals, oldest first (``approvals_json`` read as a list)."""
    async with bot.runtime.database.engine.connect() as conn:
        result = await conn.execute(sa.text("SELECT * FROM approvals ORDER BY created_at"))
        rows = [dict(row._mapping) for row in result]
    for row in rows:
        row["approvals_json"] = json.loads(row["approvals_json"])
    return rows


async def _recorded(bot: Bot, *cards: ApiCall) -> None:
    """Wait (at most 10 s) until each card's ts is stored on its approval: a barrier on the
    state the next click depends on, not a sleep."""
    wanted = {str(card.response["ts"]) for card in cards}
    for _ in range(500):
        if wanted <= {row["message_ts"] for row in await _rows(bot)}:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"card ts {sorted(wanted)} not recorded within 10 s")


def _updates_of(sandbox: SlackSandbox, card: ApiCall) -> list[ApiCall]:
    return [
        c for c in sandbox.calls.for_method("chat.update") if c.args["ts"] == card.response["ts"]
    ]


async def test_a_click_on_one_card_carrying_another_cards_token_counts_for_neither(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """The stand-in's finding: Bob clicks Approve on card A (deploy api to prod) while the
    button carries card B's token (rollback web, quorum two). He is told the button does not
    belong to this request; B has no vote and still needs two after Carol's; the refusal is
    audited and logged without the payload. Clicks on B's own card then count and it runs."""
    card_a = await _request(sandbox, "deploy api to prod")
    card_b = await _request(sandbox, "rollback web")
    await _recorded(ops_bot, card_a, card_b)  # the other order: the next test
    b_value = _value(card_b, APPROVE_ACTION)
    with capture_logs() as logs:
        await sandbox.people.click(
            card_a.response["ts"], APPROVE_ACTION, user="U0BOB", value=b_value
        )
        refusal = await sandbox.calls.wait_for(
            "chat.postEphemeral", where=lambda c: c.args["user"] == "U0BOB"
        )
    assert _MISPLACED in refusal.args["text"]
    a_row, b_row = await _rows(ops_bot)
    assert (a_row["state"], a_row["approvals_json"]) == ("pending", [])
    assert (b_row["state"], b_row["approvals_json"]) == ("pending", [])
    assert _updates_of(sandbox, card_a) == [] and _updates_of(sandbox, card_b) == []
    entries = await ops_bot.runtime.database.audit.entries(AuditQuery(limit=50))
    refused = [e for e in entries if e.kind == "refused"]
    assert [(e.approval_id, e.actor, e.details["why"]) for e in refused] == [
        (b_row["id"], "U0BOB", "another request's card")
    ]
    (warning,) = [log for log in logs if log["event"] == "approval_click_misplaced"]
    assert warning["log_level"] == "warning"
    assert b_value.split(".")[0] not in str(logs)  # the token is never logged

    await sandbox.people.click(card_b.response["ts"], APPROVE_ACTION, user="U0CAROL")
    await sandbox.calls.wait_for("chat.update", where=lambda c: "1 of 2" in str(c.args["blocks"]))
    assert sandbox.deploy_api.applied_count("rollbacks") == 0  # one real vote is not enough
    await sandbox.people.click(card_b.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"])
    )
    assert sandbox.deploy_api.applied_count("rollbacks") == 1
    assert sandbox.deploy_api.applied_count("deploys") == 0
    assert (await _rows(ops_bot))[0]["state"] == "pending"


async def test_the_same_click_before_the_other_cards_ts_is_recorded_is_refused_the_same_way(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """Slack shows card B as soon as it is posted, before the bot has its ts (here Slack's
    answer to the post is held): Bob's click on card A carrying B's token in that moment is
    refused exactly as after the record (same message, same audited why); B gets no vote.
    Once the answer is lost and the bot finds the card again, B's own card takes votes."""
    card_a = await _request(sandbox, "deploy api to prod")
    await _recorded(ops_bot, card_a)
    sandbox.faults.inject("chat.postMessage", Fault.lost_response())
    card_b = await _request(sandbox, "rollback web")
    assert sandbox.hangs.held == 1  # the bot is still waiting for B's ts
    await sandbox.people.click(
        card_a.response["ts"], APPROVE_ACTION, user="U0BOB", value=_value(card_b, APPROVE_ACTION)
    )
    refusal = await sandbox.calls.wait_for(
        "chat.postEphemeral", where=lambda c: c.args["user"] == "U0BOB"
    )
    assert _MISPLACED in refusal.args["text"]
    a_row, b_row = await _rows(ops_bot)
    assert b_row["message_ts"] is None  # the click did land in the window
    assert (a_row["approvals_json"], b_row["approvals_json"]) == ([], [])
    entries = await ops_bot.runtime.database.audit.entries(AuditQuery(limit=50))
    assert [(e.approval_id, e.details["why"]) for e in entries if e.kind == "refused"] == [
        (b_row["id"], "another request's card")
    ]

    sandbox.hangs.release()  # the connection drops; the bot's retry finds the posted card
    await _recorded(ops_bot, card_b)
    await sandbox.people.click(card_b.response["ts"], APPROVE_ACTION, user="U0CAROL")
    await sandbox.calls.wait_for("chat.update", where=lambda c: "1 of 2" in str(c.args["blocks"]))
    assert sandbox.deploy_api.applied_count("rollbacks") == 0


async def test_the_card_shows_the_resolved_target_and_the_action_digest(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """The card's target is the method and URL the executor will call, and its context line
    the short digest of the stored canonical action (SHA-256 of its JSON), which holds the
    header template but never the secret; the run calls exactly that URL."""
    card = await _request(sandbox, "deploy api to prod")
    (row,) = await _rows(ops_bot)
    canonical_json = str(row["canonical_json"])
    digest = hashlib.sha256(canonical_json.encode()).hexdigest()
    assert row["action_digest"] == digest
    assert SECRET not in canonical_json and "${DEPLOY_API_TOKEN}" in canonical_json
    url = f"{sandbox.base_url.rstrip('/')}/deploy-api/deploys"
    fields = [f["text"] for b in card.args["blocks"] for f in b.get("fields", [])]
    assert f"*Target*\nPOST `{url}`" in fields
    assert f"action digest `{digest[:12]}`" in str(card.args["blocks"])
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"])
    )
    assert sandbox.deploy_api.requests[-1].path == "/deploy-api/deploys"


async def test_an_action_whose_config_changed_after_its_approval_is_not_run(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deploy is requested; the bot restarts with deploy's URL changed; Bob approves the card
    he was shown. The worker recomputes the digest, refuses to run: the card says Failed with
    both digests, the thread is told, the alerts channel is alerted, an error is logged, the
    audit trail ends failed with the digests, and the deploy API is never called."""
    monkeypatch.setenv("DEPLOY_API_TOKEN", SECRET)
    sandbox.workspace.directory.add_channel("C0ALERTS", "alerts")
    before = approvals_config(sandbox.base_url)
    after = before.replace('/deploy-api/deploys"', '/deploy-api/deploys-v2"')
    assert after != before
    changed = parse_config(after + "alerts: {channel: C0ALERTS}\n")
    async with running_bot(sandbox, database_url, config=parse_config(before)) as first:
        card = await _request(sandbox, "deploy api to prod")
        (requested,) = await _rows(first)
    approved = str(requested["action_digest"])
    with capture_logs() as logs:
        async with running_bot(sandbox, database_url, config=changed) as bot:
            await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
            failed = await sandbox.calls.wait_for(
                "chat.update", where=lambda c: "Failed" in str(c.args["blocks"])
            )
            alert = await sandbox.calls.wait_for(
                "chat.postMessage", where=lambda c: c.args["channel"] == "C0ALERTS"
            )
            told = await sandbox.calls.wait_for(
                "chat.postMessage",
                where=lambda c: c.args["channel"] == "C0GENERAL" and "not run" in c.args["text"],
            )
            await bot.idle()
            (row,) = await _rows(bot)
            entries = await bot.runtime.database.audit.entries(AuditQuery(limit=50))
    assert sandbox.deploy_api.requests == []
    assert row["state"] == "failed"
    summary = str(row["result"])
    assert summary.startswith(
        f"The action changed after it was approved (its url changed; digest {approved[:12]}"
    )
    assert summary.endswith("it was not run. Request it again.")
    assert summary in str(failed.args["blocks"])
    assert told.args["thread_ts"] == card.args["thread_ts"]
    assert "`deploy`" in alert.args["text"] and "refused" in alert.args["text"]
    assert [e.kind for e in entries] == ["requested", "approved", "started", "failed"]
    assert entries[-1].details["approved-digest"] == approved
    assert entries[-1].details["current-digest"] not in {approved, ""}
    assert entries[-1].details["changed"] == "its url changed"
    (error,) = [log for log in logs if log["event"] == "approval_digest_mismatch"]
    assert (error["log_level"], error["approved_digest"]) == ("error", approved)
    assert SECRET not in str(logs)


async def test_an_edit_shows_before_and_after_resets_votes_and_redigests(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """Bob approves a rollback (1 of 2); Carol edits service api → web. The card shows the
    new value, 0 of 2 and a new digest; the thread shows each change and the digests before
    and after; Bob's click on the card as it was before the edit no longer counts."""
    card = await _request(sandbox, "rollback api")
    old_value = _value(card, APPROVE_ACTION)
    (row,) = await _rows(ops_bot)
    old_digest = str(row["action_digest"])
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for("chat.update", where=lambda c: "1 of 2" in str(c.args["blocks"]))
    await sandbox.people.click(card.response["ts"], EDIT_ACTION, user="U0CAROL")
    opened = await sandbox.calls.wait_for("views.open")
    values = {"param:service": {"value": {"type": "plain_text_input", "value": "web"}}}
    await sandbox.people.submit_view(opened.response["view"]["id"], values, user="U0CAROL")
    note = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: "changed the parameters" in c.args["text"]
    )
    (row,) = await _rows(ops_bot)
    new_digest = str(row["action_digest"])
    assert new_digest != old_digest
    assert note.args["text"] == (
        "<@U0CAROL> changed the parameters; approvals so far were reset.\n"
        "• *service*: `api` → `web`\n"
        f"Action digest `{old_digest[:12]}` → `{new_digest[:12]}`"
    )
    update = await sandbox.calls.wait_for(
        "chat.update", where=lambda c: f"`{new_digest[:12]}`" in str(c.args["blocks"])
    )
    shown = str(update.args["blocks"])
    assert "0 of 2" in shown and "`web`" in shown and "votes reset" in shown
    assert (row["approvals_json"], row["edits"]) == ([], 1)
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB", value=old_value)
    stale = await sandbox.calls.wait_for(
        "chat.postEphemeral", where=lambda c: c.args["user"] == "U0BOB"
    )
    assert "changed since this card was shown" in stale.args["text"]
    assert (await _rows(ops_bot))[0]["approvals_json"] == []
    assert sandbox.deploy_api.applied_count() == 0


async def test_a_models_words_never_reach_the_card(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model says it deploys batch to sa while its tool call asks for api to prod: the
    card shows only the stored canonical action (deploy, api, prod, its URL and digest), not
    a word of the model's prose."""
    prose = "Deploying batch to sa-east as you asked"
    async with ScriptedLLMServer(api_key=LLM_KEY) as llm:
        llm.script(tool_call("deploy", {"service": "api", "env": "prod"}, text=prose))
        config = llm_config(sandbox.base_url, primary_url=llm.openai_base_url)
        environ = {"PRIMARY_LLM_KEY": LLM_KEY, "DEPLOY_API_TOKEN": SECRET}
        async with running_bot(sandbox, database_url, config=config, environ=environ) as bot:
            card = await _request(sandbox, "deploy: ship it")
            (row,) = await _rows(bot)
    shown = str(card.args["blocks"]) + card.args["text"]
    assert "batch" not in shown and "sa-east" not in shown and "as you asked" not in shown
    assert "• *service*: `api`" in shown and "• *env*: `prod`" in shown
    assert f"action digest `{str(row['action_digest'])[:12]}`" in shown
