"""How long each memory tier is kept: a domain value read from the config file's
``memory.retention_days``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Retention"]


@dataclass(frozen=True, slots=True)
class Retention:
    """Days each memory tier is kept (None: forever).

    Attributes:
        messages_days: people's messages and the bot's replies.
        notes_days: long-term notes.
        summaries_days: thread memory (pinned facts and rolling summaries).
        usage_days: LLM usage records (tokens and cost per call).
        misses_days: questions the runbooks could not answer.
    """

    messages_days: int | None = None
    notes_days: int | None = None
    summaries_days: int | None = None
    usage_days: int | None = None
    misses_days: int | None = None

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
            )
        )
