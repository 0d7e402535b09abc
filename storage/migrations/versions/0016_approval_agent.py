"""Approvals remember the agent that proposed them, so the worker checks again, right before a
run, that the action is still in that agent's scope (an MCP tool granted by ``mcp:``).

The column is nullable: a request stored before this revision (or completed from a question,
see ``agents/actions/proposals.py``) has no agent and runs on the requester's policy alone.
"""

from __future__ import annotations

from storage.migrations import ops

revision, down_revision = ops.numbered(__file__)

upgrade, downgrade = ops.reversible(ops.AddColumns("approvals", ops.optional("agent")))
