"""``switchboard demo``: the sandbox, the bot, the worker and SQLite in one process.

One of the two places the app starts the sandbox (the other is ``switchboard sandbox``); the
import contract "The app never imports the sandbox" names both.

You are ``alice`` in ``#general``, talking to @switchboard; ``bob`` and ``carol`` (the
``@sre`` group) approve. The example actions (``examples/switchboard.yaml``) run against the
sandbox's fake deploy API. Lines:

- text: starts (or continues) a thread with the bot, e.g. ``deploy api to prod``
- ``/ops …``: the slash command (``/ops help``, ``/ops approvals``)
- ``/as bob``: speak and click as another person (alice, bob, carol)
- ``/approve``, ``/reject REASON``: click on the latest approval card
- ``/up``, ``/down WHAT WENT WRONG``: 👍 / 👎 the latest answer (👎 fills in its form)
- ``/home``: open the bot's App Home tab (KPIs and the review queue for carol, a reviewer)
- ``/new``: start a new thread; ``/quit``: leave

With ``--script FILE`` the lines of FILE are played and the transcript printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import SecretStr

from bot.cli.conventions import Subparsers
from bot.config import DEFAULT_DATABASE_URL, Settings, process_environment
from bot.config_file import LoadedConfig, parse_config

if TYPE_CHECKING:
    from sandbox import ApiCall, SlackSandbox

__all__ = ["DEMO_DATABASE_URL", "DemoSession", "add_parser", "command", "run_demo"]

DEMO_DATABASE_URL = "sqlite+aiosqlite:///var/demo.db"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "examples" / "switchboard.yaml"
_EXAMPLE_API = "http://127.0.0.1:3001/"
_TIMEOUT = 15.0
_PEOPLE = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL"}
_OUTCOME_WORDS = ("succeeded", "failed", "outcome unknown")
_HELLO = (
    "Switchboard demo: you are alice in #general, talking to @switchboard.\n"
    "Try 'deploy api to prod', then '/as bob' and '/approve'. Also: 'status of api', "
    "'/ops help', '/ops approvals', '/reject REASON', '/up', '/down WHY', '/home', '/new', "
    "'/quit'.\n"
)


def _text_of(call: ApiCall) -> str:
    text = str(call.args.get("text") or "")
    blocks: list[Any] = list(call.args.get("blocks") or [])
    buttons = [
        element["text"]["text"]
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]
    status = [
        element.get("text", "")
        for block in blocks
        if block.get("type") == "context"
        for element in block.get("elements", [])
    ][:1]
    extra = (" — " + status[0]) if status and _is_card(call) else ""
    if buttons:
        extra += "  " + " ".join(f"[{b}]" for b in buttons)
    return text + extra


class DemoSession:
    """A person (or three) chatting with the bot through the sandbox."""

    def __init__(self, sandbox: SlackSandbox, *, channel: str = "C0GENERAL") -> None:
        self._sandbox = sandbox
        self._channel = channel
        self.user = "U0ALICE"
        self._thread_ts: str | None = None
        self._card_ts: str | None = None
        self._answer_ts: str | None = None

    def new_thread(self) -> None:
        """The next message starts a new thread."""
        self._thread_ts = None

    async def say(self, line: str) -> list[str]:
        """Act on one line; returns what the people in the channel would see, in order."""
        mark = len(self._sandbox.calls)
        if line.startswith("/as "):
            name = line.removeprefix("/as ").strip().lower()
            if name not in _PEOPLE:
                return [f"(no such person {name!r}; try {', '.join(_PEOPLE)})"]
            self.user = _PEOPLE[name]
            return [f"(you are now {name})"]
        if line.startswith("/ops"):
            await self._command(line.removeprefix("/ops").strip())
        elif line == "/approve" or line.startswith("/reject"):
            await self._decide(line)
        elif line == "/up" or line.startswith("/down"):
            await self._vote(line)
        elif line == "/home":
            user = self.user
            published = self._sandbox.calls.count("views.publish")
            await self._sandbox.people.open_home(user=user)
            with contextlib.suppress(TimeoutError):
                await self._sandbox.calls.wait_for(
                    "views.publish", count=published + 1, timeout=_TIMEOUT
                )
        else:
            await self._message(line)
        return self._transcript(mark)

    async def _message(self, line: str) -> None:
        sandbox = self._sandbox
        if self._thread_ts is None:
            sent = await sandbox.people.say(
                f"<@{sandbox.workspace.directory.bot_user_id}> {line}",
                user=self.user,
                channel=self._channel,
            )
            self._thread_ts = sent.ts
        else:
            await sandbox.people.say(
                line, user=self.user, channel=self._channel, thread_ts=self._thread_ts
            )
        thread = self._thread_ts
        reply = await self._next("chat.postMessage", lambda c: c.args.get("thread_ts") == thread)
        if reply is not None and _is_card(reply):
            self._card_ts = str(reply.response.get("ts"))
            if _is_running(reply):
                await self._outcome()
        elif reply is not None:
            self._answer_ts = str(reply.response.get("ts"))

    async def _vote(self, line: str) -> None:
        if self._answer_ts is None:
            return
        sandbox, user = self._sandbox, self.user
        thanked = sandbox.calls.count("chat.postEphemeral")
        ts, channel = self._answer_ts, self._channel
        if line == "/up":
            await sandbox.people.give_feedback(ts, positive=True, user=user, channel=channel)
        else:
            comment = line.removeprefix("/down").strip()
            values = {
                "reason": {
                    "value": {"type": "radio_buttons", "selected_option": {"value": "wrong_answer"}}
                },
                "comment": {"value": {"type": "plain_text_input", "value": comment}},
            }
            down = sandbox.people.give_feedback(ts, positive=False, user=user, channel=channel)
            if not await self._fill_form(down, values):
                return
        with contextlib.suppress(TimeoutError):
            await sandbox.calls.wait_for("chat.postEphemeral", count=thanked + 1, timeout=_TIMEOUT)

    async def _fill_form(self, click: Awaitable[object], values: dict[str, Any]) -> bool:
        """Make the click that opens a form, then submit the form with ``values``."""
        sandbox, user = self._sandbox, self.user
        before = sandbox.calls.count("views.open")
        await click
        try:
            opened = await sandbox.calls.wait_for("views.open", count=before + 1, timeout=_TIMEOUT)
        except TimeoutError:
            return False
        view_id = str(opened.response["view"]["id"])
        await sandbox.people.submit_view(view_id, values, user=user)
        return True

    async def _command(self, text: str) -> None:
        delivery = await self._sandbox.people.run_command(
            "/ops", text, user=self.user, channel=self._channel
        )
        if delivery.acked:
            reply = await self._next("response_url", None) or await self._next(
                "chat.postMessage", lambda c: c.args.get("channel") == self._channel
            )
            if reply is not None and _is_card(reply):
                self._card_ts = str(reply.response.get("ts"))

    async def _decide(self, line: str) -> None:
        if self._card_ts is None:
            return
        sandbox = self._sandbox
        user = self.user
        if line == "/approve":
            await sandbox.people.click(self._card_ts, "approval_approve", user=user)
        else:
            reason = line.removeprefix("/reject").strip() or "no reason given"
            values = {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}
            reject = sandbox.people.click(self._card_ts, "approval_reject", user=user)
            if not await self._fill_form(reject, values):
                return
        answer = await self._first(
            ("chat.postEphemeral", lambda c: c.args.get("user") == user),
            ("chat.update", lambda c: c.args.get("ts") == self._card_ts),
        )
        approved = answer is not None and answer.method == "chat.update"
        if approved and answer is not None and _is_running(answer):
            await self._outcome()

    async def _outcome(self) -> None:
        """Await the outcome note in the thread and the card showing the outcome."""
        await self._next(
            "chat.postMessage",
            lambda c: any(word in str(c.args.get("text")) for word in _OUTCOME_WORDS),
        )
        card = self._card_ts

        def final_card(call: ApiCall) -> bool:
            text = _text_of(call)
            return call.args.get("ts") == card and any(
                label in text for label in ("Succeeded", "Failed", "Outcome unknown")
            )

        with contextlib.suppress(TimeoutError):  # the card may already show it (count=1)
            await self._sandbox.calls.wait_for("chat.update", where=final_card, timeout=_TIMEOUT)

    async def _next(self, method: str, where: Callable[[ApiCall], bool] | None) -> ApiCall | None:
        seen = sum(1 for c in self._sandbox.calls.for_method(method) if where is None or where(c))
        try:
            return await self._sandbox.calls.wait_for(
                method, where=where, count=seen + 1, timeout=_TIMEOUT
            )
        except TimeoutError:
            return None

    async def _first(self, *waits: tuple[str, Callable[[ApiCall], bool]]) -> ApiCall | None:
        tasks = [asyncio.ensure_future(self._next(method, where)) for method, where in waits]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return next(iter(done)).result()

    def _transcript(self, mark: int) -> list[str]:
        lines = []
        for call in self._sandbox.calls.all()[mark:]:
            if call.method == "chat.postMessage" and call.args.get("channel") == self._channel:
                lines.append(_text_of(call))
            elif call.method == "chat.postMessage":
                lines.append(f"(in <#{call.args.get('channel')}>) {_text_of(call)}")
            elif call.method == "chat.update":
                lines.append(f"(card updated) {_text_of(call)}")
            elif call.method == "chat.postEphemeral":
                lines.append(f"(only <@{call.args.get('user')}> sees) {_text_of(call)}")
            elif call.method == "response_url":
                lines.append(f"(only you see) {_text_of(call)}")
            elif call.method == "views.publish":
                lines.append(f"(App Home of <@{call.args.get('user_id')}>)")
                lines += [f"  {line}" for line in _view_lines(call.args.get("view") or {})]
        return lines or ["(no answer within 15 s: see the log lines above)"]


def _view_lines(view: Mapping[str, Any]) -> list[str]:
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


def _is_running(call: ApiCall) -> bool:
    text = _text_of(call)
    return "Approved" in text or "Running" in text


def _is_card(call: ApiCall) -> bool:
    """An approval card: its blocks carry the action's fields."""
    return any(
        "*Action*" in str(field.get("text"))
        for block in call.args.get("blocks") or []
        for field in block.get("fields") or []
    )


async def _lines(script: Path | None, stream: TextIO) -> AsyncIterator[str]:
    if script is not None:
        text = await asyncio.to_thread(script.read_text, encoding="utf-8")
        for line in text.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                yield line.strip()
        return
    loop = asyncio.get_running_loop()
    while True:
        print("you> ", end="", flush=True)
        line = await loop.run_in_executor(None, stream.readline)
        if not line:
            return
        if line.strip():
            yield line.strip()


def _demo_settings(settings: Settings, sandbox: SlackSandbox) -> Settings:
    database_url = settings.database_url
    if database_url == DEFAULT_DATABASE_URL:
        database_url = DEMO_DATABASE_URL
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(sandbox.bot_token),
            "slack_signing_secret": SecretStr(sandbox.signing_secret),
            "slack_app_token": None,
            "slack_api_url": sandbox.api_url,
            "database_url": database_url,
        }
    )


async def _demo_config(settings: Settings, sandbox: SlackSandbox) -> LoadedConfig | None:
    """The user's config if set; else the example, pointed at this sandbox's deploy API."""
    if settings.config_file is not None:
        return None  # the runtime loads SWITCHBOARD_CONFIG itself
    if not EXAMPLE_CONFIG.is_file():
        return LoadedConfig(actions=(), executors={})
    text = await asyncio.to_thread(EXAMPLE_CONFIG.read_text, encoding="utf-8")
    return parse_config(
        text.replace(_EXAMPLE_API, sandbox.base_url + "/"), source=str(EXAMPLE_CONFIG)
    )


def _demo_environ() -> Mapping[str, str]:
    environ = dict(process_environment())
    environ.setdefault("DEPLOY_API_TOKEN", "demo-" + secrets.token_hex(8))
    return environ


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard demo [--script FILE]``."""
    demo = subparsers.add_parser(
        "demo", help="chat with the bot in a local sandbox; no account needed"
    )
    demo.add_argument("--script", type=Path, help="play the lines of FILE and print the transcript")


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """Run the demo (interactive, or the lines of ``--script``); returns the exit code."""
    return await run_demo(settings, script=args.script)


async def run_demo(settings: Settings, *, script: Path | None, out: TextIO | None = None) -> int:
    """Run the demo; returns the process exit code."""
    from bot.runtime import Runtime, RuntimeOptions
    from bot.serve import HttpServer
    from bot.server import SLACK_EVENTS_PATH
    from bot.worker import WorkerOptions
    from sandbox import SlackSandbox

    out = out or sys.stdout
    async with SlackSandbox(signing_secret=secrets.token_hex(16)) as sandbox:
        sandbox.workspace.directory.add_usergroup("S0SRE", "sre", ["U0BOB", "U0CAROL"])
        options = RuntimeOptions(
            worker=WorkerOptions(poll_interval=0.1, expiry_interval=1.0),
            config=await _demo_config(settings, sandbox),
            environ=_demo_environ(),
        )
        runtime = await Runtime.create(_demo_settings(settings, sandbox), options)
        server = HttpServer(runtime, host="127.0.0.1", port=0)
        await server.start()
        sandbox.driver.request_url = f"http://127.0.0.1:{server.port}{SLACK_EVENTS_PATH}"
        try:
            session = DemoSession(sandbox)
            if script is None:
                print(_HELLO, file=out, flush=True)
            async for line in _lines(script, sys.stdin):
                if line == "/quit":
                    break
                if line == "/new":
                    session.new_thread()
                    continue
                if script is not None:
                    who = next(n for n, u in _PEOPLE.items() if u == session.user)
                    print(f"{who}> {line}", file=out)
                for answer in await session.say(line):
                    print(_indent(answer), file=out, flush=True)
        finally:
            await server.close()
    return 0


def _indent(answer: str) -> str:
    lines = answer.splitlines() or [""]
    return "\n".join(
        ("switchboard> " if i == 0 else "             ") + line for i, line in enumerate(lines)
    )
