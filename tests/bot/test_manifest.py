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
    assert not {"chat:write.customize", "channels:read"} & set(scopes)


def test_email_lookup_asks_for_the_two_scopes_slack_grants_together() -> None:
    """users.lookupByEmail (PagerDuty on-call people to Slack users) needs users:read.email,
    which Slack grants only with users:read; nothing that writes users is asked for."""
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert {"users:read", "users:read.email"} <= scopes
    assert not {"users:write", "users.profile:read"} & scopes


def test_incident_pins_need_only_read_scopes_and_their_two_events() -> None:
    """📌 reactions and pins reach the incident timeline with read scopes only; the removal
    events are not subscribed (removing a 📌 does not erase the timeline)."""
    manifest = _manifest()
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"reactions:read", "pins:read"} <= scopes and "pins:write" not in scopes
    assert {"reaction_added", "pin_added"} <= events
    assert not {"reaction_removed", "pin_removed"} & events


def test_installs_ask_for_exactly_the_manifests_scopes() -> None:
    """The OAuth install requests the manifest's bot scopes, no more and no fewer."""
    from bot.distribution import BOT_SCOPES

    assert sorted(BOT_SCOPES) == sorted(_manifest()["oauth_config"]["scopes"]["bot"])
    assert "user" not in _manifest()["oauth_config"]["scopes"]  # no user tokens


def test_distribution_redirect_rotation_and_removal_events() -> None:
    """The redirect URL is the bot's /slack/oauth_redirect, and the events that say a
    workspace removed the app are subscribed (they need no scope); token rotation is
    declared, off, so a fixed SLACK_BOT_TOKEN keeps working (docs/distribute.md turns it on:
    Slack cannot turn it off again)."""
    manifest = _manifest()
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://switchboard.example.com/slack/oauth_redirect"
    ]
    assert manifest["settings"]["token_rotation_enabled"] is False
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {
        "app_uninstalled",
        "tokens_revoked",
        "team_access_granted",
        "team_access_revoked",
    } <= events
