"""The router picks one agent per message: explicit > keyword > fallback."""

from __future__ import annotations

import pytest

from agents.core.models import AgentInfo
from agents.core.router import route

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
    assert decision.reason == "keyword"


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


def test_ties_go_to_the_first_registered_agent() -> None:
    """One hit each for help and deploy: help is registered first."""
    assert route("usage of deploy", AGENTS, fallback="help").agent == "help"


def test_nothing_matches_falls_back_with_zero_score() -> None:
    """An unrelated message goes to the fallback agent with score 0."""
    decision = route("what's for lunch", AGENTS, fallback="help")
    assert (decision.agent, decision.reason, decision.score) == ("help", "fallback", 0.0)
    assert decision.text == "what's for lunch"


def test_empty_text_falls_back() -> None:
    """A bare mention (empty text) is answered by the fallback agent."""
    assert route("", AGENTS, fallback="help").reason == "fallback"
