"""Switchboard's Grafana dashboard, built with grafana-foundation-sdk (the ``dashboards``
extra). Regenerate the committed JSON after changing a panel:

    python deploy/grafana/dashboard.py > deploy/grafana/dashboards/switchboard.json

A test checks that the committed JSON is what this script builds, and that every metric a
panel queries is one the app exports.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders.common import (
    ReduceDataOptions,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
)
from grafana_foundation_sdk.models.dashboard import DataSourceRef

UID = "switchboard-overview"
_DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
_RATE = "$__rate_interval"


@dataclass(frozen=True)
class Query:
    """One PromQL query of a panel and its legend."""

    expr: str
    legend: str


def _p95(metric: str, by: str) -> Query:
    """The 95th percentile of histogram ``metric`` (its ``_bucket`` series) by ``by``."""
    expr = f"histogram_quantile(0.95, sum by (le, {by}) (rate({metric}_bucket[{_RATE}])))"
    return Query(expr, f"p95 {{{{{by}}}}}")


def _rate(metric: str, by: str, where: str = "") -> Query:
    """Per-second rate of counter ``metric`` summed by ``by`` (labels ``where``)."""
    selector = f"{metric}{{{where}}}" if where else metric
    legend = " ".join(f"{{{{{label.strip()}}}}}" for label in by.split(","))
    return Query(f"sum by ({by}) (rate({selector}[{_RATE}]))", legend)


def _series(title: str, unit: str, *queries: Query, description: str = "") -> Timeseries:
    panel = (
        Timeseries()
        .title(title)
        .description(description)
        .unit(unit)
        .min(0)
        .datasource(_DATASOURCE)
        .height(8)
        .span(12)
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING))
    )
    for ref, query in zip("ABCDEFGH", queries, strict=False):
        panel = panel.with_target(
            Dataquery().ref_id(ref).expr(query.expr).legend_format(query.legend)
        )
    return panel


def _stat(title: str, unit: str, expr: str, *, description: str = "") -> Stat:
    return (
        Stat()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(_DATASOURCE)
        .height(4)
        .span(6)
        .graph_mode(BigValueGraphMode.NONE)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))
        .with_target(Dataquery().ref_id("A").expr(expr).instant())
    )


def _turns(board: Dashboard) -> Dashboard:
    return (
        board.with_row(Row("Turns"))
        .with_panel(
            _stat("Turns (range)", "short", "sum(increase(switchboard_turns_total[$__range]))")
        )
        .with_panel(
            _stat(
                "Agent errors (range)",
                "percentunit",
                'sum(increase(switchboard_turns_total{outcome="agent_error"}[$__range]))'
                " / sum(increase(switchboard_turns_total[$__range]))",
            )
        )
        .with_panel(
            _stat(
                "Approvals waiting",
                "short",
                "max(switchboard_approvals_pending)",
                description="Requests nobody has decided yet (read from the database).",
            )
        )
        .with_panel(
            _stat(
                "Oldest unanswered message",
                "s",
                "max(switchboard_events_backlog_oldest_seconds)",
                description="Age of the oldest delivery claimed and not yet finished.",
            )
        )
        .with_panel(_series("Turns by agent", "reqps", _rate("switchboard_turns_total", "agent")))
        .with_panel(
            _series("Turns by outcome", "reqps", _rate("switchboard_turns_total", "outcome"))
        )
        .with_panel(
            _series("Turn latency by agent", "s", _p95("switchboard_turn_seconds", "agent"))
        )
        .with_panel(
            _series(
                "Time to first visible signal",
                "s",
                Query(
                    "histogram_quantile(0.5, sum by (le) "
                    f"(rate(switchboard_first_signal_seconds_bucket[{_RATE}])))",
                    "p50",
                ),
                Query(
                    "histogram_quantile(0.95, sum by (le) "
                    f"(rate(switchboard_first_signal_seconds_bucket[{_RATE}])))",
                    "p95",
                ),
                Query(
                    "histogram_quantile(0.95, sum by (le) "
                    f"(rate(switchboard_slack_ack_seconds_bucket[{_RATE}])))",
                    "ack p95",
                ),
                description="From the message reaching the bot to the first thing the person "
                "sees (a status, a reaction, a streamed or posted reply); the HTTP ack for "
                "comparison.",
            )
        )
    )


def _approvals_and_actions(board: Dashboard) -> Dashboard:
    return (
        board.with_row(Row("Approvals and actions"))
        .with_panel(
            _series(
                "Approvals waiting",
                "short",
                Query("max(switchboard_approvals_pending)", "pending"),
                _rate("switchboard_approvals_total", "state"),
            )
        )
        .with_panel(
            _series(
                "Time to approval by action",
                "s",
                _p95("switchboard_time_to_approval_seconds", "action"),
            )
        )
        .with_panel(
            _series(
                "Tool executions by outcome",
                "reqps",
                _rate("switchboard_tool_executions_total", "action, outcome"),
            )
        )
        .with_panel(
            _series(
                "Tool failures and breakers",
                "short",
                _rate(
                    "switchboard_tool_executions_total",
                    "action",
                    'outcome=~"failed|unknown|circuit_open"',
                ),
                Query(
                    "max by (target) (switchboard_circuit_breaker_state)",
                    "breaker {{target}} (0 closed, 1 half open, 2 open)",
                ),
            )
        )
        .with_panel(
            _series(
                "Tool execution latency", "s", _p95("switchboard_tool_execution_seconds", "action")
            )
        )
    )


def _models(board: Dashboard) -> Dashboard:
    return (
        board.with_row(Row("Models"))
        .with_panel(
            _series(
                "LLM tokens",
                "short",
                _rate("switchboard_llm_tokens_total", "model, direction"),
            )
        )
        .with_panel(
            _series(
                "LLM cost per hour",
                "currencyUSD",
                Query("sum by (model) (increase(switchboard_llm_cost_usd_total[1h]))", "{{model}}"),
            )
        )
        .with_panel(
            _series(
                "Planner fallbacks and budget refusals",
                "reqps",
                _rate("switchboard_planner_fallbacks_total", "reason"),
                _rate("switchboard_budget_refusals_total", "scope"),
            )
        )
        .with_panel(_series("LLM call latency", "s", _p95("switchboard_llm_call_seconds", "model")))
    )


def _slack(board: Dashboard) -> Dashboard:
    return (
        board.with_row(Row("Slack and backlog"))
        .with_panel(
            _series(
                "Slack 429s and retries",
                "reqps",
                _rate("switchboard_slack_api_rate_limited_total", "method"),
                _rate("switchboard_retries_total", "kind"),
            )
        )
        .with_panel(
            _series(
                "Slack Web API calls by status",
                "reqps",
                _rate("switchboard_slack_api_calls_total", "status"),
            )
        )
        .with_panel(
            _series(
                "Event backlog",
                "short",
                Query("max(switchboard_events_backlog)", "unfinished deliveries"),
                _rate("switchboard_slack_deliveries_total", "outcome"),
            )
        )
        .with_panel(
            _series(
                "Rejected requests and event-loop tasks",
                "short",
                _rate("switchboard_slack_requests_rejected_total", "reason"),
                Query("sum by (instance) (switchboard_asyncio_tasks)", "tasks {{instance}}"),
            )
        )
    )


def build() -> dict[str, Any]:
    """The dashboard as Grafana's JSON model."""
    board = (
        Dashboard("Switchboard")
        .uid(UID)
        .description("Turns, approvals, actions, models and Slack of every Switchboard replica.")
        .tags(["switchboard"])
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(DatasourceVariable("datasource").label("Data source").type("prometheus"))
    )
    for section in (_turns, _approvals_and_actions, _models, _slack):
        board = section(board)
    encoded: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    for number, panel in enumerate(encoded["panels"], start=1):
        panel["id"] = number  # the SDK leaves ids unset (rows at 0); Grafana wants them unique
    return encoded


def render() -> str:
    """The committed file's text."""
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
