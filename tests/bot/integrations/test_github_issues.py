"""The GitHub Issues client against the sandbox's stand-in: create with labels, find by
marker among labelled issues, and every failure a ``TicketFailure`` without the token."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import aiohttp
import pytest

from agents.incidents.ports import TicketFailure
from bot.integrations.tickets import GithubIssues
from sandbox import SlackSandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox(signing_secret=secrets.token_hex(16)) as sb:
        yield sb


def _client(session: aiohttp.ClientSession, sandbox: SlackSandbox, **changes: str) -> GithubIssues:
    options = {"repo": "acme/shop", "token": sandbox.github.token, **changes}
    return GithubIssues(
        session,
        repo=options["repo"],
        token=options["token"],
        api_url=f"{sandbox.base_url}/github",
        labels=("incident-follow-up",),
    )


async def test_created_issues_are_found_by_their_marker(sandbox: SlackSandbox) -> None:
    """An issue is filed with the labels; its marker finds it, an unlabelled issue with the
    same marker does not count, an unknown marker finds nothing."""
    async with aiohttp.ClientSession() as session:
        issues = _client(session, sandbox)
        ticket = await issues.create(title="add an alert", body="x <!-- mark:fu-1 -->")
        sandbox.github.add_issue("acme/shop", title="other", body="mark:fu-2", labels=[])
        assert ticket.number == 1 and ticket.url.endswith("/acme/shop/issues/1")
        assert await issues.find("mark:fu-1") == ticket
        assert await issues.find("mark:fu-2") is None
    assert sandbox.github.issues["acme/shop"][0]["labels"] == [{"name": "incident-follow-up"}]


async def test_refusals_and_outages_are_ticket_failures(sandbox: SlackSandbox) -> None:
    """A bad token (401), an unknown repo (404), a 500, and a host that is not there: each
    a TicketFailure naming the status, never the token; a POST whose connection was
    refused was never sent, so it is not "maybe created"."""
    async with aiohttp.ClientSession() as session:
        for client, wanted in (
            (_client(session, sandbox, token="ghp_wrong"), "HTTP 401"),
            (_client(session, sandbox, repo="acme/none"), "HTTP 404"),
        ):
            with pytest.raises(TicketFailure, match=wanted) as caught:
                await client.create(title="t", body="b")
            assert sandbox.github.token not in str(caught.value)
        sandbox.github.fail_next(500)
        with pytest.raises(TicketFailure, match="HTTP 500"):
            await _client(session, sandbox).find("m")
        gone = GithubIssues(session, repo="acme/shop", token="t", api_url="http://127.0.0.1:9")
        with pytest.raises(TicketFailure, match="could not be reached") as unreachable:
            await gone.create(title="t", body="b")
    assert unreachable.value.maybe_created is False
    assert sandbox.github.created == 0
