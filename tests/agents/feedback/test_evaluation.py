"""Evaluation cases and scores: the JSONL case format (as the export writes it), per-metric
scoring of present fields only, answer matching, pass^1 / pass^k, and the baseline gate."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from agents.actions.spec import ParamValue
from agents.feedback.eval_cases import CaseInput
from agents.feedback.evaluation import (
    Baseline,
    CaseResult,
    EvalCase,
    Expected,
    Observed,
    RunResult,
    aggregate,
    answer_matches,
    compare,
    differences,
    parse_baseline,
    parse_case,
    parse_dataset,
    score,
)
from agents.kernel.errors import DatasetError

EXPORTED = {
    "id": "deploy-prod",
    "input": {
        "text": "deploy api to prod",
        "user": "U0ALICE",
        "channel": "C0GENERAL",
        "source": "mention",
        "team": "T0EVAL",
    },
    "context": [
        {"direction": "in", "user": "U0ALICE", "text": "earlier message in the thread"},
        {"direction": "out", "user": "", "text": "earlier bot reply"},
    ],
    "expected": {
        "agent": "deploy",
        "action": "deploy",
        "params": {"service": "api", "env": "prod"},
        "approval_required": True,
        "answer": "needs approval",
    },
    "source_trace": "optional trace id it was exported from",
    "label": "optional review label",
}


def _observed(
    *,
    agent: str = "deploy",
    action: str | None = "deploy",
    params: Mapping[str, ParamValue] | None = None,
    approval_required: bool = True,
    answer: str = "`deploy` needs approval.",
) -> Observed:
    return Observed(
        agent,
        action,
        {"service": "api", "env": "prod"} if params is None else params,
        approval_required,
        answer,
    )


def _case(expected: Expected, case_id: str = "c") -> EvalCase:
    return EvalCase(case_id, CaseInput("x"), expected)


def _result(case_id: str, *passed: bool) -> CaseResult:
    expected = Expected(agent="deploy")
    runs = tuple(
        RunResult(_observed(agent="deploy" if ok else "help"), {"route": ok}) for ok in passed
    )
    return CaseResult(_case(expected, case_id), runs)


# -- the case format -------------------------------------------------------------------------


def test_the_exported_format_is_read_field_for_field() -> None:
    """A line exactly as the export writes it becomes a case with every field kept."""
    (case,) = parse_dataset(json.dumps(EXPORTED) + "\n", source="set.jsonl")
    assert case.id == "deploy-prod"
    assert (case.input.text, case.input.user_id, case.input.channel_id) == (
        "deploy api to prod",
        "U0ALICE",
        "C0GENERAL",
    )
    assert (case.input.source, case.input.team_id) == ("mention", "T0EVAL")
    assert [(m.direction, m.user_id, m.text) for m in case.context] == [
        ("in", "U0ALICE", "earlier message in the thread"),
        ("out", "", "earlier bot reply"),
    ]
    assert case.expected == Expected(
        agent="deploy",
        action="deploy",
        checks_action=True,
        params={"service": "api", "env": "prod"},
        approval_required=True,
        answer="needs approval",
    )
    assert (case.source_trace, case.label) == (
        "optional trace id it was exported from",
        "optional review label",
    )


def test_only_id_text_and_expected_are_required_and_input_has_defaults() -> None:
    """Input defaults: user U0EVAL, channel C0EVAL, a mention, team T0EVAL; an ``in``
    context message without a user is the case's user."""
    case = parse_case(
        {
            "id": "a",
            "input": {"text": "help", "user": "U0BOB"},
            "context": [{"direction": "in", "text": "hi"}, {"direction": "out", "text": "yo"}],
            "expected": {"agent": "help"},
        },
        "set.jsonl:1",
    )
    assert (case.input.channel_id, case.input.source, case.input.team_id) == (
        "C0EVAL",
        "mention",
        "T0EVAL",
    )
    assert [m.user_id for m in case.context] == ["U0BOB", ""]
    bare = parse_case({"id": "b", "input": {"text": "help"}, "expected": {"answer": "x"}}, "w")
    assert bare.input.user_id == "U0EVAL" and bare.context == ()
    assert bare.source_trace is None and bare.label is None


def test_action_null_is_an_expectation_and_a_missing_action_is_none() -> None:
    """``"action": null`` means "no action may be proposed" (scored); leaving it out scores
    nothing about the action."""
    null = parse_case({"id": "a", "input": {"text": "x"}, "expected": {"action": None}}, "w")
    absent = parse_case({"id": "a", "input": {"text": "x"}, "expected": {"agent": "help"}}, "w")
    assert (null.expected.action, null.expected.checks_action) == (None, True)
    assert absent.expected.checks_action is False


def test_blank_lines_and_comments_are_skipped_and_line_numbers_kept() -> None:
    """``#`` lines and blank lines are ignored; an error still names the file's own line."""
    good = json.dumps({"id": "a", "input": {"text": "x"}, "expected": {"agent": "help"}})
    text = f"# a comment\n\n{good}\n   \n{{not json\n"
    with pytest.raises(DatasetError) as error:
        parse_dataset(text, source="set.jsonl")
    assert error.value.where == "set.jsonl:5"
    assert str(error.value).startswith("set.jsonl:5: not valid JSON")
    assert len(parse_dataset(f"# c\n\n{good}\n", source="set.jsonl")) == 1


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([1, 2], "the case must be a JSON object"),
        ({"input": {"text": "x"}, "expected": {"agent": "a"}}, "id must be a non-empty string"),
        ({"id": "a", "expected": {"agent": "a"}}, "input must be a JSON object"),
        ({"id": "a", "input": {"user": "U1"}, "expected": {"agent": "a"}}, "input.text must be"),
        ({"id": "a", "input": {"text": "x"}}, "expected must be a JSON object"),
        ({"id": "a", "input": {"text": "x"}, "expected": {}}, "expected must name at least one"),
        (
            {"id": "a", "input": {"text": "x", "source": "email"}, "expected": {"agent": "a"}},
            "input.source must be one of mention, dm, thread, command",
        ),
        (
            {"id": "a", "input": {"text": "x"}, "expected": {"agnet": "a"}},
            "unknown key 'agnet' in expected",
        ),
        (
            {"id": "a", "input": {"text": "x"}, "expected": {"approval_required": "yes"}},
            "expected.approval_required must be true or false",
        ),
        (
            {"id": "a", "input": {"text": "x"}, "expected": {"params": {"env": ["prod"]}}},
            "expected.params.env must be a string, an integer or a boolean",
        ),
        (
            {"id": "a", "input": {"text": "x"}, "expected": {"params": {"n": 1.5}}},
            "expected.params.n must be a string, an integer or a boolean",
        ),
        (
            {"id": "a", "input": {"text": "x"}, "context": {}, "expected": {"agent": "a"}},
            "context must be a list of messages",
        ),
        (
            {
                "id": "a",
                "input": {"text": "x"},
                "context": [{"direction": "sideways", "text": "t"}],
                "expected": {"agent": "a"},
            },
            "context[0].direction must be 'in' or 'out'",
        ),
    ],
)
def test_a_malformed_case_names_its_place_and_problem(obj: object, message: str) -> None:
    """Every malformed case is a DatasetError prefixed with ``file:line``."""
    with pytest.raises(DatasetError) as error:
        parse_case(obj, "set.jsonl:7")
    assert error.value.where == "set.jsonl:7"
    assert message in error.value.message


def test_a_repeated_id_and_an_empty_dataset_are_errors() -> None:
    """Ids are unique (the second use names the first line); a file of comments has no case."""
    line = json.dumps({"id": "a", "input": {"text": "x"}, "expected": {"agent": "help"}})
    with pytest.raises(DatasetError, match=r"^s:3: id 'a' is used already on line 1$"):
        parse_dataset(f"{line}\n\n{line}\n", source="s")
    with pytest.raises(DatasetError, match=r"^s: no cases"):
        parse_dataset("# only a comment\n", source="s")


# -- scoring ----------------------------------------------------------------------------------


def test_only_present_fields_are_scored() -> None:
    """An expectation of the agent alone scores the route and nothing else."""
    assert score(Expected(agent="deploy"), _observed(action=None, answer="?")) == {"route": True}


def test_each_metric_compares_its_field() -> None:
    """Route, action, params, approval and answer each compare their own field."""
    expected = Expected(
        agent="deploy",
        action="deploy",
        checks_action=True,
        params={"service": "api", "env": "prod"},
        approval_required=True,
        answer="needs approval",
    )
    assert all(score(expected, _observed()).values())
    wrong = _observed(
        agent="help",
        action="status",
        params={"service": "api", "env": "staging"},
        approval_required=False,
        answer="Running `status` now.",
    )
    assert score(expected, wrong) == {
        "route": False,
        "action": False,
        "params": False,
        "approval": False,
        "answer": False,
    }


def test_action_null_fails_when_an_action_was_proposed() -> None:
    """``action: null`` passes only when the turn created no approval request."""
    expected = Expected(action=None, checks_action=True)
    assert score(expected, _observed(action=None)) == {"action": True}
    assert score(expected, _observed(action="deploy")) == {"action": False}


def test_params_match_exactly_with_ints_and_bools_equal_to_their_text() -> None:
    """``4`` equals ``"4"`` and ``true`` equals ``"true"``; a missing or extra parameter fails."""
    expected = Expected(params={"replicas": 4, "force": True})
    assert score(expected, _observed(params={"replicas": "4", "force": "true"}))["params"]
    assert not score(expected, _observed(params={"replicas": 4}))["params"]
    extra: dict[str, ParamValue] = {"replicas": 4, "force": True, "env": "prod"}
    assert not score(expected, _observed(params=extra))["params"]


@pytest.mark.parametrize(
    ("expected", "reply", "matches"),
    [
        ("needs approval", "`deploy`   NEEDS\napproval.", True),  # substring, case and spaces
        (
            "found nothing about database failover",
            "I found nothing about 'database failover'",
            True,
        ),
        # five content words: four present is 80%, three is 60%
        ("alpha bravo charlie delta echo", "alpha bravo charlie delta", True),
        ("alpha bravo charlie delta echo", "alpha bravo charlie", False),
        ("deploy needs approval", "`deploy` needs approval.", True),  # trailing dot ignored
        ("it is what it is", "what is it", False),  # stop words only: substring or nothing
        ("needs approval", "Running `status` now.", False),
    ],
)
def test_answer_match_is_a_substring_or_most_content_words(
    expected: str, reply: str, matches: bool
) -> None:
    """An answer matches as a normalised substring, or with at least 80% of its content
    words in the reply."""
    assert answer_matches(expected, reply) is matches


def test_differences_list_only_the_fields_that_failed() -> None:
    """Each failed field says what was expected and what came; matching ones are left out."""
    expected = Expected(
        agent="deploy", action="deploy", checks_action=True, params={"service": "api"}
    )
    found = differences(expected, _observed(action=None, params={}))
    assert [(d.metric, d.expected, d.got) for d in found] == [
        ("action", "deploy", None),
        ("params", "{service=api}", "{}"),
    ]


# -- aggregation and the baseline -------------------------------------------------------------


def test_accuracy_counts_only_case_runs_where_the_field_is_present() -> None:
    """The answer metric is over the runs of the one case that expects an answer."""
    with_answer = Expected(agent="deploy", answer="needs approval")
    runs_a = tuple(
        RunResult(o, score(with_answer, o)) for o in (_observed(), _observed(answer="no"))
    )
    agent_only = Expected(agent="deploy")
    runs_b = tuple(RunResult(_observed(), score(agent_only, _observed())) for _ in range(2))
    report = aggregate(
        [CaseResult(_case(with_answer, "a"), runs_a), CaseResult(_case(agent_only, "b"), runs_b)],
        k=2,
    )
    assert (report.metrics["answer"].correct, report.metrics["answer"].total) == (1, 2)
    assert (report.metrics["route"].correct, report.metrics["route"].total) == (4, 4)
    assert report.metrics["params"].accuracy is None


def test_pass_k_counts_cases_that_passed_every_run() -> None:
    """One steady case and one that passes 3 of 4 runs: pass^1 7/8, pass^4 1/2."""
    report = aggregate(
        [_result("steady", *[True] * 4), _result("flaky", True, True, False, True)], k=4
    )
    assert report.pass_1 == pytest.approx(7 / 8)
    assert report.pass_k == pytest.approx(1 / 2)
    assert [result.case.id for result in report.failing] == ["flaky"]


def test_aggregate_refuses_a_case_run_a_different_number_of_times() -> None:
    """Every case must have exactly k runs."""
    with pytest.raises(ValueError, match="ran 1 times, not 2"):
        aggregate([_result("short", True)], k=2)


def test_a_score_below_the_baseline_is_a_regression_and_an_equal_one_is_not() -> None:
    """route 3/4 < 1.0 regresses; pass^1 equal to its (float) floor does not."""
    report = aggregate([_result("a", True, True), _result("b", True, False)], k=2)
    comparison = compare(report, Baseline({"route": 1.0, "pass_1": 3 / 4, "pass_k": 0.5}, k=2))
    assert [(r.name, r.score, r.baseline) for r in comparison.regressions] == [("route", 0.75, 1.0)]
    assert not comparison.ok
    assert compare(report, Baseline({"route": 0.75, "pass_k": 0.5}, k=2)).ok


def test_pass_k_is_compared_only_at_the_baselines_k_and_an_unmeasured_metric_regresses() -> None:
    """A run with another k gets a note instead of a pass_k verdict; a metric the dataset no
    longer measures falls below any floor."""
    report = aggregate([_result("a", True, False)], k=2)
    comparison = compare(report, Baseline({"pass_k": 1.0, "answer": 1.0}, k=8))
    assert comparison.notes == (
        "pass_k not compared: the baseline was measured with k=8, this run used k=2",
    )
    assert [(r.name, r.score) for r in comparison.regressions] == [("answer", None)]


def test_baseline_file_shape_is_checked() -> None:
    """The committed shape parses; an unknown key, a score above 1 or a bad k does not."""
    good = {"route": 1.0, "action": 1, "params": 1.0, "approval": 1.0, "answer": 1.0}
    parsed = parse_baseline({**good, "pass_k": 1.0, "k": 8}, "b.json")
    assert parsed.k == 8 and parsed.scores["action"] == 1.0
    for bad, message in [
        ({"rout": 1.0}, "unknown key 'rout'"),
        ({"route": 1.5}, "route must be a number from 0 to 1"),
        ({"route": True}, "route must be a number from 0 to 1"),
        ({"k": 0}, "k must be a positive integer"),
        ([1.0], "a baseline must be a JSON object"),
    ]:
        with pytest.raises(DatasetError, match=message):
            parse_baseline(bad, "b.json")
