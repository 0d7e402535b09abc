"""Slack users by email through the real client and the sandbox's ``users.lookupByEmail``:
matches and misses cached for their TTLs, a 429 waited out, failures never cached."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.slack_client import SlackConnection
from handlers.links import LinkPolicy
from handlers.slack_people import SlackPeople
from sandbox import SlackSandbox
from sandbox.faults import Fault

EMAIL = "ada.lovelace@example.com"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox(signing_secret="people-secret") as sb:
        yield sb


@pytest.fixture
async def slack(sandbox: SlackSandbox) -> AsyncIterator[SlackConnection]:
    sandbox.workspace.directory.add_user("U0ADA", "ada", real_name="Ada", email=EMAIL)
    connection = SlackConnection.open(
        token=sandbox.bot_token, base_url=sandbox.api_url, links=LinkPolicy.of()
    )
    try:
        yield connection
    finally:
        await connection.session.close()


async def test_a_match_is_found_ignoring_case_and_cached_for_its_ttl(
    sandbox: SlackSandbox, slack: SlackConnection
) -> None:
    """Found once, then answered from the cache until the TTL passes."""
    clock = _Clock()
    people = SlackPeople(slack.client, ttl=60, clock=clock)
    assert await people.slack_user("Ada.Lovelace@Example.com") == "U0ADA"
    assert await people.slack_user(EMAIL) == "U0ADA"
    assert sandbox.calls.count("users.lookupByEmail") == 1
    clock.now += 61
    assert await people.slack_user(EMAIL) == "U0ADA"
    assert sandbox.calls.count("users.lookupByEmail") == 2


async def test_nobody_with_the_email_is_remembered_for_the_shorter_ttl(
    sandbox: SlackSandbox, slack: SlackConnection
) -> None:
    """``users_not_found``: None, cached for ``miss_ttl`` (someone may join Slack)."""
    clock = _Clock()
    people = SlackPeople(slack.client, ttl=3600, miss_ttl=30, clock=clock)
    assert await people.slack_user("grace.hopper@example.com") is None
    assert await people.slack_user("grace.hopper@example.com") is None
    assert sandbox.calls.count("users.lookupByEmail") == 1
    [call] = sandbox.calls.for_method("users.lookupByEmail")
    assert call.response["error"] == "users_not_found"
    clock.now += 31
    sandbox.workspace.directory.add_user("U0GRACE", "grace", email="grace.hopper@example.com")
    assert await people.slack_user("grace.hopper@example.com") == "U0GRACE"


async def test_a_rate_limit_is_waited_out_and_the_person_found(
    sandbox: SlackSandbox, slack: SlackConnection
) -> None:
    """A 429 with Retry-After: 1 is honoured by the client, and the retry finds them."""
    sandbox.faults.inject("users.lookupByEmail", Fault.rate_limited(retry_after=1))
    people = SlackPeople(slack.client)
    assert await people.slack_user(EMAIL) == "U0ADA"
    assert sandbox.calls.count("users.lookupByEmail") == 2


async def test_a_failure_is_shown_by_name_and_not_cached(
    sandbox: SlackSandbox, slack: SlackConnection
) -> None:
    """A missing scope (or any failure but users_not_found): None now, asked again next
    time."""
    sandbox.faults.inject("users.lookupByEmail", Fault.api_error("missing_scope"))
    people = SlackPeople(slack.client)
    assert await people.slack_user(EMAIL) is None
    assert await people.slack_user(EMAIL) == "U0ADA"
