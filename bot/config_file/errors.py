"""Config file problems: every issue with its file, line and field, in one error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.kernel.errors import ConfigError

__all__ = ["ConfigFileError", "ConfigIssue"]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config file.

    Attributes:
        line: 1-based; ``None`` when the problem has no place in the file (it cannot be read).
        field_path: dotted, e.g. ``actions[0].params.env.default``; empty for the whole file.
    """

    file: str
    line: int | None
    field_path: str
    message: str

    def __str__(self) -> str:
        place = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{place}: {self.field_path}: {self.message}"
            if self.field_path
            else (f"{place}: {self.message}")
        )


class ConfigFileError(ConfigError):
    """The config file is unreadable or invalid; ``issues`` lists every problem found.

    ``str()`` is one line per issue: ``file.yaml:12: actions[0].risk: ...``.
    """

    def __init__(self, file: str, issues: Sequence[ConfigIssue]) -> None:
        self.file = file
        self.issues = tuple(issues)
        super().__init__(file, "\n".join(str(issue) for issue in self.issues))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)
