"""The router picks one agent per message: explicit > binding > action format > keyword and
example score > ask (below the threshold or tied) > fallback."""

from __future__ import annotations

import pytest

from agents.actions.spec import ActionSpec, ExecutorInfo, ParamSpec
from agents.kernel.models import AgentInfo
from agents.turns.router import example_score, route

AGENTS = (
    AgentInfo("help", "Lists agents.", keywords=("help", "usage")),
    AgentInfo("deploy", "Deploys services.", keywords=("deploy", "rollback", "release")),
    AgentInfo("oncall", "Who is on call.", keywords=("on call", "pager", "rotation")),
)


def test_explicit_prefix_wins_over_keywords() -> None:
    """`oncall: deploy rollback` goes to oncall although deploy matches two keywords."""
    decision = route("oncall: deploy rollback", AGENTS, fallback="help")
    assert (decision.agent, decision.reason, decision.score) == ("oncall", "explicit", 1.0)
    assert decision.text == "deploy rollback"


def test_explicit_prefix_is_case_insensitive_and_keeps_the_agents_spelling() -> None:
    """`Deploy:` addresses the `deploy` agent."""
    assert route("Deploy: api", AGENTS, fallback="help").agent == "deploy"


def test_unknown_prefix_is_not_explicit() -> None:
    """`note: deploy api` is not an agent prefix, so keywords decide."""
    decision = route("note: deploy api", AGENTS, fallback="help")
    assert (decision.agent, decision.reason) == ("deploy", "keyword")


def test_subcommand_names_an_agent_without_colon() -> None:
    """`/ops deploy api` routes to deploy with the rest as text."""
    decision = route("deploy api to prod", AGENTS, fallback="help", subcommand=True)
    assert (decision.agent, decision.reason, decision.text) == ("deploy", "explicit", "api to prod")


def test_first_word_is_not_explicit_outside_slash_commands() -> None:
    """In a mention, a leading agent name without a colon is only a keyword."""
    decision = route("help me deploy", AGENTS, fallback="help")
    assert decision.reason == "ask"  # one keyword each for help and deploy: a tie
    assert route("help me", AGENTS, fallback="help").reason == "keyword"


def test_most_keyword_hits_wins_and_scores_below_one() -> None:
    """Two deploy keywords beat one help keyword; score is hits/(hits+1)."""
    decision = route("help with the rollback of the release", AGENTS, fallback="help")
    assert (decision.agent, decision.reason) == ("deploy", "keyword")
    assert decision.score == pytest.approx(2 / 3, abs=1e-3)


def test_keywords_match_whole_words_only() -> None:
    """`redeployment` does not contain the keyword `deploy` as a word."""
    assert route("redeployment plans", AGENTS, fallback="help").reason == "fallback"


def test_multi_word_keyword_matches_as_phrase() -> None:
    """`who is on call?` matches the phrase keyword `on call`."""
    assert route("who is on call?", AGENTS, fallback="help").agent == "oncall"


def test_a_tie_asks_with_both_candidates() -> None:
    """One keyword hit each for help and deploy: the person is asked, help offered first."""
    decision = route("usage of deploy", AGENTS, fallback="help")
    assert decision.reason == "ask"
    assert decision.candidates == ("help", "deploy")


def test_nothing_matches_falls_back_with_zero_score() -> None:
    """An unrelated message goes to the fallback agent with score 0."""
    decision = route("what's for lunch", AGENTS, fallback="help")
    assert (decision.agent, decision.reason, decision.score) == ("help", "fallback", 0.0)
    assert decision.text == "what's for lunch"


def test_empty_text_falls_back() -> None:
    """A bare mention (empty text) is answered by the fallback agent."""
    assert route("", AGENTS, fallback="help").reason == "fallback"


BOUND = (
    AgentInfo("help", "Lists agents.", keywords=("help",)),
    AgentInfo("deploy", "Deploys.", keywords=("deploy",), channels=("C0DEPLOYS",)),
    AgentInfo(
        "oncall",
        "Who is on call.",
        keywords=("on call",),
        examples=("who is on call next for primary",),
    ),
)
STATUS = ActionSpec(
    name="status",
    agent="oncall",
    description="Status",
    risk="read",
    executor=ExecutorInfo("http", "x:80"),
    params=(ParamSpec("service"),),
    formats=("status of {service}",),
)


def test_explicit_beats_the_channel_binding() -> None:
    """`oncall: …` in a channel bound to deploy still goes to oncall."""
    decision = route("oncall: who", BOUND, fallback="help", channel_id="C0DEPLOYS")
    assert (decision.agent, decision.reason) == ("oncall", "explicit")


def test_binding_beats_an_action_format_and_keywords() -> None:
    """In the bound channel a message goes to the bound agent, whatever it matches."""
    decision = route(
        "status of api who is on call",
        BOUND,
        fallback="help",
        channel_id="C0DEPLOYS",
        actions=(STATUS,),
    )
    assert (decision.agent, decision.reason, decision.score) == ("deploy", "binding", 1.0)


def test_action_format_beats_keywords() -> None:
    """A message that is an action's command goes to the action's agent."""
    decision = route("status of deploy", BOUND, fallback="help", actions=(STATUS,))
    assert (decision.agent, decision.reason) == ("oncall", "action")


def test_example_utterance_scores_by_shared_content_words() -> None:
    """`next for primary?` shares 2 of the example's 3 content words (call, next, primary)."""
    decision = route("next for primary?", BOUND, fallback="help", threshold=0.5)
    assert (decision.agent, decision.reason) == ("oncall", "example")
    assert decision.score == pytest.approx(0.9 * 2 / 3, abs=0.001)


def test_below_the_threshold_asks_with_candidates() -> None:
    """A weak match is not taken on faith: the router asks, offering the agent it found."""
    decision = route("next for primary?", BOUND, fallback="help", threshold=0.7)
    assert decision.reason == "ask"
    assert decision.candidates == ("oncall",)


def test_ignoring_the_channel_lets_a_bound_channel_hand_off() -> None:
    """Without the channel id the same text routes by its words (the hand-off path)."""
    decision = route("who is on call", BOUND, fallback="help")
    assert (decision.agent, decision.reason) == ("oncall", "keyword")


DEPLOY = ActionSpec(
    name="deploy",
    agent="deploy",
    description="Deploy",
    risk="write",
    executor=ExecutorInfo("http", "x:80"),
    params=(ParamSpec("service"), ParamSpec("env")),
    formats=("deploy {service} to {env}",),
)


def test_a_whole_slash_command_matching_an_action_keeps_its_text() -> None:
    """`/ops deploy api to prod`: the agent and its action share the first word, so the
    command goes to the action's agent with its whole text (the planner must see `deploy`);
    `/ops deploy status` (no format) still names the agent."""
    decision = route(
        "deploy api to prod", AGENTS, fallback="help", subcommand=True, actions=(DEPLOY,)
    )
    assert (decision.agent, decision.reason, decision.text) == (
        "deploy",
        "action",
        "deploy api to prod",
    )
    other = route("deploy status", AGENTS, fallback="help", subcommand=True, actions=(DEPLOY,))
    assert (other.agent, other.reason, other.text) == ("deploy", "explicit", "status")


def test_a_slash_command_naming_an_agent_beats_the_channel_binding() -> None:
    """`/ops oncall who` in a channel bound to deploy goes to oncall, as before."""
    decision = route("oncall who", BOUND, fallback="help", subcommand=True, channel_id="C0DEPLOYS")
    assert (decision.agent, decision.reason, decision.text) == ("oncall", "explicit", "who")


def test_an_example_scores_each_message_by_its_own_words() -> None:
    """An example's words are split once and kept: a second message scored against the same
    example is scored by its own words, not the first message's."""
    example = "roll back the api deploy"
    assert example_score({"roll", "back", "api"}, example) == pytest.approx(0.9 * 3 / 4)
    assert example_score({"deploy"}, example) == pytest.approx(0.9 / 4)
    assert example_score(set(), example) == 0.0
    assert example_score({"the"}, "the a an") == 0.0  # stop words only: nothing to match
