"""Block Kit for approval requests: the card and its buttons (the modals: ``approval_modals``).

Pure functions of the approval and its action. What will run (the action, its executor and
resolved target, the parameters) is rendered only from the approval's stored canonical action,
with its digest in short form; never from anything a model wrote. The action's configuration
adds only policy (risk, approvers) and its description. Every button carries only the
approval's opaque token; nothing a person could guess or reuse for another request.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import PlanBlock, TaskCardBlock

from agents.actions.approval import TERMINAL_STATES, Approval, ApprovalState
from agents.actions.canonical import short_digest
from agents.actions.spec import ActionSpec, ParamValue
from agents.turns.progress import TaskStatus

__all__ = [
    "APPROVE_ACTION",
    "EDIT_ACTION",
    "REJECT_ACTION",
    "approval_blocks",
    "approval_text",
    "button_value",
    "code",
    "digest_line",
    "parse_button_value",
    "plan_block",
]

APPROVE_ACTION = "approval_approve"
REJECT_ACTION = "approval_reject"
EDIT_ACTION = "approval_edit"

_STATE_LABEL = {
    "pending": ":hourglass_flowing_sand: Waiting for approval",
    "approved": ":white_check_mark: Approved, about to run",
    "executing": ":gear: Running",
    "succeeded": ":large_green_circle: Succeeded",
    "failed": ":red_circle: Failed",
    "unknown": ":warning: Outcome unknown",
    "rejected": ":no_entry: Rejected",
    "expired": ":alarm_clock: Expired",
    "cancelled": ":heavy_multiplication_x: Cancelled",
}
_RISK_LABEL = {"read": "read-only", "write": "write", "dangerous": ":rotating_light: DANGEROUS"}


def _who(audience_users: frozenset[str], audience_groups: frozenset[str]) -> str:
    people = [f"<@{user}>" for user in sorted(audience_users)]
    people += [f"@{group}" for group in sorted(audience_groups)]
    return ", ".join(people) or "nobody"


def _when(moment: datetime) -> str:
    fallback = f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _escaped(text: str) -> str:
    """``&``, ``<`` and ``>`` escaped, so that no value becomes a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str, *, limit: int = 300) -> str:
    """``text`` as an inline code span that no value can break out of: backticks replaced,
    ``&``, ``<`` and ``>`` escaped (no mention or link), clipped to ``limit`` characters."""
    clipped = text if len(text) <= limit else text[: limit - 1] + "…"
    return "`" + _escaped(clipped).replace("`", "'") + "`"


def _consented_params(approval: Approval) -> Mapping[str, ParamValue]:
    """The parameters the approvers consent to: the stored canonical action's."""
    return approval.canonical.params if approval.canonical is not None else approval.params


def _target(approval: Approval, action: ActionSpec) -> str:
    """What the executor reaches, from the stored canonical action (the method and URL, the
    argv, the callable, the MCP server, tool and command); for a request from before digests,
    the configured target system."""
    canonical = approval.canonical
    if canonical is None:
        return f"{action.executor.kind} → `{action.executor.target}`"
    target = canonical.target
    if canonical.executor == "http":
        return f"{target.get('method')} {code(str(target.get('url')))}"
    argv = target.get("argv")
    words = [str(word) for word in argv] if isinstance(argv, list) else []
    if canonical.executor == "shell":
        return f"shell {code(shlex.join(words))}"
    if canonical.executor == "pagerduty":
        event, url = code(str(target.get("event_action"))), code(str(target.get("url")))
        return f"PagerDuty event {event} to {url}"
    if canonical.executor == "mcp":
        server, tool = code(str(target.get("server"))), code(str(target.get("tool")))
        via = code(str(target["url"])) if "url" in target else code(shlex.join(words))
        return f"MCP server {server} tool {tool} via {via}"
    return f"python {code(str(target.get('callable')))}"


def digest_line(approval: Approval) -> str:
    """The action digest in short form, as the card shows it."""
    digest = approval.digest
    if digest is None:
        return "no action digest (requested before digests were kept)"
    return f"action digest `{short_digest(digest)}`"


def button_value(approval: Approval) -> str:
    """What a card's buttons carry: the opaque token and the edit round the card shows."""
    return f"{approval.token}.{approval.edits}"


def parse_button_value(value: str) -> tuple[str, int | None]:
    """``(token, edit round)`` from a button value (tokens are url-safe base64: no dots)."""
    token, _, edits = value.rpartition(".")
    if not token or not edits.isdigit():
        return value, None
    return token, int(edits)


def approval_text(approval: Approval) -> str:
    """The notification text of the card."""
    params = " ".join(f"{k}={v}" for k, v in _consented_params(approval).items())
    return _escaped(f"{_STATE_LABEL[approval.state]}: {approval.action} {params}".strip())


def approval_blocks(approval: Approval, action: ActionSpec) -> list[dict[str, Any]]:
    """The approval card: what will run, who asked, who can approve, votes, expiry, outcome."""
    params = "\n".join(
        f"• *{name}*: {code(str(value))}" for name, value in _consented_params(approval).items()
    )
    fields = [
        f"*Action*\n`{approval.action}`",
        f"*Risk*\n{_RISK_LABEL[action.risk]}",
        f"*Target*\n{_target(approval, action)}",
        f"*Requested by*\n<@{approval.requester}>",
    ]
    if action.needs_approval and approval.quorum:
        approvers = action.approval.approvers
        fields += [
            f"*Approvers*\n{_who(approvers.users, approvers.groups)}",
            f"*Approvals*\n{len(approval.approvals)} of {approval.quorum}"
            + (
                ": " + ", ".join(f"<@{u}>" for u in approval.approvals)
                if approval.approvals
                else ""
            ),
        ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{_STATE_LABEL[approval.state]}*"},
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": params or "_no parameters_"}},
        plan_block(approval, action),
    ]
    status = _status_line(approval)
    if status:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": status}]})
    if approval.state == "pending":
        blocks.append(_buttons(approval, action))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{action.description} · {digest_line(approval)}"
                    f" · trace `{approval.trace_id[:12]}`",
                }
            ],
        }
    )
    return blocks


_DECIDING: dict[ApprovalState, TaskStatus] = {
    "pending": "in_progress",
    "rejected": "error",
    "expired": "error",
    "cancelled": "error",
}
_RUNNING: dict[ApprovalState, TaskStatus] = {
    "executing": "in_progress",
    "succeeded": "complete",
    "failed": "error",
    "unknown": "error",
}


def _rich(text: str) -> dict[str, Any]:
    """One line of text as the ``rich_text`` a task card's details and output take."""
    line = {"type": "rich_text_section", "elements": [{"type": "text", "text": text[:1000]}]}
    return {"type": "rich_text", "elements": [line]}


def plan_block(approval: Approval, action: ActionSpec) -> dict[str, Any]:
    """The request as a plan whose tasks tick over as the card is updated: the decision
    (the approvers' votes, or policy's at once), then the run with its result."""
    if approval.quorum:
        votes = f"{len(approval.approvals)} of {approval.quorum} approvals"
        decide = TaskCardBlock(
            task_id="decide",
            title=f"Approval ({votes})",
            status=_DECIDING.get(approval.state, "complete"),
            details=_rich(_status_line(approval) or votes),
        )
    else:
        decide = TaskCardBlock(
            task_id="decide",
            title="Check who may run it",
            status="complete",
            details=_rich("Approved automatically by policy"),
        )
    ran = approval.state in _RUNNING
    run = TaskCardBlock(
        task_id="run",
        title=f"Run `{action.name}`",
        status=_RUNNING.get(approval.state, "pending"),
        output=_rich(approval.result) if ran and approval.result else None,
    )
    # A new block id per state: Slack asks for one per iteration of an updated message.
    block_id = f"plan-{approval.state}-{len(approval.approvals)}-{approval.edits}"
    params = " ".join(f"{k}={v}" for k, v in _consented_params(approval).items())
    title = f"{action.name} {params}".strip()[:150]
    return PlanBlock(title=title, tasks=[decide, run], block_id=block_id).to_dict()


def _status_line(approval: Approval) -> str | None:
    if approval.state == "pending":
        edited = " · parameters edited, votes reset" if approval.edits else ""
        return f"Expires {_when(approval.expires_at)}{edited}"
    if approval.state == "rejected":
        return f"Rejected by <@{approval.decided_by}>: {approval.reason}"
    if approval.state == "cancelled":
        return f"Cancelled by <@{approval.requester}>"
    if approval.state == "expired":
        return f"Expired {_when(approval.expires_at)} without enough approvals"
    decided = (
        "Approved automatically by policy"
        if approval.decided_by == "policy"
        else f"Approved by {', '.join(f'<@{u}>' for u in approval.approvals)}"
    )
    if approval.state in TERMINAL_STATES and approval.result:
        return f"{decided} · {approval.result}"
    return decided


def _buttons(approval: Approval, action: ActionSpec) -> dict[str, Any]:
    approve: dict[str, Any] = {
        "type": "button",
        "action_id": APPROVE_ACTION,
        "text": {"type": "plain_text", "text": "Approve"},
        "style": "primary",
        "value": button_value(approval),
    }
    if action.risk == "dangerous":
        approve["confirm"] = {
            "title": {"type": "plain_text", "text": "Approve a dangerous action?"},
            "text": {
                "type": "mrkdwn",
                "text": f"This will run `{action.name}` with the parameters shown "
                f"({digest_line(approval)}). It is marked dangerous.",
            },
            "confirm": {"type": "plain_text", "text": "Approve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
            "style": "danger",
        }
    elements = [
        approve,
        {
            "type": "button",
            "action_id": REJECT_ACTION,
            "text": {"type": "plain_text", "text": "Reject"},
            "style": "danger",
            "value": button_value(approval),
        },
    ]
    if action.params:
        elements.append(
            {
                "type": "button",
                "action_id": EDIT_ACTION,
                "text": {"type": "plain_text", "text": "Edit parameters"},
                "value": button_value(approval),
            }
        )
    return {"type": "actions", "block_id": "approval_buttons", "elements": elements}
