"""``switchboard eval``: the starter dataset is the CI gate (pass^8 = 1.0 with the example
config), a regression planted in a copy of the config fails it naming the case, bad input is
exit 2 with its place, replays have no side effects, and a case's thread context is used."""

from __future__ import annotations

import argparse
import io
import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from agents.feedback.eval_cases import parse_dataset
from agents.kernel.clock import Clock
from agents.llm.chat import ChatMessage, ChatRequest, Completion
from agents.registry import BUILTIN_AGENTS
from agents.turns.llm_planner import LlmPlanner
from bot.cli.eval import add_parser, eval_command
from bot.config import Settings
from bot.config_file import LoadedConfig, load_config, parse_config
from bot.eval_replay import PlanningFactory, Replayer
from bot.planning_wiring import Planning
from storage import Database
from tests.agents.fakes_llm import ScriptedModel, called, said

REPO = Path(__file__).resolve().parents[3]
DATASET = REPO / "tests" / "eval" / "dataset.jsonl"
BASELINE = REPO / "tests" / "eval" / "baseline.json"
EXAMPLE = REPO / "examples" / "switchboard.yaml"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"})


def _lines(*cases: Mapping[str, object]) -> str:
    return "".join(json.dumps(case) + "\n" for case in cases)


async def _eval(
    settings: Settings,
    dataset: Path,
    *,
    k: int,
    config_path: Path | None = None,
    json_output: bool = False,
) -> tuple[int, str]:
    out = io.StringIO()
    code = await eval_command(
        settings, dataset, k=k, config_path=config_path, json_output=json_output, out=out
    )
    return code, out.getvalue()


async def test_the_starter_dataset_scores_pass8_of_one_with_the_example_config(
    settings: Settings,
) -> None:
    """The CI gate: every case passes all 8 runs with the rules planner, and the committed
    baseline beside the dataset is found and met."""
    code, printed = await _eval(settings, DATASET, k=8, config_path=EXAMPLE, json_output=True)
    report = json.loads(printed)
    assert report["failing"] == []
    assert report["scores"] == {
        "route": 1.0,
        "action": 1.0,
        "params": 1.0,
        "approval": 1.0,
        "answer": 1.0,
        "pass_1": 1.0,
        "pass_k": 1.0,
        "k": 8,
    }
    assert report["baseline"] == {"path": str(BASELINE), "ok": True, "regressions": [], "notes": []}
    assert code == 0


def test_the_starter_dataset_covers_every_builtin_agent_and_both_kinds_of_action() -> None:
    """Each built-in agent is expected at least once; read (no approval), write (approval)
    and "no action" (slot filling, refusals) cases are all there."""
    cases = parse_dataset(DATASET.read_text(encoding="utf-8"), source=str(DATASET))
    assert len(cases) >= 20
    assert {case.expected.agent for case in cases} >= BUILTIN_AGENTS
    approvals = {
        (case.expected.action, case.expected.approval_required)
        for case in cases
        if case.expected.checks_action
    }
    assert {("status", False), ("deploy", True), ("rollback", True), (None, False)} <= approvals
    assert {case.input.source for case in cases} == {"mention", "dm", "thread", "command"}


@pytest.mark.parametrize(
    ("change", "case_id", "difference"),
    [
        pytest.param(
            (
                "env: {type: enum, choices: [staging, prod], default: staging",
                "env: {type: enum, choices: [staging, qa], default: staging",
            ),
            "status-read-runs-at-once",  # the first action with that line: status
            "action: expected 'status', got none",
            id="action-params",
        ),
        pytest.param(
            (
                "agents:\n",
                "agents:\n  - name: oncall\n    keywords: [pager]\n    examples: [page]\n",
            ),
            "oncall-keyword",
            "route: expected 'oncall', got 'help'",
            id="agent-keywords",
        ),
    ],
)
async def test_a_planted_regression_fails_the_gate_and_names_the_case(
    settings: Settings, tmp_path: Path, change: tuple[str, str], case_id: str, difference: str
) -> None:
    """A copy of the example config with one action's parameter choices or one agent's
    keywords changed makes a case act or route differently: exit 1, the case and what
    differed are named."""
    text = EXAMPLE.read_text(encoding="utf-8")
    old, new = change
    assert old in text
    regressed = tmp_path / "regressed.yaml"
    regressed.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, printed = await _eval(settings, DATASET, k=2, config_path=regressed)
    assert f"  {case_id}: passed 0/2 runs\n    {difference}" in printed
    assert f"baseline {BASELINE}: " in printed and " below it:" in printed
    assert "pass_k not compared: the baseline was measured with k=8, this run used k=2" in printed
    assert code == 1


GOOD = {"id": "help", "input": {"text": "help"}, "expected": {"agent": "help"}}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            {
                "set.jsonl": _lines(GOOD)
                + "# a comment\n"
                + '{"id": "x", "input": {"text": "hi"}}\n'
            },
            "set.jsonl:3: expected must be a JSON object",
            id="missing-expected",
        ),
        pytest.param(
            {"set.jsonl": "\n" + _lines(GOOD) + '{"id": "y", "input": \n'},
            "set.jsonl:3: not valid JSON",
            id="broken-json",
        ),
        pytest.param(
            {"set.jsonl": _lines(GOOD), "baseline.json": '{"route": 2}'},
            "baseline.json: route must be a number from 0 to 1",
            id="bad-baseline",
        ),
        pytest.param(
            {"set.jsonl": _lines(GOOD), "config.yaml": "version: 1\nactions: 3\n"},
            "configuration error: ",
            id="bad-config",
        ),
    ],
)
async def test_bad_input_exits_2_with_its_place_and_no_traceback(
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    message: str,
) -> None:
    """A malformed dataset line, baseline or config file is one message on stderr naming
    the file (and line), exit code 2, nothing on stdout."""
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = tmp_path / "config.yaml" if "config.yaml" in files else EXAMPLE
    code, printed = await _eval(settings, tmp_path / "set.jsonl", k=1, config_path=config)
    err = capsys.readouterr().err
    assert err.startswith("switchboard eval: ") and message in err
    assert str(tmp_path) in err
    assert "Traceback" not in err and printed == ""
    assert code == 2


WRITES = _lines(
    {
        "id": "deploy",
        "input": {"text": "deploy api to prod"},
        "expected": {"action": "deploy", "approval_required": True},
    },
    {
        "id": "rollback",
        "input": {"text": "rollback web in prod"},
        "expected": {"action": "rollback", "approval_required": True},
    },
    {
        "id": "status",
        "input": {"text": "status of api"},
        "expected": {"action": "status", "approval_required": False},
    },
    {
        "id": "incident",
        "input": {"text": "incident: declare sev1 checkout is down"},
        "expected": {"agent": "incident", "answer": "Declared *checkout is down* (sev1)"},
    },
)


async def test_eval_never_touches_the_configured_database_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The configured DATABASE_URL's file is never created; the temporary database is gone
    afterwards. The config comes from SWITCHBOARD_CONFIG when --config is not given."""
    configured = tmp_path / "configured" / "bot.db"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    settings = Settings.model_validate(
        {"DATABASE_URL": f"sqlite+aiosqlite:///{configured}", "SWITCHBOARD_CONFIG": str(EXAMPLE)}
    )
    dataset = tmp_path / "writes.jsonl"
    dataset.write_text(WRITES, encoding="utf-8")
    code, printed = await _eval(settings, dataset, k=2)
    assert f"config {EXAMPLE}" in printed
    assert re.search(r"^  pass\^2 +1\.000  4/4 cases$", printed, re.MULTILINE)
    assert "baseline: none (scores not compared)" in printed
    assert not configured.parent.exists()
    assert list(scratch.iterdir()) == []
    assert code == 0


async def test_approved_and_pending_actions_are_recorded_never_executed() -> None:
    """Write and dangerous actions wait for approval, the read action is approved at once,
    the incident channel is created in the recorder; no executor is ever called."""
    cases = parse_dataset(WRITES, source="writes.jsonl")
    async with Replayer.open(load_config(EXAMPLE)) as replayer:
        report = await replayer.evaluate(cases, k=2)
    recorder = replayer.recorder
    assert report.pass_k == 1.0
    assert [call.detail for call in recorder.of("approval_changed")] == ["status approved"] * 2
    channels = [call.detail for call in recorder.of("create_channel")]
    assert len(channels) == 2 and channels[0] == channels[1]  # each run starts afresh
    assert channels[0].endswith("-checkout-is-down")
    assert [call.detail for call in recorder.of("post")] == [
        "C0EVAL0001 Incident: checkout is down"
    ] * 2
    assert recorder.of("execute") == []


def _llm_config() -> LoadedConfig:
    """The example config with the deploy agent planned by a model of provider ``local``."""
    text = EXAMPLE.read_text(encoding="utf-8")
    commented = "    # model: {providers: [local]"
    assert commented in text
    text = text.replace(commented, "    model: {providers: [local]", 1)
    text += "\nproviders:\n  - name: local\n    kind: openai\n    base_url: http://127.0.0.1:9/v1\n"
    return parse_config(text, source="llm.yaml")


def _scripted(model: ScriptedModel, config: LoadedConfig) -> PlanningFactory:
    def build(database: Database, clock: Clock) -> Planning:
        llm = LlmPlanner(
            {"local": model},
            usage=database.usage,
            prices=config.planning.prices,
            budgets=config.planning.budgets,
            clock=clock,
        )
        return Planning(models={"local": model}, llm=llm, classifier=None)

    return build


def _reads_the_thread(request: ChatRequest) -> Completion:
    """A model that deploys web to staging only when the thread says the web build is ready."""
    if any("web build is ready" in message.content for message in request.messages):
        return called("deploy", {"service": "web", "env": "staging"})
    return said("Which service should I deploy?")


async def test_a_cases_context_is_in_the_thread_the_planner_reads() -> None:
    """The same message passes with the context that names the service and fails without
    it: context messages are stored in the replayed thread, in and out, before the turn."""
    expected = {
        "agent": "deploy",
        "action": "deploy",
        "params": {"service": "web", "env": "staging"},
        "approval_required": True,
    }
    context = [
        {"direction": "in", "user": "U0CAROL", "text": "the new web build is ready for staging"},
        {"direction": "out", "text": "Noted."},
    ]
    source = _lines(
        {
            "id": "with-context",
            "input": {"text": "deploy: ship it", "source": "thread"},
            "context": context,
            "expected": expected,
        },
        {"id": "without-context", "input": {"text": "deploy: ship it"}, "expected": expected},
    )
    config = _llm_config()
    model = ScriptedModel("local", always=_reads_the_thread)
    async with Replayer.open(config, planning=_scripted(model, config)) as replayer:
        report = await replayer.evaluate(parse_dataset(source, source="ctx.jsonl"), k=2)
    assert [result.case.id for result in report.failing] == ["without-context"]
    assert report.cases[0].passes == 2
    first = model.requests[0].messages
    assert ChatMessage("user", "the new web build is ready for staging") in first
    assert ChatMessage("assistant", "Noted.") in first
    assert first[-1] == ChatMessage("user", "ship it")


def _reads_then_answers(request: ChatRequest) -> Completion:
    """A model that checks the status first, then answers with what the tool said."""
    results = [m.content for m in request.messages if m.role == "tool"]
    if not results:
        return called("status", {"service": "api", "env": "prod"})
    return said("checked: " + results[-1].splitlines()[2])


async def test_a_read_the_model_calls_runs_in_the_turn_through_the_recorder() -> None:
    """With no worker in a replay, the turn runs the read itself, through the recording
    executor: nothing is reached, the call is recorded, and the model reads the recorder's
    answer as untrusted tool output before it answers."""
    source = _lines(
        {
            "id": "read-then-answer",
            "input": {"text": "deploy: how is api in prod?"},
            "expected": {"agent": "deploy", "action": None, "answer": "checked"},
        }
    )
    config = _llm_config()
    model = ScriptedModel("local", always=_reads_then_answers)
    async with Replayer.open(config, planning=_scripted(model, config)) as replayer:
        report = await replayer.evaluate(parse_dataset(source, source="read.jsonl"), k=1)
        executed = [call.detail for call in replayer.recorder.of("execute")]
    assert report.cases[0].passes == 1
    assert executed == ["status"]
    tool = model.requests[1].messages[-1]
    assert tool.role == "tool" and tool.content.startswith('<tool_output source="status"')
    assert "summary: `status` recorded by the replay, not run" in tool.content


def test_the_subcommand_parses_its_options_and_defaults() -> None:
    """``eval DATASET`` defaults to k=8, no explicit baseline or config, a table; k must be
    at least 1."""
    parser = argparse.ArgumentParser(prog="switchboard")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", "set.jsonl"])
    assert (args.dataset, args.k, args.baseline, args.config, args.json) == (
        Path("set.jsonl"),
        8,
        None,
        None,
        False,
    )
    args = parser.parse_args(
        ["eval", "s.jsonl", "--k", "3", "--baseline", "b.json", "--config", "c.yaml", "--json"]
    )
    assert (args.k, args.baseline, args.config, args.json) == (
        3,
        Path("b.json"),
        Path("c.yaml"),
        True,
    )
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["eval", "s.jsonl", "--k", "0"])
    assert exited.value.code == 2
