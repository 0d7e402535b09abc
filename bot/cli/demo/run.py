"""Start the sandbox, the model, the bot and its worker in one process, and play the lines."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import secrets
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

import yaml
from pydantic import SecretStr

from bot.cli.conventions import Subparsers
from bot.cli.demo.model import DemoModel, ModelChoiceError, parse_model, with_model
from bot.cli.demo.screen import Screen
from bot.cli.demo.session import DemoSession
from bot.cli.demo.tools import with_demo_mcp
from bot.config import DEFAULT_DATABASE_URL, Settings, process_environment
from bot.config_file import LoadedConfig, parse_config

if TYPE_CHECKING:
    from sandbox import SlackSandbox
    from sandbox.llm_server import ScriptedLLMServer

__all__ = ["DEMO_DATABASE_URL", "add_parser", "command", "run_demo"]

DEMO_DATABASE_URL = "sqlite+aiosqlite:///var/demo.db"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "switchboard.yaml"
_EXAMPLE_API = "http://127.0.0.1:3001/"
_CHANNEL = "C0GENERAL"
_TOUR_KEY = "demo-tour"
_HELLO = """\
Switchboard demo: you are alice in #general, talking to @switchboard ({planner}).
Try: status of api · deploy api to prod, then /as bob and /approve · health of db1 (a tool
of a local MCP server) · explain the deploy process, then /stop · hello there · /ops help ·
/ops approvals · /reject REASON · /up · /down WHY · /home · /new · /quit
"""


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard demo [--script FILE] [--model PROVIDER:MODEL] [--base-url URL]``."""
    demo = subparsers.add_parser(
        "demo", help="chat with the bot in a local sandbox; no account needed"
    )
    demo.add_argument("--script", type=Path, help="play the lines of FILE and print the transcript")
    demo.add_argument(
        "--model",
        metavar="PROVIDER:MODEL",
        help="plan with this model: openai:…, anthropic:… (key from OPENAI_API_KEY or "
        "ANTHROPIC_API_KEY), ollama:…, or local:… with --base-url (default: a scripted model)",
    )
    demo.add_argument(
        "--base-url", help="where the model's server listens (an OpenAI-compatible one for local)"
    )


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """Run the demo (interactive, or the lines of ``--script``); returns the exit code."""
    environ = process_environment()
    model = None
    try:
        if args.base_url and not args.model:
            raise ModelChoiceError("--base-url needs --model (e.g. --model local:llama3.1)")
        if args.model:
            model = parse_model(args.model, base_url=args.base_url, environ=environ)
            if settings.config_file is not None:
                raise ModelChoiceError(
                    "--model sets up the demo's example config; SWITCHBOARD_CONFIG is set, so "
                    "declare the provider in that file (providers:, and model: per agent)"
                )
    except ModelChoiceError as exc:
        print(f"switchboard demo: {exc}", file=sys.stderr)
        return 2
    return await run_demo(settings, script=args.script, model=model, environ=environ)


async def run_demo(
    settings: Settings,
    *,
    script: Path | None,
    model: DemoModel | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the demo; returns the process exit code (1: a played line got no answer)."""
    from sandbox import SlackSandbox

    out = out or sys.stdout
    environ = _with_demo_token(process_environment() if environ is None else environ)
    stack = contextlib.AsyncExitStack()
    async with stack:
        sandbox = await stack.enter_async_context(
            SlackSandbox(signing_secret=secrets.token_hex(16))
        )
        sandbox.workspace.directory.add_usergroup("S0SRE", "sre", ["U0BOB", "U0CAROL"])
        planner = model.label if model is not None else "rules planner"
        if model is None and settings.config_file is None:
            tour, planner = await _tour_model(stack)
            model = tour
            environ = {**environ, "SWITCHBOARD_DEMO_TOUR_KEY": _TOUR_KEY}
        config = await _demo_config(settings, sandbox, model)
        exit_code = await _play(settings, sandbox, config, environ, script, out, planner)
    return exit_code


def sdk_installed(name: str) -> bool:
    """Whether the LLM SDK ``name`` (an optional extra) can be imported."""
    return importlib.util.find_spec(name) is not None


async def _tour_model(stack: contextlib.AsyncExitStack) -> tuple[DemoModel | None, str]:
    """The scripted model on loopback, if an LLM SDK is installed to talk to it."""
    from bot.cli.demo.tour import tour_step
    from sandbox.llm_server import ScriptedLLMServer

    kinds: tuple[Literal["openai", "anthropic"], ...] = ("openai", "anthropic")
    kind = next((k for k in kinds if sdk_installed(k)), None)
    if kind is None:
        hint = ".venv/bin/pip install -e '.[openai]'"
        return None, f"rules planner; {hint} for the scripted model's tour"
    server: ScriptedLLMServer = await stack.enter_async_context(
        ScriptedLLMServer(api_key=_TOUR_KEY, responder=tour_step)
    )
    url = server.openai_base_url if kind == "openai" else server.anthropic_base_url
    model = DemoModel(
        kind,
        "tour",
        url,
        "SWITCHBOARD_DEMO_TOUR_KEY",
        "scripted model",
        agents=("deploy",),
        free=True,
    )
    return model, "a scripted model plans for the deploy agent"


async def _play(
    settings: Settings,
    sandbox: SlackSandbox,
    config: LoadedConfig | None,
    environ: Mapping[str, str],
    script: Path | None,
    out: TextIO,
    planner: str,
) -> int:
    from bot.runtime import Runtime, RuntimeOptions
    from bot.serve import HttpServer
    from bot.server import SLACK_EVENTS_PATH
    from bot.worker import WorkerOptions

    options = RuntimeOptions(
        worker=WorkerOptions(poll_interval=0.1, expiry_interval=1.0),
        config=config,
        environ=environ,
    )
    runtime = await Runtime.create(_demo_settings(settings, sandbox), options)
    server = HttpServer(runtime, host="127.0.0.1", port=0)
    await server.start()
    sandbox.driver.request_url = f"http://127.0.0.1:{server.port}{SLACK_EVENTS_PATH}"
    session = DemoSession(
        sandbox, busy=lambda: runtime.runner.in_flight + runtime.worker.busy, channel=_CHANNEL
    )
    try:
        if script is None:
            return await _interactive(
                session, Screen(sandbox, out, channel=_CHANNEL, live=True), out, planner
            )
        return await _scripted(session, Screen(sandbox, out, channel=_CHANNEL), script, out)
    finally:
        await server.close()


async def _scripted(session: DemoSession, screen: Screen, script: Path, out: TextIO) -> int:
    """Play the script's lines, each after the bot is done with the one before; 1 if a
    message got no answer."""
    text = await asyncio.to_thread(script.read_text, encoding="utf-8")
    lines = [s.strip() for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")]
    unanswered = 0
    for index, line in enumerate(lines):
        if line == "/quit":
            break
        print(f"{session.who}> {line}", file=out)
        note = await session.act(line)
        if note is not None:
            print(note, file=out)
        stopping_next = index + 1 < len(lines) and lines[index + 1] == "/stop"
        await session.settle(until_streaming=stopping_next)
        shown = screen.flush()
        if not line.startswith("/") and shown == 0 and not stopping_next:
            print("(no answer within 15 s: see the log lines above)", file=out)
            unanswered += 1
    return 1 if unanswered else 0


async def _interactive(session: DemoSession, screen: Screen, out: TextIO, planner: str) -> int:
    """Read lines from the terminal while the screen shows the bot's work as it happens; at
    ``/quit`` or the end of input (a pipe), wait for the bot to finish (at most 15 s)."""
    print(_HELLO.format(planner=planner), file=out, flush=True)

    async def show() -> None:
        while True:
            screen.flush()
            await asyncio.sleep(0.05)

    painter = asyncio.create_task(show(), name="demo-screen")
    try:
        async for line in _typed(sys.stdin):
            if line == "/quit":
                break
            note = await session.act(line)
            if note is not None:
                screen.break_line()
                print(note, file=out, flush=True)
        await session.settle()  # input ended: what was asked gets its answer first
    finally:
        painter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await painter
        screen.flush()
    return 0


async def _typed(stream: TextIO) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
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


async def _demo_config(
    settings: Settings, sandbox: SlackSandbox, model: DemoModel | None
) -> LoadedConfig | None:
    """The user's config if set; else the example, pointed at this sandbox's deploy API, with
    the demo's local MCP server (:mod:`.tools`), its agents planning with ``model`` (the
    scripted one plans for the deploy agent alone)."""
    if settings.config_file is not None:
        return None  # the runtime loads SWITCHBOARD_CONFIG itself
    if not EXAMPLE_CONFIG.is_file():
        return LoadedConfig(actions=(), executors={})
    text = await asyncio.to_thread(EXAMPLE_CONFIG.read_text, encoding="utf-8")
    text = text.replace(_EXAMPLE_API, sandbox.base_url + "/")
    document = with_demo_mcp(yaml.safe_load(text))
    if model is not None:
        document = with_model(document, model)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return parse_config(text, source=str(EXAMPLE_CONFIG))


def _with_demo_token(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with a token for the example's deploy API (the sandbox's) if it has none."""
    return {"DEPLOY_API_TOKEN": "demo-" + secrets.token_hex(8), **environ}
