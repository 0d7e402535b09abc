"""Approvals remember the agent that proposed them, so the worker checks again, right before a
run, that the action is still in that agent's scope (an MCP tool granted by ``mcp:``).

The column is nullable: a request stored before this revision (or completed from a question,
see ``agents/actions/proposals.py``) has no agent and runs on the requester's policy alone.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from storage.migrations import ops

revision: str = "0016"
down_revision: str | None = "0015"

upgrade, downgrade = ops.reversible(ops.AddColumns("approvals", ops.optional("agent")))
