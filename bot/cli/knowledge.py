"""``switchboard knowledge index PATH…`` and ``switchboard knowledge misses``."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path
from typing import TextIO

from agents.memory.markdown import chunk_markdown
from bot.cli.conventions import Subparsers
from bot.config import Settings

__all__ = ["add_parser", "command", "index_command", "misses_command"]


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard knowledge index PATH… [--keep-missing]`` and
    ``switchboard knowledge misses [--limit N]``."""
    knowledge = subparsers.add_parser("knowledge", help="index runbooks; list unanswered questions")
    knowledge_sub = knowledge.add_subparsers(
        dest="knowledge_command", required=True, metavar="ACTION"
    )
    index = knowledge_sub.add_parser("index", help="index Markdown files (folders: *.md)")
    index.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    index.add_argument(
        "--keep-missing",
        action="store_true",
        help="keep the chunks of files no longer present (default: they leave the index)",
    )
    misses = knowledge_sub.add_parser("misses", help="questions the runbooks could not answer")
    misses.add_argument("--limit", type=int, default=100)


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """``knowledge index|misses``; returns the exit code."""
    if args.knowledge_command == "index":
        return await index_command(settings, list(args.paths), prune=not args.keep_missing)
    return await misses_command(settings, limit=args.limit)


def _markdown_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*.md")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _source(path: Path, root: Path) -> str:
    """The name a file is indexed (and linked) under: its path from the working directory, so
    a file has one name whether it or its folder is indexed, and two folders with the same
    name do not collide. Outside the working directory: the folder's name and the path
    within it (run the indexer from the runbooks' root to avoid that)."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        folder = root if root.is_dir() else path.parent
        inside = Path(os.path.abspath(folder))
        return f"{inside.name}/{absolute.relative_to(inside).as_posix()}"


def _folder_prefix(root: Path) -> str:
    """The sources a folder holds start with this (``""``: the working directory, all)."""
    name = _source(root / "_", root)
    return name.rpartition("/")[0]


async def index_command(
    settings: Settings, paths: list[Path], *, prune: bool, out: TextIO | None = None
) -> int:
    """Index Markdown files under ``paths``; with ``prune``, drop files no longer there."""
    from storage import Database

    out = out or sys.stdout
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"switchboard: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    database = await Database.connect(settings.database_url)
    indexed = unchanged = chunks_total = removed = 0
    try:
        if database.dialect == "sqlite":
            await database.migrate()
        for root in paths:
            seen: set[str] = set()
            for path in _markdown_files(root):
                source = _source(path, root)
                seen.add(source)
                raw = path.read_bytes()
                digest = hashlib.sha256(raw).hexdigest()
                text = raw.decode("utf-8", errors="replace")
                chunks = chunk_markdown(source, text)
                if await database.knowledge.replace_file(source, digest=digest, chunks=chunks):
                    indexed += 1
                    chunks_total += len(chunks)
                else:
                    unchanged += 1
            if prune and root.is_dir():
                removed += await database.knowledge.remove_files(
                    keep=seen, under=_folder_prefix(root)
                )
    finally:
        await database.close()
    print(
        f"indexed {indexed} files ({chunks_total} chunks), unchanged {unchanged}, "
        f"removed {removed}",
        file=out,
    )
    return 0


async def misses_command(settings: Settings, *, limit: int, out: TextIO | None = None) -> int:
    """Print the questions the runbooks could not answer, newest first."""
    from storage import Database

    out = out or sys.stdout
    database = await Database.connect(settings.database_url)
    try:
        if database.dialect == "sqlite":
            await database.migrate()
        misses = await database.knowledge.misses(limit=limit)
    finally:
        await database.close()
    if not misses:
        print("no misses recorded", file=out)
    for miss in misses:
        print(f"{miss.at:%Y-%m-%d %H:%M} {miss.channel_id} {miss.user_id} {miss.query}", file=out)
    return 0
