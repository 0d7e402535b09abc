"""Stored messages: each channel's timeline, its threads, reactions and ephemeral messages.

Timelines are kept in ts order (new ts only ever grow), so paging is a bisect, not a scan.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from sandbox.records import JSON

__all__ = ["CursorError", "MessageStore", "Page", "Window", "normalize_ts"]


class CursorError(ValueError):
    """A paging cursor this store did not issue."""


def normalize_ts(value: str) -> str:
    """A ts (``"1700000000.1"``, ``"0"``) in the fixed-width form that sorts as a string.

    Raises:
        ValueError: ``value`` is not a number.
    """
    seconds, _, fraction = value.strip().partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"not a ts: {value!r}")
    return f"{int(seconds):010d}.{fraction.ljust(6, '0')[:6]}"


def _discard(stamps: list[str], ts: str) -> None:
    """Remove ``ts`` from sorted ``stamps`` if present."""
    index = bisect_left(stamps, ts)
    if index < len(stamps) and stamps[index] == ts:
        del stamps[index]


def _encode_cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _decode_cursor(cursor: str) -> str:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise CursorError(cursor) from exc
    if not decoded.startswith("next_ts:"):
        raise CursorError(cursor)
    try:
        return normalize_ts(decoded.removeprefix("next_ts:"))
    except ValueError as exc:
        raise CursorError(cursor) from exc


@dataclass(frozen=True, slots=True)
class Page:
    """One page of messages and where the next one starts."""

    messages: list[JSON]
    has_more: bool
    next_cursor: str


@dataclass(frozen=True, slots=True)
class Window:
    """The ``oldest``/``latest``/``inclusive``/``limit``/``cursor`` arguments of a read."""

    limit: int
    oldest: str | None = None
    latest: str | None = None
    inclusive: bool = False
    cursor: str | None = None

    def bounds(self, stamps: list[str]) -> tuple[int, int]:
        """The slice ``[lo, hi)`` of sorted ``stamps`` inside oldest..latest."""
        lo, hi = 0, len(stamps)
        if self.oldest is not None:
            oldest = normalize_ts(self.oldest)
            lo = (bisect_left if self.inclusive else bisect_right)(stamps, oldest)
        if self.latest is not None:
            latest = normalize_ts(self.latest)
            hi = (bisect_right if self.inclusive else bisect_left)(stamps, latest)
        return lo, max(lo, hi)


class _ChannelLog:
    __slots__ = ("by_ts", "threads", "timeline")

    def __init__(self) -> None:
        self.by_ts: dict[str, JSON] = {}
        self.timeline: list[str] = []
        self.threads: dict[str, list[str]] = {}


class MessageStore:
    """All messages of the workspace, by channel."""

    def __init__(self) -> None:
        self._logs: dict[str, _ChannelLog] = {}
        self._ephemeral: dict[str, list[JSON]] = {}

    def _log(self, channel: str) -> _ChannelLog:
        log = self._logs.get(channel)
        if log is None:
            log = self._logs[channel] = _ChannelLog()
        return log

    def get(self, channel: str, ts: str) -> JSON | None:
        """The stored message (top-level or reply), or None."""
        log = self._logs.get(channel)
        return None if log is None else log.by_ts.get(ts)

    def thread_root(self, channel: str, ts: str) -> str | None:
        """The ts of the thread ``ts`` belongs to (itself if top-level), or None if unknown."""
        message = self.get(channel, ts)
        if message is None:
            return None
        return str(message.get("thread_ts") or ts)

    def add(
        self, channel: str, message: JSON, *, thread_ts: str | None = None, broadcast: bool = False
    ) -> JSON:
        """Store ``message`` (which has its ``ts`` and ``user``), doing thread bookkeeping.

        Args:
            channel: The channel id.
            message: The message; stored as is (not copied).
            thread_ts: The ts of the thread's parent (must be stored and top-level).
            broadcast: For a reply, also show it in the channel (``thread_broadcast``).

        Returns:
            The stored message.
        """
        log = self._log(channel)
        ts = str(message["ts"])
        if thread_ts is not None:
            parent = log.by_ts[thread_ts]
            user = str(message.get("user", ""))
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
            # Copy-on-write: answers already recorded may share these lists.
            reply_users: list[str] = list(parent.get("reply_users", []))
            if user and user not in reply_users:
                reply_users.append(user)
            parent["reply_users"] = reply_users
            parent["reply_users_count"] = len(reply_users)
            parent["latest_reply"] = ts
            parent.setdefault("is_locked", False)
            parent.setdefault("subscribed", False)
            message["thread_ts"] = thread_ts
            message["parent_user_id"] = parent.get("user")
            log.threads.setdefault(thread_ts, []).append(ts)
            if broadcast:
                message["subtype"] = "thread_broadcast"
                message["root"] = {k: v for k, v in parent.items() if k != "blocks"}
                log.timeline.append(ts)
        else:
            log.timeline.append(ts)
        log.by_ts[ts] = message
        return message

    def update(self, channel: str, ts: str, changes: JSON) -> tuple[JSON, JSON]:
        """Apply ``changes`` to a stored message; returns copies of (before, after)."""
        message = self._log(channel).by_ts[ts]
        before = dict(message)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        return before, dict(message)

    def delete(self, channel: str, ts: str) -> JSON | None:
        """Remove a message (and, for a parent, its thread); returns it, or None."""
        log = self._log(channel)
        message = log.by_ts.pop(ts, None)
        if message is None:
            return None
        _discard(log.timeline, ts)
        for reply_ts in log.threads.pop(ts, []):
            log.by_ts.pop(reply_ts, None)
            _discard(log.timeline, reply_ts)  # a broadcast reply goes with its thread
        root = message.get("thread_ts")
        if root and root != ts and root in log.threads:
            log.threads[root].remove(ts)
            parent = log.by_ts.get(root)
            if parent is not None:
                parent["reply_count"] = len(log.threads[root])
        return message

    def timeline(self, channel: str) -> list[JSON]:
        """The channel's top-level (and broadcast) messages, oldest first."""
        log = self._logs.get(channel)
        return [] if log is None else [log.by_ts[ts] for ts in log.timeline]

    def thread(self, channel: str, ts: str) -> list[JSON]:
        """The thread ``ts`` belongs to: its parent, then its replies, oldest first."""
        log = self._logs.get(channel)
        root = self.thread_root(channel, ts)
        if log is None or root is None:
            return []
        return [log.by_ts[root], *(log.by_ts[t] for t in log.threads.get(root, ()))]

    def history(self, channel: str, window: Window) -> Page:
        """A page of the channel's timeline, newest first.

        Raises:
            CursorError: a cursor this store did not issue.
            ValueError: a malformed ``oldest`` or ``latest``.
        """
        stamps = self._log(channel).timeline
        lo, hi = window.bounds(stamps)
        if window.cursor:
            hi = min(hi, bisect_right(stamps, _decode_cursor(window.cursor)))
        start = max(lo, hi - window.limit)
        by_ts = self._log(channel).by_ts
        messages = [by_ts[ts] for ts in reversed(stamps[start:hi])]
        has_more = start > lo
        return Page(messages, has_more, _encode_cursor(stamps[start - 1]) if has_more else "")

    def replies(self, channel: str, ts: str, window: Window) -> Page | None:
        """A page of the thread ``ts`` belongs to, oldest first; None if ``ts`` is unknown.

        Raises:
            CursorError: a cursor this store did not issue.
            ValueError: a malformed ``oldest`` or ``latest``.
        """
        log = self._log(channel)
        root = self.thread_root(channel, ts)
        if root is None:
            return None
        stamps = [root, *log.threads.get(root, ())]
        lo, hi = window.bounds(stamps)
        if window.cursor:
            lo = max(lo, bisect_left(stamps, _decode_cursor(window.cursor)))
        end = min(hi, lo + window.limit)
        has_more = end < hi
        messages = [log.by_ts[t] for t in stamps[lo:end]]
        return Page(messages, has_more, _encode_cursor(stamps[end]) if has_more else "")

    def add_reaction(self, channel: str, ts: str, name: str, user: str) -> bool:
        """Add ``user``'s reaction ``name``; False if that user already reacted so."""
        message = self._log(channel).by_ts[ts]
        reactions: list[JSON] = message.get("reactions", [])
        for index, reaction in enumerate(reactions):
            if reaction["name"] == name:
                if user in reaction["users"]:
                    return False
                users = [*reaction["users"], user]
                updated = {"name": name, "users": users, "count": len(users)}
                message["reactions"] = [*reactions[:index], updated, *reactions[index + 1 :]]
                return True
        # Copy-on-write: answers already recorded may share this list.
        message["reactions"] = [*reactions, {"name": name, "users": [user], "count": 1}]
        return True

    def remove_reaction(self, channel: str, ts: str, name: str, user: str) -> bool:
        """Remove ``user``'s reaction ``name``; False if they had not reacted so."""
        message = self._log(channel).by_ts[ts]
        reactions: list[JSON] = message.get("reactions", [])
        for index, reaction in enumerate(reactions):
            if reaction["name"] == name and user in reaction["users"]:
                users = [u for u in reaction["users"] if u != user]
                rest = [*reactions[:index], *reactions[index + 1 :]]
                if users:
                    rest.insert(index, {"name": name, "users": users, "count": len(users)})
                message["reactions"] = rest
                return True
        return False

    def add_ephemeral(self, channel: str, message: JSON) -> JSON:
        """Store an ephemeral message (one only its ``visible_to`` user sees)."""
        self._ephemeral.setdefault(channel, []).append(message)
        return message

    def ephemeral(self, channel: str, *, visible_to: str | None = None) -> list[JSON]:
        """The channel's ephemeral messages (only those ``visible_to`` a user, if given),
        oldest first."""
        stored = self._ephemeral.get(channel, ())
        return [m for m in stored if visible_to is None or m.get("visible_to") == visible_to]

    def replace_ephemeral(self, channel: str, ts: str, message: JSON | None) -> bool:
        """Replace (or, with None, delete) an ephemeral message; False if not found."""
        stored = self._ephemeral.get(channel, [])
        for index, existing in enumerate(stored):
            if existing.get("ts") == ts:
                if message is None:
                    del stored[index]
                else:
                    stored[index] = message
                return True
        return False
