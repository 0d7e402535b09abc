"""The built-in agents, one module each; ``agents.registry`` lists them."""

__all__: list[str] = []
