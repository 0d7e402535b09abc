"""Model calls and what they cost: the chat-model port, token estimates, usage records, prices
and daily budgets, and the spending checks made before a call.
"""

__all__: list[str] = []
