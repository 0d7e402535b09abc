"""What the AI-app surface shows around a conversation: each thread's status line, suggested
prompts and title (``assistant.threads.*``), and each agent session's lifecycle status and
title (``agents.sessions.*``).

Status lines: ``assistant.threads.setStatus`` shows one until an empty status clears it, the
app sends a message in the thread, or two minutes pass ("A two minute timeout applies, which
will cause the status to be removed if no message has been sent":
https://docs.slack.dev/reference/methods/assistant.threads.setStatus). Agent sessions are
thread-scoped, created by the first ``agents.sessions.setStatus`` and never changed by Slack
itself, not even by a Stop click (https://docs.slack.dev/ai/agent-sessions,
https://docs.slack.dev/reference/events/agent_session_stopped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "SESSION_STATUSES",
    "AgentSession",
    "AssistantBook",
    "AssistantThread",
    "Prompt",
    "SessionStatus",
    "as_session_status",
]

SessionStatus = Literal["active", "processing", "suspended", "closed"]
SESSION_STATUSES: tuple[SessionStatus, ...] = ("active", "processing", "suspended", "closed")

STATUS_TTL = 120.0


def as_session_status(value: str) -> SessionStatus | None:
    """``value`` as a session status, or None when it is not one."""
    return next((status for status in SESSION_STATUSES if status == value), None)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A suggested prompt: the button's ``title`` and the ``message`` it sends."""

    title: str
    message: str


@dataclass(slots=True)
class AssistantThread:
    """The AI-app state of one thread (``thread_ts`` None: the conversation's top).

    Attributes:
        channel: The conversation.
        thread_ts: The thread (None for prompts set without a thread).
        status: The status line last set ("" when cleared).
        loading_messages: The messages that rotate with it.
        status_set_at: Clock seconds when it was set.
        statuses: Every status set, in order ("" for each clearing).
        prompts: The suggested prompts now shown.
        prompts_title: Their heading.
        title: The thread's title.
    """

    channel: str
    thread_ts: str | None
    status: str = ""
    loading_messages: tuple[str, ...] = ()
    status_set_at: float = 0.0
    statuses: list[str] = field(default_factory=list)
    prompts: tuple[Prompt, ...] = ()
    prompts_title: str | None = None
    title: str | None = None


@dataclass(slots=True)
class AgentSession:
    """A thread-scoped agent session: its status, every status it had, its title."""

    channel: str
    thread_ts: str
    status: SessionStatus
    title: str | None = None
    initiator_user_id: str | None = None
    statuses: list[SessionStatus] = field(default_factory=list)


class AssistantBook:
    """Status lines, prompts, titles and agent sessions, by conversation and thread.

    Args:
        clock: Seconds (the sandbox's clock).
        status_ttl: Seconds a status line shows without a message from the app.
    """

    def __init__(self, clock: Callable[[], float], *, status_ttl: float = STATUS_TTL) -> None:
        self._clock = clock
        self.status_ttl = status_ttl
        self._threads: dict[tuple[str, str | None], AssistantThread] = {}
        self._sessions: dict[tuple[str, str], AgentSession] = {}

    def thread(self, channel: str, thread_ts: str | None) -> AssistantThread:
        """The state of a thread (created empty on first use)."""
        key = (channel, thread_ts)
        state = self._threads.get(key)
        if state is None:
            state = self._threads[key] = AssistantThread(channel, thread_ts)
        return state

    def status(self, channel: str, thread_ts: str) -> str:
        """The status line a person sees in the thread now ("" when none)."""
        state = self._threads.get((channel, thread_ts))
        if state is None or not state.status:
            return ""
        if self._clock() - state.status_set_at >= self.status_ttl:
            self._clear(state)
        return state.status

    def set_status(
        self, channel: str, thread_ts: str, status: str, loading_messages: tuple[str, ...]
    ) -> None:
        """Show ``status`` (with rotating ``loading_messages``); an empty status clears."""
        state = self.thread(channel, thread_ts)
        state.status = status
        state.loading_messages = loading_messages if status else ()
        state.status_set_at = self._clock()
        state.statuses.append(status)

    def message_sent(self, channel: str, thread_ts: str | None) -> None:
        """The app sent a message in the thread: its status line goes away."""
        state = self._threads.get((channel, thread_ts))
        if thread_ts is not None and state is not None and state.status:
            self._clear(state)

    @staticmethod
    def _clear(state: AssistantThread) -> None:
        state.status = ""
        state.loading_messages = ()
        state.statuses.append("")

    def session(self, channel: str, thread_ts: str) -> AgentSession | None:
        """The agent session of a thread, if the app created one."""
        return self._sessions.get((channel, thread_ts))

    def set_session_status(
        self,
        channel: str,
        thread_ts: str,
        status: SessionStatus,
        *,
        title: str | None = None,
        initiator_user_id: str | None = None,
    ) -> AgentSession:
        """Set a session's status, creating it (with ``title`` and initiator) if new."""
        session = self._sessions.get((channel, thread_ts))
        if session is None:
            session = AgentSession(channel, thread_ts, status, title, initiator_user_id)
            self._sessions[(channel, thread_ts)] = session
        session.status = status
        session.statuses.append(status)
        return session
