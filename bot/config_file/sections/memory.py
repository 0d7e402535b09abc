"""The ``memory:`` section: how long each memory tier is kept and how long a read-only
action's result answers again; the domain's :class:`Retention`."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from agents.memory.retention import Retention
from bot.config_file.sections.base import Duration, Problem, Strict, duration_default

__all__ = ["MemoryModel", "RetentionModel", "check_memory", "to_retention"]


class RetentionModel(Strict):
    """Days each memory tier is kept; unset keeps it forever."""

    messages: int | None = Field(None, ge=1, description="stored thread messages")
    notes: int | None = Field(None, ge=1, description="long-term notes")
    summaries: int | None = Field(
        None, ge=1, description="thread summaries and pinned facts, after the thread's last use"
    )
    usage: int | None = Field(
        None, ge=2, description="LLM usage records (daily budgets read only the last day)"
    )
    misses: int | None = Field(None, ge=1, description="questions the runbooks could not answer")
    events: int | None = Field(
        None, ge=1, description="finished Slack deliveries (their dedupe records)"
    )
    traces: int | None = Field(
        None, ge=1, description="turn traces (at least review.window_days: KPIs read them)"
    )


class MemoryModel(Strict):
    """Memory settings."""

    retention_days: RetentionModel = RetentionModel()
    read_cache_ttl: Duration | None = duration_default(
        "15s", description="how long a read-only action's result answers again (null: never)"
    )


def to_retention(model: MemoryModel) -> Retention:
    """The domain's retention: each tier's days (``None``: kept forever), the tier ``notes``
    becoming ``notes_days``."""
    return Retention(**{f"{tier}_days": days for tier, days in model.retention_days})


def check_memory(model: MemoryModel, *, review_window_days: int) -> Iterator[Problem]:
    """Traces are kept at least as long as the review window that reads them (absolute
    locations)."""
    traces = model.retention_days.traces
    if traces is not None and traces < review_window_days:
        yield (
            ("memory", "retention_days", "traces"),
            f"must be at least review.window_days ({review_window_days}): the KPIs read them",
        )
