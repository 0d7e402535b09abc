"""``switchboard eval DATASET.jsonl``: replay an evaluation dataset and gate on its baseline.

Each case is replayed ``--k`` times through the configured router, planner and policy in
record/replay mode (:mod:`bot.eval_replay`: no Slack, no worker, no executor reached, a
throw-away database). The report gives per-metric accuracy, pass^1 and pass^k, the failing
cases with what differed, and the comparison with the baseline. Exit codes: 0 no score below
the baseline, 1 one is (or more), 2 a bad dataset, baseline or config file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from agents.feedback.evaluation import (
    METRICS,
    Baseline,
    Comparison,
    Difference,
    EvalReport,
    compare,
    differences,
    parse_baseline,
    parse_dataset,
)
from agents.kernel.errors import ConfigError, DatasetError
from bot.cli.conventions import Subparsers
from bot.config import Settings
from bot.config_file import LoadedConfig, load_config

__all__ = ["EXIT_BAD_INPUT", "EXIT_REGRESSION", "add_parser", "command", "eval_command"]

EXIT_REGRESSION = 1
EXIT_BAD_INPUT = 2
DEFAULT_K = 8
BASELINE_NAME = "baseline.json"


def add_parser(subparsers: Subparsers) -> None:
    """Define ``switchboard eval DATASET [--k N] [--baseline FILE] [--config FILE] [--json]``."""
    parser = subparsers.add_parser(
        "eval",
        help="replay an evaluation dataset; exit 1 when a score drops below the baseline",
        description="Replay each case of DATASET (JSON Lines) K times through the current "
        "router, planner and policy with no side effects, score it, and compare the scores "
        "with the baseline.",
    )
    parser.add_argument("dataset", type=Path, metavar="DATASET", help="JSON Lines file of cases")
    parser.add_argument(
        "--k", type=_positive, default=DEFAULT_K, help=f"runs per case (default {DEFAULT_K})"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help=f"scores not to fall below (default: {BASELINE_NAME} beside DATASET, if present)",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="actions config (default: SWITCHBOARD_CONFIG)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print a machine-readable report instead of a table"
    )


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """Replay the dataset and compare with the baseline; returns the exit code."""
    return await eval_command(
        settings,
        args.dataset,
        k=args.k,
        baseline=args.baseline,
        config_path=args.config,
        json_output=args.json,
    )


async def eval_command(
    settings: Settings,
    dataset: Path,
    *,
    k: int = DEFAULT_K,
    baseline: Path | None = None,
    config_path: Path | None = None,
    json_output: bool = False,
    out: TextIO | None = None,
) -> int:
    """Replay ``dataset`` ``k`` times per case, print the report, return the exit code.

    Args:
        settings: only ``config_file`` is read (the default for ``config_path``); the
            configured database is never opened.
        baseline: default ``baseline.json`` beside the dataset, when that file exists.
        json_output: print the report as one JSON object instead of a table.
        out: where the report goes (default stdout); errors go to stderr.

    Raises:
        StorageError: the temporary database could not be created.
    """
    from bot.eval_replay import Replayer  # the replay wiring is only loaded to run one

    out = out or sys.stdout
    if k < 1:
        return _bad("k must be at least 1")
    try:
        cases = parse_dataset(_read(dataset), source=str(dataset))
        floor_path = baseline or _beside(dataset)
        floor = _load_baseline(floor_path) if floor_path is not None else None
        config_file = config_path or settings.config_file
        config = (
            load_config(config_file)
            if config_file is not None
            else LoadedConfig(actions=(), executors={})
        )
        async with Replayer.open(config) as replayer:
            report = await replayer.evaluate(cases, k=k)
    except DatasetError as exc:
        return _bad(str(exc))
    except ConfigError as exc:
        return _bad(f"configuration error: {exc}")
    comparison = compare(report, floor) if floor is not None else None
    where = {"dataset": str(dataset), "config": str(config_file) if config_file else None}
    if json_output:
        print(json.dumps(_as_json(report, comparison, floor_path, where), indent=2), file=out)
    else:
        _print_table(report, comparison, floor_path, where, out)
    return EXIT_REGRESSION if comparison is not None and not comparison.ok else 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _bad(message: str) -> int:
    print(f"switchboard eval: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DatasetError(str(path), "is not UTF-8 text") from None
    except OSError as exc:
        raise DatasetError(
            str(path), f"cannot read: {exc.strerror or type(exc).__name__}"
        ) from None


def _beside(dataset: Path) -> Path | None:
    candidate = dataset.parent / BASELINE_NAME
    return candidate if candidate.is_file() else None


def _load_baseline(path: Path) -> Baseline:
    try:
        obj = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise DatasetError(str(path), f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    return parse_baseline(obj, str(path))


def _differences(report: EvalReport) -> list[tuple[str, int, list[tuple[Difference, int]]]]:
    """Per failing case: its id, passed runs, and each distinct difference with its count."""
    failing = []
    for result in report.failing:
        counted = Counter(
            difference
            for run in result.runs
            for difference in differences(result.case.expected, run.observed)
        )
        failing.append((result.case.id, result.passes, sorted(counted.items(), key=_order)))
    return failing


def _order(entry: tuple[Difference, int]) -> tuple[int, int]:
    difference, count = entry
    return METRICS.index(difference.metric), -count


def _print_table(
    report: EvalReport,
    comparison: Comparison | None,
    floor_path: Path | None,
    where: dict[str, str | None],
    out: TextIO,
) -> None:
    k, cases = report.k, len(report.cases)
    config = where["config"] or "none (built-in agents only)"
    print(f"eval {where['dataset']}: {cases} cases x {k} runs; config {config}", file=out)
    print("", file=out)
    print(f"  {'metric':<10}{'score':>7}  case-runs", file=out)
    for metric in METRICS:
        counted = report.metrics[metric]
        accuracy = counted.accuracy
        shown = "-" if accuracy is None else f"{accuracy:.3f}"
        print(f"  {metric:<10}{shown:>7}  {counted.correct}/{counted.total}", file=out)
    runs_passed = sum(result.passes for result in report.cases)
    cases_passed = cases - len(report.failing)
    print(f"  {'pass^1':<10}{report.pass_1:>7.3f}  {runs_passed}/{cases * k}", file=out)
    print(f"  {f'pass^{k}':<10}{report.pass_k:>7.3f}  {cases_passed}/{cases} cases", file=out)
    failing = _differences(report)
    if failing:
        print("", file=out)
        print(f"failing cases ({len(failing)}):", file=out)
        for case_id, passes, found in failing:
            print(f"  {case_id}: passed {passes}/{k} runs", file=out)
            for difference, count in found:
                times = "" if count == k else f" ({count}/{k} runs)"
                expected, got = _shown(difference.metric, difference.expected, difference.got)
                print(f"    {difference.metric}: expected {expected}, got {got}{times}", file=out)
    print("", file=out)
    if comparison is None:
        print("baseline: none (scores not compared)", file=out)
        return
    for note in comparison.notes:
        print(f"baseline {floor_path}: {note}", file=out)
    if comparison.ok:
        print(f"baseline {floor_path}: no score below it", file=out)
        return
    print(f"baseline {floor_path}: {len(comparison.regressions)} below it:", file=out)
    for regression in comparison.regressions:
        value = "not measured" if regression.score is None else f"{regression.score:.3f}"
        print(f"  {regression.name}: {value} < {regression.baseline:.3f}", file=out)


def _shown(metric: str, *values: str | None) -> list[str]:
    """Values as the table shows them: names and answers quoted, no action as ``none``."""
    quoted = metric in ("route", "action", "answer")
    return ["none" if v is None else repr(v) if quoted else v for v in values]


def _as_json(
    report: EvalReport,
    comparison: Comparison | None,
    floor_path: Path | None,
    where: dict[str, str | None],
) -> dict[str, Any]:
    scores: dict[str, Any] = {
        name: value for name, value in report.scores().items() if value is not None
    }
    scores["k"] = report.k
    return {
        **where,
        "k": report.k,
        "cases": len(report.cases),
        "scores": scores,
        "counts": {
            metric: {"correct": counted.correct, "total": counted.total}
            for metric, counted in report.metrics.items()
        },
        "failing": [
            {
                "id": case_id,
                "passed_runs": passes,
                "runs": report.k,
                "differences": [
                    {
                        "metric": difference.metric,
                        "expected": difference.expected,
                        "got": difference.got,
                        "runs": count,
                    }
                    for difference, count in found
                ],
            }
            for case_id, passes, found in _differences(report)
        ],
        "baseline": None
        if comparison is None
        else {
            "path": str(floor_path),
            "ok": comparison.ok,
            "regressions": [
                {"name": r.name, "score": r.score, "baseline": r.baseline}
                for r in comparison.regressions
            ],
            "notes": list(comparison.notes),
        },
        "passed": comparison is None or comparison.ok,
    }
