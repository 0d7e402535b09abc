"""An answer streamed as the model writes it: redacted before Slack sees it, finished as the
reply, repaired when Slack expired the stream or the answer ended differently."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_chat_stream import AsyncChatStream

from agents.kernel.models import Inbound, Outbound, Reply
from handlers.delivery import Delivery
from handlers.streaming import AnswerStream
from tests.agents.fakes import FakeClock
from tests.handlers.fakes_slack import refusal

SECRET = "xox" + "b-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"


class _Slack:
    """The stream methods as Slack answers them, recording every call; ``refuse`` maps a
    method to the error it answers."""

    def __init__(self, **refuse: str) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refuse = refuse

    async def _call(self, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((method, kwargs))
        error = self.refuse.get(method.replace(".", "_"))
        if error is not None:
            raise refusal(method, error)
        return {"ok": True, "ts": "9.9", "channel": kwargs.get("channel")}

    async def chat_stream(self, **kwargs: Any) -> AsyncChatStream:
        import logging

        return AsyncChatStream(self, logger=logging.getLogger("test"), **kwargs)  # type: ignore[arg-type]

    async def chat_startStream(self, **kwargs: Any) -> dict[str, Any]:
        return await self._call("chat.startStream", kwargs)

    async def chat_appendStream(self, **kwargs: Any) -> dict[str, Any]:
        return await self._call("chat.appendStream", kwargs)

    async def chat_stopStream(self, **kwargs: Any) -> dict[str, Any]:
        return await self._call("chat.stopStream", kwargs)

    async def chat_update(self, **kwargs: Any) -> dict[str, Any]:
        return await self._call("chat.update", kwargs)

    async def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        return await self._call("chat.postMessage", kwargs)

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def streamed(self) -> str:
        """The markdown text Slack received on the stream, in order."""
        text = ""
        for method, args in self.calls:
            if method.startswith("chat.") and "Stream" in method:
                for chunk in args.get("chunks") or []:
                    data = chunk if isinstance(chunk, dict) else chunk.to_dict()
                    if data.get("type") == "markdown_text":
                        text += data["text"]
                text += args.get("markdown_text") or ""
        return text


def _inbound(channel: str = "C1", source: str = "mention") -> Inbound:
    now = FakeClock().now()
    return Inbound("T1", channel, "U1", "q", source, "E1", "t1", now, "1.1", "1.1")  # type: ignore[arg-type]


def _outbound(text: str, **reply: Any) -> Outbound:
    return Outbound("t1", "T1", "C1", "1.1", "deploy", Reply(text=text, **reply))


async def _stream(
    slack: _Slack, text: str, *, size: int = 7, inbound: Inbound | None = None
) -> AnswerStream:
    stream = AnswerStream(slack, inbound or _inbound(), Delivery(slack))  # type: ignore[arg-type]
    for start in range(0, len(text), size):
        await stream.text(text[start : start + size])
    return stream


ANSWER = ("Deploys to prod need an approver from sre. " * 20).strip()


async def test_the_answer_streams_and_the_stream_becomes_the_reply() -> None:
    """Slack receives the whole answer through the stream, in as few calls as its buffer
    allows; the stop carries the footer, the feedback buttons and the trace id."""
    slack = _Slack()
    stream = await _stream(slack, ANSWER)
    ts = await stream.finish(_outbound(ANSWER))
    assert ts == "9.9"
    assert slack.streamed() == ANSWER
    methods = slack.methods()
    assert methods[0] == "chat.startStream" and methods[-1] == "chat.stopStream"
    assert len(methods) <= len(ANSWER) // 256 + 3
    stop = slack.calls[-1][1]
    assert stop["metadata"]["event_payload"]["trace_id"] == "t1"
    assert any(
        block.get("type") == "actions" or "feedback" in str(block) for block in stop["blocks"]
    )
    assert "chat.update" not in methods


async def test_a_channel_stream_names_whom_it_answers_and_a_dm_does_not() -> None:
    """Slack requires the recipient outside DMs."""
    in_channel, in_dm = _Slack(), _Slack()
    await (await _stream(in_channel, ANSWER)).finish(_outbound(ANSWER))
    await (await _stream(in_dm, ANSWER, inbound=_inbound("D1"))).finish(_outbound(ANSWER))
    start = in_channel.calls[0][1]
    assert (start["recipient_team_id"], start["recipient_user_id"]) == ("T1", "U1")
    assert in_dm.calls[0][1].get("recipient_user_id") is None


async def test_a_secret_split_across_pieces_never_reaches_slack() -> None:
    """A token the model echoes arrives in pieces; Slack only ever sees it redacted."""
    text = f"Your token is {SECRET} so keep it safe. " + ANSWER
    slack = _Slack()
    stream = await _stream(slack, text, size=3)
    await stream.finish(_outbound(text.replace(SECRET, "[redacted:slack-token]")))
    assert SECRET not in str(slack.calls)
    assert "[redacted:slack-token]" in slack.streamed()


async def test_an_expired_stream_is_replaced_with_the_whole_answer() -> None:
    """Slack expired the stream: the stop is refused, and the message gets the full answer
    by chat.update: nothing lost, nothing posted twice."""
    slack = _Slack(chat_stopStream="message_not_in_streaming_state")
    stream = await _stream(slack, ANSWER)
    assert await stream.finish(_outbound(ANSWER)) == "9.9"
    method, update = slack.calls[-1]
    assert method == "chat.update" and update["ts"] == "9.9" and update["text"] == ANSWER
    assert slack.methods().count("chat.startStream") == 1


async def test_an_answer_that_ended_differently_replaces_what_was_streamed() -> None:
    """The model's text streamed, then a lesser planner answered: the message ends as the
    reply that was recorded, with its note."""
    slack = _Slack()
    stream = await _stream(slack, ANSWER)
    reply = _outbound("`deploy` needs approval.", note="Answered by the rules planner.")
    await stream.finish(reply)
    method, update = slack.calls[-1]
    assert method == "chat.update"
    assert update["text"].startswith("`deploy` needs approval.")


async def test_a_stream_slack_refuses_becomes_a_message_the_end_makes_whole() -> None:
    """startStream refused (an old workspace): the first words are posted, and the turn's
    end replaces them with the whole answer (updates in between wait 1.5 s)."""
    slack = _Slack(chat_startStream="not_allowed")
    stream = await _stream(slack, ANSWER)
    assert await stream.finish(_outbound(ANSWER)) == "9.9"
    assert slack.methods() == ["chat.startStream", "chat.postMessage", "chat.update"]
    first = slack.calls[1][1]
    assert ANSWER.startswith(first["text"]) and first["thread_ts"] == "1.1"
    assert slack.calls[2][1]["text"] == ANSWER and slack.calls[2][1]["blocks"]


async def test_without_a_stream_an_approval_card_leaves_the_words_before_it() -> None:
    slack = _Slack(chat_startStream="not_allowed")
    stream = await _stream(slack, ANSWER)
    assert await stream.finish(_outbound("`deploy` needs approval.", approval_id="a1")) is None
    assert slack.methods() == ["chat.startStream", "chat.postMessage"]


async def test_when_the_message_is_refused_too_the_reply_is_left_to_be_posted() -> None:
    slack = _Slack(chat_startStream="not_allowed", chat_postMessage="fatal_error")
    stream = await _stream(slack, ANSWER)
    assert await stream.finish(_outbound(ANSWER)) is None
    assert slack.methods() == ["chat.startStream", "chat.postMessage"]


@pytest.mark.parametrize("source", ["command"])
async def test_slash_commands_and_top_level_messages_never_stream(source: str) -> None:
    """An ephemeral answer cannot stream: no stream call at all."""
    slack = _Slack()
    stream = await _stream(slack, ANSWER, inbound=_inbound(source=source))
    assert await stream.finish(_outbound(ANSWER)) is None
    assert slack.calls == []


async def test_an_approval_card_is_posted_on_its_own_after_the_stream_stops() -> None:
    """Text streamed before the model proposed an action stays; the card is posted apart."""
    slack = _Slack()
    stream = await _stream(slack, ANSWER)
    assert await stream.finish(_outbound("`deploy` needs approval.", approval_id="a1")) is None
    assert slack.methods()[-1] == "chat.stopStream"


async def test_an_answer_ending_in_a_newline_ends_the_stream_without_a_repair() -> None:
    """The model's text ends with whitespace the reply strips: the stream still ends as the
    reply, with no ``chat.update`` to replace it."""
    slack = _Slack()
    stream = await _stream(slack, ANSWER + "\n\n")
    assert await stream.finish(_outbound(ANSWER)) == "9.9"
    assert slack.streamed() == ANSWER
    assert "chat.update" not in slack.methods()


async def test_the_stream_starts_with_the_first_finished_words() -> None:
    """Nothing is sent while the first word is being written; the first finished words
    start the stream at once; what follows within the second waits for the buffer."""
    slack = _Slack()
    stream = AnswerStream(slack, _inbound(), Delivery(slack))  # type: ignore[arg-type]
    await stream.text("Deplo")
    assert slack.calls == []
    await stream.text("ys to pr")
    assert slack.methods() == ["chat.startStream"]
    assert slack.streamed() == "Deploys to"  # the space waits for the next word
    await stream.text("od need an")
    assert slack.methods() == ["chat.startStream"]  # buffered, not another call
    await stream.finish(_outbound("Deploys to prod need an approver."))
    assert slack.streamed() == "Deploys to prod need an approver."
