"""How long each memory tier is kept before the worker purges it.

Built from the config file's ``memory.retention_days`` at the edge; the worker's purge step
reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Retention"]


@dataclass(frozen=True, slots=True)
class Retention:
    """Days each memory tier is kept (None: forever)."""

    messages_days: int | None
    notes_days: int | None
    summaries_days: int | None = None
    usage_days: int | None = None
    misses_days: int | None = None
