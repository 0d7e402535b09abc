"""``switchboard run``'s process settings."""

from __future__ import annotations

import gc

from bot.cli.run import settle_heap


def test_start_up_objects_are_frozen_and_young_ones_collected_less_often() -> None:
    """After start-up everything alive is out of the collector's sight, and the young
    generation's threshold is raised (the older ones are left as they were)."""
    threshold = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        young, older, oldest = gc.get_threshold()
        assert young > threshold[0] and (older, oldest) == threshold[1:]
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
