"""The schema, as SQLAlchemy Core tables, one module per capability; ``migrations/`` creates
exactly this.

Timestamps are ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and UTC text on SQLite; either way
they go in and come out timezone-aware UTC (:class:`UtcDateTime`).
"""

from storage.tables.actions import APPROVAL_STATES, approval_votes, approvals, audit_log, jobs
from storage.tables.installs import oauth_states_used, slack_installations, slack_org_workspaces
from storage.tables.knowledge import (
    NOT_IN_METADATA,
    knowledge_chunks,
    knowledge_files,
    knowledge_misses,
)
from storage.tables.memory import NOTE_SCOPES, notes, thread_memory
from storage.tables.oncall import (
    INCIDENT_STATUSES,
    TIMELINE_KINDS,
    incident_followups,
    incident_timeline,
    incidents,
)
from storage.tables.review import feedback, reviews
from storage.tables.schema import NAMING_CONVENTION, metadata
from storage.tables.turns import (
    conversation_locks,
    conversations,
    events,
    messages,
    traces,
    turn_stops,
    view_contexts,
)
from storage.tables.types import UtcDateTime
from storage.tables.usage import llm_usage, rate_buckets

__all__ = [
    "APPROVAL_STATES",
    "INCIDENT_STATUSES",
    "NAMING_CONVENTION",
    "NOTE_SCOPES",
    "NOT_IN_METADATA",
    "TIMELINE_KINDS",
    "UtcDateTime",
    "approval_votes",
    "approvals",
    "audit_log",
    "conversation_locks",
    "conversations",
    "events",
    "feedback",
    "incident_followups",
    "incident_timeline",
    "incidents",
    "jobs",
    "knowledge_chunks",
    "knowledge_files",
    "knowledge_misses",
    "llm_usage",
    "messages",
    "metadata",
    "notes",
    "oauth_states_used",
    "rate_buckets",
    "reviews",
    "slack_installations",
    "slack_org_workspaces",
    "thread_memory",
    "traces",
    "turn_stops",
    "view_contexts",
]
