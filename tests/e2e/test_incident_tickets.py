"""Follow-ups filed as GitHub issues on resolve, through the real app, its worker and the
sandbox's GitHub Issues stand-in: one approval for the batch, each follow-up filed once
(an issue an interrupted run left is found by its marker), failures said and retried."""

from __future__ import annotations

from typing import Any

import pytest

from agents.kernel.errors import ConfigError
from bot.config_file import parse_config
from bot.runtime import Runtime, RuntimeOptions
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import ApiCall, SlackSandbox
from tests.e2e.conftest import Bot, running_bot, settings_for
from tests.e2e.incident_steps import CONFIG, ask, declare


def _config(sandbox: SlackSandbox) -> str:
    return CONFIG.replace(
        "incidents: {oncall_rotation: primary}",
        f"""incidents:
  oncall_rotation: primary
  tickets:
    github: {{repo: acme/shop, token_env: GITHUB_TOKEN, api_url: "{sandbox.base_url}/github"}}
    approval: {{approvers: {{users: [U0BOB]}}}}
""",
    )


def _running(sandbox: SlackSandbox, database_url: str) -> Any:
    return running_bot(
        sandbox,
        database_url,
        config=parse_config(_config(sandbox)),
        environ={"GITHUB_TOKEN": sandbox.github.token},
    )


async def _resolve_with_followups(sandbox: SlackSandbox, channel: str) -> ApiCall:
    await ask(sandbox, channel, "follow-up add an alert on checkout 5xx")
    await ask(sandbox, channel, "follow-up write the rollback runbook")
    return await ask(sandbox, channel, "resolve rollback fixed it")


async def _followups(bot: Bot, sandbox: SlackSandbox, channel: str) -> list[Any]:
    await bot.idle()
    stored = await bot.runtime.database.incidents.by_channel(
        team_id=sandbox.workspace.directory.team_id, channel_id=channel
    )
    assert stored is not None
    return list(stored.followups)


async def test_resolve_asks_once_and_an_approval_files_each_follow_up(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Resolve: the draft goes to the channel, the thread gets one approval card listing both
    follow-ups and the POST it makes; Bob approves: two issues, numbers stored, and
    `incident: postmortem` links them."""
    async with _running(sandbox, database_url) as bot:
        incident = await declare(sandbox)
        card = await _resolve_with_followups(sandbox, incident.channel)
        shown = str(card.args["blocks"])
        assert "add an alert on checkout 5xx" in shown and "write the rollback runbook" in shown
        assert "/repos/acme/shop/issues" in shown and sandbox.github.token not in shown
        draft = await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: (
                c.args["channel"] == incident.channel
                and "Postmortem draft" in str(c.args.get("text"))
            ),
        )
        assert "thread_ts" not in draft.args
        assert sandbox.github.created == 0  # nothing is filed before an approval
        await sandbox.people.click(
            card.response["ts"], APPROVE_ACTION, user="U0BOB", channel=incident.channel
        )
        await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: "filed #1, #2 in acme/shop" in str(c.args)
        )
        followups = await _followups(bot, sandbox, incident.channel)
        linked = await ask(sandbox, incident.channel, "postmortem")
        again = await ask(sandbox, incident.channel, "tickets")
    assert sandbox.github.created == 2
    web = f"{sandbox.base_url}/github/acme/shop/issues"
    assert [(f.issue_number, f.issue_url) for f in followups] == [(1, f"{web}/1"), (2, f"{web}/2")]
    issues = sandbox.github.issues["acme/shop"]
    assert [i["title"] for i in issues] == [
        "add an alert on checkout 5xx",
        "write the rollback runbook",
    ]
    assert all(
        f"switchboard-followup:{f.followup_id}" in i["body"]
        for f, i in zip(followups, issues, strict=True)
    )
    assert issues[0]["labels"] == [{"name": "incident-follow-up"}]
    assert f"<{web}/2|#2>" in linked.args["text"]
    assert "has its ticket already" in again.args["text"]


async def test_an_issue_left_by_an_interrupted_run_is_found_not_filed_again(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """The first follow-up's issue exists already (a run created it, then the process died
    before storing its number): the approved run adopts it and files only the second."""
    async with _running(sandbox, database_url) as bot:
        incident = await declare(sandbox)
        card = await _resolve_with_followups(sandbox, incident.channel)
        first = (await _followups(bot, sandbox, incident.channel))[0]
        sandbox.github.add_issue(
            "acme/shop",
            title="add an alert on checkout 5xx",
            body=f"...\n<!-- switchboard-followup:{first.followup_id} -->",
            labels=["incident-follow-up"],
        )
        await sandbox.people.click(
            card.response["ts"], APPROVE_ACTION, user="U0BOB", channel=incident.channel
        )
        await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: "filed #1, #2 in acme/shop" in str(c.args)
        )
        followups = await _followups(bot, sandbox, incident.channel)
    assert sandbox.github.created == 1
    assert [f.issue_number for f in followups] == [1, 2]


async def test_a_failed_filing_is_said_and_asked_again(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """GitHub answers 500 to the first issue: the run fails and says so, nothing is stored;
    `incident: tickets` asks again and the second approval files both."""
    async with _running(sandbox, database_url) as bot:
        incident = await declare(sandbox)
        card = await _resolve_with_followups(sandbox, incident.channel)
        sandbox.github.fail_next(500)  # the marker lookup
        await sandbox.people.click(
            card.response["ts"], APPROVE_ACTION, user="U0BOB", channel=incident.channel
        )
        await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: "GitHub answered HTTP 500" in str(c.args)
        )
        assert [f.issue_number for f in await _followups(bot, sandbox, incident.channel)] == [
            None,
            None,
        ]
        retry = await ask(sandbox, incident.channel, "tickets")
        await sandbox.people.click(
            retry.response["ts"], APPROVE_ACTION, user="U0BOB", channel=incident.channel
        )
        await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: "filed #1, #2 in acme/shop" in str(c.args)
        )
    assert sandbox.github.created == 2


async def test_the_token_must_be_set_for_tickets(sandbox: SlackSandbox, database_url: str) -> None:
    """Tickets configured without their token's variable: start-up stops, naming it."""
    options = RuntimeOptions(config=parse_config(_config(sandbox)), environ={"OTHER": "x"})
    with pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        await Runtime.create(settings_for(sandbox, database_url), options)
