"""Resilience shared by every integration (executors, LLM providers): one circuit breaker,
the named retry policies, and the injectable sleep.

Integrations share this package and never borrow from each other (an import contract keeps
``executors`` and ``llm`` apart). :mod:`.breaker` holds the breaker's state machine and how a
call votes; :mod:`.retry` the bounds, jitter and ``Retry-After`` waits every policy is made
of; :mod:`.policies` the named policies themselves.
"""

from __future__ import annotations

from bot.integrations.resilience.breaker import BreakerState, CircuitBreaker, StateChange
from bot.integrations.resilience.policies import (
    TRANSIENT,
    api_read_policy,
    executor_policy,
    is_transient,
    provider_policy,
    reconnect_policy,
)
from bot.integrations.resilience.retry import (
    BUDGET_SECONDS,
    JITTER,
    MAX_ATTEMPTS,
    Attempt,
    Counted,
    Sleep,
)

__all__ = [
    "BUDGET_SECONDS",
    "JITTER",
    "MAX_ATTEMPTS",
    "TRANSIENT",
    "Attempt",
    "BreakerState",
    "CircuitBreaker",
    "Counted",
    "Sleep",
    "StateChange",
    "api_read_policy",
    "executor_policy",
    "is_transient",
    "provider_policy",
    "reconnect_policy",
]
