"""Outbound integrations: the concrete pieces behind the domain's ports.

``executors`` (how an approved action reaches the world) and ``llm`` (the chat model
providers) both stand on ``resilience`` (one circuit breaker, the named retry policies) and
never import each other: an import contract keeps them apart.
"""

__all__: list[str] = []
