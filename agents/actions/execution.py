"""Running an approved action: what the worker hands an executor and what comes back.

Executors live at the edge (``bot/integrations/executors``: http, shell, python); they
translate their failures into an :class:`ExecutionResult`, and raise only for bugs. A run that
succeeded may also bring back what the target answered (its ``body``, at most
:data:`BODY_LIMIT` bytes); only its presentation (:mod:`agents.actions.presentation`,
redacted and capped) is ever shown, cached or given to a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from agents.actions.spec import ParamValue

__all__ = ["BODY_LIMIT", "ExecutionRequest", "ExecutionResult", "Executor"]

BODY_LIMIT = 64 * 1024
"""The most of a response body (or of a program's output) an executor keeps, in bytes."""


@dataclass(frozen=True, slots=True)
class ExecutionRequest:
    """One run of an action.

    Attributes:
        idempotency_key: the same for every attempt of one approval, so the target system
            can recognise a retry (sent as ``Idempotency-Key`` by the http executor).
    """

    action: str
    params: Mapping[str, ParamValue]
    idempotency_key: str
    trace_id: str
    requester: str


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """How a run ended.

    Attributes:
        outcome: ``succeeded``, ``failed`` (it did not happen, or it reported failure), or
            ``unknown`` (it may have happened: a timeout after sending, a crash).
        summary: a short, secret-free text for the Slack card and the audit log.
        circuit_open: the target's circuit breaker refused the call without trying it.
        body: what the target answered (an HTTP response body, a program's standard output)
            as text, at most :data:`BODY_LIMIT` bytes of it. Not secret-free (an executor
            removes only the secrets it used itself): never logged or stored as it is.
        body_truncated: the body was longer and was cut at :data:`BODY_LIMIT`.
    """

    outcome: Literal["succeeded", "failed", "unknown"]
    summary: str
    circuit_open: bool = False
    body: str | None = field(default=None, repr=False)
    body_truncated: bool = False


class Executor(Protocol):
    """Runs one action. Retries, timeouts and the circuit breaker are its own business."""

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the action once (with the executor's own bounded retries)."""
        ...
