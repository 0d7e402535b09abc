"""Follow-ups filed as Jira issues on resolve, through the real app, its worker and the
sandbox's Jira Cloud stand-in: the same one approval for the batch; each follow-up filed
once with its marker label (an issue an interrupted run left is found with JQL and adopted);
a refused token is said, nothing filed, and asked again."""

from __future__ import annotations

import base64
from typing import Any

from bot.config_file import parse_config
from handlers.approval_blocks import APPROVE_ACTION
from sandbox import SlackSandbox
from tests.e2e.conftest import running_bot
from tests.e2e.incident_steps import CONFIG, ask, declare
from tests.e2e.test_incident_tickets import _followups, _resolve_with_followups


def _running(sandbox: SlackSandbox, database_url: str, *, token: str | None = None) -> Any:
    jira = sandbox.jira
    config = CONFIG.replace(
        "incidents: {oncall_rotation: primary}",
        f"""incidents:
  oncall_rotation: primary
  tickets:
    jira:
      url: "{sandbox.base_url}/jira"
      project: OPS
      email: {jira.email}
      token: "${{JIRA_API_TOKEN}}"
    approval: {{approvers: {{users: [U0BOB]}}}}
""",
    )
    return running_bot(
        sandbox,
        database_url,
        config=parse_config(config),
        environ={"JIRA_API_TOKEN": token or jira.token},
    )


async def test_an_approval_files_each_follow_up_in_jira_once(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """The card names the Jira request (never the token); Bob approves; the
    first follow-up's issue, left by an interrupted run, is found by its label and adopted;
    the second is filed with the labels and an ADF description; the postmortem links both."""
    jira = sandbox.jira
    async with _running(sandbox, database_url) as bot:
        incident = await declare(sandbox)
        card = await _resolve_with_followups(sandbox, incident.channel)
        shown = str(card.args["blocks"])
        assert "POST `" in shown and "/jira/rest/api/3/issue`" in shown
        assert "Jira issues in project OPS" in shown and jira.token not in shown
        first = (await _followups(bot, sandbox, incident.channel))[0]
        jira.add_issue(
            "OPS",
            summary="add an alert on checkout 5xx",
            labels=["incident-follow-up", f"switchboard-followup-{first.followup_id}"],
        )
        await sandbox.people.click(
            card.response["ts"], APPROVE_ACTION, user="U0BOB", channel=incident.channel
        )
        await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: "filed #1, #2 in Jira project OPS" in str(c.args),
            timeout=10,
        )
        followups = await _followups(bot, sandbox, incident.channel)
        linked = await ask(sandbox, incident.channel, "postmortem")
    assert jira.created == 1
    browse = f"{sandbox.base_url}/jira/browse"
    assert [(f.issue_number, f.issue_url) for f in followups] == [
        (1, f"{browse}/OPS-1"),
        (2, f"{browse}/OPS-2"),
    ]
    filed = jira.issues[-1]["fields"]
    assert filed["summary"] == "write the rollback runbook"
    assert filed["labels"] == [
        "incident-follow-up",
        f"switchboard-followup-{followups[1].followup_id}",
    ]
    assert filed["description"]["type"] == "doc"
    assert "write the rollback runbook" in str(filed["description"])
    assert "<!--" not in str(filed["description"])
    assert f"<{browse}/OPS-2|#2>" in linked.args["text"]


async def test_a_refused_token_is_said_and_nothing_is_filed(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Jira answers 401 to the wrong token: the run fails naming the status; nothing is
    filed or stored, and `incident: tickets` asks again."""
    async with _running(sandbox, database_url, token="wrong-token") as bot:
        incident = await declare(sandbox)
        card = await _resolve_with_followups(sandbox, incident.channel)
        await sandbox.people.click(
            card.response["ts"], APPROVE_ACTION, user="U0BOB", channel=incident.channel
        )
        failed = await sandbox.calls.wait_for(
            "chat.postMessage", where=lambda c: "Jira answered HTTP 401" in str(c.args), timeout=10
        )
        followups = await _followups(bot, sandbox, incident.channel)
        again = await ask(sandbox, incident.channel, "tickets")
    assert "wrong-token" not in str(failed.args)
    assert sandbox.jira.created == 0 and all(f.issue_number is None for f in followups)
    assert "incident_tickets" in str(again.args["blocks"])
    creds = base64.b64encode(f"{sandbox.jira.email}:wrong-token".encode()).decode()
    assert creds not in str(failed.args)
