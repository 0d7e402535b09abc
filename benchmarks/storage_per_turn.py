"""Storage per turn: a soak of ``help`` mentions, and the SQLite file's bytes per turn by table
and index.

``switchboard run`` (no config file, on a fresh SQLite file, as ``ack_and_turns.py`` starts it)
behind one in-process ``SlackSandbox`` gets ``--turns`` signed ``app_mention`` deliveries of
``<@bot> help``, each a new thread, ``--concurrency`` at a time in batches, every reply awaited
(``ack_and_turns.py``'s load generator). After the bot stopped (its WAL checkpointed into the
file), SQLite's ``dbstat`` gives the pages each table and index takes, and their payload;
divided by the turns, with the file's own size per turn. Figures are bytes: they do not move
with the machine's load.

    python benchmarks/storage_per_turn.py [--turns N] [--concurrency C] [--json FILE]
                                          [--switchboard-cmd CMD]

See benchmarks/README.md ("Storage per turn") for the figures measured so far.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from ack_and_turns import (
    APP_ID,
    HOST,
    SWITCHBOARD,
    BotProcess,
    LoadGenerator,
    Server,
    add_switchboard_cmd,
    exit_with,
    free_port,
    progress,
    run_quietly,
    switchboard_argv,
    switchboard_env,
    wait_healthy,
)

from sandbox import SlackSandbox


def bytes_by_name(database: Path) -> dict[str, dict[str, Any]]:
    """Pages on disk and payload of every table and index (``dbstat``), and rows per table."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        kinds = dict(conn.execute("SELECT name, type FROM sqlite_master"))
        result: dict[str, dict[str, Any]] = {}
        for name, pages, payload in conn.execute(
            "SELECT name, SUM(pgsize), SUM(payload) FROM dbstat GROUP BY name"
        ):
            kind = kinds.get(name, "table" if name == "sqlite_schema" else "index")
            rows = None
            if kind == "table":
                rows = conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            result[name] = {
                "kind": kind,
                "pages": int(pages),
                "payload": int(payload),
                "rows": rows,
            }
        return result


def report(turns: int, file_bytes: int, sizes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Print bytes per turn by table and index, largest first; return them."""
    per_turn = {
        name: {
            **size,
            "pages_per_turn": size["pages"] / turns,
            "payload_per_turn": size["payload"] / turns,
        }
        for name, size in sizes.items()
    }
    print()
    print(f"storage_per_turn: {turns} help mentions, each a new thread")
    header = f"{'table or index':<36} {'kind':<6} {'rows':>7} {'pages B/turn':>13}"
    print(f"{header} {'payload B/turn':>15}")
    ordered = sorted(per_turn.items(), key=lambda item: -item[1]["pages"])
    empty = [size for _, size in ordered if not size["payload"]]
    for name, size in ordered:
        if not size["payload"]:  # an empty table or index: one page, whatever the turns
            continue
        rows = "" if size["rows"] is None else str(size["rows"])
        print(
            f"{name:<36} {size['kind']:<6} {rows:>7} {size['pages_per_turn']:>13.0f} "
            f"{size['payload_per_turn']:>15.0f}"
        )
    fixed = sum(size["pages"] for size in empty) / turns
    print(f"{f'{len(empty)} empty tables and indexes':<36} {'':<6} {'':>7} {fixed:>13.0f}")
    total_pages = sum(s["pages"] for s in sizes.values())
    total_payload = sum(s["payload"] for s in sizes.values())
    print(
        f"{'total (every table and index)':<36} {'':<6} {'':>7} {total_pages / turns:>13.0f} "
        f"{total_payload / turns:>15.0f}"
    )
    print(f"SQLite file: {file_bytes / 1e6:.2f} MB, {file_bytes / turns:.0f} bytes per turn")
    return {"turns": turns, "file_bytes": file_bytes, "by_name": per_turn}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the bot, send the mentions, stop it, measure the file."""
    tmpdir = Path(tempfile.mkdtemp(prefix="switchboard-storage-"))
    database = tmpdir / "storage.db"
    sandbox = SlackSandbox(
        signing_secret=secrets.token_hex(16), app_id=APP_ID, subscriptions={"app_mention"}
    )
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    port = free_port()
    bot: BotProcess | None = None
    try:
        await sandbox.start(host=HOST, port=0)
        bot = BotProcess(
            SWITCHBOARD,
            switchboard_argv(args.switchboard_cmd, port),
            switchboard_env(sandbox, f"sqlite+aiosqlite:///{database}"),
        )
        await bot.start()
        await wait_healthy(session, bot, port, timeout=60)
        server = Server(SWITCHBOARD, f"http://{HOST}:{port}/slack/events", True, bot)
        load = LoadGenerator(
            sandbox, session, concurrency=args.concurrency, reply_timeout=args.reply_timeout
        )
        missing = 0
        while server.sent < args.turns:
            batch = await load.run_batch(server, min(args.batch, args.turns - server.sent))
            missing += batch.missing + batch.ack_errors
            if server.sent % 1000 < args.batch:
                progress(f"{server.sent} turns")
        code = await bot.stop()
        if code not in (0, None) or missing:
            raise RuntimeError(f"exit {code}, {missing} replies missing or refused")
        result = report(server.sent, database.stat().st_size, bytes_by_name(database))
        result["switchboard_command"] = args.switchboard_cmd
        return result
    finally:
        if bot is not None:
            await bot.stop()
        await session.close()
        await sandbox.close()
        shutil.rmtree(tmpdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, optionally write the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3000, help="help mentions (default 3000)")
    parser.add_argument("--batch", type=int, default=300, help="mentions per batch (300)")
    parser.add_argument("--concurrency", type=int, default=16, help="in flight at once (16)")
    parser.add_argument("--reply-timeout", type=float, default=60.0, help="seconds per batch")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    add_switchboard_cmd(parser)
    args = parser.parse_args(argv)
    result = run_quietly(run(args), stopped="the bot was stopped")
    return exit_with(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
