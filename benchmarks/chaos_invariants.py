"""The chaos run's invariants, checked at the end from Slack's records and the database.

- ``reply_once``: every ask Slack got a 2xx for is answered exactly once; no ask and no
  claimed event is answered twice. A turn's answer is a message carrying its trace id in
  ``switchboard_turn`` metadata (a reply, a streamed answer, an approval card), or for a slash
  command an ephemeral answer (response_url or ``chat.postEphemeral``) showing the trace.
- ``applied_once``: the deploy API applied each approval's idempotency key at most once;
  exactly once when it succeeded, never when it failed, and for ``unknown`` a human was told;
  nothing was applied under a key no approval has, or without a key.
- ``quorum``: every approval that got past ``pending`` has the configured quorum of distinct
  allowed approvers (the requester not among them), in its row and in its audit trail.
- ``audit_path``: each approval's audit trail is a path of the state machine and ends in the
  approval's state.
- ``nothing_stuck``: after the quiet period no event is still claimed, no job queued or
  running, no approval approved or executing.

(``clean_stop``, a process still running 30 s after SIGTERM, is checked by the run itself.)
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chaos_workload import Ask
from sqlalchemy import text

from sandbox import SlackSandbox
from storage import create_engine

_CHANNELS = ("C0GENERAL", "C0RANDOM", "D0ALICE", "D0BOB")
_TERMINAL_KIND = {
    "succeeded": "succeeded",
    "failed": "failed",
    "unknown": "unknown",
    "rejected": "rejected",
    "cancelled": "cancelled",
    "expired": "expired",
}
# requested, votes and edits, then a decision; an approved request is started and finished.
_PATH = re.compile(
    r"^requested( (approved_vote|edited))*"
    r"( (approved|ran_without_approval)( started( (succeeded|failed|unknown))?)?"
    r"| (rejected|cancelled|expired))?$"
)
_STATE_OF_LAST = {
    "requested": "pending",
    "approved_vote": "pending",
    "edited": "pending",
    "approved": "approved",
    "ran_without_approval": "approved",
    "started": "executing",
    **_TERMINAL_KIND,
}
_NOT_TRANSITIONS = {"escalated", "refused"}


@dataclass(frozen=True, slots=True)
class Rule:
    """What the config says about one action."""

    quorum: int
    approvers: frozenset[str]
    writes: bool


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant, with the ids to look up."""

    invariant: str
    subject: str
    detail: str

    def describe(self) -> str:
        """One line for the report."""
        return f"[{self.invariant}] {self.subject}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Records:
    """What the database holds at the end of a run."""

    events: list[Mapping[str, Any]]
    approvals: list[Mapping[str, Any]]
    audit: list[Mapping[str, Any]]
    jobs: list[Mapping[str, Any]]


async def read_records(database_url: str) -> Records:
    """Read the tables the invariants look at."""
    engine = create_engine(database_url)
    queries = {
        "events": "SELECT event_id, trace_id, ts, channel_id, source, status FROM events",
        "approvals": "SELECT * FROM approvals",
        "audit": "SELECT approval_id, kind, actor FROM audit_log ORDER BY id",
        "jobs": "SELECT id, approval_id, state FROM jobs",
    }
    rows: dict[str, list[Mapping[str, Any]]] = {}
    try:
        async with engine.connect() as connection:
            for name, query in queries.items():
                result = await connection.execute(text(query))
                rows[name] = [dict(r._mapping) for r in result]
    finally:
        await engine.dispose()
    return Records(**rows)


def answers(sandbox: SlackSandbox) -> Counter[str]:
    """How many answers Slack shows for each trace id (messages and ephemerals)."""
    store = sandbox.workspace.store
    counted: Counter[str] = Counter()
    ephemeral_text: list[str] = []
    for channel in _CHANNELS:
        for top in store.timeline(channel):
            thread = store.thread(channel, str(top["ts"])) if top.get("reply_count") else [top]
            for message in thread:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == "switchboard_turn":
                    counted[str(metadata["event_payload"]["trace_id"])] += 1
        ephemeral_text += [json.dumps(m.get("blocks")) for m in store.ephemeral(channel)]
    for blocks in ephemeral_text:
        for trace in re.findall(r"trace `([0-9a-f]{12})`", blocks):
            counted[f"ephemeral:{trace}"] += 1
    return counted


def _answered(trace: str, counted: Counter[str]) -> int:
    return counted[trace] + counted[f"ephemeral:{trace[:12]}"]


def answers_per_ask(
    asks: Sequence[Ask], records: Records, counted: Counter[str]
) -> list[tuple[Ask, int, str]]:
    """Each ask, how many answers Slack shows for it, and its trace ids."""
    by_ts: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    by_id = {str(e["event_id"]): e for e in records.events}
    for event in records.events:
        by_ts[(str(event["channel_id"]), str(event["ts"]))].append(event)
    tallies = []
    for ask in asks:
        if ask.trigger_id is not None:
            event = by_id.get(f"cmd:{ask.trigger_id}")
            events = [event] if event is not None else []
        else:
            events = by_ts.get((ask.channel, str(ask.ts)), [])
        total = sum(_answered(str(e["trace_id"]), counted) for e in events)
        traces = ",".join(str(e["trace_id"]) for e in events) or "no event row"
        tallies.append((ask, total, traces))
    return tallies


def check_replies(asks: Sequence[Ask], records: Records, counted: Counter[str]) -> list[Violation]:
    """``reply_once`` (see the module docstring)."""
    found = []
    for ask, total, traces in answers_per_ask(asks, records, counted):
        if total > 1:
            found.append(Violation("reply_once", ask.label, f"answered {total} times ({traces})"))
        elif total == 0 and ask.acked:
            found.append(Violation("reply_once", ask.label, f"acked but never answered ({traces})"))
    for event in records.events:
        count = _answered(str(event["trace_id"]), counted)
        if count > 1:
            subject = f"event {event['event_id']} trace {event['trace_id']}"
            found.append(Violation("reply_once", subject, f"answered {count} times"))
    return list(dict.fromkeys(found))


def check_actions(
    sandbox: SlackSandbox, records: Records, rules: Mapping[str, Rule]
) -> list[Violation]:
    """``applied_once`` and ``quorum`` (see the module docstring)."""
    applied = Counter(sandbox.deploy_api.applied_keys)
    found = []
    known = {str(a["idempotency_key"]) for a in records.approvals}
    for key, count in applied.items():
        if key is None or key not in known:
            found.append(Violation("applied_once", f"key {key}", f"applied {count}x, no approval"))
    told = _told_unknown(sandbox)
    for approval in records.approvals:
        rule = rules[str(approval["action"])]
        subject = f"approval {approval['id']} ({approval['action']}, {approval['state']})"
        state = str(approval["state"])
        if rule.writes:
            times = applied.get(str(approval["idempotency_key"]), 0)
            expected = {"succeeded": {1}, "failed": {0}, "unknown": {0, 1}}.get(state, {0})
            if times not in expected:
                result = approval.get("result") or "no result"
                found.append(Violation("applied_once", subject, f"applied {times} times: {result}"))
            if state == "unknown" and not ({approval["thread_ts"], approval["message_ts"]} & told):
                found.append(Violation("applied_once", subject, "unknown and nobody was told"))
        if state in {"pending", "rejected", "cancelled", "expired"}:
            continue
        votes = _votes(approval)
        if approval["quorum"] != rule.quorum or len(set(votes)) < rule.quorum:
            found.append(Violation("quorum", subject, f"votes {votes}, quorum {rule.quorum}"))
        own = None if approval["self_approval"] else approval["requester"]
        strangers = [v for v in votes if v not in rule.approvers or v == own]
        if strangers:
            found.append(Violation("quorum", subject, f"votes by {strangers} counted"))
        voters = {
            e["actor"]
            for e in records.audit
            if e["approval_id"] == approval["id"] and e["kind"] in {"approved_vote", "approved"}
        }
        if len(voters) < rule.quorum:
            found.append(Violation("quorum", subject, f"audit shows votes of {sorted(voters)}"))
    return found


def _votes(approval: Mapping[str, Any]) -> list[str]:
    votes = approval["approvals_json"]
    return list(json.loads(votes) if isinstance(votes, str) else votes)


def _told_unknown(sandbox: SlackSandbox) -> set[Any]:
    """The threads and cards where Slack shows an ``outcome unknown`` notice."""
    told: set[Any] = set()
    for method in ("chat.postMessage", "chat.update"):
        for call in sandbox.calls.for_method(method):
            if call.ok and "outcome unknown" in json.dumps(dict(call.args)).lower():
                told |= {call.args.get("thread_ts"), call.args.get("ts")}
    told.discard(None)
    return told


def check_audit(records: Records) -> list[Violation]:
    """``audit_path`` (see the module docstring)."""
    trails: dict[str, list[str]] = defaultdict(list)
    for entry in records.audit:
        if entry["approval_id"] is not None and entry["kind"] not in _NOT_TRANSITIONS:
            trails[str(entry["approval_id"])].append(str(entry["kind"]))
    found = []
    for approval in records.approvals:
        trail = trails.get(str(approval["id"]), [])
        subject = f"approval {approval['id']} ({approval['action']}, {approval['state']})"
        path = " ".join(trail)
        if not _PATH.match(path):
            found.append(Violation("audit_path", subject, f"trail {path!r} is no valid path"))
        elif _STATE_OF_LAST[trail[-1]] != approval["state"]:
            found.append(Violation("audit_path", subject, f"trail {path!r} ends elsewhere"))
    return found


def check_stuck(records: Records) -> list[Violation]:
    """``nothing_stuck`` (see the module docstring)."""
    found = [
        Violation("nothing_stuck", f"event {e['event_id']} trace {e['trace_id']}", "still claimed")
        for e in records.events
        if e["status"] == "claimed"
    ]
    found += [
        Violation("nothing_stuck", f"job {j['id']} (approval {j['approval_id']})", j["state"])
        for j in records.jobs
        if j["state"] != "done"
    ]
    found += [
        Violation("nothing_stuck", f"approval {a['id']} ({a['action']})", str(a["state"]))
        for a in records.approvals
        if a["state"] in {"approved", "executing"}
    ]
    return found


def settled(records: Records, asks: Sequence[Ask], counted: Counter[str]) -> bool:
    """Whether the run looks finished: nothing claimed or running, every acked ask answered
    (the quiet period ends here, or at its bound)."""
    return not check_stuck(records) and not any(
        v.detail.startswith("acked") for v in check_replies(asks, records, counted)
    )


def check_all(
    sandbox: SlackSandbox, asks: Sequence[Ask], records: Records, rules: Mapping[str, Rule]
) -> list[Violation]:
    """Every invariant."""
    counted = answers(sandbox)
    return [
        *check_replies(asks, records, counted),
        *check_actions(sandbox, records, rules),
        *check_audit(records),
        *check_stuck(records),
    ]
