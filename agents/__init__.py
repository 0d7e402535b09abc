"""The domain: capability packages (turns, actions, memory, feedback, incidents, llm) over a
small kernel, the built-in agents and their registry. Pure Python: no Slack, SQL or HTTP."""

__all__: list[str] = []
