"""A separate product beside the app: a local Slack-compatible server (Web API, Events API,
interactivity, Socket Mode, and the AI-app surface: streaming messages, status lines,
suggested prompts, agent sessions, the agent DM, Stop and native feedback; rate limits per
method) with a fake deploy API, and a scripted LLM server
(:mod:`sandbox.llm_server`), to test, demo and benchmark the bot without reaching Slack or a
model vendor. It imports nothing of the app; the app starts it only in ``switchboard demo``
and ``switchboard sandbox`` (import contracts in pyproject.toml keep both true).

Example:
    async with SlackSandbox(signing_secret="s3cret") as sb:
        client = AsyncWebClient(token=sb.bot_token, base_url=sb.api_url)
        sb.driver.request_url = "http://127.0.0.1:8123/slack/events"
        sent = await sb.people.say("<@U0BOT> deploy api")
        reply = await sb.calls.wait_for("chat.postMessage")
"""

from sandbox.faults import Fault
from sandbox.ratelimits import Limit
from sandbox.records import ApiCall, Delivery, SentMessage
from sandbox.server import DEFAULT_SUBSCRIPTIONS, SlackSandbox, serve
from sandbox.streams import Stream

__all__ = [
    "DEFAULT_SUBSCRIPTIONS",
    "ApiCall",
    "Delivery",
    "Fault",
    "Limit",
    "SentMessage",
    "SlackSandbox",
    "Stream",
    "serve",
]
