"""Markdown runbooks to chunks: one per section, headings as a path, GitHub-style anchors."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from agents.kernel.redaction import redact
from agents.memory.knowledge import Chunk

__all__ = ["anchor_of", "chunk_markdown"]

# CommonMark: up to three spaces of indent; a closing run of # counts only after a space
# (so "# C#" is the heading "C#").
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MAX_CHARS = 1500


def anchor_of(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", _LINK.sub(r"\1", heading).strip().lower())
    return text.replace(" ", "-")


class _Anchors:
    """Unique anchors the way GitHub makes them: a repeat gets ``-1``, ``-2``… and a suffixed
    anchor never takes one already given (``a``, ``a``, ``a-1`` → ``a``, ``a-1``, ``a-1-1``)."""

    def __init__(self) -> None:
        self._given: dict[str, int] = {}

    def unique(self, heading: str) -> str:
        base = anchor = anchor_of(heading)
        while anchor in self._given:
            self._given[base] += 1
            anchor = f"{base}-{self._given[base]}"
        self._given[anchor] = 0
        return anchor


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """``(line number, level, text)`` of the ATX headings outside fenced code blocks."""
    found: list[tuple[int, int, str]] = []
    fence = ""
    for number, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence:
            # Only the same character, at least as long and with nothing after it, closes.
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = "" if not opened.group(2).strip() else fence
            continue
        if opened and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
            fence = opened.group(1)
            continue
        heading = _HEADING.match(line)
        if heading and heading.group(2):
            found.append((number, len(heading.group(1)), _LINK.sub(r"\1", heading.group(2))))
    return found


def chunk_markdown(source: str, text: str) -> list[Chunk]:
    """Split ``text`` at ATX headings (not inside code fences) into chunks of at most about
    1,500 characters, each labelled with its heading path (``Payments > Rollback``).

    Text before the first heading is labelled with the file's title: its first level-1
    heading, else its file name. Sections with no text make no chunk. Secrets are redacted
    first: a chunk is stored, sent to a model and quoted to people.
    """
    lines = redact(text).splitlines()
    headings = _headings(lines)
    title = next((h for _, level, h in headings if level == 1), None)
    if title is None:
        title = PurePosixPath(source).stem.replace("-", " ").replace("_", " ")
    anchors = _Anchors()
    path: list[str] = []
    starts = [number for number, _, _ in headings]
    sections: list[tuple[str, str, int, int]] = [
        (title, "", 0, starts[0] if starts else len(lines))
    ]
    for n, (number, level, heading) in enumerate(headings):
        del path[level - 1 :]
        path.extend([""] * (level - 1 - len(path)))
        path.append(heading)
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        label = " > ".join(p for p in path if p)
        sections.append((label, anchors.unique(heading), number + 1, end))
    chunks: list[Chunk] = []
    for label, anchor, start, end in sections:
        for part in _split("\n".join(lines[start:end]).strip()):
            chunks.append(Chunk(source, label, anchor, part, len(chunks)))
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
