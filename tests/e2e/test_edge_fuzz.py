"""Property: no correctly signed request makes ``POST /slack/events`` answer 5xx (issue 15).

Hypothesis builds signed requests over events, slash commands, interactivity (block actions,
view submissions and closings, shortcuts, suggestions) and arbitrary bytes: Slack's shapes
with any field swapped for arbitrary JSON. One bot serves every example (started once per
module); the run is derandomized so CI sees the same examples every time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.approval_blocks import APPROVE_ACTION, EDIT_ACTION
from handlers.approval_modals import EDIT_MODAL, REJECT_MODAL
from handlers.blocks import ROUTE_CHOICE_PREFIX
from handlers.review_blocks import FEEDBACK_ACTION, FEEDBACK_MODAL, LABEL_PREFIX
from sandbox import SlackSandbox
from tests.e2e.conftest import SIGNING_SECRET, Bot, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"

Request = tuple[bytes, str]

junk: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
"""Any JSON value: what a hostile sender puts where Slack puts something specific."""


def _or_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy, junk)


def _object(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {key: _or_junk(value) for key, value in required.items()},
        optional={key: _or_junk(value) for key, value in optional.items()},
    )


ids = st.sampled_from(["U0ALICE", "U0BOB", "C0GENERAL", "T0TEAM", "", "U0NOBODY"]) | st.text(
    max_size=10
)
ts = st.sampled_from(["1700000000.000100", "1.2", "", "x"])
ref = _object({"id": ids}, {"team_id": ids})

event = _object(
    {
        "type": st.sampled_from(
            [
                "app_mention",
                "message",
                "app_home_opened",
                "assistant_thread_started",
                "assistant_thread_context_changed",
                "agent_session_stopped",
                "reaction_added",
            ]
        )
    },
    {
        "user": ids,
        "text": st.text(max_size=40),
        "channel": ids,
        "ts": ts,
        "thread_ts": ts,
        "subtype": st.sampled_from(["message_changed", "message_deleted", "bot_message"]),
        "bot_id": ids,
        "message": _object({"ts": ts}, {"text": st.text(max_size=20), "user": ids}),
        "channel_type": st.sampled_from(["im", "channel"]),
        "tab": st.sampled_from(["home", "messages"]),
        "assistant_thread": _object({"channel_id": ids}, {"thread_ts": ts}),
    },
)

events: st.SearchStrategy[Request] = _object(
    {"type": st.just("event_callback"), "event": event},
    {"team_id": ids, "event_id": st.text(min_size=1, max_size=12), "api_app_id": ids},
).map(lambda body: (json.dumps(body).encode(), JSON_TYPE))

commands: st.SearchStrategy[Request] = st.fixed_dictionaries(
    {"command": st.sampled_from(["/ops", "/nope", "", "ops"]) | st.text(max_size=8)},
    optional={
        "text": st.text(max_size=40),
        "trigger_id": st.text(max_size=10),
        "user_id": st.text(max_size=10),
        "team_id": st.text(max_size=10),
        "channel_id": st.text(max_size=10),
    },
).map(lambda fields: (urlencode(fields).encode(), FORM))

action_id = st.sampled_from(
    [
        APPROVE_ACTION,
        EDIT_ACTION,
        FEEDBACK_ACTION,
        LABEL_PREFIX + "good",
        ROUTE_CHOICE_PREFIX + "ops",
        "unknown",
    ]
)
view = _object(
    {
        "type": st.just("modal"),
        "callback_id": st.sampled_from([REJECT_MODAL, EDIT_MODAL, FEEDBACK_MODAL, "unknown"]),
    },
    {
        "id": ids,
        "private_metadata": st.text(max_size=20) | junk.map(json.dumps),
        "state": _object({"values": st.dictionaries(st.text(max_size=6), junk, max_size=2)}, {}),
    },
)
interaction = _object(
    {
        "type": st.sampled_from(
            [
                "block_actions",
                "view_submission",
                "view_closed",
                "shortcut",
                "message_action",
                "block_suggestion",
            ]
        )
    },
    {
        "user": ref,
        "team": ref,
        "channel": ref,
        "trigger_id": st.text(max_size=10),
        "callback_id": st.text(max_size=10),
        "action_id": action_id,
        "actions": st.lists(
            _object({"action_id": action_id}, {"value": st.text(max_size=20)}), max_size=2
        ),
        "view": view,
        "container": _object({"channel_id": ids}, {"message_ts": ts}),
        "message": _object({"ts": ts}, {"thread_ts": ts}),
    },
)
interactions: st.SearchStrategy[Request] = interaction.map(
    lambda payload: (urlencode({"payload": json.dumps(payload)}).encode(), FORM)
)

raw_bytes: st.SearchStrategy[Request] = st.tuples(
    st.binary(max_size=300), st.sampled_from([JSON_TYPE, FORM, "text/plain"])
)

requests = st.one_of(events, commands, interactions, raw_bytes)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fuzzed_bot(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[SlackSandbox, Bot]]:
    database_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'switchboard.db'}"
    async with (
        SlackSandbox(signing_secret=SIGNING_SECRET) as sandbox,
        running_bot(sandbox, database_url) as bot,
    ):
        yield sandbox, bot


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests)
async def test_no_signed_request_gets_a_5xx(
    fuzzed_bot: tuple[SlackSandbox, Bot], request: Request
) -> None:
    """Whatever a signed request carries, the answer is a 2xx or 4xx and the server stays up."""
    sandbox, bot = fuzzed_bot
    body, content_type = request
    delivery = await sandbox.driver.post_raw(body, content_type=content_type)
    assert delivery.status is not None, delivery.error
    assert delivery.status < 500, (delivery.status, body[:300])
    async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
