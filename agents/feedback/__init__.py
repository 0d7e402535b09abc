"""Feedback and evaluation: votes on answers, the review queue and KPIs, evaluation cases and
their scores, and the alert rules over what turns show.
"""

__all__: list[str] = []
