"""What the people in the demo's channel would see, as terminal lines.

:class:`Screen` reads the sandbox's call log from where it last stopped and turns each call
the bot made into lines: messages and approval cards (with their plan of tasks, ticking over
as the card is updated), the status line, streamed answers, ephemeral notes and App Home
views. Live, a streamed answer is printed as it grows; otherwise once, when it ends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from sandbox import ApiCall, SlackSandbox

__all__ = ["PROMPT", "Screen", "is_card", "is_running", "text_of"]

PROMPT = "switchboard> "
_INDENT = " " * len(PROMPT)
_DATE = re.compile(r"<!date\^[^|>]*\|(?P<fallback>[^>]*)>")
_TICKS = {"pending": "[ ]", "in_progress": "[…]", "complete": "[✓]", "error": "[✗]"}


def text_of(call: ApiCall) -> str:
    """A message's text, its card status and its buttons, on one line."""
    text = _plain(str(call.args.get("text") or ""))
    blocks: Sequence[Any] = call.args.get("blocks") or []
    status = [
        element.get("text", "")
        for block in blocks
        if block.get("type") == "context"
        for element in block.get("elements", [])
    ][:1]
    extra = (" — " + _plain(status[0])) if status and is_card(call) else ""
    buttons = _buttons(blocks)
    return text + extra + (f"  {buttons}" if buttons else "")


def plan_lines(blocks: Sequence[Mapping[str, Any]]) -> list[str]:
    """A ``plan`` block's tasks, one line each: ``[✓] title — details → output``."""
    lines = []
    for block in blocks:
        if block.get("type") != "plan":
            continue
        lines.append(f"  plan: {block.get('title', '')}")
        for task in block.get("tasks") or []:
            line = f"    {_TICKS.get(task.get('status', ''), '[?]')} {task.get('title', '')}"
            details = _plain(_rich_text(task.get("details")))
            output = _plain(_rich_text(task.get("output")))
            line += (f" — {details}" if details else "") + (f" → {output}" if output else "")
            lines.append(line)
    return lines


def is_card(call: ApiCall) -> bool:
    """An approval card: its blocks carry the action's fields."""
    return any(
        "*Action*" in str(field.get("text"))
        for block in call.args.get("blocks") or []
        for field in block.get("fields") or []
    )


def is_running(call: ApiCall) -> bool:
    """A card saying its action was approved and runs (or is about to)."""
    text = text_of(call)
    return "Approved" in text or "Running" in text


class Screen:
    """Prints the bot's calls since the last :meth:`flush` to ``out``.

    Args:
        channel: the demo's channel (messages elsewhere are marked with where they went).
        live: print a streamed answer as it grows (else once, when it ends).
    """

    def __init__(
        self, sandbox: SlackSandbox, out: TextIO, *, channel: str, live: bool = False
    ) -> None:
        self._sandbox = sandbox
        self._out = out
        self._channel = channel
        self._live = live
        self._mark = len(sandbox.calls)
        self._shown: dict[str, int] = {}  # live streams: characters printed so far
        self._status = ""
        self._open_line = False  # live: a stream's text ends the last line printed

    def break_line(self) -> None:
        """End the line a live stream is printing on, so that a note starts a line of its
        own (the stream's next text goes on under it)."""
        if self._open_line:
            print(file=self._out, flush=True)
            self._open_line = False

    def flush(self) -> int:
        """Print what happened since the last flush; how many calls were shown."""
        calls = self._sandbox.calls.all()[self._mark :]
        self._mark += len(calls)
        shown = 0
        for call in calls:
            if self._live and call.method in ("chat.startStream", "chat.appendStream"):
                shown += self._grow(call)
                continue
            lines = self._lines(call)
            if lines:
                self.break_line()
            for line in lines:
                print(_indent(line), file=self._out)
            shown += bool(lines)
        self._out.flush()
        return shown

    def _lines(self, call: ApiCall) -> list[str]:
        method, args = call.method, call.args
        if method == "chat.postMessage" and args.get("channel") == self._channel:
            return [text_of(call), *plan_lines(args.get("blocks") or [])]
        if method == "chat.postMessage":
            return [f"(in <#{args.get('channel')}>) {text_of(call)}"]
        if method == "chat.update":
            return [f"(card updated) {text_of(call)}", *plan_lines(args.get("blocks") or [])]
        if method == "chat.postEphemeral":
            return [f"(only <@{args.get('user')}> sees) {text_of(call)}"]
        if method == "response_url":
            return [f"(only you see) {text_of(call)}"]
        if method == "views.publish":
            view = args.get("view") or {}
            return [f"(App Home of <@{args.get('user_id')}>)"] + [
                f"  {line}" for line in view_lines(view)
            ]
        if method == "assistant.threads.setStatus":
            return self._status_line(str(args.get("status") or ""))
        if method == "chat.stopStream":
            return self._stopped(call)
        return []

    def _status_line(self, status: str) -> list[str]:
        changed, self._status = status != self._status, status
        return [f"(status: switchboard {status})"] if status and changed else []

    def _stopped(self, call: ApiCall) -> list[str]:
        ts = str(call.args.get("ts"))
        stream = self._sandbox.streams.get(ts)
        if stream is None or not call.response.get("ok"):
            return []
        footer = _footer(stream.final_blocks)
        if not self._live:
            return [stream.text.rstrip() + (f"\n{footer}" if footer else "")]
        shown = self._shown.pop(ts, 0)
        if not self._open_line:
            print(PROMPT if shown == 0 else _INDENT, end="", file=self._out)
        print(stream.text[shown:], file=self._out)
        self._open_line = False
        return [footer] if footer else []

    def _grow(self, call: ApiCall) -> int:
        """Live: print what a stream gained since last shown (a new stream starts a line)."""
        ts = str(call.response.get("ts") or call.args.get("ts"))
        stream = self._sandbox.streams.get(ts)
        if stream is None or not call.response.get("ok"):
            return 0
        shown = self._shown.setdefault(ts, 0)
        if not self._open_line:
            print(PROMPT if shown == 0 else _INDENT, end="", file=self._out)
        text = stream.text
        print(text[shown:], end="", file=self._out)
        self._shown[ts] = len(text)
        self._open_line = True
        return 1


def view_lines(view: Mapping[str, Any]) -> list[str]:
    """A published view as text: headers, sections (with their fields) and buttons."""
    lines: list[str] = []
    for block in view.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            fields = " | ".join(f["text"].replace("\n", ": ") for f in block.get("fields") or [])
            lines.append(block["text"]["text"] + (f"  {fields}" if fields else ""))
        elif kind == "context":
            lines += [str(e.get("text", "")) for e in block.get("elements") or []]
        elif kind == "actions":
            lines.append(" ".join(f"[{e['text']['text']}]" for e in block.get("elements") or []))
    return lines


def _buttons(blocks: Sequence[Mapping[str, Any]]) -> str:
    labels = []
    for block in blocks:
        for element in block.get("elements") or []:
            if block.get("type") == "actions":
                labels.append(f"[{element['text']['text']}]")
            elif element.get("type") == "feedback_buttons":
                labels += ["[👍]", "[👎]"]
    return " ".join(labels)


def _footer(blocks: Sequence[Mapping[str, Any]]) -> str:
    """The end of a streamed answer: its notes (who stopped it) and its buttons."""
    notes = [
        str(element.get("text", ""))
        for block in blocks
        if block.get("type") == "context"
        for element in block.get("elements") or []
        if element.get("type") in ("mrkdwn", "plain_text")
    ]
    return "  ".join([*notes, _buttons(blocks)]).strip()


def _plain(text: str) -> str:
    """Slack's date tokens (``<!date^…|fallback>``) as their fallback text."""
    return _DATE.sub(lambda match: match["fallback"], text)


def _rich_text(value: Any) -> str:
    if not isinstance(value, Mapping):
        return ""
    return "".join(
        str(element.get("text", ""))
        for section in value.get("elements") or []
        for element in section.get("elements") or []
    )


def _indent(answer: str) -> str:
    lines = answer.splitlines() or [""]
    return "\n".join((PROMPT if i == 0 else _INDENT) + line for i, line in enumerate(lines))
