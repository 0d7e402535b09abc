"""Memory and knowledge: thread context within a token budget, rolling summaries and pinned
facts, long-term notes, runbook knowledge, retention and erasure.
"""

__all__: list[str] = []
