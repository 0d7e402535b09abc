"""Prints the injection suite's score table at the end of a session that played any case."""

from __future__ import annotations

import pytest

from tests.eval.injection.report import RESULTS, UTILITY, score_table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The per-category table (cases, attacks succeeded), breakdowns, failing cases."""
    if RESULTS:
        terminalreporter.section("injection suite")
        terminalreporter.write_line(score_table(RESULTS, UTILITY))
