"""The message a streamed reply is written into, so recovery finishes it instead of posting.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from storage.migrations import ops

revision: str = "0011"
down_revision: str | None = "0010"

upgrade, downgrade = ops.reversible(ops.AddColumns("events", ops.optional("reply_ts")))
