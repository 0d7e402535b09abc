"""The ``review:`` section: who reviews the bot's answers and over what window, and the
domain's :class:`ReviewSettings`."""

from __future__ import annotations

from pydantic import Field

from agents.feedback.values import Reviewers, ReviewSettings
from bot.config_file.sections.base import ApproversModel, Strict

__all__ = ["ReviewModel", "to_review_settings"]


class ReviewModel(Strict):
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
