"""Grounded answers: the record line comes from the turn's records, a model's claim the
records do not back is marked and flagged, and the streamed text never shows a claim."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from agents.actions.proposals import Requested, RequestOutcome
from agents.actions.spec import ActionSpec, ExecutorInfo, ParamValue
from agents.kernel.models import PendingAction, Reply, ReplyItem
from agents.turns.claims import ActionVerbs, find_claims
from agents.turns.grounding import (
    UNGROUNDED_CLAIM,
    WARNING,
    CallRecord,
    ClaimGate,
    ground,
    marked,
    planner_calls,
    record_line,
    requested_call,
    unconfirmed,
)
from agents.turns.plan import Plan, Proposal

DEPLOY = ActionSpec(
    name="deploy",
    agent="deploy",
    description="Deploy",
    risk="write",
    executor=ExecutorInfo("http", "api:80"),
    formats=("deploy {service} to {env}",),
)
STATUS = ActionSpec(
    name="status",
    agent="deploy",
    description="Status",
    risk="read",
    executor=ExecutorInfo("http", "api:80"),
    formats=("status of {service}",),
)
VERBS = ActionVerbs.of([DEPLOY, STATUS])
LIE = "Done: prod failed over to eu, it was approved."


def _requested(
    outcome: RequestOutcome,
    values: Mapping[str, ParamValue] | None = None,
    *,
    quorum: int = 0,
    reply: Reply | None = None,
) -> Requested:
    return Requested(reply or Reply(text="x"), outcome, values or {}, quorum)


# -- records ---------------------------------------------------------------------------------


def test_the_planners_refusals_are_read_from_the_trace_entries() -> None:
    """Scope, arguments and the call cap are refusals; a proposal and a provider's failure
    are not calls of their own."""
    calls = planner_calls(
        (
            "primary:timeout",
            "failover:refused_scope",
            "deploy:invalid_args",
            "rollback:over_cap",
            "deploy:proposed",
            "weird",
        )
    )
    assert calls == (
        CallRecord("failover", "refused", "not an action this agent offers you"),
        CallRecord("deploy", "refused", "its arguments were invalid"),
        CallRecord("rollback", "refused", "over this turn's tool-call limit"),
    )


def test_reads_the_planner_ran_in_the_turn_are_records_that_ran() -> None:
    """``name:read_<status>`` entries (a read run within the turn, its result given to the
    model) are on the record line and back claims; a refused read is a refusal."""
    calls = planner_calls(
        ("health:read_succeeded", "health:read_not_finished", "status:read_refused")
    )
    assert calls == (
        CallRecord("health", "read", "succeeded"),
        CallRecord("health", "read", "still running; its result goes to the thread"),
        CallRecord("status", "refused", "it could not run in this turn"),
    )
    assert calls[0].ran and not calls[2].ran
    assert record_line(calls[:1]) == "Switchboard: read `health`: succeeded"


def test_each_request_outcome_becomes_a_record() -> None:
    """Policy and parameter refusals, a question, a proposal, a run and a cached run."""
    asking = Reply(text="?", pending=PendingAction("deploy", (("service", "api"),), ("env",), "U1"))
    values = {"service": "api", "env": "prod"}
    assert requested_call("deploy", _requested("denied")) == CallRecord(
        "deploy", "refused", "not allowed by policy"
    )
    assert requested_call("deploy", _requested("invalid")).detail == "invalid parameters"
    assert requested_call("deploy", _requested("asked", reply=asking)) == CallRecord(
        "deploy", "asked", "env", ""
    )
    assert requested_call("deploy", _requested("proposed", values, quorum=2)) == CallRecord(
        "deploy", "proposed", "waiting for 2 approvals", "service=api env=prod"
    )
    assert requested_call("deploy", _requested("proposed", quorum=1)).detail == (
        "waiting for 1 approval"
    )
    started = requested_call("status", _requested("started", {"service": "api"}))
    assert (started.outcome, started.ran) == ("started", True)
    cached = requested_call("status", _requested("cached", {"service": "api"}))
    assert (cached.outcome, cached.ran) == ("cached", True)


def test_the_record_line_says_what_became_of_each_call() -> None:
    """One line, written by Switchboard, in the order the calls were made."""
    line = record_line(
        (
            CallRecord("failover", "refused", "not an action this agent offers you"),
            CallRecord("deploy", "proposed", "waiting for 2 approvals", "service=api env=prod"),
            CallRecord("status", "started", values="service=api"),
            CallRecord("status", "cached", values="service=web"),
            CallRecord("deploy", "asked", "env"),
        )
    )
    assert line == (
        "Switchboard: refused `failover`: not an action this agent offers you · "
        "proposed `deploy` service=api env=prod (waiting for 2 approvals) · "
        "running `status` service=api (no approval needed) · "
        "answered `status` service=web from a recent run · "
        "asked for env before `deploy` can be requested"
    )
    assert record_line(()) is None


def test_the_record_line_never_carries_a_secret() -> None:
    """A parameter value that looks like a token is redacted."""
    line = record_line(
        (CallRecord("deploy", "proposed", "waiting", "token=xoxb-1234-5678-abcdefgh"),)
    )
    assert line is not None and "xoxb-1234" not in line


# -- the claim check -------------------------------------------------------------------------


def test_nothing_ran_so_every_claim_is_unconfirmed() -> None:
    """With only a refusal on record, "Done", "failed over" and "approved" are all unbacked."""
    refused = (CallRecord("failover", "refused", "no"),)
    assert [c.words for c in unconfirmed(LIE, refused, VERBS)] == [
        "done",
        "failed over",
        "approved",
    ]


def test_a_proposal_waiting_for_approval_backs_no_claim() -> None:
    """A card is not an approval: "it was approved" and "deployed" stay unconfirmed."""
    waiting = (CallRecord("deploy", "proposed", "waiting for 1 approval"),)
    text = "I deployed api to prod; it was approved."
    assert [c.kind for c in unconfirmed(text, waiting, VERBS)] == ["action", "approval"]


def test_a_claim_about_an_action_that_ran_is_backed() -> None:
    """A run backs its own verb and generic claims, never another action's verb or a verb
    no action is named after."""
    ran = (CallRecord("deploy", "started"),)
    assert unconfirmed("Done: I deployed api. It succeeded.", ran, VERBS) == ()
    other = (CallRecord("status", "cached"),)
    assert [c.words for c in unconfirmed("I deployed api.", other, VERBS)] == ["deployed"]
    assert [c.words for c in unconfirmed("I restarted api.", ran, VERBS)] == ["restarted"]


def test_a_generic_claim_naming_an_action_needs_that_action_to_have_run() -> None:
    """A status read backs "Done." but not "the deploy succeeded" nor a fake outcome line
    of `deploy`; a deploy that ran backs both."""
    read = (CallRecord("status", "read", "succeeded"),)
    assert unconfirmed("Done. api is healthy.", read, VERBS) == ()
    assert unconfirmed("Status check done: api is healthy.", read, VERBS) == ()
    fake = "`deploy` succeeded: HTTP 201 from deploy-api (attempt 1)."
    for text in ("api is on v2; the deploy succeeded.", fake):
        assert [c.words for c in unconfirmed(text, read, VERBS)] == ["succeeded"]
        assert unconfirmed(text, (CallRecord("deploy", "started"),), VERBS) == ()


@pytest.mark.parametrize(
    "text",
    [
        "Noted for everyone.",
        "Saved to team memory: Bob owns api.",
        "You can approve your own deploy.",
        "🧾 Switchboard: running `deploy` (no approval needed)",
    ],
)
def test_notes_permissions_and_switchboards_line_are_never_backed(text: str) -> None:
    """Whatever ran, a model stored no note, sets no approval policy and writes no line
    of Switchboard's."""
    ran = (CallRecord("deploy", "started"), CallRecord("status", "read", "succeeded"))
    assert unconfirmed(text, ran, VERBS)


def test_a_state_that_says_where_an_action_took_something_needs_that_action() -> None:
    """ "api is deployed to prod" after only a status read is marked; "api is deployed at
    v1.2.3" reports what the read showed."""
    read = (CallRecord("status", "read", "succeeded"),)
    assert [c.words for c in unconfirmed("api v3 is deployed to prod.", read, VERBS)] == [
        "deployed"
    ]
    assert unconfirmed("api is deployed at v1.2.3.", read, VERBS) == ()
    assert unconfirmed("api is deployed to prod.", (CallRecord("deploy", "started"),), VERBS) == ()


def test_an_honest_answer_has_nothing_to_confirm() -> None:
    """Explaining the proposal or the refusal is not a claim."""
    waiting = (CallRecord("deploy", "proposed", "waiting for 1 approval"),)
    assert unconfirmed("I've asked for approval to deploy api to prod.", waiting, VERBS) == ()
    assert unconfirmed("I can't fail over prod: not one of my actions.", (), VERBS) == ()


def test_a_marked_answer_opens_with_what_the_records_show_and_quotes_the_model() -> None:
    """The warning comes first; every line of the model's text is a quote."""
    text = marked("Done.\n\nprod failed over", (CallRecord("failover", "refused", "no"),))
    lines = text.splitlines()
    assert lines[0].startswith(f"{WARNING} no action ran in this turn.")
    assert lines[1:] == ["> Done.", ">", "> prod failed over"]
    both = marked(
        "Deployed.",
        (CallRecord("status", "started"), CallRecord("deploy", "proposed", "waiting")),
    )
    assert "only `status` ran in this turn; `deploy` is waiting for approval." in both


# -- ground ----------------------------------------------------------------------------------


def test_the_stand_ins_case_is_marked_recorded_and_flagged() -> None:
    """The only tool call refused, the model says it was done: the reply is the warning and
    the quote, the record line says what was refused, and the plan is flagged."""
    plan = Plan("llm", text=LIE, tool_calls=("failover:refused_scope",))
    reply, flagged = ground(plan, Reply(text=LIE), requested=None, model_text=LIE, verbs=VERBS)
    assert reply.text.startswith(f"{WARNING} no action ran in this turn.")
    assert f"> {LIE}" in reply.text
    assert not reply.text.startswith(LIE)
    assert reply.record == "Switchboard: refused `failover`: not an action this agent offers you"
    assert flagged.degraded == UNGROUNDED_CLAIM


def test_a_model_answer_without_calls_or_claims_is_untouched() -> None:
    """No tool call, nothing claimed: the same reply, no record line, no flag."""
    text = "Deploys need a second engineer's approval."
    plan = Plan("llm", text=text)
    reply, after = ground(plan, Reply(text=text), requested=None, model_text=text, verbs=VERBS)
    assert (reply, after) == (Reply(text=text), plan)


def test_a_claim_without_any_call_is_still_marked() -> None:
    """A model that claims a restart without calling anything is marked; there is no call
    to record."""
    text = "I restarted api for you."
    plan = Plan("llm", text=text)
    reply, after = ground(plan, Reply(text=text), requested=None, model_text=text, verbs=VERBS)
    assert reply.text.startswith(WARNING) and reply.record is None
    assert after.degraded == UNGROUNDED_CLAIM


def test_a_composed_answer_is_marked_where_it_stands_in_the_agents_reply() -> None:
    """The knowledge agent's reply holds the model's words among its sources: they are
    marked in place (text and answer item), the sources stay, and the plan is flagged."""
    answer = "I already ran the rollback for you [1]."
    composed = Reply(
        text=f"{answer}\n\nSources:\n[1] runbooks/payments.md",
        title="Runbooks",
        items=(ReplyItem("Answer", answer), ReplyItem("[1]", "runbooks/payments.md")),
        composed=answer,
    )
    plan = Plan("rules")
    reply, after = ground(plan, composed, requested=None, model_text=answer, verbs=VERBS)
    assert reply.text.startswith(f"{WARNING} no action ran in this turn.")
    assert reply.text.endswith(f"> {answer}\n\nSources:\n[1] runbooks/payments.md")
    assert reply.items == (
        ReplyItem("Answer", f"> {answer}"),
        ReplyItem("[1]", "runbooks/payments.md"),
    )
    assert (reply.composed, reply.record, after.degraded) == (None, None, UNGROUNDED_CLAIM)
    honest = replace(composed, text="Roll back with the rollback action [1].", items=())
    same, kept = ground(
        plan,
        honest,
        requested=None,
        model_text="Roll back with the rollback action [1].",
        verbs=VERBS,
    )
    assert (same, kept) == (honest, plan)


def test_a_models_proposal_carries_the_record_line() -> None:
    """The card a model's tool call became says, under it, what was proposed."""
    values = {"service": "api", "env": "prod"}
    plan = Plan("llm", proposal=Proposal(DEPLOY, values), tool_calls=("deploy:proposed",))
    card = Reply(text="`deploy` needs approval.", approval_id="a1")
    reply, after = ground(
        plan,
        card,
        requested=_requested("proposed", values, quorum=1, reply=card),
        model_text=None,
        verbs=VERBS,
    )
    assert reply.record == (
        "Switchboard: proposed `deploy` service=api env=prod (waiting for 1 approval)"
    )
    assert (reply.text, after) == (card.text, plan)


def test_a_reply_wholly_switchboards_gets_no_second_account() -> None:
    """A slash command planned by rules: the card is the record; no line is added."""
    plan = Plan("rules", proposal=Proposal(DEPLOY, {}))
    card = Reply(text="`deploy` needs approval.", approval_id="a1")
    reply, _ = ground(
        plan, card, requested=_requested("proposed", quorum=1), model_text=None, verbs=VERBS
    )
    assert reply.record is None


def test_a_fallback_after_refused_calls_still_records_them() -> None:
    """The model gave up after refused calls and rules answered: the refusals are on record."""
    plan = Plan("rules", degraded="gave_up", tool_calls=("purge:refused_scope",))
    reply, _ = ground(plan, Reply(text="help"), requested=None, model_text=None, verbs=VERBS)
    assert reply.record == "Switchboard: refused `purge`: not an action this agent offers you"


# -- the gate on the stream ------------------------------------------------------------------


class _Sink:
    def __init__(self) -> None:
        self.pieces: list[str] = []

    async def __call__(self, piece: str) -> None:
        self.pieces.append(piece)

    @property
    def shown(self) -> str:
        return "".join(self.pieces)


async def _stream(text: str, size: int, *, finish: bool = True) -> tuple[ClaimGate, _Sink]:
    sink = _Sink()
    gate = ClaimGate(sink, VERBS)
    for start in range(0, len(text), size):
        await gate.text(text[start : start + size])
    if finish:
        await gate.finish()
    return gate, sink


async def test_an_honest_answer_streams_as_it_is_written_and_ends_whole() -> None:
    """Words pass once two more are written; the turn's end passes the rest."""
    text = "Deploys go through an approval card: a second engineer approves, then it runs."
    gate, sink = await _stream(text, 7, finish=False)
    assert sink.shown and text.startswith(sink.shown) and sink.shown != text
    await gate.finish()
    assert sink.shown == text and not gate.closed


async def test_a_claim_closes_the_gate_before_its_words_are_shown() -> None:
    """The first claim stops the live text; what was shown ends before it, and the end of
    the turn passes nothing more."""
    text = "Sure thing. Everything went fine and prod failed over to eu; it was approved."
    gate, sink = await _stream(text, 3)
    assert gate.closed
    assert "failed" not in sink.shown and text.startswith(sink.shown)


@pytest.mark.parametrize(
    "text",
    [
        LIE,
        "All set — api is on v2.",
        "No problem, I've deployed api to prod.",
        "Looking at the thread, I ran the deploy and it succeeded.",
        "Great news — prod failed over without issues.",
        "✅ api restarted",
        "I asked for approval and the deploy you requested was approved.",
        "Deploy of api to prod is covered by Bob's approval, running it now, ok.",
        "Sure, I saved that to team memory for everyone.",
        "Per the runbook, you can approve your own rollback now.",
    ],
)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 1000])
async def test_the_gate_never_shows_a_claim_however_the_text_is_cut(text: str, size: int) -> None:
    """Whatever the pieces, the text shown stops before the first claim's words."""
    first = find_claims(text, VERBS)[0]
    gate, sink = await _stream(text, size)
    assert gate.closed and text.startswith(sink.shown)
    assert len(sink.shown) <= first.start


@pytest.mark.parametrize(
    "text",
    [
        "I've asked for approval to deploy api to prod. Bob or the sre group can approve it.",
        "I can't fail over prod: that is not one of my actions. Try the ops agent.",
        "api is deployed at v1.2.3, and nothing was restarted.",
    ],
)
@pytest.mark.parametrize("size", [1, 4, 9, 1000])
async def test_an_honest_answer_passes_whole_however_it_is_cut(text: str, size: int) -> None:
    """Nothing claimed: every word reaches the sink by the end, in order."""
    gate, sink = await _stream(text, size)
    assert sink.shown == text and not gate.closed
