"""A local Slack-compatible server (Web API, Events API, interactivity, Socket Mode) to test,
demo and benchmark the bot without reaching Slack.

Example:
    async with SlackSandbox(signing_secret="s3cret") as sb:
        client = AsyncWebClient(token=sb.bot_token, base_url=sb.api_url)
        sb.request_url = "http://127.0.0.1:8123/slack/events"
        sent = await sb.user_says("<@U0BOT> deploy api")
        reply = await sb.wait_for("chat.postMessage")
"""

from sandbox.faults import Fault
from sandbox.records import ApiCall, Delivery, SentMessage
from sandbox.server import DEFAULT_SUBSCRIPTIONS, SlackSandbox, serve

__all__ = [
    "DEFAULT_SUBSCRIPTIONS",
    "ApiCall",
    "Delivery",
    "Fault",
    "SentMessage",
    "SlackSandbox",
    "serve",
]
