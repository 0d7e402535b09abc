"""Conversation locks: one turn at a time per thread across replicas."""

from __future__ import annotations

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(
    ops.Table(
        "conversation_locks", *ops.strings("key", "owner"), ops.at("expires_at"), key=("key",)
    )
)
