"""Erasure: every stored copy of what people said, erased in one transaction, and the
database's free space scrubbed afterwards.

- :mod:`~storage.erasure.store`: the ``Transcript`` (message edits and deletions, a person,
  the messages tier of retention, the scrub).
- :mod:`~storage.erasure.message`: one message edited or deleted in Slack, and a turn that
  was running when that happened (the turn ledger calls :func:`settle_turn_on`).
- :mod:`~storage.erasure.person`: everything one person wrote.
- :mod:`~storage.erasure.copies`: the copies a message leaves, found and erased.
- :mod:`~storage.erasure.said`: the messages an erasure is about, as stored.
- :mod:`~storage.erasure.retention`: old messages and the copies that would outlive them.
"""

from storage.erasure.message import settle_turn_on
from storage.erasure.store import VACUUMED, SqlTranscript

__all__ = ["VACUUMED", "SqlTranscript", "settle_turn_on"]
