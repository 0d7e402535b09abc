"""The answer streamed into its thread as the model writes it, and finished as the reply.

Slack's chat streams (``chat.startStream`` / ``appendStream`` / ``stopStream``, through
slack_sdk's buffering ``AsyncChatStream``) carry the text; in a channel the stream names the
person it answers, as Slack requires. The stream starts with the first words the model
writes; after that, text is sent every 256 characters or once a second, whichever comes
first (never more calls than the text needs, within the methods' rate tiers).

Text is redacted before Slack sees it: the word still being written is held back (every
secret pattern is one word, or keeps the words before it), and a secret that changes what
was shown stops the streaming. When the turn ends the stream is stopped with the rest of the
answer, the footer, the feedback buttons and the trace id; if what was streamed is not how
the answer ends (a lesser planner answered, the text was redacted after it was shown) or
Slack expired the stream, the message is replaced with the whole answer (``chat.update``).
Nothing is lost and nothing is posted twice. A stream Slack refuses to start (an old
workspace, agent features off, a token or a method it will not take) falls back to a message
posted with the first words and updated (``chat.update``) at most every
:data:`UPDATE_EVERY` seconds as the text grows; the turn's end makes it the whole reply. If
even that is refused, the reply is posted as before. A stopped turn keeps what was shown,
with a note.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks.block_elements import UrlSourceElement
from slack_sdk.models.messages.chunk import TaskUpdateChunk
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.errors import StorageError
from agents.kernel.models import Inbound, Outbound, Reply
from agents.kernel.redaction import redact
from agents.turns.progress import TaskUpdate
from handlers.blocks import reply_metadata, reply_tail_blocks
from handlers.delivery import Delivery

__all__ = ["FLUSH_EVERY", "UPDATE_EVERY", "AnswerStream"]

log = structlog.get_logger(__name__)

FLUSH_EVERY = 1.0
"""Seconds after which buffered text is sent even if the buffer is not full (a slow model
still shows progress; at most one append a second stays within ``appendStream``'s tier)."""
UPDATE_EVERY = 1.5
"""Seconds between two ``chat.update`` calls of an answer growing without a stream (the
method's tier allows about 50 a minute per workspace; this leaves room for other turns)."""
_BUFFER = 256  # characters per append: the SDK's default, well within the methods' limits


def _settled(text: str, start: int) -> int:
    """Where the words that can no longer change end: before the whitespace that follows
    ``text``'s last finished word (at or past ``start``); ``start`` when the only new text is
    the word still being written. The whitespace waits for the next word, so what was sent
    never ends in whitespace that the stripped final answer would not have."""
    for index in range(len(text) - 1, start - 1, -1):
        if text[index].isspace():
            while index > start and text[index - 1].isspace():
                index -= 1
            return index
    return start


class AnswerStream:
    """One turn's answer as a Slack stream (only a message in a thread can stream)."""

    def __init__(
        self,
        client: AsyncWebClient,
        inbound: Inbound,
        delivery: Delivery,
        *,
        on_start: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """``client`` streams (best effort: a refusal ends the streaming); ``delivery``
        replaces the message with the whole answer when the stream could not end it (it
        must reach Slack); ``on_start`` hears the message's ts once the stream started
        (best effort: a failure is logged)."""
        self._client = client
        self._delivery = delivery
        self._on_start = on_start
        self._inbound = inbound
        self._possible = inbound.thread_ts is not None and inbound.source != "command"
        self._raw = ""
        self._sent = ""
        self._stream: AsyncChatStream | None = None
        self._broken = False
        self._flushed_at: float | None = None
        self._posted: str | None = None  # the growing message, when Slack would not stream
        self._unstreamable = False  # Slack refused to start the stream

    @property
    def ts(self) -> str | None:
        """The message's ts, once the stream started (or the growing message was posted)."""
        if self._stream is not None and self._stream.ts is not None:
            return self._stream.ts
        return self._posted

    async def text(self, piece: str) -> None:
        """Take the next piece; stream what can no longer change."""
        self._raw += piece
        if not self._possible or self._broken:
            return
        ready = redact(self._raw.lstrip())  # the reply is the model's text, stripped
        if not ready.startswith(self._sent):
            log.warning("stream_text_withdrawn")  # redacted after it was shown: replace at end
            self._broken = True
            return
        cut = _settled(ready, len(self._sent))
        if cut > len(self._sent) and not self._unstreamable:
            now = asyncio.get_running_loop().time()
            due = self._flushed_at is None or now - self._flushed_at >= FLUSH_EVERY
            # chunks=[] makes the SDK send now instead of filling its buffer first.
            flush: dict[str, Any] = {"chunks": []} if due else {}
            await self._append(markdown_text=ready[len(self._sent) : cut], **flush)
            if not self._unstreamable:
                self._sent = ready[:cut]
                return
        if cut > len(self._sent):  # Slack would not stream: the text grows in a message
            await self._grow(ready[:cut])

    async def task(self, update: TaskUpdate) -> None:
        """Show a task of the plan (it replaces its earlier state); only a stream shows
        tasks (the status line still says what the turn does)."""
        if not self._possible or self._broken or self._unstreamable:
            return
        sources = [UrlSourceElement(url=s.url, text=s.text) for s in update.sources]
        chunk = TaskUpdateChunk(
            id=update.task_id,
            title=update.title,
            status=update.status,
            details=update.details or None,
            sources=sources or None,
        )
        await self._append(chunks=[chunk])

    async def finish(self, outbound: Outbound) -> str | None:
        """Make the stream (or the growing message) the turn's reply; its ts, or None when
        the reply must be posted (nothing shown, or the reply is an approval card)."""
        if outbound.outcome == "stopped" and self._sent:
            # What was shown stays, and the note says who stopped it.
            shown = Reply(text=self._sent, note=outbound.reply.text)
            outbound = replace(outbound, reply=shown)
        if self._posted is not None:
            if outbound.reply.approval_id is not None:
                return None  # the card is posted on its own; the words before it stay
            await self._replace(self._posted, outbound)
            return self._posted
        stream = self._stream
        if stream is None or stream.ts is None:
            return None
        ts = stream.ts
        if outbound.reply.approval_id is not None:
            await self._stop(stream)  # the card is posted on its own, where votes update it
            return None
        final = outbound.reply.text  # the note ends the message in the tail blocks
        fits = not self._broken and final.startswith(self._sent) and _plain(outbound)
        rest = final[len(self._sent) :] if fits else ""
        stopped = await self._stop(
            stream,
            markdown_text=rest or None,
            blocks=reply_tail_blocks(outbound),
            metadata=reply_metadata(outbound),
        )
        if not (fits and stopped):
            await self._replace(ts, outbound)
        return ts

    async def _append(self, **content: Any) -> None:
        try:
            if self._stream is None:
                self._stream = await self._client.chat_stream(
                    channel=self._inbound.channel_id,
                    thread_ts=self._inbound.thread_ts or "",
                    buffer_size=_BUFFER,
                    **_recipient(self._inbound),
                )
            started = self._stream.ts is not None
            sent = await self._stream.append(**content)
            if sent is not None:
                self._flushed_at = asyncio.get_running_loop().time()
            if not started and self._stream.ts is not None:
                await self._started(self._stream.ts)
        except SlackApiError as exc:
            started = self._stream is not None and self._stream.ts is not None
            log.info("stream_interrupted", error=_error(exc), started=started)
            if started:
                self._broken = True  # the end replaces what was streamed
                return
            self._unstreamable = True  # no stream: the text grows in a posted message

    async def _grow(self, text: str) -> None:
        """Without a stream: post ``text`` as the answer so far, or update the posted
        message with it when :data:`UPDATE_EVERY` has passed (else wait for more)."""
        now = asyncio.get_running_loop().time()
        last = self._flushed_at
        if self._posted is not None and last is not None and now - last < UPDATE_EVERY:
            return
        inbound = self._inbound
        try:
            if self._posted is None:
                response = await self._client.chat_postMessage(
                    channel=inbound.channel_id,
                    thread_ts=inbound.thread_ts,
                    text=text,
                    unfurl_links=False,
                    unfurl_media=False,
                )
                self._posted = str(response["ts"])
                await self._started(self._posted)
            else:
                await self._client.chat_update(
                    channel=inbound.channel_id, ts=self._posted, text=text
                )
        except SlackApiError as exc:
            log.info("answer_not_grown", error=_error(exc), posted=self._posted is not None)
            self._broken = True  # the end posts (or replaces with) the whole answer
            return
        self._sent = text
        self._flushed_at = now

    async def _stop(self, stream: AsyncChatStream, **final: Any) -> bool:
        try:
            await stream.stop(**final)
        except SlackApiError as exc:  # expired, or Slack ended it (Stop): the update repairs
            log.info("stream_not_stopped", error=_error(exc))
            return False
        return True

    async def _replace(self, ts: str, outbound: Outbound) -> None:
        """The whole answer in place of what was streamed."""
        await self._delivery.replace(ts, outbound)

    async def _started(self, ts: str) -> None:
        if self._on_start is None:
            return
        try:
            await self._on_start(ts)
        except StorageError as exc:  # the stream goes on; only crash recovery loses the ts
            log.warning("stream_start_not_noted", error=str(exc))
            return
        log.info("reply_stream_started", ts=ts)


def _plain(outbound: Outbound) -> bool:
    """A reply that is its text alone (no title, items or buttons): it can end a stream."""
    reply = outbound.reply
    return not (reply.title or reply.items or reply.choices)


def _recipient(inbound: Inbound) -> dict[str, str]:
    """Outside a DM Slack wants to know whom a stream answers."""
    if inbound.channel_id.startswith("D"):
        return {}
    return {"recipient_team_id": inbound.team_id, "recipient_user_id": inbound.user_id}


def _error(exc: SlackApiError) -> str:
    response = exc.response
    return str(response.get("error") if response is not None else type(exc).__name__)
