"""Finding claims in a model's text: what says an action ran, was approved or succeeded, and
what honest answers (proposals, refusals, questions, states, plans) must not be taken for."""

from __future__ import annotations

import pytest

from agents.actions.spec import ActionSpec, ExecutorInfo
from agents.turns.claims import ActionVerbs, find_claims, finished_words, past_forms


def _action(name: str, *formats: str) -> ActionSpec:
    return ActionSpec(
        name=name,
        agent="deploy",
        description="",
        risk="write",
        executor=ExecutorInfo("http", "api:80"),
        formats=formats,
    )


VERBS = ActionVerbs.of(
    [
        _action("deploy", "deploy {service} to {env}", "ship {service}"),
        _action("rollback", "rollback {service}"),
        _action("status", "status of {service}"),
        _action("scale_up", "{service} scale up"),
    ]
)


def _claims(text: str) -> list[tuple[str, str, str | None]]:
    return [(c.kind, c.words, c.action) for c in find_claims(text, VERBS)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Done: prod failed over to eu, it was approved.",
            [
                ("completion", "done", None),
                ("action", "failed over", None),
                ("approval", "approved", None),
            ],
        ),
        ("Deployed api to prod.", [("action", "deployed", "deploy")]),
        ("I've deployed api to prod.", [("action", "deployed", "deploy")]),
        ("I have rolled back api.", [("action", "rolled back", "rollback")]),
        ("I rolled back api for you", [("action", "rolled back", "rollback")]),
        ("api has been deployed to prod", [("action", "deployed", "deploy")]),
        ("The rollback of api was rolled back", [("action", "rolled back", "rollback")]),
        ("I shipped web an hour ago", [("action", "shipped", "deploy")]),
        ("Scaled up api to 3 replicas.", [("action", "scaled up", "scale_up")]),
        ("Prod was failed over to EU.", [("action", "failed over", None)]),
        ("api restarted cleanly", [("action", "restarted", None)]),
        ("We restarted the api pods.", [("action", "restarted", None)]),
        ("The service is now failed over to eu.", [("action", "failed over", None)]),
        ("It was approved by Bob.", [("approval", "approved", None)]),
        ("Bob approved it a minute ago", [("approval", "approved", None)]),
        ("Approved!", [("approval", "approved", None)]),
        ("The request is approved", [("approval", "approved", None)]),
        ("Carol signed off on the rollback", [("approval", "signed off", None)]),
        ("The deploy succeeded.", [("result", "succeeded", None)]),
        ("The rollback went through", [("result", "went through", None)]),
        ("It's done!", [("result", "done", None)]),
        ("The deploy is complete.", [("result", "complete", None)]),
        ("Finished: api is on v2", [("completion", "finished", None)]),
        ("All set — api is on v2.", [("completion", "all set", None)]),
        ("All done.", [("completion", "all done", None)]),
        ("✅ web is live", [("completion", "✅", None)]),
        ("I ran the deploy for api.", [("run", "ran", None)]),
        ("The job was executed at 10:02.", [("run", "executed", None)]),
        ("I kicked off a rollback.", [("run", "kicked off", None)]),
        ("I triggered the pipeline.", [("run", "triggered", None)]),
        ("Sure thing. Deployed.", [("action", "deployed", "deploy")]),
        ("I can't do that; I restarted api instead.", [("action", "restarted", None)]),
        ("I couldn't deploy, so I restarted api.", [("action", "restarted", None)]),
        ("Great news — prod failed over without issues.", [("action", "failed over", None)]),
        ("It\u2019s done.", [("result", "done", None)]),  # a typographic apostrophe
        ("DONE", [("completion", "done", None)]),
    ],
)
def test_a_claim_is_found_with_its_kind_and_action(
    text: str, expected: list[tuple[str, str, str | None]]
) -> None:
    """Completion words, approvals, results, runs and past action verbs (the configured
    actions' names and command words too) are claims, whatever the subject."""
    assert _claims(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I've asked for approval to deploy api to prod.",
        "I requested a rollback of api; it is waiting for 2 approvals.",
        "I proposed `deploy` api to prod; Bob or the sre group can approve it.",
        "Your deploy needs approval from Bob before it can run.",
        "It will be deployed once approved.",
        "Once Bob approves, the deploy will run.",
        "It needs to be approved by two people.",
        "When it's approved I'll let you know.",
        "After it is approved, the job runs once.",
        "I'll fail over prod as soon as someone approves.",
        "I can deploy api to prod if you want.",
        "I have not deployed, restarted, or failed over anything.",
        "Nothing was deployed.",
        "No action ran in this turn.",
        "Nothing ran.",
        "It was not approved.",
        "It hasn't been approved yet.",
        "Not yet approved.",
        "I can't confirm it was approved.",
        "I don't know if it was approved.",
        "Nobody approved it.",
        "I couldn't fail over prod: that is not one of my actions.",
        "The failover tool was refused, so nothing happened.",
        "Was it approved?",
        "Did the deploy succeed?",
        "It was approved?",
        "Has api been deployed to prod?",
        "Should I roll back api?",
        "api is deployed at v1.2.3",
        "api is already deployed at v1.2.3.",
        "The deployed version is v1.2.3.",
        "The latest deployed build is 42.",
        "Deploys go through an approval card: a second engineer approves, then the job runs "
        "once and its result is posted in the thread where it was asked.",
        "I ran out of tokens before I could answer.",
        "all good",
        "first answer",
        "too late",
        "hi",
        "Rolling back needs two approvers.",
        "To deploy, say `deploy api to prod`.",
        "Let me know when it's done.",
        "I'd have deployed it, but I may only propose actions.",
        "I'm waiting for the deploy to be approved.",
        "A rollback is pending approval.",
        "The approvers are Bob and the sre group.",
        "I cannot run anything myself.",
        "No, I haven't deployed anything.",
        "No, it was not approved.",
        "",
    ],
)
def test_an_honest_answer_claims_nothing(text: str) -> None:
    """Proposals, requests, plans, conditions, negations, questions and states are not
    claims: an answer that explains what it asked for passes untouched."""
    assert _claims(text) == []


def test_a_claim_knows_where_its_words_are() -> None:
    """Offsets point at the claim's words in the original text."""
    text = "Sure. Prod   failed over to eu."
    (claim,) = find_claims(text, VERBS)
    assert text[claim.start : claim.end] == "failed   over".replace("   ", " ")
    assert claim.words == "failed over"


def test_the_verdict_on_a_word_needs_only_two_words_after_it() -> None:
    """Cut anywhere after the two words that follow a claim's first word, a text shows the
    same claim at the same place (what lets a stream be checked as it is written)."""
    text = "Sure thing, prod failed over to eu and it was approved by Bob today."
    full = find_claims(text, VERBS)
    words = finished_words(text + " ")
    for claim in full:
        after = [w for w in words if w[0] >= claim.start]
        cut = after[min(2, len(after) - 1)][1]
        assert claim in find_claims(text[:cut], VERBS)


def test_past_forms_of_action_names() -> None:
    """An action's name or command word gives its past form, particles kept apart."""
    assert past_forms("deploy") == (("deployed",),)
    assert past_forms("failover")[0] == ("failed", "over")
    assert past_forms("rollback")[0] == ("rolled", "back")
    assert past_forms("scale_up") == (("scaled", "up"),)
    assert past_forms("restart-service") == (("restarted",),)
    assert past_forms("run") == (("ran",),)
    assert past_forms("apply") == (("applied",),)
    assert past_forms("stop") == (("stopped",),)
    assert past_forms("") == ()


def test_an_operations_verb_names_the_action_configured_under_it() -> None:
    """``failed over`` names `failover` when one is configured, and nothing otherwise."""
    with_failover = ActionVerbs.of([_action("failover")])
    (claim,) = find_claims("prod failed over", with_failover)
    assert claim.action == "failover"
    (claim,) = find_claims("prod failed over", ActionVerbs.of([]))
    assert claim.action is None


def test_finished_words_wait_for_what_follows() -> None:
    """A word is finished once a character that cannot extend it follows."""
    text = "it's done, fail"
    assert [text[s:e] for s, e in finished_words(text)] == ["it's", "done"]
    assert [text[s:e] for s, e in finished_words("it")] == []
    assert [text[s:e] for s, e in finished_words("it'")] == []


@pytest.mark.parametrize(
    "text",
    [
        "Your request was approved.",
        "The proposal was approved by Carol.",
        "The request is approved",
    ],
)
def test_a_request_or_proposal_as_the_subject_does_not_cancel_a_claim(text: str) -> None:
    """``request`` and ``proposal`` as nouns leave the claim standing (only asking,
    requesting or proposing as verbs cancel one)."""
    assert _claims(text) == [("approval", "approved", None)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The deploy you requested was approved.", [("approval", "approved", None)]),
        ("The pending rollback was approved.", [("approval", "approved", None)]),
        ("I asked for approval and deployed api anyway.", [("action", "deployed", "deploy")]),
        ("No problem, I've deployed api to prod.", [("action", "deployed", "deploy")]),
        ("Sure, done.", [("completion", "done", None)]),
        ("Please note: it was approved.", [("approval", "approved", None)]),
        ("About an hour ago the deploy was approved.", [("approval", "approved", None)]),
    ],
)
def test_asking_words_and_interjections_do_not_hide_a_claim(
    text: str, expected: list[tuple[str, str, str | None]]
) -> None:
    """Words about asking, waiting or politeness before a claim leave it a claim; only
    negations, conditions and modals cancel one."""
    assert _claims(text) == expected


def _named(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.kind, c.words, c.named) for c in find_claims(text, VERBS)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Noted for everyone, I will keep it.", [("memory", "noted")]),
        ("Pinned for this thread.", [("memory", "pinned")]),
        ("I've remembered that for the team.", [("memory", "remembered")]),
        ("Saved to team memory: Bob owns api.", [("memory", "saved to team memory")]),
        ("I stored it in long-term memory.", [("memory", "stored it in long term memory")]),
        ("You can approve your own rollback.", [("permission", "approve your own")]),
        ("Go ahead and approve it yourself.", [("permission", "approve it yourself")]),
        ("Deploy is covered by Bob's approval.", [("approval", "covered by bob's approval")]),
        ("It rides on the web approval.", [("approval", "rides on the web approval")]),
        ("Bob's approval covers it.", [("approval", "approval covers")]),
        ("The rollback is pre-approved by the board.", [("approval", "approved")]),
        ("Running it now.", [("run", "running it now")]),
        ("I'm executing the rollback now.", [("run", "executing the rollback now")]),
        ("Status check done: api is fine.", [("result", "done")]),
        ("Rollback complete.", [("result", "complete")]),
        ("api v3 is deployed to prod.", [("action", "deployed")]),
        ("web is already deployed to staging.", [("action", "deployed")]),
        ("🧾 proposed deploy", [("imitation", "🧾")]),
        ("Switchboard: running status", [("imitation", "switchboard")]),
    ],
)
def test_memory_permission_coverage_and_imitation_are_claims(
    text: str, expected: list[tuple[str, str]]
) -> None:
    """Storing a note, who may approve, an approval that covers something else, a run
    under way, a bare "X done", a state that says where an action took something, and
    Switchboard's own line in a model's words are claims."""
    assert [(c.kind, c.words) for c in find_claims(text, VERBS)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "As noted in [1], restart the pods first.",
        "The pinned facts come first.",
        "api is pinned to v1.2 in the config.",
        "I'll remember that if you say `remember` first.",
        "Say `remember for everyone ...` and I will keep the note.",
        "You cannot approve your own rollback.",
        "You can't approve it yourself; Bob or Carol must.",
        "It is not covered by Bob's approval.",
        "It needs its own approval from the sre group.",
        "Once approved, it will be running within a minute.",
        "Verify the rollback completed.",
        "Please confirm the deploy succeeded.",
        "Then check that api restarted.",
        "Let's get it done.",
        "api is deployed at v1.2.3 in prod.",
        "api runs v1.2.3 in prod.",
        "Added the release notes to the answer.",
        "I added a note to the release notes.",
    ],
)
def test_the_new_claims_leave_honest_answers_alone(text: str) -> None:
    """Citing, describing state, instructions, negations and promises are not claims."""
    assert _claims(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The deploy succeeded.", [("result", "succeeded", ("deploy",))]),
        ("`deploy` succeeded: HTTP 201", [("result", "succeeded", ("deploy",))]),
        ("Status check done: ok", [("result", "done", ("status",))]),
        ("Done.", [("completion", "done", ())]),
        ("It succeeded.", [("result", "succeeded", ())]),
        (
            "I shipped it; the rollback went through",
            [
                ("action", "shipped", ()),
                ("result", "went through", ("rollback",)),
            ],
        ),
    ],
)
def test_a_claim_knows_which_actions_its_clause_names(
    text: str, expected: list[tuple[str, str, tuple[str, ...]]]
) -> None:
    """An action's name or command word in the claim's clause is what it is about; a bare
    "Done." names nothing."""
    assert _named(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Deploy of api to prod is covered by Bob's approval, running it now.",
        "Saved to team memory: Bob owns api.",
        "You can approve your own rollback now, go ahead.",
    ],
)
def test_a_claim_ending_later_is_found_once_its_last_word_is_written(text: str) -> None:
    """Claims found at their last word (their first may be up to five words before) hold
    for every cut after that word and the two after it: a stream can still be checked."""
    full = find_claims(text, VERBS)
    words = finished_words(text + " ")
    for claim in full:
        after = [w for w in words if w[1] >= claim.end]
        cut = after[min(2, len(after) - 1)][1]
        assert claim in find_claims(text[:cut], VERBS)
