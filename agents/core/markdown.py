"""Markdown runbooks to chunks: one per section, headings as a path, GitHub-style anchors."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from agents.core.knowledge import Chunk

__all__ = ["anchor_of", "chunk_markdown"]

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_MAX_CHARS = 1500


def anchor_of(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def chunk_markdown(source: str, text: str) -> list[Chunk]:
    """Split ``text`` at ATX headings (not inside code fences) into chunks of at most about
    1,500 characters, each labelled with its heading path (``Payments > Rollback``)."""
    title = PurePosixPath(source).stem.replace("-", " ").replace("_", " ")
    path: list[str] = []
    sections: list[tuple[str, str, list[str]]] = [(title, "", [])]
    seen: dict[str, int] = {}
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        found = None if fenced else _HEADING.match(line)
        if found is None:
            sections[-1][2].append(line)
            continue
        level, heading = len(found.group(1)), found.group(2).strip()
        del path[level - 1 :]
        path.extend([""] * (level - 1 - len(path)))
        path.append(heading)
        anchor = anchor_of(heading)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        if count:
            anchor = f"{anchor}-{count}"
        sections.append((" > ".join(p for p in path if p), anchor, []))
    chunks: list[Chunk] = []
    for heading, anchor, lines in sections:
        for part in _split("\n".join(lines).strip()):
            chunks.append(Chunk(source, heading, anchor, part, len(chunks)))
    return chunks


def _split(body: str) -> list[str]:
    if not body:
        return []
    if len(body) <= _MAX_CHARS:
        return [body]
    parts: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", body):
        while len(paragraph) > _MAX_CHARS:  # one huge paragraph: cut it
            head, paragraph = paragraph[:_MAX_CHARS], paragraph[_MAX_CHARS:]
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
        if current and len(current) + len(paragraph) + 2 > _MAX_CHARS:
            parts.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        parts.append(current)
    return parts
