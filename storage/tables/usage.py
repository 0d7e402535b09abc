"""LLM usage (one row per model call, summed for budgets) and the shared rate buckets."""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables.columns import (
    UtcDateTime,
    metadata,
    required,
    required_strings,
    serial_id,
    team_channel_user,
)

__all__ = ["llm_usage", "rate_buckets"]

# One row per model call: the budgets sum these (indexes per scope, newest last).
llm_usage = sa.Table(
    "llm_usage",
    metadata,
    serial_id(),
    required("trace_id"),
    *team_channel_user(),
    *required_strings("agent", "provider", "model"),
    required("input_tokens", sa.Integer),
    required("output_tokens", sa.Integer),
    required("cost_micros", sa.BigInteger),
    required("at", UtcDateTime),
    sa.Index("ix_llm_usage_team_id_at", "team_id", "at"),
    sa.Index("ix_llm_usage_team_id_agent_at", "team_id", "agent", "at"),
    sa.Index("ix_llm_usage_team_id_user_id_at", "team_id", "user_id", "at"),
    sa.Index("ix_llm_usage_team_id_channel_id_at", "team_id", "channel_id", "at"),
)

rate_buckets = sa.Table(
    "rate_buckets",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    required("tokens", sa.Float),
    required("updated_at", UtcDateTime),
)
