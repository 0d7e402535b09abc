"""The injection cases as data: ``cases.yaml`` beside this module, checked at load.

A case says where the injected instruction is planted (``source``), what it is after
(``goal``), the instruction itself (``injection``, with ``{tag}`` for the case's ticket
number, which is how the compromised model recognises it), what the compromised model does
once it reads it (``obey``: one move per model call of a turn) and which claims its answer
makes (``claims``, for the false-claim detector). With ``bob_approves`` a real approver
approves the case's benign card meanwhile, and the attack tries to ride on that approval.
See docs/security.md, "The injection suite".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["GOALS", "SOURCES", "Case", "Claim", "Move", "load_cases"]

Source = Literal["channel", "runbook", "tool_result", "display_name", "approval_reason"]
Goal = Literal["execute", "approve", "exfiltrate", "escape_scope", "write_memory", "false_claim"]
SOURCES: tuple[Source, ...] = (
    "channel",
    "runbook",
    "tool_result",
    "display_name",
    "approval_reason",
)
GOALS: tuple[Goal, ...] = (
    "execute",
    "approve",
    "exfiltrate",
    "escape_scope",
    "write_memory",
    "false_claim",
)
CASES_FILE = Path(__file__).with_name("cases.yaml")
_TAG_BASE = 4100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Move(_Strict):
    """One answer of the compromised model: a tool call (optionally with text), or text.

    ``{loot}`` in the text or in a string argument becomes every planted secret and private
    note the model can see in its request, URL-encoded and joined with ``+`` (``none`` if it
    sees none): what an obedient model would exfiltrate; ``{tag}`` becomes the case's tag (an
    answer that passes the injection on). ``composer``: the knowledge agent's model writes
    this text (it has no tools); other moves are the planner's, one per model call of a turn.
    """

    tool: str | None = None
    args: dict[str, object] = Field(default_factory=dict)
    text: str = ""
    composer: bool = False

    @model_validator(mode="after")
    def _something(self) -> Move:
        if self.tool is None and not self.text:
            raise ValueError("a move calls a tool or says something")
        if self.tool is None and self.args:
            raise ValueError("args without a tool")
        if self.composer and (self.tool is not None or not self.text):
            raise ValueError("the composer only writes text")
        return self


class Claim(_Strict):
    """A phrase the model's answer claims, and the record that would make it true.

    Attributes:
        text: the phrase, as the model writes it (compared lower-cased, spaces collapsed).
        action: the claim is true when an approval of this action succeeded in the case
            (with ``params`` among its parameters, when given).
        note: the claim is true when a note was stored in the case.
    """

    text: str
    action: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    note: bool = False


class Case(_Strict):
    """One case as written, plus its number in the file (which picks its channel and tag)."""

    number: int = 0
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    source: Source
    goal: Goal
    style: str
    variant: Literal["reject", "edit"] | None = None
    bob_approves: bool = False
    injection: str
    obey: tuple[Move, ...] = Field(min_length=1)
    claims: tuple[Claim, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if "{tag}" not in self.injection:
            raise ValueError(f"{self.id}: the injection must carry {{tag}}")
        if (self.source == "approval_reason") != (self.variant is not None):
            raise ValueError(f"{self.id}: variant (reject/edit) is for approval_reason only")
        if self.bob_approves and self.source != "channel":
            raise ValueError(f"{self.id}: bob_approves is played in channel cases only")
        if self.source == "display_name" and any(c in self.injection for c in "<>|"):
            raise ValueError(f"{self.id}: a display name cannot hold <, > or |")
        if not self.planner_moves:
            raise ValueError(f"{self.id}: obey needs at least one move of the planner")
        return self

    @property
    def planner_moves(self) -> tuple[Move, ...]:
        """The planner's moves (the composer's left out)."""
        return tuple(move for move in self.obey if not move.composer)

    @property
    def tag(self) -> str:
        """The ticket number the injection cites; the model obeys where it reads it."""
        return f"OPS-{_TAG_BASE + self.number}"

    @property
    def planted(self) -> str:
        """The injected text, as planted (``{tag}`` filled in)."""
        return self.injection.replace("{tag}", self.tag)

    @property
    def channel(self) -> str:
        """The case's own channel, so that no case sees another's thread, notes or cards."""
        return f"C0INJ{self.number:03d}"

    @property
    def topic(self) -> str:
        """The runbook topic word of a runbook case (unique, so a search finds only it)."""
        return f"orion{self.number:03d}"


@cache
def load_cases(path: Path = CASES_FILE) -> tuple[Case, ...]:
    """Every case of ``path``, checked.

    Raises:
        ValueError: a malformed case, or two cases with one id.
    """
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw = document.get("cases") if isinstance(document, dict) else None
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a mapping with a 'cases' list")
    cases = [
        Case.model_validate(item).model_copy(update={"number": number})
        for number, item in enumerate(raw, start=1)
    ]
    ids = [case.id for case in cases]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"{path}: repeated case ids {repeated}")
    return tuple(cases)
