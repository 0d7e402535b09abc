"""Durable jobs (an approved action waiting to run) and the append-only audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = ["AuditEntry", "AuditKind", "AuditQuery", "Job"]

AuditKind = Literal[
    "requested",
    "ran_without_approval",
    "approved_vote",
    "approved",
    "rejected",
    "edited",
    "cancelled",
    "expired",
    "escalated",
    "started",
    "succeeded",
    "failed",
    "unknown",
    "refused",
]


@dataclass(frozen=True, slots=True)
class Job:
    """An approved action to run, claimed by one worker at a time under a lease.

    Attributes:
        recovered: claimed after the previous holder's lease expired while it was running:
            the process died mid-execution, so the action may or may not have run.
        attempts: how many times a worker claimed it (this claim included).
    """

    id: str
    approval_id: str
    idempotency_key: str
    attempts: int
    lease_owner: str
    lease_expires_at: datetime
    recovered: bool = False


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One fact in the audit trail; ``details`` values are already redacted."""

    at: datetime
    actor: str
    kind: AuditKind
    action: str
    approval_id: str | None = None
    trace_id: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which audit entries to read: at most ``limit``, the oldest that match, optionally only
    since an instant, about one action, or about one turn (its trace id)."""

    limit: int
    since: datetime | None = None
    action: str | None = None
    trace_id: str | None = None
