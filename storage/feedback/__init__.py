"""Votes, review labels, the review queue and KPIs per agent (see :mod:`agents.feedback.values`).

- :mod:`~storage.feedback.store`: the ``FeedbackStore`` (votes and labels written here).
- :mod:`~storage.feedback.queue`: the review queue.
- :mod:`~storage.feedback.cases`: reviewed turns as evaluation cases.
- :mod:`~storage.feedback.kpis`: KPIs per agent, from what every turn already stores.
"""

from storage.feedback.store import SqlFeedbackStore

__all__ = ["SqlFeedbackStore"]
