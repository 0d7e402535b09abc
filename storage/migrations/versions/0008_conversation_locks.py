"""Conversation locks: one turn at a time per thread across replicas.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from storage.migrations import ops

revision: str = "0008"
down_revision: str | None = "0007"

upgrade, downgrade = ops.reversible(
    ops.Table(
        "conversation_locks", *ops.strings("key", "owner"), ops.at("expires_at"), key=("key",)
    )
)
