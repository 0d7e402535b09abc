"""The message a streamed reply is written into, so recovery finishes it instead of posting."""

from __future__ import annotations

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(ops.AddColumns("events", ops.optional("reply_ts")))
