"""The Slack app manifest declares what the app uses: the agent view, the AI-surface events
and scopes, and nothing it does not use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yaml"


def _manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text(encoding="utf-8")))


def test_the_agent_view_is_declared_with_a_description_and_a_prompt() -> None:
    view = _manifest()["features"]["agent_view"]
    assert len(view["agent_description"]) > 40
    assert view["suggested_prompts"] == [{"title": "What can you do for me?", "message": "help"}]


def test_the_events_the_agent_surface_listens_to_are_subscribed() -> None:
    events = set(_manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert {
        "app_mention",
        "message.im",
        "app_home_opened",
        "assistant_thread_started",
        "assistant_thread_context_changed",
        "app_context_changed",
        "agent_session_stopped",
    } <= events


def test_scopes_are_the_ones_features_use() -> None:
    scopes = _manifest()["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes))
    assert "assistant:write" in scopes and "chat:write" in scopes
    assert not {"chat:write.customize", "channels:read", "users:read"} & set(scopes)
