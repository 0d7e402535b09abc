"""Config-file shapes for on-call rotations and incidents (``oncall:`` and ``incidents:``),
and their conversion to the domain's values."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from agents.feedback.alerts import AlertSettings
from agents.feedback.values import Reviewers, ReviewSettings
from agents.incidents.rotation import IncidentSettings, Override, Rotation
from bot.config_file.models import (
    ApproversModel,
    ChannelId,
    Duration,
    Name,
    UserId,
    _duration_default,
)

__all__ = [
    "AlertsModel",
    "IncidentsModel",
    "OncallModel",
    "ReviewModel",
    "ops_issues",
    "to_alert_settings",
    "to_incident_settings",
    "to_review_settings",
    "to_rotations",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Instant = Annotated[AwareDatetime, Field(strict=False)]


class OverrideModel(_Strict):
    """``user`` is on call from ``start`` to ``end`` instead of the rotation."""

    user: UserId
    start: Instant
    end: Instant


class RotationModel(_Strict):
    """A rotation: ``users`` take turns of ``shift`` each, the first from ``start``."""

    name: Name
    users: list[UserId] = Field(min_length=1)
    start: Instant = Field(description='when the first shift began, e.g. "2026-11-02T09:00Z"')
    shift: Duration
    overrides: list[OverrideModel] = []


class OncallModel(_Strict):
    """On-call rotations."""

    rotations: list[RotationModel] = []


class IncidentsModel(_Strict):
    """How incidents are declared."""

    oncall_rotation: Name | None = Field(None, description="rotation whose on-call is invited")
    channel_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,20}$")] = "inc"
    default_severity: Annotated[str, StringConstraints(pattern=r"^sev[0-9]$")] = "sev2"


def to_rotations(model: OncallModel) -> tuple[Rotation, ...]:
    """The domain's rotations."""
    return tuple(
        Rotation(
            name=rotation.name,
            users=tuple(rotation.users),
            start=rotation.start,
            shift=rotation.shift,
            overrides=tuple(Override(o.user, o.start, o.end) for o in rotation.overrides),
        )
        for rotation in model.rotations
    )


def to_incident_settings(model: IncidentsModel) -> IncidentSettings:
    """The domain's incident settings."""
    return IncidentSettings(
        oncall_rotation=model.oncall_rotation,
        channel_prefix=model.channel_prefix,
        default_severity=model.default_severity,
    )


def ops_issues(
    oncall: OncallModel, incidents: IncidentsModel
) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems across the two sections, as ``(location, message)``."""
    issues: list[tuple[tuple[str | int, ...], str]] = []
    seen: set[str] = set()
    for index, rotation in enumerate(oncall.rotations):
        if rotation.name in seen:
            issues.append(
                (("oncall", "rotations", index, "name"), f"duplicate rotation {rotation.name!r}")
            )
        seen.add(rotation.name)
        for position, override in enumerate(rotation.overrides):
            if override.end <= override.start:
                issues.append(
                    (
                        ("oncall", "rotations", index, "overrides", position, "end"),
                        "must be after start",
                    )
                )
    wanted = incidents.oncall_rotation
    if wanted is not None and wanted not in seen:
        issues.append((("incidents", "oncall_rotation"), f"unknown rotation {wanted!r}"))
    return issues


class ReviewModel(_Strict):
    """Who reviews the bot's answers (App Home KPIs and review queue), and over what window."""

    reviewers: ApproversModel = Field(
        ApproversModel(), description="Slack user ids and user-group handles (without @)"
    )
    window_days: int = Field(7, ge=1, le=90, description="days of KPIs on the App Home")
    queue_size: int = Field(10, ge=1, le=30, description="review items on the App Home")


def to_review_settings(model: ReviewModel) -> ReviewSettings:
    """The domain's review settings."""
    return ReviewSettings(
        reviewers=Reviewers(
            users=frozenset(model.reviewers.users), groups=frozenset(model.reviewers.groups)
        ),
        window_days=model.window_days,
        queue_size=model.queue_size,
    )


class AlertsModel(_Strict):
    """Alerts into a channel, deduplicated and rate-limited (no channel: no alerts)."""

    channel: ChannelId | None = Field(None, description="where alerts go, e.g. C0ALERTS")
    repeat_after: Duration = _duration_default(
        "15m", description="the same alert is sent again only after this"
    )
    max_per_hour: int = Field(20, ge=1, le=1000, description="all alerts together")
    executor_failures: int = Field(3, ge=1, le=100, description="failures in a row of an action")
    window: Duration = _duration_default("10m", description="for the error and fallback rates")
    min_turns: int = Field(10, ge=1, description="turns in the window before a rate counts")
    error_rate: float = Field(0.25, gt=0, le=1, description="share of turns whose agent failed")
    fallback_rate: float = Field(
        0.5, gt=0, le=1, description="share of model-planned turns that fell back to rules"
    )


def to_alert_settings(model: AlertsModel) -> AlertSettings:
    """The domain's alert settings."""
    return AlertSettings(
        channel=model.channel,
        repeat_after=model.repeat_after,
        max_per_hour=model.max_per_hour,
        executor_failures=model.executor_failures,
        window=model.window,
        min_turns=model.min_turns,
        error_rate=model.error_rate,
        fallback_rate=model.fallback_rate,
    )
