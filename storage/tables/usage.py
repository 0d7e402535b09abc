"""LLM usage (one row per model call, summed for budgets) and the shared rate buckets."""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables.columns import required, required_strings, serial_id, team_channel_user
from storage.tables.schema import table
from storage.tables.types import UtcDateTime

__all__ = ["llm_usage", "rate_buckets"]

# One row per model call: the budgets sum these (indexes per scope, newest last).
llm_usage = table(
    "llm_usage",
    serial_id(),
    required("trace_id"),
    *team_channel_user(),
    *required_strings("agent", "provider", "model"),
    required("input_tokens", sa.Integer),
    required("output_tokens", sa.Integer),
    required("cost_micros", sa.BigInteger),
    required("at", UtcDateTime),
    indexes=[
        ("team_id", "at"),
        ("team_id", "agent", "at"),
        ("team_id", "user_id", "at"),
        ("team_id", "channel_id", "at"),
    ],
)

rate_buckets = table(
    "rate_buckets",
    required("key"),
    required("tokens", sa.Float),
    required("updated_at", UtcDateTime),
    key=("key",),
)
