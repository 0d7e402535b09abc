"""YAML with positions: parse once into a node tree and plain data, and map a field location
(as pydantic reports it) back to a line of the file.

PyYAML is imported when a file is read, not before: a bot without a config file never loads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml

__all__ = ["Loc", "YamlSource", "duplicate_keys", "format_path", "parse_yaml"]

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class YamlSource:
    """A parsed document: its node tree (``None`` when empty) and the data built from it."""

    root: yaml.Node | None
    data: object

    def locate(self, loc: Sequence[str | int]) -> tuple[int, str]:
        """The 1-based line and the dotted field path of ``loc``.

        A field that is missing maps to the line of its nearest existing ancestor. Pydantic's
        tagged-union segments (``('params', 'env', 'enum', 'default')``) are dropped: a segment
        that is not a key but equals the mapping's ``type`` names the union member.
        """
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        parts: list[str | int] = []
        for segment in loc:
            if segment == "[key]":
                continue
            child = _child(node, segment)
            if child is not None:
                node = child
                line = child.start_mark.line + 1
                parts.append(segment)
            elif isinstance(segment, str) and _type_tag(node) == segment:
                continue
            else:
                node = None
                parts.append(segment)
        return line, format_path(parts)


def parse_yaml(text: str) -> YamlSource:
    """Compose and construct one YAML document with the safe loader.

    Raises:
        yaml.YAMLError: a syntax error (``MarkedYAMLError`` carries the position).
    """
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return YamlSource(root, data)


def duplicate_keys(source: YamlSource) -> Iterator[tuple[Loc, int, str]]:
    """Keys repeated within one mapping (YAML would silently keep the last one), with the
    location and 1-based line of each repetition."""
    if source.root is not None:
        yield from _duplicates(source.root, ())


def format_path(parts: Sequence[str | int]) -> str:
    """``('actions', 0, 'params', 'env')`` as ``actions[0].params.env``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _duplicates(node: yaml.Node, loc: Loc) -> Iterator[tuple[Loc, int, str]]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name is not None and name in seen:
                message = f"duplicate key {name!r} (YAML keeps only the last one)"
                yield (*loc, name), key.start_mark.line + 1, message
            if name is not None:
                seen.add(name)
            yield from _duplicates(value, (*loc, name if name is not None else "?"))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicates(item, (*loc, index))


def _child(node: yaml.Node | None, segment: str | int) -> yaml.Node | None:
    import yaml

    if isinstance(node, yaml.MappingNode) and isinstance(segment, str):
        found = None
        for key, value in node.value:  # the last one wins, as in the constructed data
            if isinstance(key, yaml.ScalarNode) and key.value == segment:
                found = value
        return found
    if isinstance(node, yaml.SequenceNode) and isinstance(segment, int):
        return node.value[segment] if 0 <= segment < len(node.value) else None
    return None


def _type_tag(node: yaml.Node | None) -> str | None:
    import yaml

    child = _child(node, "type")
    return child.value if isinstance(child, yaml.ScalarNode) else None
