"""The ``alerts:`` section: where alerts go and when they fire, and the domain's
:class:`AlertSettings`."""

from __future__ import annotations

from pydantic import Field

from agents.feedback.alerts import AlertSettings
from bot.config_file.sections.base import ChannelId, Duration, Strict, duration_default

__all__ = ["AlertsModel", "to_alert_settings"]


class AlertsModel(Strict):
    """Alerts into a channel, deduplicated and rate-limited (no channel: no alerts)."""

    channel: ChannelId | None = Field(None, description="where alerts go, e.g. C0ALERTS")
    repeat_after: Duration = duration_default(
        "15m", description="the same alert is sent again only after this"
    )
    max_per_hour: int = Field(20, ge=1, le=1000, description="all alerts together")
    executor_failures: int = Field(3, ge=1, le=100, description="failures in a row of an action")
    window: Duration = duration_default("10m", description="for the error and fallback rates")
    min_turns: int = Field(10, ge=1, description="turns in the window before a rate counts")
    error_rate: float = Field(0.25, gt=0, le=1, description="share of turns whose agent failed")
    fallback_rate: float = Field(
        0.5, gt=0, le=1, description="share of model-planned turns that fell back to rules"
    )


def to_alert_settings(model: AlertsModel) -> AlertSettings:
    """The domain's alert settings (the fields match one to one)."""
    return AlertSettings(**dict(model))
