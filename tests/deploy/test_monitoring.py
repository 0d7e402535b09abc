"""The shipped Grafana dashboard and Prometheus rules: the dashboard JSON is what its script
builds, every metric a panel or rule queries is one the app exports, and every alert has a
duration, a severity, its texts and a runbook section in docs/deploy.md."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import yaml

from bot.metrics import Metrics
from tests.deploy.dockerfile import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "switchboard.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
_SYNTHETIC = {"up"}  # made by Prometheus itself for every scrape target
_NOT_METRICS = {"by", "without", "and", "or", "unless", "on", "ignoring", "bool", "offset"}


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "switchboard_dashboard", ROOT / "deploy" / "grafana" / "dashboard.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def exported() -> set[str]:
    """Every series name the app's registry can expose, suffixes included."""
    names: set[str] = set()
    for family in Metrics().registry.collect():
        names.update(family.name + suffix for suffix in _SUFFIXES[family.type])
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers left once strings, label
    matchers, ranges and by/without lists are removed, that are no function or keyword."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", text)
    found = re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\(?)", text)
    return {name for name, call in found if not call and name not in _NOT_METRICS}


def _panel_exprs(panels: list[dict[str, Any]]) -> Iterator[str]:
    for panel in panels:
        yield from _panel_exprs(panel.get("panels", []))
        for target in panel.get("targets", []):
            yield target["expr"]


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _rule_exprs() -> Iterator[str]:
    for rule in _rules():
        yield rule["expr"]
        for text in rule["annotations"].values():
            yield from re.findall(r'query \\?"(.*?)\\?"', text)


def test_metric_names_are_read_from_promql() -> None:
    """The reader finds selected metrics and leaves functions, labels and keywords out."""
    expr = (
        'sum by (agent) (rate(a_total{outcome="x"}[5m])) / on (agent) '
        "histogram_quantile(0.95, sum by (le) (rate(b_bucket[$__rate_interval]))) > bool up"
    )
    assert metric_names(expr) == {"a_total", "b_bucket", "up"}


def test_the_committed_dashboard_is_what_the_script_builds() -> None:
    """Regenerate with `python deploy/grafana/dashboard.py > deploy/grafana/dashboards/...`."""
    assert DASHBOARD.read_text() == _generator().render()


def test_every_metric_a_panel_or_rule_queries_is_exported() -> None:
    """No panel or alert silently shows nothing because of a misspelt or removed metric."""
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [*_panel_exprs(dashboard["panels"]), *_rule_exprs()]
    used = set().union(*(metric_names(e) for e in exprs))
    assert used - exported() - _SYNTHETIC == set()
    assert len(exprs) > 30 and len(used) > 20


def test_the_dashboard_covers_what_operators_watch() -> None:
    """Turns and latency by agent, first visible signal, approvals, tools and breakers,
    model tokens, cost and fallbacks, Slack 429s and the event backlog each have a panel."""
    text = " ".join(_panel_exprs(json.loads(DASHBOARD.read_text())["panels"]))
    for metric in (
        "switchboard_turns_total",
        "switchboard_turn_seconds_bucket",
        "switchboard_first_signal_seconds_bucket",
        "switchboard_approvals_pending",
        "switchboard_time_to_approval_seconds_bucket",
        "switchboard_tool_executions_total",
        "switchboard_circuit_breaker_state",
        "switchboard_llm_tokens_total",
        "switchboard_llm_cost_usd_total",
        "switchboard_planner_fallbacks_total",
        "switchboard_slack_api_rate_limited_total",
        "switchboard_events_backlog",
    ):
        assert metric in text, metric


def _anchors() -> set[str]:
    headings = re.findall(r"^#+ (.+)$", (ROOT / "docs" / "deploy.md").read_text(), re.M)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_alert_has_a_duration_severity_texts_and_a_runbook() -> None:
    """`for:`, a severity Alertmanager can route on, summary and description, and a
    runbook_url naming a section of docs/deploy.md."""
    rules = _rules()
    assert len(rules) >= 8
    anchors = _anchors()
    for rule in rules:
        name = rule["alert"]
        assert "for" in rule, name
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], name
        page, _, anchor = annotations["runbook_url"].partition("#")
        assert page == "docs/deploy.md" and anchor == name.lower(), name
        assert anchor in anchors, f"no section {anchor!r} in docs/deploy.md"
