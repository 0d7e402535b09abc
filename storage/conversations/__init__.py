"""Conversations (one per Slack thread, or a channel's top level) and their messages.

- :mod:`~storage.conversations.store`: the ``ConversationStore`` (reads, edits, erasure).
- :mod:`~storage.conversations.writes`: a turn's message writes, in the caller's transaction.
- :mod:`~storage.conversations.context`: the newest messages of a thread, the hottest read.
- :mod:`~storage.conversations.replies`: a stored reply's JSON.
"""

from storage.conversations.store import SqlConversationStore
from storage.conversations.writes import (
    mark_sent_on,
    record_exchange_on,
    record_inbound_on,
    record_reply_on,
)

__all__ = [
    "SqlConversationStore",
    "mark_sent_on",
    "record_exchange_on",
    "record_inbound_on",
    "record_reply_on",
]
