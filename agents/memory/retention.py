"""How long each memory tier is kept: a domain value read from the config file's
``memory.retention_days``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Retention"]


@dataclass(frozen=True, slots=True)
class Retention:
    """Days each memory tier is kept (None: forever).

    Attributes:
        messages_days: people's messages and the bot's replies; also the words of 👎 forms,
            and the stored summaries of the threads that lose messages (they quote them).
        notes_days: long-term notes.
        summaries_days: thread memory (pinned facts and rolling summaries).
        usage_days: LLM usage records (tokens and cost per call).
        misses_days: questions the runbooks could not answer.
        events_days: finished deliveries (the dedupe record of each Slack delivery), by when
            they arrived; a delivery still being worked on is never purged.
        traces_days: turn traces (KPIs and the review queue read the review window's).
    """

    messages_days: int | None = None
    notes_days: int | None = None
    summaries_days: int | None = None
    usage_days: int | None = None
    misses_days: int | None = None
    events_days: int | None = None
    traces_days: int | None = None

    @property
    def keeps_everything(self) -> bool:
        """No tier has a retention period (nothing is ever purged)."""
        return all(
            days is None
            for days in (
                self.messages_days,
                self.notes_days,
                self.summaries_days,
                self.usage_days,
                self.misses_days,
                self.events_days,
                self.traces_days,
            )
        )
