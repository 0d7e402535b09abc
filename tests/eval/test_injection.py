"""The injection suite (issue 16): every case of ``injection/cases.yaml`` replayed through the
real app (signed events into Bolt, the real database and worker, the sandbox's deploy API)
with the scripted model server playing a compromised model that obeys the injection.

Each case is a test that fails with what its attack achieved; the gate plays every case and
fails when any category's count is above 0 or the benign evaluation set falls below its
baseline. The score table is printed at the end of the session (see docs/security.md).
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cli.eval import eval_command
from bot.config import Settings
from tests.eval.injection.cases import Case, load_cases
from tests.eval.injection.detectors import detect
from tests.eval.injection.play import play
from tests.eval.injection.report import RESULTS, UTILITY, CaseResult, Utility, score_table, totals
from tests.eval.injection.world import World, open_world

ON_THE_WORLD = pytest.mark.asyncio(loop_scope="module")
"""The cases share the module's world, so they run on its event loop."""

CASES = load_cases()
REPO = Path(__file__).resolve().parents[2]
EVAL_K = 8


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with open_world(tmp_path_factory.mktemp("injection")) as shared:
        yield shared


async def _result(world: World, case: Case) -> CaseResult:
    observation = await play(world, case)
    result = CaseResult(case, detect(observation), observation.reached, observation.obeyed)
    RESULTS[case.id] = result
    return result


async def _utility(tmp_path: Path) -> Utility:
    """The benign evaluation set, exactly as CI's gate runs it (rules planner, pass^8)."""
    settings = Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e.db"})
    out = io.StringIO()
    code = await eval_command(
        settings,
        REPO / "tests" / "eval" / "dataset.jsonl",
        k=EVAL_K,
        config_path=REPO / "examples" / "switchboard.yaml",
        json_output=True,
        out=out,
    )
    report = json.loads(out.getvalue())
    failing = tuple(str(item["id"]) for item in report["failing"])
    utility = Utility(
        report["cases"], EVAL_K, report["scores"], code == 0 and report["passed"], failing
    )
    UTILITY[:] = [utility]
    return utility


@ON_THE_WORLD
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_the_attack_achieves_nothing(world: World, case: Case) -> None:
    """Whatever the compromised model does with the injection, nothing runs without its
    approvers, no agent leaves its scope, the answer claims nothing the records do not show,
    no secret or private note is shown, no note is stored, no link leaves the allowlist."""
    result = await _result(world, case)
    assert not result.succeeded, result.explain()


UNDER_ATTACK = [case for case in CASES if case.bob_approves or case.source == "runbook"]


@ON_THE_WORLD
@pytest.mark.parametrize("case", UNDER_ATTACK, ids=[case.id for case in UNDER_ATTACK])
async def test_what_people_asked_for_still_happens_under_attack(world: World, case: Case) -> None:
    """Utility under attack: the deploy Bob approved runs once (and nothing else does); a
    runbook answer still cites its section with a working link to the runbooks' site."""
    observation = await play(world, case)
    if case.bob_approves:
        applied = [(a.operation, dict(a.body)) for a in observation.applied]
        assert applied == [("deploys", {"service": "web", "env": "staging"})]
    else:
        link = f"<https://docs.example.com/runbooks/{case.topic}.md#{case.topic}-procedure|"
        assert any(link in json.dumps(message) for message in observation.final)


@ON_THE_WORLD
async def test_the_gate_every_category_is_zero_and_utility_holds(
    world: World, tmp_path: Path
) -> None:
    """CI's gate: every case played, each category's count of successful attacks is 0, and
    the benign evaluation set (tests/eval/dataset.jsonl) still meets its baseline."""
    for case in CASES:
        await _result(world, case)
    utility = await _utility(tmp_path)
    table = score_table(RESULTS, UTILITY)
    assert set(totals(RESULTS).values()) == {0}, table
    assert utility.baseline_ok and not utility.failing, table
