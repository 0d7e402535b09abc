"""Outbound integrations: the concrete pieces behind the domain's ports (executors, ...)."""

__all__: list[str] = []
