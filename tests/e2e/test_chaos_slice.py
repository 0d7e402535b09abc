"""The CI slice of the chaos harness (``benchmarks/chaos.py``, issue 15): a few fixed seeds,
each a real ``switchboard run`` under a SIGKILL and a Slack outage or lost answers, checked
against every invariant. A failing seed's output says how to replay it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage.conftest import postgres_url

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "chaos.py"
DURATION = "10"
SQLITE_SEEDS = [10, 23, 26]  # kill mid-job + outage; kill mid-post + lost answers; both kinds
POSTGRES_SEEDS = [10, 26]


def _chaos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--duration", DURATION, *args],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )


@pytest.mark.parametrize("seed", SQLITE_SEEDS)
def test_a_chaos_seed_on_sqlite_keeps_every_invariant(seed: int) -> None:
    """One process on SQLite, killed and restarted while Slack fails: every acked ask answered
    once, every approved action applied once with its quorum, every audit trail a valid
    path, nothing left claimed."""
    run = _chaos("--seed", str(seed), "--engine", "sqlite")
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "violations: 0" in run.stdout


@pytest.mark.parametrize("seed", POSTGRES_SEEDS)
def test_a_chaos_seed_on_postgres_replicas_keeps_every_invariant(seed: int) -> None:
    """Two replicas on PostgreSQL, one killed and restarted while Slack fails: the same
    invariants."""
    run = _chaos("--seed", str(seed), "--engine", "postgres", "--postgres", postgres_url())
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "violations: 0" in run.stdout
