"""The domain: core (models, ports, router, facade), the registry and the built-in agents."""

__all__: list[str] = []
