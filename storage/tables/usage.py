"""LLM usage (one row per model call, summed for budgets) and the shared rate buckets."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table

from storage.tables.columns import UtcDateTime, metadata, serial_id, team_channel_user

__all__ = ["llm_usage", "rate_buckets"]

# One row per model call: the budgets sum these (indexes per scope, newest last).
llm_usage = Table(
    "llm_usage",
    metadata,
    serial_id(),
    Column("trace_id", String, nullable=False),
    *team_channel_user(),
    Column("agent", String, nullable=False),
    Column("provider", String, nullable=False),
    Column("model", String, nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_llm_usage_team_id_at", "team_id", "at"),
    Index("ix_llm_usage_team_id_agent_at", "team_id", "agent", "at"),
    Index("ix_llm_usage_team_id_user_id_at", "team_id", "user_id", "at"),
    Index("ix_llm_usage_team_id_channel_id_at", "team_id", "channel_id", "at"),
)

rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String, primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
