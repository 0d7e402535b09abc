"""The figures of ``live_answers.py``: one turn's measurements, their percentiles and ratios
to the baseline, the goals' verdicts, and the printed tables."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["MODES", "PATHS", "SHORT", "Mode", "Turn", "TurnPath", "figures", "report"]

Mode = Literal["live", "baseline"]
TurnPath = Literal["model", "rules"]
MODES: tuple[Mode, ...] = ("live", "baseline")
PATHS: tuple[TurnPath, ...] = ("model", "rules")
SHORT = 100
"""The answer length of the latency turns, in characters."""
GOAL_SIGNAL_P95_MS = 300.0
GOAL_TOKEN_P95_MS = 50.0
_STREAM_CALLS = ("chat.startStream", "chat.appendStream", "chat.stopStream")


@dataclass
class Turn:
    """What one turn showed, in ms from its delivery (the signed POST leaving the sandbox)."""

    mode: Mode
    path: TurnPath
    length: int | None
    signal_ms: float | None  # first assistant.threads.setStatus or reactions.add
    first_text_ms: float | None  # first stream call carrying text, or the posted reply
    done_ms: float | None  # the last call that carries the answer
    token_to_text_ms: float | None  # the model's first piece -> first stream call with text
    calls: dict[str, int] = field(default_factory=dict)
    failed_calls: int = 0

    @property
    def visible_ms(self) -> float | None:
        """The first thing the person sees: a signal, or the answer itself."""
        shown = [t for t in (self.signal_ms, self.first_text_ms) if t is not None]
        return min(shown) if shown else None

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def stream_calls(self) -> int:
        return sum(self.calls.get(method, 0) for method in _STREAM_CALLS)


# -- figures ----------------------------------------------------------------------------------


def pct(samples: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile; None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def spread(samples: Sequence[float]) -> dict[str, float | None]:
    return {"p50": pct(samples, 0.5), "p95": pct(samples, 0.95), "n": len(samples)}


def _values(turns: Iterable[Turn], name: str) -> list[float]:
    values = (getattr(t, name) for t in turns)
    return [v for v in values if v is not None]


def latency(turns: Sequence[Turn]) -> dict[str, Any]:
    """p50/p95 of each delay over ``turns``."""
    return {
        "turns": len(turns),
        "signal_ms": spread(_values(turns, "signal_ms")),
        "visible_ms": spread(_values(turns, "visible_ms")),
        "first_text_ms": spread(_values(turns, "first_text_ms")),
        "done_ms": spread(_values(turns, "done_ms")),
        "token_to_text_ms": spread(_values(turns, "token_to_text_ms")),
        "calls_per_answer": statistics.median(t.total_calls for t in turns) if turns else None,
        "failed_calls": sum(t.failed_calls for t in turns),
    }


def per_length(turns: Sequence[Turn]) -> dict[str, Any]:
    """Calls per answer and time to the whole answer, per answer length."""
    rows: dict[str, Any] = {}
    for length in sorted({t.length for t in turns if t.length is not None}):
        same = [t for t in turns if t.length == length]
        methods = Counter[str]()
        for t in same:
            methods.update(t.calls)
        rows[str(length)] = {
            "answers": len(same),
            "calls": statistics.median(t.total_calls for t in same),
            "stream_calls": statistics.median(t.stream_calls for t in same),
            "appends": statistics.median(t.calls.get("chat.appendStream", 0) for t in same),
            "by_method": {m: round(n / len(same), 2) for m, n in sorted(methods.items())},
            "visible_ms": _median(_values(same, "visible_ms")),
            "signals": sum(1 for t in same if t.signal_ms is not None),
            "done_ms": _median(_values(same, "done_ms")),
            "failed_calls": sum(t.failed_calls for t in same),
        }
    return rows


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(ours: float | None, theirs: float | None) -> float | None:
    return None if ours is None or theirs is None or theirs == 0 else ours / theirs


def figures(turns: Sequence[Turn]) -> dict[str, Any]:
    """Every figure of the run (see README: what each figure means)."""
    latency_turns = [t for t in turns if t.length in (None, SHORT)]

    def of(mode: Mode, path: TurnPath, pool: Sequence[Turn]) -> list[Turn]:
        return [t for t in pool if t.mode == mode and t.path == path]

    result: dict[str, Any] = {"latency": {}, "lengths": {}, "ratios": {}}
    for mode in MODES:
        for path in PATHS:
            result["latency"][f"{mode}/{path}"] = latency(of(mode, path, latency_turns))
        result["lengths"][mode] = per_length(of(mode, "model", turns))
    for path in PATHS:
        live, base = result["latency"][f"live/{path}"], result["latency"][f"baseline/{path}"]
        result["ratios"][path] = {
            f"{name}_{q}": ratio(live[name][q], base[base_name][q])
            for name, base_name in (
                ("visible_ms", "visible_ms"),
                ("first_text_ms", "done_ms"),
                ("done_ms", "done_ms"),
            )
            for q in ("p50", "p95")
        }
    for length, row in result["lengths"]["live"].items():
        base_row = result["lengths"]["baseline"].get(length)
        if base_row is not None:
            row["visible_vs_baseline"] = ratio(row["visible_ms"], base_row["visible_ms"])
            row["done_vs_baseline"] = ratio(row["done_ms"], base_row["done_ms"])
    # The first signal is the first thing the person sees (as switchboard_first_signal_seconds
    # counts it): the status or the reaction, else the answer itself (a turn answered before
    # its status would show sends none).
    signal = result["latency"]["live/model"]["visible_ms"]["p95"]
    rules_signal = result["latency"]["live/rules"]["visible_ms"]["p95"]
    token = result["latency"]["live/model"]["token_to_text_ms"]["p95"]
    result["goals"] = {
        "first_visible_p95_le_300ms_model": (
            None if signal is None else signal <= GOAL_SIGNAL_P95_MS
        ),
        "first_visible_p95_le_300ms_rules": (
            None if rules_signal is None else rules_signal <= GOAL_SIGNAL_P95_MS
        ),
        "token_to_text_p95_le_50ms": None if token is None else token <= GOAL_TOKEN_P95_MS,
    }
    return result


# -- report -----------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pair(row: dict[str, Any], name: str) -> str:
    s = row[name]
    return f"{_f(s['p50'])} / {_f(s['p95'])}"


def report(config: dict[str, Any], env: dict[str, Any], result: dict[str, Any]) -> None:
    """Print the tables."""
    print()
    print(
        f"live_answers  {env['date']}  turns={config['turns']} rounds={config['rounds']} "
        f"lengths={config['lengths']} pace={config['piece_size']} chars/"
        f"{config['interval_s'] * 1000:g} ms ({config['chars_per_s']:.0f} chars/s)"
    )
    print(
        f"{env['cores']} cores ({env['cpu']}), {env['platform']}, python {env['python']}; "
        f"switchboard {env['revision']}; 1-min load {config['loadavg_1m_at_start']} -> "
        f"{env['loadavg_1m_at_end']}"
    )
    print()
    print(f"Latency, ms from delivery (p50 / p95), {SHORT}-char model answers and `help`:")
    header = (
        f"{'bot/path':<16} {'turns':>5} {'signal':>15} {'first visible':>15} "
        f"{'first text':>15} {'answer done':>15} {'token->text':>15} {'calls':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, row in result["latency"].items():
        print(
            f"{name:<16} {row['turns']:>5} {_pair(row, 'signal_ms'):>15} "
            f"{_pair(row, 'visible_ms'):>15} {_pair(row, 'first_text_ms'):>15} "
            f"{_pair(row, 'done_ms'):>15} {_pair(row, 'token_to_text_ms'):>15} "
            f"{_f(row['calls_per_answer'], 0):>6}"
        )
    print()
    print("Live vs baseline (p50 / p95; below 1 is sooner):")
    for path, r in result["ratios"].items():
        print(
            f"  {path:<6} first visible {_f(r['visible_ms_p50'], 3)} / "
            f"{_f(r['visible_ms_p95'], 3)}   first text vs baseline's answer "
            f"{_f(r['first_text_ms_p50'], 3)} / {_f(r['first_text_ms_p95'], 3)}   "
            f"answer done {_f(r['done_ms_p50'], 3)} / {_f(r['done_ms_p95'], 3)}"
        )
    print()
    print("Slack calls per model answer (medians), by answer length:")
    header = (
        f"{'bot':<9} {'chars':>6} {'answers':>7} {'calls':>6} {'stream':>7} {'appends':>8} "
        f"{'visible ms':>11} {'vs base':>8} {'done ms':>9} {'vs base':>8}  "
        "by method (mean per answer)"
    )
    print(header)
    print("-" * len(header))
    for mode, rows in result["lengths"].items():
        for length, row in rows.items():
            methods = ", ".join(f"{m} {n:g}" for m, n in row["by_method"].items())
            print(
                f"{mode:<9} {length:>6} {row['answers']:>7} {row['calls']:>6g} "
                f"{row['stream_calls']:>7g} {row['appends']:>8g} {_f(row['visible_ms']):>11} "
                f"{_f(row.get('visible_vs_baseline'), 3):>8} {_f(row['done_ms'], 0):>9} "
                f"{_f(row.get('done_vs_baseline'), 3):>8}  {methods}"
            )
    print()
    for goal, met in result["goals"].items():
        print(f"goal {goal:<34} {'n/a' if met is None else ('met' if met else 'NOT met')}")
    failed = sum(row["failed_calls"] for row in result["latency"].values())
    if failed:
        print(f"note: {failed} Slack calls were answered with an error (see --json)")
