"""The Web API as the real slack_sdk client sees it: JSON, form and GET encodings, Slack's
answers and Slack's errors."""

from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import SlackSandbox

from .receiver import Receiver

BUTTONS = [
    {
        "type": "actions",
        "block_id": "approval",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": "req-1",
                "style": "primary",
            }
        ],
    }
]


async def _error(call: object) -> str:
    with pytest.raises(SlackApiError) as info:
        await call  # type: ignore[misc]
    return str(info.value.response["error"])


async def test_auth_test_names_the_bot(client: AsyncWebClient) -> None:
    """auth.test answers with the bot's user, bot and team ids."""
    response = await client.auth_test()
    assert response.data == {
        "ok": True,
        "url": "https://sandbox.slack.com/",
        "team": "Switchboard Sandbox",
        "user": "switchboard",
        "team_id": "T0SANDBOX",
        "user_id": "U0BOT",
        "bot_id": "B0BOT",
        "is_enterprise_install": False,
    }


async def test_post_message_answers_and_stores_like_slack(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """chat.postMessage answers with channel, ts and the stored app message (no subtype)."""
    response = await client.chat_postMessage(channel="C0GENERAL", text="hello", blocks=BUTTONS)
    message = response["message"]
    assert response["channel"] == "C0GENERAL"
    assert message["ts"] == response["ts"]
    assert message["user"] == "U0BOT"
    assert message["bot_id"] == "B0BOT"
    assert message["app_id"] == "A0SWITCH"
    assert message["bot_profile"]["app_id"] == "A0SWITCH"
    assert message["blocks"] == BUTTONS
    assert "subtype" not in message
    assert sandbox.workspace.store.timeline("C0GENERAL") == [message]


async def test_text_only_posts_get_a_rich_text_block(client: AsyncWebClient) -> None:
    """A text-only post is given the rich_text block Slack derives from the text."""
    response = await client.chat_postMessage(channel="C0GENERAL", text="hi <@U0BOB> &amp; all")
    (block,) = response["message"]["blocks"]
    assert block["type"] == "rich_text"
    assert block["elements"][0]["elements"] == [
        {"type": "text", "text": "hi "},
        {"type": "user", "user_id": "U0BOB"},
        {"type": "text", "text": " & all"},
    ]


async def test_replies_carry_metadata_only_when_asked(client: AsyncWebClient) -> None:
    """conversations.replies: parent, then replies; metadata only with include_all_metadata."""
    metadata = {"event_type": "switchboard_turn", "event_payload": {"trace_id": "t-1"}}
    parent = await client.chat_postMessage(channel="C0GENERAL", text="parent", metadata=metadata)
    reply = await client.chat_postMessage(
        channel="C0GENERAL", text="reply", thread_ts=parent["ts"], metadata=metadata
    )
    plain = await client.conversations_replies(channel="C0GENERAL", ts=parent["ts"])
    full = await client.conversations_replies(
        channel="C0GENERAL", ts=parent["ts"], include_all_metadata=True
    )
    assert [m["ts"] for m in plain["messages"]] == [parent["ts"], reply["ts"]]
    assert all("metadata" not in m for m in plain["messages"])
    assert [m["metadata"] for m in full["messages"]] == [metadata, metadata]
    head, tail = full["messages"]
    assert head["reply_count"] == 1
    assert head["latest_reply"] == reply["ts"]
    assert head["reply_users"] == ["U0BOT"]
    assert tail["thread_ts"] == parent["ts"]
    assert tail["parent_user_id"] == "U0BOT"
    assert reply["message"]["thread_ts"] == parent["ts"]


async def test_history_pages_newest_first(client: AsyncWebClient) -> None:
    """conversations.history is newest first and pages with has_more and next_cursor."""
    posted = [
        (await client.chat_postMessage(channel="C0GENERAL", text=str(i)))["ts"] for i in range(5)
    ]
    first = await client.conversations_history(channel="C0GENERAL", limit=2)
    assert [m["ts"] for m in first["messages"]] == posted[:2:-1][:2]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="C0GENERAL", limit=10, cursor=cursor)
    assert [m["ts"] for m in rest["messages"]] == posted[2::-1]
    assert rest["has_more"] is False
    assert rest["response_metadata"]["next_cursor"] == ""
    newer = await client.conversations_history(channel="C0GENERAL", oldest=posted[2])
    assert [m["ts"] for m in newer["messages"]] == posted[:2:-1]


async def test_replies_page_oldest_first(client: AsyncWebClient) -> None:
    """conversations.replies pages a long thread oldest first with a cursor."""
    parent = (await client.chat_postMessage(channel="C0GENERAL", text="p"))["ts"]
    for i in range(4):
        await client.chat_postMessage(channel="C0GENERAL", text=str(i), thread_ts=parent)
    seen: list[str] = []
    cursor = None
    while True:
        page = await client.conversations_replies(
            channel="C0GENERAL", ts=parent, limit=2, cursor=cursor
        )
        seen += [m["text"] for m in page["messages"]]
        if not page["has_more"]:
            break
        cursor = page["response_metadata"]["next_cursor"]
    assert seen == ["p", "0", "1", "2", "3"]


async def test_form_and_get_encodings_are_decoded(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """Form bodies (JSON-string blocks/metadata) and GET query strings work like JSON."""
    metadata = {"event_type": "e", "event_payload": {"k": "v"}}
    response = await client.api_call(
        "chat.postMessage",
        data={
            "channel": "C0GENERAL",
            "text": "form",
            "blocks": json.dumps(BUTTONS),
            "metadata": json.dumps(metadata),
        },
    )
    assert response["message"]["blocks"] == BUTTONS
    assert sandbox.calls.for_method("chat.postMessage")[0].args["metadata"] == metadata
    history = await client.api_call(
        "conversations.history",
        http_verb="GET",
        params={"channel": "C0GENERAL", "include_all_metadata": "true"},
    )
    assert history["messages"][0]["metadata"] == metadata


async def test_bad_or_missing_tokens_are_refused(sandbox: SlackSandbox) -> None:
    """An unknown token is invalid_auth, no token not_authed, the app token not allowed."""
    for token, error in [
        ("xoxb-wrong", "invalid_auth"),
        (None, "not_authed"),
        (sandbox.app_token, "not_allowed_token_type"),
    ]:
        web_client = AsyncWebClient(token=token, base_url=sandbox.api_url)
        assert await _error(web_client.chat_postMessage(channel="C0GENERAL", text="x")) == error
    assert [c.status for c in sandbox.calls.all()] == [200, 200, 200]


async def test_unknown_method(client: AsyncWebClient) -> None:
    """A method the sandbox does not speak answers unknown_method."""
    assert await _error(client.api_call("chat.teleport")) == "unknown_method"


async def test_channel_errors(client: AsyncWebClient) -> None:
    """Unknown channels are channel_not_found; public ones without the bot not_in_channel."""
    assert await _error(client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    assert await _error(client.chat_postMessage(channel="C0RANDOM", text="x")) == "not_in_channel"
    await client.conversations_join(channel="C0RANDOM")
    assert (await client.chat_postMessage(channel="#random", text="x"))["channel"] == "C0RANDOM"


async def test_message_content_errors(client: AsyncWebClient) -> None:
    """No text is no_text; a thread that does not exist is thread_not_found."""
    empty = client.api_call("chat.postMessage", json={"channel": "C0GENERAL"})
    assert await _error(empty) == "no_text"
    missing_thread = client.chat_postMessage(channel="C0GENERAL", text="x", thread_ts="1.000001")
    assert await _error(missing_thread) == "thread_not_found"
    replies = client.conversations_replies(channel="C0GENERAL", ts="1.000001")
    assert await _error(replies) == "thread_not_found"


async def test_update_edits_only_the_bots_messages(
    client: AsyncWebClient, sandbox: SlackSandbox
) -> None:
    """chat.update edits the bot's messages only: cant_update_message, message_not_found."""
    posted = await client.chat_postMessage(channel="C0GENERAL", text="before")
    updated = await client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="after")
    assert updated["text"] == "after"
    assert updated["message"]["edited"]["user"] == "B0BOT"
    assert sandbox.workspace.store.timeline("C0GENERAL")[0]["text"] == "after"
    human = await sandbox.people.say("mine", channel="C0RANDOM")
    await client.conversations_join(channel="C0RANDOM")
    not_ours = client.chat_update(channel="C0RANDOM", ts=human.ts, text="x")
    assert await _error(not_ours) == "cant_update_message"
    unknown = client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")
    assert await _error(unknown) == "message_not_found"


async def test_post_ephemeral(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """chat.postEphemeral answers message_ts and stores it for the user; outsiders refused."""
    response = await client.chat_postEphemeral(channel="G0PRIVATE", user="U0ALICE", text="psst")
    (stored,) = sandbox.workspace.store.ephemeral("G0PRIVATE", visible_to="U0ALICE")
    assert stored["ts"] == response["message_ts"]
    assert stored["text"] == "psst"
    outsider = client.chat_postEphemeral(channel="G0PRIVATE", user="U0BOB", text="x")
    assert await _error(outsider) == "user_not_in_channel"


async def test_permalink(client: AsyncWebClient) -> None:
    """chat.getPermalink answers Slack's archive URL for a stored message."""
    ts = (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ts"]
    response = await client.chat_getPermalink(channel="C0GENERAL", message_ts=ts)
    assert response["permalink"] == (
        f"https://sandbox.slack.com/archives/C0GENERAL/p{ts.replace('.', '')}"
    )
    missing_message = client.chat_getPermalink(channel="C0GENERAL", message_ts="1.000001")
    assert await _error(missing_message) == "message_not_found"


async def test_reactions(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """reactions.add stores the reaction once; a second one is already_reacted."""
    ts = (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ts"]
    await client.reactions_add(channel="C0GENERAL", timestamp=ts, name="eyes")
    again = client.reactions_add(channel="C0GENERAL", timestamp=ts, name="eyes")
    assert await _error(again) == "already_reacted"
    reactions = sandbox.workspace.store.timeline("C0GENERAL")[0]["reactions"]
    assert reactions == [{"name": "eyes", "users": ["U0BOT"], "count": 1}]


async def test_info_methods(client: AsyncWebClient) -> None:
    """users.info and conversations.info answer Slack's objects, or not-found errors."""
    alice = (await client.users_info(user="U0ALICE"))["user"]
    assert (alice["name"], alice["is_bot"], alice["profile"]["email"]) == (
        "alice",
        False,
        "alice@sandbox.example",
    )
    bot = (await client.users_info(user="U0BOT"))["user"]
    assert bot["is_bot"] is True
    assert bot["profile"]["bot_id"] == "B0BOT"
    assert await _error(client.users_info(user="U0NOBODY")) == "user_not_found"
    general = (await client.conversations_info(channel="C0GENERAL"))["channel"]
    assert (general["name"], general["is_member"], general["is_private"]) == (
        "general",
        True,
        False,
    )
    random = (await client.conversations_info(channel="C0RANDOM"))["channel"]
    assert random["is_member"] is False
    dm = (await client.conversations_info(channel="D0ALICE"))["channel"]
    assert (dm["is_im"], dm["user"]) == (True, "U0ALICE")


async def test_views_need_a_fresh_trigger(
    client: AsyncWebClient, sandbox: SlackSandbox, receiver: Receiver
) -> None:
    """views.open takes a trigger id the sandbox issued, once; others are refused."""
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    assert await _error(client.views_open(trigger_id="1.2.3", view=modal)) == "invalid_trigger_id"
    await sandbox.people.run_command("/ops", "help")
    trigger = receiver.received[-1].form()["trigger_id"]
    opened = await client.views_open(trigger_id=trigger, view=modal)
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["type"] == "modal"
    reused = client.views_open(trigger_id=trigger, view=modal)
    assert await _error(reused) == "exchanged_trigger_id"
    home = {"type": "home", "blocks": []}
    published = await client.views_publish(user_id="U0ALICE", view=home)
    assert published["view"]["type"] == "home"


async def test_connections_open_needs_the_app_token(sandbox: SlackSandbox) -> None:
    """apps.connections.open answers a ws:// URL for the app token only."""
    app_client = AsyncWebClient(base_url=sandbox.api_url)
    response = await app_client.apps_connections_open(app_token=sandbox.app_token)
    assert response["url"].startswith(f"ws://127.0.0.1:{sandbox.port}/socket?ticket=")
    bot_client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    refused = bot_client.apps_connections_open(app_token=sandbox.bot_token)
    assert await _error(refused) == "not_allowed_token_type"


async def test_answers_carry_slacks_headers(sandbox: SlackSandbox) -> None:
    """Answers are JSON with charset, a request id and the token's scopes."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(sandbox.api_url + "auth.test", params={"token": sandbox.bot_token}) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["X-Slack-Req-Id"]
        assert "chat:write" in response.headers["X-OAuth-Scopes"]
        assert (await response.json())["ok"] is True


async def test_more_methods(client: AsyncWebClient, sandbox: SlackSandbox) -> None:
    """DMs by user id, chat.delete, views.update, user lookups and user groups."""
    dm = await client.conversations_open(users="U0CAROL")
    posted = await client.chat_postMessage(channel="U0CAROL", text="psst")
    assert posted["channel"] == dm["channel"]["id"]
    await client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert sandbox.workspace.store.timeline(posted["channel"]) == []
    home = await client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": []})
    updated = await client.views_update(
        view_id=home["view"]["id"], view={"type": "home", "blocks": [], "callback_id": "v2"}
    )
    assert updated["view"]["callback_id"] == "v2"
    assert await _error(client.views_update(view_id="V0NOPE", view={"type": "home"})) == (
        "not_found"
    )
    found = await client.users_lookupByEmail(email="bob@sandbox.example")
    assert found["user"]["id"] == "U0BOB"
    sandbox.workspace.directory.add_usergroup("S0OPS", "ops", ["U0ALICE", "U0BOB"])
    assert (await client.usergroups_users_list(usergroup="S0OPS"))["users"] == [
        "U0ALICE",
        "U0BOB",
    ]


async def test_malformed_requests(sandbox: SlackSandbox) -> None:
    """A JSON body that is not JSON is invalid_json; bad JSON-string blocks are refused."""
    headers = {"Authorization": f"Bearer {sandbox.bot_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        url = sandbox.api_url + "chat.postMessage"
        async with session.post(
            url, data=b"{nope", headers={"Content-Type": "application/json"}
        ) as response:
            assert (await response.json())["error"] == "invalid_json"
        form = {"channel": "C0GENERAL", "text": "x", "blocks": "[{broken"}
        async with session.post(url, data=form) as response:
            assert (await response.json())["error"] == "invalid_blocks_format"
    assert [c.response["error"] for c in sandbox.calls.for_method("chat.postMessage")] == [
        "invalid_json",
        "invalid_blocks_format",
    ]
