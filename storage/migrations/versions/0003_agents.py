"""Agents and planners: turn planning on traces, LLM usage, rate buckets, incidents.

Written by hand to match ``storage/tables.py`` at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

_STATUSES = ("investigating", "identified", "monitoring", "resolved")
_KINDS = ("declared", "status", "note", "resolved")
_ZERO = "0"

upgrade, downgrade = ops.reversible(
    ops.AddColumns(
        "traces",
        ops.column("planner", server_default="none"),
        ops.optional("provider"),
        ops.column("input_tokens", sa.Integer(), server_default=_ZERO),
        ops.column("output_tokens", sa.Integer(), server_default=_ZERO),
        ops.column("cost_micros", sa.BigInteger(), server_default=_ZERO),
        ops.optional("degraded"),
        ops.column("tool_calls", sa.JSON(), server_default="[]"),
    ),
    ops.Table(
        "llm_usage",
        ops.serial_id(),
        *ops.strings("trace_id", "team_id", "channel_id", "user_id", "agent", "provider"),
        ops.column("model"),
        ops.column("input_tokens", sa.Integer()),
        ops.column("output_tokens", sa.Integer()),
        ops.column("cost_micros", sa.BigInteger()),
        ops.at("at"),
        indexes=[("team_id", "at")]
        + [("team_id", scope, "at") for scope in ("agent", "user_id", "channel_id")],
    ),
    ops.Table(
        "rate_buckets",
        ops.column("key"),
        ops.column("tokens", sa.Float()),
        ops.at("updated_at"),
        key=("key",),
    ),
    ops.Table(
        "incidents",
        *ops.strings("incident_id", "team_id", "channel_id", "channel_name", "origin_channel_id"),
        ops.column("title", sa.Text()),
        *ops.strings("severity", "status", "reporter"),
        ops.at("declared_at"),
        ops.at("resolved_at", nullable=True),
        ops.unique("incidents", "team_id", "channel_id"),
        ops.check("incidents", "status", *_STATUSES),
        key=("incident_id",),
        indexes=[("team_id", "status")],
    ),
    ops.Table(
        "incident_timeline",
        ops.serial_id(),
        ops.column("incident_id"),
        ops.at("at"),
        *ops.strings("user_id", "kind"),
        ops.column("text", sa.Text()),
        ops.cascade("incident_timeline", "incident_id", "incidents.incident_id"),
        ops.check("incident_timeline", "kind", *_KINDS),
        indexes=[("incident_id", "id")],
    ),
)
