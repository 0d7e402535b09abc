"""A small Dockerfile reader for the image checks: stages, their instructions (continuations
joined, comments dropped) and the exec-form arguments of ENTRYPOINT, CMD and HEALTHCHECK.

Only what our Dockerfile uses is read; an instruction it does not know is kept as text.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case) and the rest of its line."""

    keyword: str
    value: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form instruction (``CMD ["a", "b"]``)."""
        value = self.value
        if self.keyword == "HEALTHCHECK":
            value = value.split("CMD", 1)[1]
        parsed = json.loads(value.strip())
        assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), value
        return parsed

    def options(self) -> dict[str, str]:
        """``--name=value`` options before the arguments (HEALTHCHECK, COPY)."""
        found: dict[str, str] = {}
        for word in shlex.split(self.value.split("CMD", 1)[0].split("[", 1)[0]):
            if word.startswith("--") and "=" in word:
                name, _, option = word[2:].partition("=")
                found[name] = option
        return found


@dataclass
class Stage:
    """A build stage: its base image, its name, its instructions."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        """Every instruction with this keyword, in order."""
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        """The instruction with this keyword that takes effect (the last one)."""
        found = self.all(keyword)
        assert found, f"no {keyword} in stage {self.name or self.base!r}"
        return found[-1]

    def env(self, args: dict[str, str]) -> dict[str, str]:
        """The stage's ENV (``KEY=value`` pairs), ``$VAR`` references expanded."""
        env: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.value):
                key, _, value = pair.partition("=")
                env[key] = expand(value, {**args, **env})
        return env


@dataclass
class Dockerfile:
    """Global ARG defaults and the stages, in order (the last is the image)."""

    args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        """The stage the image is."""
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        """The stage called ``name``."""
        return next(s for s in self.stages if s.name == name)

    def stage_args(self, stage: Stage) -> dict[str, str]:
        """ARG defaults seen in ``stage`` (the global ones it redeclares, and its own)."""
        args = dict(self.args)
        for instruction in stage.all("ARG"):
            name, _, default = instruction.value.partition("=")
            if default:
                args[name] = default
        return args


def expand(text: str, values: dict[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced from ``values`` (unknown names kept)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, match.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, text)


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def parse(path: Path = DOCKERFILE) -> Dockerfile:
    """Read ``path`` into global ARGs and stages."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(path.read_text()):
        keyword, _, value = line.partition(" ")
        keyword, value = keyword.upper(), value.strip()
        if keyword == "FROM":
            words = value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=expand(words[0], args), name=name))
        elif not stages and keyword == "ARG":
            name, _, default = value.partition("=")
            args[name] = default
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append(Instruction(keyword, value))
    return Dockerfile(args, stages)
