"""Work you can watch (issue 14): how soon a turn shows a sign of life, how little the streamed
answer lags the model, and how many Slack calls an answer costs, beside the bot that posts once.

Two bots run in this process on the real HTTP path (``Runtime`` + ``HttpServer``, one SQLite
file each), behind one ``SlackSandbox`` and one ``ScriptedLLMServer``, all on 127.0.0.1:

- ``live``: ``live_status=True, stream_answers=True`` (the status line, the streamed answer);
- ``baseline``: ``live_status=False, stream_answers=False`` (the ⏳ reaction after a second of
  work, the answer posted once at the end).

Every turn is a new assistant thread in the person's DM with the app, one message in it:

- ``model``: ``deploy: how do deploys work?``; the deploy agent's model (the scripted server)
  streams an answer of N characters at a set pace (``--piece-size`` characters every
  ``--interval`` seconds; 12 every 30 ms is about 100 tokens/s);
- ``rules``: ``help``; no model, the rules planner answers.

``--turns`` short turns per bot and path (the model writing 100 characters) give the latency
figures; ``--rounds`` rounds of one model answer per ``--lengths`` give the calls per answer.
The two bots take turns, so a slow moment of the machine hits both.

    python benchmarks/live_answers.py [--turns T] [--rounds R] [--lengths 100,1000,4000]
        [--piece-size P] [--interval S] [--json FILE]

Prints p50/p95 per bot and path, the goals' verdicts and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floor_report import quiet
from live_figures import MODES, PATHS, SHORT, Mode, Turn, TurnPath, figures, report

from bot.config import Settings
from bot.config_file import parse_config
from bot.runtime import Runtime, RuntimeOptions
from bot.serve import HttpServer
from bot.server import SLACK_EVENTS_PATH
from sandbox import ApiCall, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import Streaming, reply
from sandbox.ratelimits import DEFAULT_LIMITS

USER = "U0ALICE"
LLM_KEY = "sk-bench-" + secrets.token_hex(8)
QUESTION = {"model": "deploy: how do deploys work?", "rules": "help"}
NO_LIMITS = dict.fromkeys(DEFAULT_LIMITS)
"""Slack's per-minute tiers lifted: turns run back to back, far faster than a workspace may
start streams (Tier 2: 20 a minute); the figures are the bot's delays, not Slack's admission."""
_PROSE = (
    "Deploys go through an approval card: a second engineer approves, then the job runs once "
    "and its result is posted in the thread where it was asked. Rollbacks need two approvers "
    "and never the person who asked; a status check runs at once because it only reads."
)
_WORDS = _PROSE.split()

CONFIG = """
version: 1
actions:
  - name: version
    agent: deploy
    description: Show the version a service runs
    risk: read
    params:
      service: {{type: enum, choices: [api, web]}}
    formats: ["version of {{service}}"]
    executor:
      http:
        method: GET
        url: "{deploy_api}/deploy-api/services/{{service}}/status"
        idempotent: true
        success: {{status: [200]}}
agents:
  - name: deploy
    keywords: [deploy]
    system_prompt: You help engineers ship services.
    model: {{providers: [scripted], model: bench-model, max_steps: 2, max_tool_calls: 1}}
providers:
  - name: scripted
    kind: openai
    base_url: {llm}
    api_key_env: BENCH_LLM_KEY
    timeout: 60s
    prices: {{bench-model: {{input: 0.0, output: 0.0}}}}
"""
# The deploy agent plans with the scripted model (it needs an action in scope to; the model
# only ever answers with text); ``help`` stays with the rules.


def answer_text(length: int) -> str:
    """``length`` characters of plain prose ending with a full stop (no trailing space: the
    reply is stripped, and a streamed answer that ends differently is replaced whole)."""
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(_WORDS[len(words) % len(_WORDS)])
    text = " ".join(words)[: length - 1]
    return (text[:-1] + "s" if text.endswith(" ") else text) + "."


# -- one turn ---------------------------------------------------------------------------------


def carries_text(call: ApiCall) -> bool:
    """A stream call with answer text in it (not only a plan's task)."""
    if call.method not in ("chat.startStream", "chat.appendStream"):
        return False
    if call.args.get("markdown_text"):
        return True
    chunks = call.args.get("chunks") or []
    return any(c.get("type") == "markdown_text" and c.get("text") for c in chunks)


class Bot:
    """One wired bot serving HTTP on 127.0.0.1."""

    def __init__(self, mode: Mode, runtime: Runtime, server: HttpServer) -> None:
        self.mode = mode
        self.runtime = runtime
        self.server = server
        self.url = f"http://127.0.0.1:{server.port}{SLACK_EVENTS_PATH}"

    @classmethod
    async def start(
        cls, mode: Mode, sandbox: SlackSandbox, llm: ScriptedLLMServer, database: Path
    ) -> Bot:
        settings = Settings.model_validate(
            {
                "SLACK_BOT_TOKEN": sandbox.bot_token,
                "SLACK_SIGNING_SECRET": sandbox.signing_secret,
                "SWITCHBOARD_SLACK_API_URL": sandbox.api_url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            }
        )
        config = parse_config(CONFIG.format(deploy_api=sandbox.base_url, llm=llm.openai_base_url))
        live = mode == "live"
        options = RuntimeOptions(
            config=config,
            environ={"BENCH_LLM_KEY": LLM_KEY},
            live_status=live,
            stream_answers=live,
        )
        runtime = await Runtime.create(settings, options)
        server = HttpServer(runtime, host="127.0.0.1", port=0)
        await server.start()
        return cls(mode, runtime, server)

    async def idle(self, timeout: float) -> None:
        """Wait for every running turn to end."""
        if await self.runtime.runner.drain(timeout=timeout):
            raise RuntimeError(f"a {self.mode} turn did not end within {timeout:g}s")

    async def close(self) -> None:
        await self.server.close()


class Bench:
    """Drives turns through the sandbox and reads what each turn did from the call log."""

    def __init__(
        self, sandbox: SlackSandbox, llm: ScriptedLLMServer, *, pace: Streaming, timeout: float
    ) -> None:
        self.sandbox = sandbox
        self.llm = llm
        self.pace = pace
        self.timeout = timeout

    async def turn(self, bot: Bot, path: TurnPath, length: int | None) -> Turn:
        """One message in a new assistant thread, measured (see the module docstring)."""
        sandbox, llm = self.sandbox, self.llm
        sandbox.driver.request_url = bot.url
        root = await sandbox.people.start_assistant_thread(user=USER)
        await sandbox.calls.wait_for(
            "assistant.threads.setSuggestedPrompts",
            where=lambda c: c.args.get("thread_ts") == root.ts,
            timeout=self.timeout,
        )
        text = answer_text(length) if length is not None else ""
        if path == "model":
            llm.script(reply(text, stream=self.pace))
        asked = len(llm.requests)
        mark = len(sandbox.calls)
        sent = await sandbox.people.say(
            QUESTION[path], user=USER, channel=root.channel, thread_ts=root.ts
        )
        returned = time.monotonic()
        (delivery,) = sent.deliveries
        if not delivery.acked:
            raise RuntimeError(f"the {bot.mode} bot did not ack: {delivery.status}")
        # The POST left when the delivery started; nothing yields between its answer and here.
        sent_at = returned - delivery.elapsed
        await bot.idle(self.timeout)
        calls = sandbox.calls.all()[mark:]
        first_piece: float | None = None
        if path == "model":
            first_piece = await self._first_piece(asked, bot.mode)
        return self._measure(bot.mode, path, length, calls, sent_at, root.ts, first_piece, text)

    async def _first_piece(self, asked: int, mode: Mode) -> float | None:
        llm = self.llm
        if len(llm.requests) != asked + 1 or llm.pending:
            raise RuntimeError(f"a {mode} model turn made {len(llm.requests) - asked} requests")
        await llm.wait_for_streams(asked + 1, timeout=self.timeout)
        (record,) = [s for s in llm.streams if s.index == asked]
        if record.outcome != "completed":
            raise RuntimeError(f"a {mode} model stream ended {record.outcome!r}")
        return record.first_piece_at

    def _measure(
        self,
        mode: Mode,
        path: TurnPath,
        length: int | None,
        calls: Sequence[ApiCall],
        sent_at: float,
        thread_ts: str,
        first_piece: float | None,
        text: str,
    ) -> Turn:
        def ms(at: float | None) -> float | None:
            return None if at is None else (at - sent_at) * 1000

        def first(where: Iterable[ApiCall]) -> float | None:
            return next((c.at for c in where), None)

        signal = first(
            c for c in calls if c.method in ("assistant.threads.setStatus", "reactions.add")
        )
        replies = [
            c
            for c in calls
            if c.method == "chat.postMessage" and c.args.get("thread_ts") == thread_ts
        ]
        streamed = [c for c in calls if carries_text(c)]
        first_text = first(streamed) if streamed else first(replies)
        answering = [
            c for c in calls if c.method in ("chat.stopStream", "chat.update") or c in replies
        ]
        done = answering[-1].at if answering else None
        token_to_text = None
        if first_piece is not None and streamed:
            token_to_text = (streamed[0].at - first_piece) * 1000
        if path == "model" and mode == "live":
            self._check_streamed(calls, text)
        return Turn(
            mode=mode,
            path=path,
            length=length,
            signal_ms=ms(signal),
            first_text_ms=ms(first_text),
            done_ms=ms(done),
            token_to_text_ms=token_to_text,
            calls=dict(Counter(c.method for c in calls)),
            failed_calls=sum(1 for c in calls if not c.ok),
        )

    def _check_streamed(self, calls: Sequence[ApiCall], text: str) -> None:
        started = [c for c in calls if c.method == "chat.startStream" and c.ok]
        if len(started) != 1:
            seen = [(c.method, c.status, c.response.get("error")) for c in calls]
            raise RuntimeError(f"a live model turn started {len(started)} streams: {seen}")
        stream = self.sandbox.streams.get(str(started[0].response["ts"]))
        if stream is None or stream.text != text:
            raise RuntimeError("a live model turn did not stream its answer whole")


def environment() -> dict[str, Any]:
    """The machine and the measured revision, for the record."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head = ""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": head or "?",
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }


# -- the run ----------------------------------------------------------------------------------


def progress(message: str) -> None:
    """One line of progress on stderr (the figures go to stdout)."""
    print(message, file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the sandbox, the model server and both bots; run the turns; stop everything."""
    loadavg = round(os.getloadavg()[0], 2)
    pace = Streaming(piece_size=args.piece_size, interval=args.interval)
    turns: list[Turn] = []
    with tempfile.TemporaryDirectory(prefix="switchboard-live-") as tmp:
        async with (
            SlackSandbox(signing_secret=secrets.token_hex(16), rate_limits=NO_LIMITS) as sandbox,
            ScriptedLLMServer(api_key=LLM_KEY) as llm,
        ):
            bots: list[Bot] = []
            try:
                for mode in MODES:
                    bots.append(await Bot.start(mode, sandbox, llm, Path(tmp) / f"{mode}.db"))
                bench = Bench(sandbox, llm, pace=pace, timeout=args.turn_timeout)
                for bot in bots:  # warm-up: first connections, first statements
                    for path in PATHS:
                        await bench.turn(bot, path, SHORT)
                began = time.monotonic()
                for index in range(args.turns):
                    order = bots if index % 2 == 0 else bots[::-1]
                    for path in PATHS:
                        for bot in order:
                            turns.append(
                                await bench.turn(bot, path, SHORT if path == "model" else None)
                            )
                progress(f"{args.turns} latency turns per bot and path in "
                         f"{time.monotonic() - began:.1f}s")  # fmt: skip
                for round_index in range(args.rounds):
                    order = bots if round_index % 2 == 0 else bots[::-1]
                    for length in args.lengths:
                        for bot in order:
                            turns.append(await bench.turn(bot, "model", length))
                    progress(f"round {round_index + 1}/{args.rounds} of answer lengths done")
            finally:
                for bot in bots:
                    await bot.close()
    config = {
        "turns": args.turns,
        "rounds": args.rounds,
        "lengths": args.lengths,
        "piece_size": args.piece_size,
        "interval_s": args.interval,
        "chars_per_s": args.piece_size / args.interval if args.interval else math.inf,
        "loadavg_1m_at_start": loadavg,
        "delivery": "assistant thread in the DM (message.im), HTTP",
    }
    env = environment()
    result = figures(turns)
    report(config, env, result)
    return {
        "config": config,
        "environment": env,
        "figures": result,
        "turns": [asdict(t) for t in turns],
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, optionally write the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--turns", type=int, default=30, help="latency turns per bot and path (default 30)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds of one answer per length (default 1)"
    )
    parser.add_argument(
        "--lengths",
        type=lambda s: [int(n) for n in s.split(",")],
        default=[SHORT, 1000, 4000],
        help="answer lengths in characters, comma-separated (default 100,1000,4000)",
    )
    parser.add_argument(
        "--piece-size", type=int, default=12, help="characters per model piece (default 12)"
    )
    parser.add_argument(
        "--interval", type=float, default=0.03, help="seconds between pieces (default 0.03)"
    )
    parser.add_argument(
        "--turn-timeout", type=float, default=60.0, help="seconds a turn may take (default 60)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures and every turn here")
    args = parser.parse_args(argv)
    if args.turns < 1 or args.rounds < 0 or min(args.lengths) < 1 or args.piece_size < 1:
        parser.error("--turns, --lengths and --piece-size must be at least 1, --rounds >= 0")
    quiet()
    result = asyncio.run(run(args))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
