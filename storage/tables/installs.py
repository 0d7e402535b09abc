"""Slack app installations (one row per installing user and workspace or organization), the
workspaces seen in each Enterprise Grid organization, and the OAuth ``state`` values already
used once (the anti-replay half of the install flow)."""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables.columns import optional, required, serial_id
from storage.tables.schema import table
from storage.tables.types import UtcDateTime

__all__ = ["oauth_states_used", "slack_installations", "slack_org_workspaces"]

# The tokens live only in ``secrets`` (the installation as JSON, sealed when a key is set);
# the other columns are what a lookup filters by. An org-wide (Enterprise Grid) install has
# an enterprise id and no team id.
slack_installations = table(
    "slack_installations",
    serial_id(),
    required("client_id"),
    optional("enterprise_id"),
    optional("team_id"),
    required("is_enterprise_install", sa.Boolean),
    required("user_id"),
    optional("bot_user_id"),
    optional("bot_token_expires_at", UtcDateTime),
    required("installed_at", UtcDateTime),
    required("secrets", sa.Text),
    indexes=[("client_id", "team_id"), ("client_id", "enterprise_id")],
)

# Which organization a Grid workspace belongs to, learned from Slack's own requests (an
# org-wide install's token is stored for the organization, and background work knows only
# the workspace of its record): one row per workspace, no token.
slack_org_workspaces = table(
    "slack_org_workspaces",
    required("team_id"),
    required("enterprise_id"),
    required("seen_at", UtcDateTime),
    key=("team_id",),
    indexes=[("enterprise_id",)],
)

# A signed state is checked without storage; its digest is stored here when it is used, so
# the same state cannot complete a second install (rows are dropped once past expiry).
oauth_states_used = table(
    "oauth_states_used",
    required("digest"),
    required("expires_at", UtcDateTime),
    key=("digest",),
)
