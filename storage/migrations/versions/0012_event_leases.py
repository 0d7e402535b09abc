"""Deliveries under a lease: the process working on one holds it, renews it while it works,
and only a delivery whose lease ran out is recovered by another process.
"""

from __future__ import annotations

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.AddColumns("events", ops.optional("lease_owner"), ops.at("lease_expires_at", nullable=True))
)
