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
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from floor_report import quiet

from bot.config import Settings
from bot.config_file import parse_config
from bot.runtime import Runtime, RuntimeOptions
from bot.serve import HttpServer
from bot.server import SLACK_EVENTS_PATH
from sandbox import ApiCall, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import Streaming, reply
from sandbox.ratelimits import DEFAULT_LIMITS

Mode = Literal["live", "baseline"]
TurnPath = Literal["model", "rules"]
MODES: tuple[Mode, ...] = ("live", "baseline")
PATHS: tuple[TurnPath, ...] = ("model", "rules")

USER = "U0ALICE"
LLM_KEY = "sk-bench-" + secrets.token_hex(8)
SHORT = 100
QUESTION = {"model": "deploy: how do deploys work?", "rules": "help"}
GOAL_SIGNAL_P95_MS = 300.0
GOAL_TOKEN_P95_MS = 50.0
NO_LIMITS = dict.fromkeys(DEFAULT_LIMITS)
"""Slack's per-minute tiers lifted: turns run back to back, far faster than a workspace may
start streams (Tier 2: 20 a minute); the figures are the bot's delays, not Slack's admission."""
_STREAM_CALLS = ("chat.startStream", "chat.appendStream", "chat.stopStream")
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


@dataclass
class Turn:
    """What one turn showed, in ms from its delivery (the signed POST leaving the sandbox)."""

    mode: Mode
    path: TurnPath
    length: int | None
    signal_ms: float | None  # first assistant.threads.setStatus or reactions.add
    first_text_ms: float | None  # first stream call carrying text, or the posted reply
    done_ms: float | None  # the last call that carries the answer
    token_to_text_ms: float | None  # the model's first piece -> first stream call with text
    calls: dict[str, int] = field(default_factory=dict)
    failed_calls: int = 0

    @property
    def visible_ms(self) -> float | None:
        """The first thing the person sees: a signal, or the answer itself."""
        shown = [t for t in (self.signal_ms, self.first_text_ms) if t is not None]
        return min(shown) if shown else None

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def stream_calls(self) -> int:
        return sum(self.calls.get(method, 0) for method in _STREAM_CALLS)


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


# -- figures ----------------------------------------------------------------------------------


def pct(samples: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile; None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def spread(samples: Sequence[float]) -> dict[str, float | None]:
    return {"p50": pct(samples, 0.5), "p95": pct(samples, 0.95), "n": len(samples)}


def _values(turns: Iterable[Turn], name: str) -> list[float]:
    values = (getattr(t, name) for t in turns)
    return [v for v in values if v is not None]


def latency(turns: Sequence[Turn]) -> dict[str, Any]:
    """p50/p95 of each delay over ``turns``."""
    return {
        "turns": len(turns),
        "signal_ms": spread(_values(turns, "signal_ms")),
        "visible_ms": spread(_values(turns, "visible_ms")),
        "first_text_ms": spread(_values(turns, "first_text_ms")),
        "done_ms": spread(_values(turns, "done_ms")),
        "token_to_text_ms": spread(_values(turns, "token_to_text_ms")),
        "calls_per_answer": statistics.median(t.total_calls for t in turns) if turns else None,
        "failed_calls": sum(t.failed_calls for t in turns),
    }


def per_length(turns: Sequence[Turn]) -> dict[str, Any]:
    """Calls per answer and time to the whole answer, per answer length."""
    rows: dict[str, Any] = {}
    for length in sorted({t.length for t in turns if t.length is not None}):
        same = [t for t in turns if t.length == length]
        methods = Counter[str]()
        for t in same:
            methods.update(t.calls)
        rows[str(length)] = {
            "answers": len(same),
            "calls": statistics.median(t.total_calls for t in same),
            "stream_calls": statistics.median(t.stream_calls for t in same),
            "appends": statistics.median(t.calls.get("chat.appendStream", 0) for t in same),
            "by_method": {m: round(n / len(same), 2) for m, n in sorted(methods.items())},
            "visible_ms": _median(_values(same, "visible_ms")),
            "signals": sum(1 for t in same if t.signal_ms is not None),
            "done_ms": _median(_values(same, "done_ms")),
            "failed_calls": sum(t.failed_calls for t in same),
        }
    return rows


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(ours: float | None, theirs: float | None) -> float | None:
    return None if ours is None or theirs is None or theirs == 0 else ours / theirs


def figures(turns: Sequence[Turn]) -> dict[str, Any]:
    """Every figure of the run (see README: what each figure means)."""
    latency_turns = [t for t in turns if t.length in (None, SHORT)]

    def of(mode: Mode, path: TurnPath, pool: Sequence[Turn]) -> list[Turn]:
        return [t for t in pool if t.mode == mode and t.path == path]

    result: dict[str, Any] = {"latency": {}, "lengths": {}, "ratios": {}}
    for mode in MODES:
        for path in PATHS:
            result["latency"][f"{mode}/{path}"] = latency(of(mode, path, latency_turns))
        result["lengths"][mode] = per_length(of(mode, "model", turns))
    for path in PATHS:
        live, base = result["latency"][f"live/{path}"], result["latency"][f"baseline/{path}"]
        result["ratios"][path] = {
            f"{name}_{q}": ratio(live[name][q], base[base_name][q])
            for name, base_name in (
                ("visible_ms", "visible_ms"),
                ("first_text_ms", "done_ms"),
                ("done_ms", "done_ms"),
            )
            for q in ("p50", "p95")
        }
    for length, row in result["lengths"]["live"].items():
        base_row = result["lengths"]["baseline"].get(length)
        if base_row is not None:
            row["visible_vs_baseline"] = ratio(row["visible_ms"], base_row["visible_ms"])
            row["done_vs_baseline"] = ratio(row["done_ms"], base_row["done_ms"])
    signal = result["latency"]["live/model"]["signal_ms"]["p95"]
    rules_signal = result["latency"]["live/rules"]["signal_ms"]["p95"]
    token = result["latency"]["live/model"]["token_to_text_ms"]["p95"]
    result["goals"] = {
        "signal_p95_le_300ms_model": None if signal is None else signal <= GOAL_SIGNAL_P95_MS,
        "signal_p95_le_300ms_rules": (
            None if rules_signal is None else rules_signal <= GOAL_SIGNAL_P95_MS
        ),
        "token_to_text_p95_le_50ms": None if token is None else token <= GOAL_TOKEN_P95_MS,
    }
    return result


# -- report -----------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pair(row: dict[str, Any], name: str) -> str:
    s = row[name]
    return f"{_f(s['p50'])} / {_f(s['p95'])}"


def report(config: dict[str, Any], env: dict[str, Any], result: dict[str, Any]) -> None:
    """Print the tables."""
    print()
    print(
        f"live_answers  {env['date']}  turns={config['turns']} rounds={config['rounds']} "
        f"lengths={config['lengths']} pace={config['piece_size']} chars/"
        f"{config['interval_s'] * 1000:g} ms ({config['chars_per_s']:.0f} chars/s)"
    )
    print(
        f"{env['cores']} cores ({env['cpu']}), {env['platform']}, python {env['python']}; "
        f"switchboard {env['revision']}; 1-min load {config['loadavg_1m_at_start']} -> "
        f"{env['loadavg_1m_at_end']}"
    )
    print()
    print(f"Latency, ms from delivery (p50 / p95), {SHORT}-char model answers and `help`:")
    header = (
        f"{'bot/path':<16} {'turns':>5} {'signal':>15} {'first visible':>15} "
        f"{'first text':>15} {'answer done':>15} {'token->text':>15} {'calls':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, row in result["latency"].items():
        print(
            f"{name:<16} {row['turns']:>5} {_pair(row, 'signal_ms'):>15} "
            f"{_pair(row, 'visible_ms'):>15} {_pair(row, 'first_text_ms'):>15} "
            f"{_pair(row, 'done_ms'):>15} {_pair(row, 'token_to_text_ms'):>15} "
            f"{_f(row['calls_per_answer'], 0):>6}"
        )
    print()
    print("Live vs baseline (p50 / p95; below 1 is sooner):")
    for path, r in result["ratios"].items():
        print(
            f"  {path:<6} first visible {_f(r['visible_ms_p50'], 3)} / "
            f"{_f(r['visible_ms_p95'], 3)}   first text vs baseline's answer "
            f"{_f(r['first_text_ms_p50'], 3)} / {_f(r['first_text_ms_p95'], 3)}   "
            f"answer done {_f(r['done_ms_p50'], 3)} / {_f(r['done_ms_p95'], 3)}"
        )
    print()
    print("Slack calls per model answer (medians), by answer length:")
    header = (
        f"{'bot':<9} {'chars':>6} {'answers':>7} {'calls':>6} {'stream':>7} {'appends':>8} "
        f"{'visible ms':>11} {'vs base':>8} {'done ms':>9} {'vs base':>8}  "
        "by method (mean per answer)"
    )
    print(header)
    print("-" * len(header))
    for mode, rows in result["lengths"].items():
        for length, row in rows.items():
            methods = ", ".join(f"{m} {n:g}" for m, n in row["by_method"].items())
            print(
                f"{mode:<9} {length:>6} {row['answers']:>7} {row['calls']:>6g} "
                f"{row['stream_calls']:>7g} {row['appends']:>8g} {_f(row['visible_ms']):>11} "
                f"{_f(row.get('visible_vs_baseline'), 3):>8} {_f(row['done_ms'], 0):>9} "
                f"{_f(row.get('done_vs_baseline'), 3):>8}  {methods}"
            )
    print()
    for goal, met in result["goals"].items():
        print(f"goal {goal:<28} {'n/a' if met is None else ('met' if met else 'NOT met')}")
    failed = sum(row["failed_calls"] for row in result["latency"].values())
    if failed:
        print(f"note: {failed} Slack calls were answered with an error (see --json)")


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
