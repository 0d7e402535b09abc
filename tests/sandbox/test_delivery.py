"""Driving the bot like Slack: signed Events API deliveries, retries, the URL handshake,
human messages, slash commands with response URLs, and button clicks."""

from __future__ import annotations

import asyncio
import json
import socket
import time

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from sandbox import SlackSandbox

from .receiver import SIGNING_SECRET, Received, Receiver

APPROVAL = [
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


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_events_are_enveloped_and_signed(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """send_event POSTs a signed event_callback envelope with Slack's fields."""
    event = {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"}
    delivery = await sandbox.driver.send_event(event)
    (received,) = receiver.received
    assert received.signature_ok
    assert received.headers["Content-Type"] == "application/json"
    assert "X-Slack-Retry-Num" not in received.headers
    envelope = received.json()
    assert envelope["type"] == "event_callback"
    assert envelope["event"] == event
    assert envelope["event_id"] == delivery.event_id
    assert envelope["event_id"].startswith("Ev0")
    assert (envelope["team_id"], envelope["api_app_id"]) == ("T0SANDBOX", "A0SWITCH")
    assert envelope["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": "T0SANDBOX",
            "user_id": "U0BOT",
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    assert envelope["is_ext_shared_channel"] is False
    assert abs(envelope["event_time"] - time.time()) < 60
    assert (delivery.status, delivery.acked, delivery.error) == (200, True, None)


async def test_bad_signatures_are_sent_as_asked(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """Forged, missing and stale signatures reach the bot, which refuses them."""
    event = {"type": "app_home_opened", "user": "U0ALICE"}
    forged = await sandbox.driver.send_event(event, signature="forged")
    missing = await sandbox.driver.send_event(event, signature="missing")
    stale = await sandbox.driver.send_event(event, timestamp=int(time.time()) - 600)
    assert [d.status for d in (forged, missing, stale)] == [401, 401, 401]
    assert not any(d.acked for d in (forged, missing, stale))
    assert forged.error == "http_error"
    assert "X-Slack-Signature" in receiver.received[0].headers
    assert "X-Slack-Signature" not in receiver.received[1].headers
    assert receiver.received[2].headers["X-Slack-Request-Timestamp"] == str(int(time.time()) - 600)


async def test_retries_carry_slacks_headers(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """A retry keeps its event_id and carries X-Slack-Retry-Num and -Reason."""
    event = {"type": "app_home_opened", "user": "U0ALICE"}
    first = await sandbox.driver.send_event(event)
    retry = await sandbox.driver.send_event(event, event_id=first.event_id, retry_num=1)
    headers = receiver.received[1].headers
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
    assert receiver.received[1].json()["event_id"] == first.event_id == retry.event_id


async def test_url_verification(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """verify_url sends the handshake; the delivery carries the bot's answer."""
    delivery = await sandbox.driver.verify_url("abc123")
    assert receiver.received[0].json() == {
        "token": "SaNdBoXvErIfIcAtIoNtOkEn",
        "challenge": "abc123",
        "type": "url_verification",
    }
    assert delivery.json() == {"challenge": "abc123"}


async def test_post_raw_signs_the_exact_bytes(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """post_raw sends malformed bodies as is, validly signed over those bytes."""
    broken = await sandbox.driver.post_raw(b"{not json", content_type="application/json")
    await sandbox.driver.post_raw(
        b"payload=%7Bbroken", content_type="application/x-www-form-urlencoded"
    )
    forged = await sandbox.driver.post_raw(b"{}", signature="forged")
    assert [r.body for r in receiver.received] == [b"{not json", b"payload=%7Bbroken", b"{}"]
    assert [r.signature_ok for r in receiver.received] == [True, True, False]
    assert (broken.status, forged.status) == (400, 401)


async def test_user_mention_delivers_message_and_app_mention(
    sandbox: SlackSandbox, receiver: Receiver
) -> None:
    """A mention of the bot in a channel yields a message event, then an app_mention."""
    sent = await sandbox.people.say("<@U0BOT> deploy api", user="U0BOB")
    message, mention = (r.json() for r in receiver.received)
    assert message["event_id"] != mention["event_id"]
    assert [d.event_id for d in sent.deliveries] == [message["event_id"], mention["event_id"]]
    event = message["event"]
    assert event["type"] == "message"
    assert (event["user"], event["channel"], event["channel_type"]) == (
        "U0BOB",
        "C0GENERAL",
        "channel",
    )
    assert event["ts"] == event["event_ts"] == sent.ts
    assert event["text"] == "<@U0BOT> deploy api"
    assert event["team"] == "T0SANDBOX"
    assert event["client_msg_id"]
    assert event["blocks"][0]["type"] == "rich_text"
    assert "thread_ts" not in event
    assert mention["event"]["type"] == "app_mention"
    assert mention["event"]["ts"] == sent.ts
    assert "channel_type" not in mention["event"]
    assert sandbox.workspace.store.timeline("C0GENERAL")[0]["text"] == "<@U0BOT> deploy api"


async def test_thread_replies(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """A reply carries thread_ts and parent_user_id; the parent counts its replies."""
    parent = await sandbox.people.say("incident!", user="U0ALICE")
    reply = await sandbox.people.say("<@U0BOT> status?", user="U0BOB", thread_ts=parent.ts)
    message_event = receiver.received[1].json()["event"]
    mention_event = receiver.received[2].json()["event"]
    assert message_event["thread_ts"] == parent.ts == reply.thread_ts
    assert message_event["parent_user_id"] == "U0ALICE"
    assert mention_event["thread_ts"] == parent.ts
    head, tail = sandbox.workspace.store.thread("C0GENERAL", parent.ts)
    assert (head["reply_count"], head["reply_users"], head["latest_reply"]) == (
        1,
        ["U0BOB"],
        reply.ts,
    )
    assert tail["ts"] == reply.ts
    assert [m["ts"] for m in sandbox.workspace.store.timeline("C0GENERAL")] == [parent.ts]


async def test_events_follow_membership_and_channel_type(
    sandbox: SlackSandbox, receiver: Receiver
) -> None:
    """No events where the bot is not a member; DMs and private channels have their type."""
    assert (await sandbox.people.say("<@U0BOT> hi", channel="C0RANDOM")).deliveries == ()
    dm = await sandbox.people.say("<@U0BOT> hi", channel="D0ALICE")
    private = await sandbox.people.say("hi", channel="G0PRIVATE")
    assert (len(dm.deliveries), len(private.deliveries)) == (1, 1)
    types = [r.json()["event"]["channel_type"] for r in receiver.received]
    assert types == ["im", "group"]


async def test_slash_command_and_response_url(sandbox: SlackSandbox, receiver: Receiver) -> None:
    """A slash command is a signed form; response_url posts are recorded and stored."""
    delivery = await sandbox.people.run_command("/ops", "deploy api to prod", user="U0BOB")
    assert delivery.acked
    form = receiver.received[0].form()
    assert receiver.received[0].signature_ok
    assert receiver.received[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert {k: form[k] for k in ("command", "text", "user_id", "user_name", "channel_name")} == {
        "command": "/ops",
        "text": "deploy api to prod",
        "user_id": "U0BOB",
        "user_name": "bob",
        "channel_name": "general",
    }
    assert form["response_url"].startswith(f"{sandbox.base_url}/response/")
    assert set(form) >= {"token", "team_id", "team_domain", "channel_id", "api_app_id"}
    assert set(form) >= {"is_enterprise_install", "trigger_id"}
    webhook = AsyncWebhookClient(form["response_url"])
    private = await webhook.send(text="only you")
    public = await webhook.send(text="everyone", response_type="in_channel")
    assert (private.status_code, json.loads(private.body)) == (200, {"ok": True})
    assert public.status_code == 200
    calls = sandbox.calls.for_method("response_url")
    assert [c.args.get("response_type") for c in calls] == [None, "in_channel"]
    assert [
        m["text"] for m in sandbox.workspace.store.ephemeral("C0GENERAL", visible_to="U0BOB")
    ] == ["only you"]
    assert [m["text"] for m in sandbox.workspace.store.timeline("C0GENERAL")] == ["everyone"]
    replaced = await webhook.send(text="only you, revised", replace_original=True)
    assert replaced.status_code == 200
    assert [m["text"] for m in sandbox.workspace.store.ephemeral("C0GENERAL")] == [
        "only you, revised"
    ]
    bad = await AsyncWebhookClient(f"{sandbox.base_url}/response/nope").send(text="x")
    assert (bad.status_code, json.loads(bad.body)["error"]) == (404, "expired_url")


async def test_button_click(
    sandbox: SlackSandbox, receiver: Receiver, client: AsyncWebClient
) -> None:
    """click() sends a realistic block_actions payload; its response_url replaces the message."""
    posted = await client.chat_postMessage(channel="C0GENERAL", text="Approve?", blocks=APPROVAL)
    delivery = await sandbox.people.click(posted["ts"], "approve", user="U0CAROL")
    assert delivery.acked
    payload = receiver.received[0].payload()
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0CAROL"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": "C0GENERAL", "name": "general"}
    assert payload["message"]["ts"] == posted["ts"]
    (action,) = payload["actions"]
    assert {k: action[k] for k in ("action_id", "block_id", "value", "type", "style")} == {
        "action_id": "approve",
        "block_id": "approval",
        "value": "req-1",
        "type": "button",
        "style": "primary",
    }
    assert payload["trigger_id"] and payload["api_app_id"] == "A0SWITCH"
    webhook = AsyncWebhookClient(payload["response_url"])
    await webhook.send(text="Approved by carol", replace_original=True)
    (message,) = sandbox.workspace.store.timeline("C0GENERAL")
    assert message["text"] == "Approved by carol"
    assert message["edited"]["user"] == "B0BOT"


async def test_bot_posts_are_echoed_when_asked(receiver: Receiver) -> None:
    """With echo_bot_messages, the bot's own post comes back as a message event."""
    async with SlackSandbox(
        signing_secret=SIGNING_SECRET, request_url=receiver.url, echo_bot_messages=True
    ) as sandbox:
        client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
        posted = await client.chat_postMessage(channel="C0GENERAL", text="hello")
        received = await asyncio.wait_for(receiver.arrived.get(), timeout=5)
    event = received.json()["event"]
    assert (event["type"], event["ts"], event["user"]) == ("message", posted["ts"], "U0BOT")
    assert (event["bot_id"], event["app_id"]) == ("B0BOT", "A0SWITCH")
    assert event["bot_profile"]["id"] == "B0BOT"
    assert "subtype" not in event


async def test_slow_or_absent_bots(receiver: Receiver) -> None:
    """No answer within the timeout is http_timeout; nobody listening is connection_failed."""

    answer = asyncio.Event()

    async def too_slow(_: Received) -> web.Response:
        await answer.wait()  # set only after the sandbox has given up
        return web.Response()

    receiver.respond = too_slow
    async with SlackSandbox(request_url=receiver.url, http_timeout=0.2) as sandbox:
        slow = await sandbox.driver.send_event({"type": "app_home_opened", "user": "U0ALICE"})
        answer.set()
        sandbox.driver.request_url = f"http://127.0.0.1:{_closed_port()}/slack/events"
        absent = await sandbox.driver.send_event({"type": "app_home_opened", "user": "U0ALICE"})
    assert (slow.status, slow.acked, slow.error) == (None, False, "http_timeout")
    assert slow.elapsed >= 0.2
    assert (absent.acked, absent.error) == (False, "connection_failed")
