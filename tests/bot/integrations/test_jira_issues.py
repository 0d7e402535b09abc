"""The Jira Cloud client against the sandbox's stand-in: create with the labels and the
marker's label, find by JQL, and every failure a ``TicketFailure`` without the token."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import aiohttp
import pytest

from agents.incidents.ports import TicketFailure
from bot.integrations.tickets import JiraIssues
from sandbox import SlackSandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox(signing_secret=secrets.token_hex(16)) as sb:
        yield sb


def _client(session: aiohttp.ClientSession, sandbox: SlackSandbox, **changes: str) -> JiraIssues:
    options = {"project": "OPS", "token": sandbox.jira.token, "issue_type": "Task", **changes}
    return JiraIssues(
        session,
        url=f"{sandbox.base_url}/jira",
        project=options["project"],
        issue_type=options["issue_type"],
        email=sandbox.jira.email,
        token=options["token"],
        labels=("incident-follow-up",),
    )


async def test_created_issues_are_found_by_their_marker_label(sandbox: SlackSandbox) -> None:
    """Filed with the labels and the marker's label, the body as ADF without the marker
    comment; the marker finds it by JQL; an unknown marker finds nothing."""
    async with aiohttp.ClientSession() as session:
        issues = _client(session, sandbox)
        body = "add an alert\n\nfrom the incident\n\n<!-- switchboard-followup:fu-1 -->"
        ticket = await issues.create(title="add an  alert", body=body)
        assert ticket.number == 1 and ticket.url == f"{sandbox.base_url}/jira/browse/OPS-1"
        assert await issues.find("switchboard-followup:fu-1") == ticket
        assert await issues.find("switchboard-followup:fu-2") is None
    fields = sandbox.jira.issues[0]["fields"]
    assert fields["summary"] == "add an alert"
    assert fields["labels"] == ["incident-follow-up", "switchboard-followup-fu-1"]
    texts = [p["content"][0]["text"] for p in fields["description"]["content"]]
    assert texts == ["add an alert", "from the incident"]


async def test_refusals_and_outages_are_ticket_failures(sandbox: SlackSandbox) -> None:
    """A bad token (401), an unknown project or issue type (400), a 500 and a host that is
    not there: each a TicketFailure naming the status, never the token; a refused
    connection was never sent, so it is not "maybe created"."""
    async with aiohttp.ClientSession() as session:
        for client, wanted in (
            (_client(session, sandbox, token="wrong"), "HTTP 401"),
            (_client(session, sandbox, project="NOPE"), "HTTP 400"),
            (_client(session, sandbox, issue_type="Epic"), "HTTP 400"),
        ):
            with pytest.raises(TicketFailure, match=wanted) as caught:
                await client.create(title="t", body="b")
            assert sandbox.jira.token not in str(caught.value)
        sandbox.jira.fail_next(500)
        with pytest.raises(TicketFailure, match="HTTP 500"):
            await _client(session, sandbox).find("switchboard-followup:fu-1")
        gone = JiraIssues(
            session,
            url="http://127.0.0.1:9",
            project="OPS",
            issue_type="Task",
            email="a@b",
            token="t",
        )
        with pytest.raises(TicketFailure) as refused:
            await gone.create(title="t", body="b")
        assert not refused.value.maybe_created
    assert sandbox.jira.created == 0
