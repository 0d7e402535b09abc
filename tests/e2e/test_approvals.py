"""Actions with human approval, through the real app, sandbox, database and worker."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from agents.actions.jobs import AuditQuery
from handlers.approval_blocks import APPROVE_ACTION, EDIT_ACTION, REJECT_ACTION
from sandbox import ApiCall, Fault, SlackSandbox, humans
from tests.e2e.approvals_config import load
from tests.e2e.conftest import Bot, MovableClock, running_bot

SECRET = "s3cr3t-" + secrets.token_hex(12)


_SANDBOX: list[SlackSandbox] = []


@pytest.fixture(autouse=True)
def _remember_sandbox(sandbox: SlackSandbox) -> None:
    _SANDBOX[:] = [sandbox]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def ops_bot(
    sandbox: SlackSandbox, database_url: str, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    monkeypatch.setenv("DEPLOY_API_TOKEN", SECRET)
    sandbox.workspace.directory.add_usergroup("S0SRE", "sre", ["U0CAROL"])
    sandbox.workspace.directory.add_user("U0DAN", "dan")
    async with running_bot(
        sandbox, database_url, config=load(sandbox.base_url), clock=clock
    ) as bot:
        yield bot


async def _request(sandbox: SlackSandbox, text: str, *, user: str = "U0ALICE") -> ApiCall:
    """A person asks for an action; returns the card's chat.postMessage call."""
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", user=user)
    return await sandbox.calls.wait_for("chat.postMessage", count=before + 1)


def _button(card: ApiCall, action_id: str) -> dict[str, Any]:
    for block in card.args["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button on the card")


async def _state(bot: Bot) -> list[str]:
    async with bot.runtime.database.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT state FROM approvals ORDER BY created_at"))
        return [str(r[0]) for r in rows]


_LABELS = {"succeeded": "Succeeded", "rejected": "Rejected", "expired": "Expired"}


async def _until_state(bot: Bot, state: str, sandbox: SlackSandbox | None = None) -> None:
    """Await the card showing ``state`` (posted or updated), then check the stored state."""
    sb = sandbox or _SANDBOX[0]
    label = _LABELS[state]

    def shows(call: ApiCall) -> bool:
        return label in str(call.args.get("blocks"))

    waits = [
        asyncio.ensure_future(sb.calls.wait_for(method, where=shows, timeout=10))
        for method in ("chat.update", "chat.postMessage")
    ]
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()
    assert (await _state(bot))[-1] == state


async def _ephemeral_to(sandbox: SlackSandbox, user: str) -> ApiCall:
    return await sandbox.calls.wait_for(
        "chat.postEphemeral", where=lambda c: c.args["user"] == user
    )


async def test_request_posts_a_card_with_opaque_buttons(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """`deploy api to prod` posts a threaded card: params, risk, requester, approvers, buttons."""
    card = await _request(sandbox, "deploy api to prod")
    text = str(card.args["blocks"])
    assert "`deploy`" in text and "api" in text and "prod" in text and "<@U0ALICE>" in text
    assert "<@U0BOB>" in text and "@sre" in text and "0 of 1" in text
    tokens = {_button(card, a)["value"] for a in (APPROVE_ACTION, REJECT_ACTION, EDIT_ACTION)}
    assert len(tokens) == 1
    token = tokens.pop()
    assert len(token) >= 43  # 256 random bits, url-safe
    assert "confirm" not in _button(card, APPROVE_ACTION)  # only dangerous actions confirm
    assert await _state(ops_bot) == ["pending"]
    assert sandbox.deploy_api.applied_count() == 0


async def test_self_approval_is_refused(sandbox: SlackSandbox, ops_bot: Bot) -> None:
    """The requester clicking Approve gets an ephemeral explanation; nothing changes."""
    card = await _request(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0ALICE")
    refusal = await _ephemeral_to(sandbox, "U0ALICE")
    assert "someone else" in refusal.args["text"] or "not an approver" in refusal.args["text"]
    assert await _state(ops_bot) == ["pending"]


async def test_non_approver_is_refused_ephemerally(sandbox: SlackSandbox, ops_bot: Bot) -> None:
    """Someone outside the approvers clicks: ephemeral refusal, card unchanged."""
    card = await _request(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0DAN")
    refusal = await _ephemeral_to(sandbox, "U0DAN")
    assert "not an approver" in refusal.args["text"]
    assert await _state(ops_bot) == ["pending"]
    assert sandbox.calls.for_method("chat.update") == []


async def test_approver_approves_and_the_action_runs_once(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """Bob approves: the card updates, the worker runs the deploy once, the thread is told."""
    card = await _request(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await _until_state(ops_bot, "succeeded")
    assert sandbox.deploy_api.applied_count("deploys") == 1
    request = sandbox.deploy_api.requests[-1]
    assert request.body == {"service": "api", "env": "prod"}
    assert request.idempotency_key
    final = await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Succeeded" in str(c.args["blocks"])
    )
    assert "<@U0BOB>" in str(final.args["blocks"])
    assert not any(b["type"] == "actions" for b in final.args["blocks"])  # no more buttons
    thread = [
        m["text"] for m in sandbox.workspace.store.thread("C0GENERAL", card.args["thread_ts"])
    ]
    assert any("approved" in t for t in thread) and any("succeeded" in t for t in thread)


async def test_notices_refused_during_an_outage_arrive_once_each_after_it(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """Chaos seed 40: Slack refuses every post and update (503) from Bob's click on, longer
    than the Web API client's own retries of one call. The deploy runs; the card and the
    thread's notes are kept (logged as owed, not dropped), and once Slack is back the card
    shows the result and each note arrives once, in order."""
    card = await _request(sandbox, "deploy api to prod")
    thread_ts = card.args["thread_ts"]
    sandbox.faults.outage(Fault.server_error(503), methods=["chat.postMessage", "chat.update"])
    with capture_logs() as logs:
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
        for _ in range(600):  # until a refused notice is kept for a retry, and the deploy ran
            kept = any(
                e["event"] == "approval_notify_failed" and e.get("permanent") is False for e in logs
            )
            if kept and (await _state(ops_bot))[-1] == "succeeded":
                break
            await asyncio.sleep(0.05)
    assert kept and (await _state(ops_bot))[-1] == "succeeded"
    notes = [m["text"] for m in sandbox.workspace.store.thread("C0GENERAL", thread_ts)]
    assert not any("succeeded" in t for t in notes)
    sandbox.faults.end_outage()
    await _until_state(ops_bot, "succeeded")
    await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: c.status == 200 and "succeeded" in str(c.args.get("text")),
        timeout=20,
    )
    notes = [m["text"] for m in sandbox.workspace.store.thread("C0GENERAL", thread_ts)]
    approved = [i for i, t in enumerate(notes) if "approved" in t and "succeeded" not in t]
    succeeded = [i for i, t in enumerate(notes) if "succeeded" in t]
    assert len(approved) == 1 and len(succeeded) == 1 and approved[0] < succeeded[0]
    assert sandbox.deploy_api.applied_count("deploys") == 1


async def test_a_card_slack_no_longer_has_does_not_hold_back_the_thread_notes(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """``chat.update`` of the card answers ``message_not_found`` (someone deleted it): the
    update is let go, not retried, and the thread still hears that the deploy succeeded."""
    card = await _request(sandbox, "deploy api to prod")
    sandbox.faults.outage(Fault.api_error("message_not_found"), methods=["chat.update"])
    with capture_logs() as logs:
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: c.status == 200 and "succeeded" in str(c.args.get("text")),
            timeout=10,
        )
    events = [e["event"] for e in logs]
    assert "approval_card_gone" in events
    assert "approval_notify_failed" not in events  # let go, never kept for a retry
    assert sandbox.deploy_api.applied_count("deploys") == 1


async def test_group_member_may_approve(sandbox: SlackSandbox, ops_bot: Bot) -> None:
    """Carol is an approver through the @sre user group (usergroups.users.list)."""
    card = await _request(sandbox, "deploy web to staging")
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0CAROL")
    await _until_state(ops_bot, "succeeded")
    assert sandbox.calls.for_method("usergroups.users.list")


async def test_dangerous_action_needs_a_quorum_of_two_and_a_confirm(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """Rollback needs Bob and Carol; its Approve button asks for confirmation."""
    card = await _request(sandbox, "rollback api")
    assert "confirm" in _button(card, APPROVE_ACTION)
    ts = card.response["ts"]
    await sandbox.people.click(ts, APPROVE_ACTION, user="U0BOB")
    await sandbox.calls.wait_for("chat.update", where=lambda c: "1 of 2" in str(c.args["blocks"]))
    assert await _state(ops_bot) == ["pending"]
    await sandbox.people.click(ts, APPROVE_ACTION, user="U0BOB")  # the same person twice
    await _ephemeral_to(sandbox, "U0BOB")
    await sandbox.people.click(ts, APPROVE_ACTION, user="U0CAROL")
    await _until_state(ops_bot, "succeeded")
    assert sandbox.deploy_api.applied_count("rollbacks") == 1


async def test_reject_asks_for_a_reason_in_a_modal(sandbox: SlackSandbox, ops_bot: Bot) -> None:
    """Reject opens a modal; the submitted reason is shown on the card; nothing runs."""
    card = await _request(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], REJECT_ACTION, user="U0BOB")
    opened = await sandbox.calls.wait_for("views.open")
    view_id = opened.response["view"]["id"]
    await sandbox.people.submit_view(
        view_id,
        {"reason": {"reason_input": {"type": "plain_text_input", "value": "freeze week"}}},
        user="U0BOB",
    )
    await _until_state(ops_bot, "rejected")
    update = await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "freeze week" in str(c.args)
    )
    assert "<@U0BOB>" in str(update.args["blocks"])
    assert sandbox.deploy_api.applied_count() == 0


async def test_twenty_concurrent_clicks_run_the_action_once(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """A double click and a storm of 20 concurrent clicks: exactly one execution."""
    card = await _request(sandbox, "deploy api to prod")
    ts = card.response["ts"]
    await asyncio.gather(
        *(sandbox.people.click(ts, APPROVE_ACTION, user="U0BOB") for _ in range(20))
    )
    await _until_state(ops_bot, "succeeded")
    assert sandbox.deploy_api.applied_count() == 1
    async with ops_bot.runtime.database.engine.connect() as conn:
        jobs = (await conn.execute(sa.text("SELECT count(*) FROM jobs"))).scalar_one()
    assert jobs == 1


async def test_replayed_click_after_the_decision_changes_nothing(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """Clicking Approve again after it ran: ephemeral note, no second run."""
    card = await _request(sandbox, "deploy api to prod")
    replay = humans.click(
        sandbox.workspace,
        message_ts=card.response["ts"],
        action_id=APPROVE_ACTION,
        user="U0CAROL",
        channel="C0GENERAL",
    )
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await _until_state(ops_bot, "succeeded")
    await sandbox.driver.send_interaction(replay)  # a stale client replays the old button
    refusal = await _ephemeral_to(sandbox, "U0CAROL")
    assert "already" in refusal.args["text"]
    assert sandbox.deploy_api.applied_count() == 1


async def test_a_token_of_another_request_or_none_is_refused(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """A forged token on a real card's button is refused and changes nothing."""
    card = await _request(sandbox, "deploy api to prod")
    await sandbox.people.click(
        card.response["ts"], APPROVE_ACTION, user="U0BOB", value="forged-token"
    )
    refusal = await _ephemeral_to(sandbox, "U0BOB")
    assert "does not belong" in refusal.args["text"]
    assert await _state(ops_bot) == ["pending"]


async def test_read_action_runs_without_approval(sandbox: SlackSandbox, ops_bot: Bot) -> None:
    """A read-risk action runs at once; the card shows its result."""
    await _request(sandbox, "status of api")
    await _until_state(ops_bot, "succeeded")
    assert sandbox.deploy_api.requests[-1].path == "/deploy-api/services/api/status"


def _plan(call: ApiCall) -> dict[str, tuple[str, str]]:
    """The card's plan: each task's title and status, by task id."""
    (plan,) = [b for b in call.args["blocks"] if b["type"] == "plan"]
    return {t["task_id"]: (t["title"], t["status"]) for t in plan["tasks"]}


async def test_a_read_action_shows_a_plan_of_two_tasks_that_tick_over(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """`status of api`: the card's plan has the decision (policy's, done at once) and the
    run, which goes from pending (or running) to complete with the result as its output."""
    card = await _request(sandbox, "status of api")
    await _until_state(ops_bot, "succeeded")
    first = _plan(card)
    assert first["decide"] == ("Check who may run it", "complete")
    assert first["run"] in {("Run `status`", "pending"), ("Run `status`", "in_progress")}
    updates = [
        c for c in sandbox.calls.for_method("chat.update") if c.args["ts"] == card.response["ts"]
    ]
    runs = [_plan(c)["run"][1] for c in updates]
    assert runs[-1] == "complete" and runs == sorted(runs, key=["in_progress", "complete"].index)
    (plan,) = [b for b in updates[-1].args["blocks"] if b["type"] == "plan"]
    output = str(plan["tasks"][1]["output"])
    assert "200" in output


async def test_an_approval_plan_shows_the_votes_then_the_run(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """A deploy waits on its approval task; once approved the run ticks over to complete."""
    card = await _request(sandbox, "deploy api to prod")
    assert _plan(card) == {
        "decide": ("Approval (0 of 1 approvals)", "in_progress"),
        "run": ("Run `deploy`", "pending"),
    }
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    await _until_state(ops_bot, "succeeded")
    last = [
        c for c in sandbox.calls.for_method("chat.update") if c.args["ts"] == card.response["ts"]
    ][-1]
    assert _plan(last) == {
        "decide": ("Approval (1 of 1 approvals)", "complete"),
        "run": ("Run `deploy`", "complete"),
    }


async def test_missing_param_is_asked_for_in_the_thread(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """`deploy api` lacks env: the bot asks; the answer in the thread completes the request."""
    question = await _request(sandbox, "deploy api")
    assert "env" in question.args["text"]
    thread_ts = question.args["thread_ts"]
    await sandbox.people.say("prod", thread_ts=thread_ts)
    card = await sandbox.calls.wait_for("chat.postMessage", count=2)
    assert _button(card, APPROVE_ACTION)
    assert await _state(ops_bot) == ["pending"]


async def test_edit_params_resets_votes_and_is_audited(sandbox: SlackSandbox, ops_bot: Bot) -> None:
    """An approver edits env; the card shows it, votes reset, the audit log has the edit."""
    card = await _request(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], EDIT_ACTION, user="U0BOB")
    opened = await sandbox.calls.wait_for("views.open")
    values = {
        "param:service": {"value": {"type": "plain_text_input", "value": "api"}},
        "param:env": {"value": {"type": "plain_text_input", "value": "staging"}},
    }
    await sandbox.people.submit_view(opened.response["view"]["id"], values, user="U0BOB")
    await sandbox.calls.wait_for("chat.update", where=lambda c: "staging" in str(c.args["blocks"]))
    entries = await ops_bot.runtime.database.audit.entries(AuditQuery(limit=50, action="deploy"))
    assert [e.kind for e in entries] == ["requested", "edited"]


async def test_expiry_is_enforced_and_escalated(
    sandbox: SlackSandbox, ops_bot: Bot, clock: MovableClock
) -> None:
    """Past its expiry the worker expires the request, updates the card and escalates."""
    await _request(sandbox, "deploy api to prod")
    clock.offset = timedelta(minutes=31)
    await _until_state(ops_bot, "expired")
    escalation = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == "C0RANDOM"
    )
    assert "expired" in escalation.args["text"]


async def test_a_clock_jump_past_expiry_refuses_the_next_click_even_after_it_jumps_back(
    sandbox: SlackSandbox, ops_bot: Bot, clock: MovableClock
) -> None:
    """Clock jumps around expiry: the wall clock steps 31 min forward (past the 30 min
    expiry) and Bob clicks Approve: refused, the request expires, nothing runs. The clock then
    steps back (an NTP correction): the request stays expired and a second click is refused
    too."""
    card = await _request(sandbox, "deploy api to prod")
    stale = humans.click(
        sandbox.workspace,
        message_ts=card.response["ts"],
        action_id=APPROVE_ACTION,
        user="U0CAROL",
        channel="C0GENERAL",
    )
    clock.offset = timedelta(minutes=31)
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    refusal = await _ephemeral_to(sandbox, "U0BOB")
    assert "expired" in refusal.args["text"]
    await _until_state(ops_bot, "expired")
    clock.offset = timedelta()
    before = sandbox.calls.count("chat.postEphemeral")
    await sandbox.driver.send_interaction(stale)  # a client still showing the old card
    again = await sandbox.calls.wait_for("chat.postEphemeral", count=before + 1)
    assert again.args["user"] == "U0CAROL" and "expired" in again.args["text"]
    await ops_bot.idle()
    assert await _state(ops_bot) == ["expired"]
    assert sandbox.deploy_api.applied_count() == 0


async def test_an_approval_given_before_expiry_runs_once_after_a_jump_past_it(
    sandbox: SlackSandbox, ops_bot: Bot, clock: MovableClock
) -> None:
    """Bob approves in time; the clock then steps past the expiry before the worker runs the
    job. Expiry is for requests nobody decided: the approved action runs, once."""
    card = await _request(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    for _ in range(200):  # the vote is stored (the click's ack comes before it)
        if (await _state(ops_bot))[-1] != "pending":
            break
        await asyncio.sleep(0.01)
    clock.offset = timedelta(hours=2)
    await _until_state(ops_bot, "succeeded")
    assert sandbox.deploy_api.applied_count("deploys") == 1


async def test_secrets_never_reach_logs_rows_or_slack(sandbox: SlackSandbox, ops_bot: Bot) -> None:
    """The deploy API gets the bearer secret; logs, database rows and Slack never see it."""
    with capture_logs() as logs:
        card = await _request(sandbox, "deploy api to prod")
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
        await _until_state(ops_bot, "succeeded")
    assert sandbox.deploy_api.requests[-1].authorization == f"Bearer {SECRET}"
    assert SECRET not in str(logs)
    assert all(SECRET not in str(call.args) for call in sandbox.calls.all())
    async with ops_bot.runtime.database.engine.connect() as conn:
        for table in ("approvals", "approval_votes", "jobs", "audit_log", "messages", "traces"):
            rows = (await conn.execute(sa.text(f"SELECT * FROM {table}"))).all()  # noqa: S608
            assert SECRET not in str(rows), table


async def test_restart_with_a_pending_approval_then_approve_runs_once(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request made before a restart is approved after it, and runs once."""
    monkeypatch.setenv("DEPLOY_API_TOKEN", SECRET)
    config = load(sandbox.base_url)
    async with running_bot(sandbox, database_url, config=config):
        card = await _request(sandbox, "deploy api to prod")
    async with running_bot(sandbox, database_url, config=config) as bot:
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
        await _until_state(bot, "succeeded")
    assert sandbox.deploy_api.applied_count() == 1


async def test_only_the_requester_completes_a_pending_request(
    sandbox: SlackSandbox, ops_bot: Bot
) -> None:
    """Bob answering Alice's question does not make Bob the requester; Alice's answer does."""
    question = await _request(sandbox, "deploy api")
    thread_ts = question.args["thread_ts"]
    await sandbox.people.say("prod", user="U0BOB", thread_ts=thread_ts)
    await sandbox.calls.wait_for("chat.postMessage", count=2)  # Bob gets an ordinary answer
    assert await _state(ops_bot) == []
    await sandbox.people.say("prod", thread_ts=thread_ts)
    card = await sandbox.calls.wait_for("chat.postMessage", count=3)
    assert _button(card, APPROVE_ACTION)
    assert "<@U0ALICE>" in str(card.args["blocks"])
