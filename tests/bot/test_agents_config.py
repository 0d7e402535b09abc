"""The config file's agents, providers, router, budgets, oncall and incidents sections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config_file import ConfigFileError, parse_config

ACTION = """
  - name: restart
    agent: {agent}
    description: Restart a service
    risk: write
    params: {{service: {{type: str}}}}
    formats: ["restart {{service}}"]
    approval: {{approvers: {{users: [U0BOB]}}}}
    executor: {{http: {{url: "http://127.0.0.1:9/restart"}}}}
"""


def _config(body: str, *, agent: str = "deploy") -> str:
    return "version: 1\nactions:" + ACTION.format(agent=agent) + body


def _issues(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigFileError) as caught:
        parse_config(text, source="t.yaml")
    return [(i.line, i.field_path, i.message) for i in caught.value.issues]


def test_a_full_planning_config_becomes_domain_values() -> None:
    """Agents, providers with prices, router, budgets, rotations and incident settings."""
    loaded = parse_config(
        _config(
            """
agents:
  - name: deploy
    channels: [C0DEPLOYS]
    keywords: [ship]
    examples: ["ship api"]
    model: {providers: [local], model: m1, max_steps: 2, tool_wait: 4s}
    daily_budget_usd: 1.5
  - name: payments
    description: Payments operations
    actions: [restart]
providers:
  - name: local
    kind: openai
    base_url: http://127.0.0.1:8000/v1
    prices: {m1: {input: 0.5, output: 1.5}}
router: {threshold: 0.6, classifier: {provider: local, model: m1}}
budgets:
  per_user_daily_usd: 2
  rate_limit: {turns: 10, per: 1m}
oncall:
  rotations:
    - name: primary
      users: [U0ANA, U0BOB]
      start: "2026-11-02T09:00:00Z"
      shift: 7d
incidents: {oncall_rotation: primary, channel_prefix: incident}
"""
        )
    )
    planning = loaded.planning
    deploy = planning.profiles["deploy"]
    assert deploy.info.channels == ("C0DEPLOYS",) and deploy.daily_budget_micros == 1_500_000
    assert deploy.model is not None and deploy.model.providers == ("local",)
    assert deploy.model.tool_wait == 4.0
    assert planning.profiles["payments"].actions == ("restart",)
    assert planning.prices[("local", "m1")].cost_micros(1000, 1000) == 2000
    assert planning.router.threshold == 0.6 and planning.router.classifier_provider == "local"
    assert planning.budgets.per_user_daily_micros == 2_000_000
    assert planning.budgets.rate_capacity == 10
    assert planning.budgets.rate_refill_per_second == pytest.approx(10 / 60)
    (rotation,) = loaded.rotations
    assert rotation.users == ("U0ANA", "U0BOB") and rotation.shift == timedelta(days=7)
    assert rotation.start == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert loaded.incident_settings.oncall_rotation == "primary"
    assert loaded.incident_settings.channel_prefix == "incident"


def test_an_action_of_an_unknown_agent_is_reported_with_its_line() -> None:
    """`agent: payments` without an agents entry names the known agents."""
    issues = _issues(_config("", agent="payments"))
    assert issues[0][1] == "actions[0].agent" and "unknown agent 'payments'" in issues[0][2]
    assert issues[0][0] == 4


def test_cross_references_are_checked() -> None:
    """Unknown providers and actions, duplicate names and a channel bound twice."""
    issues = _issues(
        _config(
            """
agents:
  - name: deploy
    channels: [C0OPS]
    actions: [nope]
    model: {providers: [missing], model: m}
  - name: deploy
  - name: other
    channels: [C0OPS]
router: {classifier: {provider: ghost, model: m}}
"""
        )
    )
    messages = {path: message for _, path, message in issues}
    assert messages["agents[0].actions[0]"] == "unknown action 'nope'"
    assert messages["agents[0].model.providers[0]"] == "unknown provider 'missing'"
    assert messages["agents[1].name"] == "duplicate agent name 'deploy'"
    assert "already bound to agent 'deploy'" in messages["agents[2].channels[0]"]
    assert messages["router.classifier.provider"] == "unknown provider 'ghost'"


def test_oncall_and_incident_rules() -> None:
    """A rotation named twice, an override ending before it starts, an unknown rotation."""
    issues = _issues(
        _config(
            """
oncall:
  rotations:
    - name: primary
      users: [U0ANA]
      start: "2026-11-02T09:00:00Z"
      shift: 1d
      overrides: [{user: U0BOB, start: "2026-11-05T00:00:00Z", end: "2026-11-04T00:00:00Z"}]
    - name: primary
      users: [U0BOB]
      start: "2026-11-02T09:00:00Z"
      shift: 1d
incidents: {oncall_rotation: secondary}
"""
        )
    )
    messages = {path: message for _, path, message in issues}
    assert messages["oncall.rotations[1].name"] == "duplicate rotation 'primary'"
    assert messages["oncall.rotations[0].overrides[0].end"] == "must be after start"
    assert messages["incidents.oncall_rotation"] == "unknown rotation 'secondary'"


def test_provider_shape_errors_name_the_field() -> None:
    """A provider kind we do not speak and more than three attempts are refused."""
    issues = _issues(
        _config(
            """
providers:
  - name: p
    kind: gemini
    base_url: ftp://x
    max_attempts: 5
"""
        )
    )
    paths = {path for _, path, _ in issues}
    assert {"providers[0].kind", "providers[0].base_url", "providers[0].max_attempts"} <= paths


def test_a_provider_named_twice_is_refused_where_it_stands() -> None:
    """Provider names are unique: the second of a name is the one reported, with its line."""
    issues = _issues(
        _config(
            """
providers:
  - {name: local, kind: openai, base_url: "http://127.0.0.1:8000/v1"}
  - {name: local, kind: openai, base_url: "http://127.0.0.1:8001/v1"}
"""
        )
    )
    assert [(line, path, message) for line, path, message in issues] == [
        (14, "providers[1].name", "duplicate provider name 'local'")
    ]


def test_a_tool_wait_over_a_minute_is_refused() -> None:
    """A turn holds its thread while it waits for a read: at most 60 s (10 s by default)."""
    issues = _issues(
        _config(
            """
agents:
  - name: deploy
    model: {providers: [local], model: m1, tool_wait: 2m}
providers:
  - {name: local, kind: openai, base_url: "http://127.0.0.1:8000/v1"}
"""
        )
    )
    assert [(path, message) for _, path, message in issues] == [
        (
            "agents[0].model.tool_wait",
            "must be at most 60s (a turn holds its thread while it waits)",
        )
    ]
    loaded = parse_config(
        _config(
            """
agents:
  - name: deploy
    model: {providers: [local], model: m1}
providers:
  - {name: local, kind: openai, base_url: "http://127.0.0.1:8000/v1"}
"""
        )
    )
    model = loaded.planning.profiles["deploy"].model
    assert model is not None and model.tool_wait == 10.0


def test_a_naive_rotation_start_is_refused() -> None:
    """A start without a timezone is ambiguous and refused."""
    issues = _issues(
        _config(
            """
oncall:
  rotations:
    - {name: p, users: [U0ANA], start: "2026-11-02T09:00:00", shift: 1d}
"""
        )
    )
    assert issues[0][1] == "oncall.rotations[0].start"
