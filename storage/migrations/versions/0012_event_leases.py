"""Deliveries under a lease: the process working on one holds it, renews it while it works,
and only a delivery whose lease ran out is recovered by another process.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from storage.migrations import ops

revision: str = "0012"
down_revision: str | None = "0011"

upgrade, downgrade = ops.reversible(
    ops.AddColumns("events", ops.optional("lease_owner"), ops.at("lease_expires_at", nullable=True))
)
