"""The kernel every capability shares: the domain values of a turn (``Inbound``, ``Reply``,
``Trace``...), the one exception tree, the clock port, redaction and word matching.
"""

__all__: list[str] = []
