"""The baselines ``ack_and_turns.py`` measures Switchboard against, as one small server.

``--mode naive``: the Bolt bot a team writes first. An ``AsyncApp`` whose ``app_mention``
listener replies in the thread with ``say``; it persists nothing, dedupes nothing, and its
``AsyncWebClient`` has no shared session (slack_sdk then opens one per call).
``--mode noop``: the same app whose listener does nothing: the floor of Bolt + aiohttp.
``--mode durable --database FILE``: the naive bot plus the durable records Switchboard keeps
for a turn (see :class:`DurableRecords`), written with the standard library's ``sqlite3``
into Switchboard's own schema (``FILE`` already migrated): what durability alone costs a Bolt
bot, without Switchboard's pipeline, SQLAlchemy or pydantic.

Both bind 127.0.0.1 only, log at warning, print ``{"event": "listening", "port": N}`` on stdout
once serving, and exit cleanly on SIGTERM or SIGINT. Settings come from the environment:
``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET`` and ``SLACK_API_URL`` (the sandbox's Web API).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sqlite3
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

HOST = "127.0.0.1"
EVENTS_PATH = "/slack/events"


HELP = "Hi <@{user}>! Here is some help."

Work = Callable[[sqlite3.Connection], Any]


def _now() -> str:
    # As SQLAlchemy binds Switchboard's UTC timestamps on SQLite.
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class DurableRecords:
    """The rows Switchboard writes for a ``help`` mention, in its three transactions, with the
    same statements (``benchmarks/turn_cost.py`` lists them): the claim before the ack (the
    event, ``claimed``); before the reply is posted, the conversation, the person's message,
    the pending reply, the trace and the erasure check; once Slack accepted the reply, the
    reply ``sent`` with its ts, the trace delivered and the event ``done``.

    The connection is set up as Switchboard's (WAL, ``synchronous=NORMAL``, foreign keys,
    ``secure_delete``) and used on the event loop, as Switchboard's inline writes are.
    Transactions asked for in the same pass of the loop share one commit (a group commit, as
    Switchboard's under load); a failing statement fails every write of its group. SQLite's
    own checkpoints (every 1,000 pages of WAL) run in the committing call.
    """

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "secure_delete=ON",
            "busy_timeout=5000",
        ):
            self._db.execute(f"PRAGMA {pragma}")
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []

    def close(self) -> None:
        self._db.close()

    def transaction(self, work: Work) -> Awaitable[Any]:
        """``work(connection)`` in a committed transaction, shared with the loop's others."""
        loop = asyncio.get_running_loop()
        if not self._pending:
            loop.call_soon(self._commit)
        done: asyncio.Future[Any] = loop.create_future()
        self._pending.append((work, done))
        return done

    def _commit(self) -> None:
        group, self._pending = self._pending, []
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                results = [work(self._db) for work, _ in group]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except Exception as exc:  # handed to every waiter of the group
            for _, done in group:
                done.set_exception(exc)
            return
        for (_, done), result in zip(group, results, strict=True):
            done.set_result(result)

    async def claim(self, team: str, event_id: str, event: dict[str, Any], trace: str) -> bool:
        """The event claimed (False: a duplicate delivery, already claimed)."""
        now = _now()

        def write(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "INSERT INTO events (team_id, event_id, trace_id, source, channel_id, user_id,"
                " text, ts, thread_ts, received_at, status, attempts, lease_owner,"
                " lease_expires_at) VALUES (?, ?, ?, 'mention', ?, ?, ?, ?, ?, ?, 'claimed', 1,"
                " ?, ?) ON CONFLICT (team_id, event_id) DO NOTHING RETURNING id",
                (
                    team,
                    event_id,
                    trace,
                    event["channel"],
                    event["user"],
                    event.get("text", ""),
                    event["ts"],
                    event.get("thread_ts") or event["ts"],
                    now,
                    "durable-baseline",
                    now,
                ),
            ).fetchone()
            return row is not None

        return bool(await self.transaction(write))

    async def record(
        self, team: str, event_id: str, event: dict[str, Any], trace: str, reply: str
    ) -> None:
        """The turn's record, durable before the reply is posted."""
        now = _now()
        thread = event.get("thread_ts") or event["ts"]

        def write(db: sqlite3.Connection) -> None:
            row = db.execute(
                "INSERT INTO conversations (team_id, channel_id, thread_ts, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (team_id, channel_id,"
                " thread_ts) DO NOTHING RETURNING id",
                (team, event["channel"], thread, now, now),
            ).fetchone()
            if row is None:
                row = db.execute(
                    "SELECT id FROM conversations WHERE team_id = ? AND channel_id = ?"
                    " AND thread_ts = ?",
                    (team, event["channel"], thread),
                ).fetchone()
            conversation = row[0]
            db.execute(
                "INSERT INTO messages (conversation_id, direction, user_id, text, trace_id,"
                " status, ts, created_at) VALUES (?, 'in', ?, ?, ?, 'received', ?, ?)"
                " ON CONFLICT (trace_id, direction) DO NOTHING RETURNING id",
                (conversation, event["user"], event.get("text", ""), trace, event["ts"], now),
            ).fetchone()
            db.execute(
                "INSERT INTO messages (conversation_id, direction, user_id, text, trace_id,"
                " agent, reply_json, status, ts, created_at) VALUES (?, 'out', '', ?, ?,"
                " 'help', '{}', 'pending', NULL, ?) ON CONFLICT (trace_id, direction)"
                " DO NOTHING RETURNING id",
                (conversation, reply, trace, now),
            ).fetchone()
            db.execute(
                "INSERT INTO traces (trace_id, team_id, channel_id, user_id, event_id, source,"
                " agent, route_reason, route_score, outcome, started_at, route_ms, agent_ms,"
                " total_ms, planner, input_tokens, output_tokens, cost_micros, tool_calls)"
                " VALUES (?, ?, ?, ?, ?, 'mention', 'help', 'keyword', 0.5, 'replied', ?, 0,"
                " 0, 0, 'rules', 0, 0, 0, '[]')",
                (trace, team, event["channel"], event["user"], event_id, now),
            )
            db.execute(
                "SELECT events.text FROM events WHERE events.team_id = ? AND events.event_id = ?",
                (team, event_id),
            ).fetchone()

        await self.transaction(write)

    async def complete(self, team: str, event_id: str, trace: str, ts: str) -> None:
        """The reply sent, the trace delivered, the event done."""
        now = _now()

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE messages SET status = 'sent', ts = ? WHERE messages.trace_id = ?"
                " AND messages.direction = 'out'",
                (ts, trace),
            )
            db.execute("UPDATE traces SET delivered_at = ? WHERE traces.trace_id = ?", (now, trace))
            db.execute(
                "UPDATE events SET text = '', status = 'done', finished_at = ?,"
                " lease_owner = NULL, lease_expires_at = NULL WHERE events.team_id = ?"
                " AND events.event_id = ?",
                (now, team, event_id),
            )

        await self.transaction(write)


class ClaimFirst(AsyncMiddleware):
    """Claims a mention's delivery before Bolt acks it; a duplicate is acked and dropped. A
    middleware class, so Bolt calls it without building injected arguments for it."""

    def __init__(self, records: DurableRecords) -> None:
        self._records = records

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        body = req.body
        event = body.get("event") or {}
        if event.get("type") != "app_mention":
            return await next()
        trace = uuid.uuid4().hex
        if not await self._records.claim(body["team_id"], body["event_id"], event, trace):
            return BoltResponse(status=200, body="")  # a duplicate: acked, not run again
        req.context["trace_id"] = trace
        return await next()


def _add_durable_turn(app: AsyncApp, records: DurableRecords) -> None:
    """Claim in a middleware (before Bolt acks), record, reply, complete."""
    app.use(ClaimFirst(records))

    @app.event("app_mention")
    async def reply(
        event: dict[str, Any], body: dict[str, Any], context: Any, say: AsyncSay
    ) -> None:
        team, event_id, trace = body["team_id"], body["event_id"], context["trace_id"]
        text = HELP.format(user=event["user"])
        await records.record(team, event_id, event, trace, text)
        posted = await say(text=text, thread_ts=event["ts"])
        await records.complete(team, event_id, trace, posted["ts"])


def build_app(
    mode: str,
    *,
    token: str,
    signing_secret: str,
    api_url: str,
    records: DurableRecords | None = None,
) -> AsyncApp:
    """The Bolt app for ``mode`` (``naive``, ``noop`` or ``durable`` with ``records``)."""
    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
    )

    if mode == "durable":
        if records is None:
            raise ValueError("--mode durable needs --database")
        _add_durable_turn(app, records)
    elif mode == "naive":

        @app.event("app_mention")
        async def reply(event: dict[str, Any], say: AsyncSay) -> None:
            await say(text=HELP.format(user=event["user"]), thread_ts=event["ts"])

    else:

        @app.event("app_mention")
        async def ignore(event: dict[str, Any]) -> None:
            return None

    return app


async def serve(mode: str, port: int, database: str | None = None) -> None:
    """Serve the app on 127.0.0.1:``port`` until SIGTERM or SIGINT."""
    records = DurableRecords(database) if mode == "durable" and database else None
    app = build_app(
        mode,
        # Popped: Bolt would also read it from the environment and warn that ``client`` wins.
        token=os.environ.pop("SLACK_BOT_TOKEN"),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ["SLACK_API_URL"],
        records=records,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app.web_app(path=EVENTS_PATH, port=port), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, port)
        await site.start()
        bound = int(runner.addresses[0][1])
        print(json.dumps({"event": "listening", "mode": mode, "port": bound}), flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        if records is not None:
            records.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python benchmarks/baseline_bots.py --mode naive|noop|durable [--port N]
    [--database FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("naive", "noop", "durable"), required=True)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--database", help="durable: a SQLite file with Switchboard's schema")
    args = parser.parse_args(argv)
    if (args.mode == "durable") != bool(args.database):
        parser.error("--database goes with --mode durable, and only with it")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(args.mode, args.port, args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
