"""Turns: the router, the planners and the pipeline of named steps that answers one message,
and the record of every turn.
"""

__all__: list[str] = []
