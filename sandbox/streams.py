"""Streaming messages (``chat.startStream`` / ``appendStream`` / ``stopStream``): each stream's
state and content, and when Slack stops accepting more.

A stream is ``streaming`` from its start until the app stops it (``stopped``), a person clicks
Stop on its agent session (``stopped_by_user``: Slack refuses further appends with
``stopped_by_user`` but lets the app finish it with ``chat.stopStream``), or Slack expires it
(``expired``). Slack expires streams server-side after a few minutes without documenting the
window (python-slack-sdk issue 1859 reports about five); the sandbox expires a stream ``ttl``
seconds after its start (300 by default), or at once with :meth:`StreamBook.expire`. The text
and tasks a stream had stay on its message whatever ends it.

The message a person sees is rendered from the content in arrival order
(:mod:`sandbox.stream_render`); this module only keeps the content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from sandbox.chunks import BlocksChunk, Chunk, PlanChunk, TaskChunk, TextChunk
from sandbox.records import JSON

__all__ = ["DisplayMode", "Part", "Stream", "StreamBook", "StreamState", "Task"]

StreamState = Literal["streaming", "stopped", "stopped_by_user", "expired"]
DisplayMode = Literal["timeline", "plan"]

DEFAULT_TTL = 300.0


@dataclass(slots=True)
class Task:
    """A task of a stream: its latest ``task_update`` (fields a later update leaves out are
    kept) and every status it went through."""

    last: TaskChunk
    history: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The task's id."""
        return self.last.id

    @property
    def status(self) -> str:
        """The task's status now."""
        return self.last.status

    def update(self, chunk: TaskChunk) -> None:
        """Apply a later ``task_update`` of this task."""
        if chunk.status != self.last.status:
            self.history.append(chunk.status)
        self.last = replace(
            chunk,
            details=self.last.details if chunk.details is None else chunk.details,
            output=self.last.output if chunk.output is None else chunk.output,
            sources=self.last.sources if chunk.sources is None else chunk.sources,
        )


@dataclass(frozen=True, slots=True)
class Part:
    """A place in a stream's message: a run of text, a task card, the plan, or blocks.

    Attributes:
        kind: ``text``, ``task``, ``plan`` or ``blocks``.
        value: The text of a text run, the id of a task.
        blocks: The blocks of a blocks chunk.
    """

    kind: Literal["text", "task", "plan", "blocks"]
    value: str = ""
    blocks: tuple[JSON, ...] = ()


@dataclass(slots=True)
class Stream:
    """One streaming message and what it holds so far.

    Attributes:
        channel: Where it streams.
        ts: Its message's ts.
        thread_ts: The thread it replies in.
        recipient_user_id: Who it streams to (None in a DM when not given).
        recipient_team_id: That person's team.
        mode: ``timeline`` (task cards between the text) or ``plan`` (one plan block).
        started_at: Clock seconds at ``chat.startStream``.
        state: ``streaming``, ``stopped``, ``stopped_by_user`` or ``expired``.
        parts: The content in arrival order (text runs, task and plan places, blocks).
        tasks: The tasks by id, in the order they appeared.
        plan_title: The last ``plan_update`` title.
        final_blocks: The blocks ``chat.stopStream`` put at the bottom.
        stopped_by: The person who clicked Stop, if one did.
        calls: How many stream calls built it (start, appends, stop).
    """

    channel: str
    ts: str
    thread_ts: str | None
    recipient_user_id: str | None
    recipient_team_id: str | None
    mode: DisplayMode
    started_at: float
    state: StreamState = "streaming"
    parts: list[Part] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)
    plan_title: str | None = None
    final_blocks: list[JSON] = field(default_factory=list)
    stopped_by: str | None = None
    calls: int = 0

    @property
    def text(self) -> str:
        """All the markdown text streamed so far."""
        return "".join(part.value for part in self.parts if part.kind == "text")

    def apply(self, content: Iterable[Chunk]) -> None:
        """Add a call's content, in order."""
        for chunk in content:
            if isinstance(chunk, TextChunk):
                self._add_text(chunk.text)
            elif isinstance(chunk, TaskChunk):
                self._add_task(chunk)
            elif isinstance(chunk, PlanChunk):
                self.plan_title = chunk.title
                self._place_plan()
            elif isinstance(chunk, BlocksChunk):
                self.parts.append(Part("blocks", blocks=chunk.blocks))

    def _add_text(self, text: str) -> None:
        if self.parts and self.parts[-1].kind == "text":
            self.parts[-1] = Part("text", self.parts[-1].value + text)
        else:
            self.parts.append(Part("text", text))

    def _place_plan(self) -> None:
        if self.mode == "plan" and not any(part.kind == "plan" for part in self.parts):
            self.parts.append(Part("plan"))

    def _add_task(self, chunk: TaskChunk) -> None:
        task = self.tasks.get(chunk.id)
        if task is not None:
            task.update(chunk)
            return
        self.tasks[chunk.id] = Task(chunk, [chunk.status])
        if self.mode == "plan":
            self._place_plan()
        else:
            self.parts.append(Part("task", chunk.id))


class StreamBook:
    """Every stream of the sandbox, by message ts.

    Args:
        clock: Seconds (the sandbox's clock).
        ttl: Seconds after its start when Slack stops accepting a stream.
    """

    def __init__(self, clock: Callable[[], float], *, ttl: float = DEFAULT_TTL) -> None:
        self._clock = clock
        self.ttl = ttl
        self._streams: dict[str, Stream] = {}

    def start(
        self,
        *,
        channel: str,
        ts: str,
        thread_ts: str | None,
        recipient_user_id: str | None,
        recipient_team_id: str | None,
        mode: DisplayMode,
    ) -> Stream:
        """Record a new stream (its message is stored by the caller)."""
        stream = Stream(
            channel, ts, thread_ts, recipient_user_id, recipient_team_id, mode, self._clock()
        )
        self._streams[ts] = stream
        return stream

    def get(self, ts: str) -> Stream | None:
        """The stream of message ``ts`` (its state brought up to date), or None."""
        stream = self._streams.get(ts)
        expired = stream is not None and self._clock() - stream.started_at >= self.ttl
        if stream is not None and expired and stream.state == "streaming":
            stream.state = "expired"
        return stream

    def all(self) -> list[Stream]:
        """Every stream, oldest first."""
        return [s for ts in list(self._streams) if (s := self.get(ts)) is not None]

    def expire(self, ts: str) -> None:
        """Expire a streaming message now, as Slack does after its time is up.

        Raises:
            KeyError: no stream has that ts.
        """
        stream = self._streams[ts]
        if stream.state == "streaming":
            stream.state = "expired"

    def in_thread(self, channel: str, thread_ts: str) -> list[Stream]:
        """The streams of a thread, whatever their state, oldest first."""
        return [s for s in self.all() if s.channel == channel and s.thread_ts == thread_ts]

    def streaming_in(self, channel: str, thread_ts: str) -> list[Stream]:
        """The streams still streaming in a thread."""
        return [s for s in self.in_thread(channel, thread_ts) if s.state == "streaming"]

    def stop_by_user(self, channel: str, thread_ts: str, user: str) -> list[str]:
        """Stop the thread's streams as Slack does when ``user`` clicks Stop; their ts."""
        stopped = self.streaming_in(channel, thread_ts)
        for stream in stopped:
            stream.state = "stopped_by_user"
            stream.stopped_by = user
        return [stream.ts for stream in stopped]

    def forget(self, ts: str) -> None:
        """Drop the stream of a deleted message."""
        self._streams.pop(ts, None)
