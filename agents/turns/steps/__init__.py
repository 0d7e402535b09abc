"""The named steps of a turn, in the order :func:`agents.turns.assembly.turn_steps` runs them."""

__all__: list[str] = []
