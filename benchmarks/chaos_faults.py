"""The chaos run's faults: a schedule drawn from the seed, and the hands that inject it.

A schedule is a list of :class:`PlannedFault` at seconds into the run, drawn before the run
starts, so a seed names the same faults at the same moments every time (what the bot does
around them still varies with timing: replaying a seed replays its faults, not every race).
Kinds:

- ``kill``: SIGKILL one bot process at a random moment, restart it after a pause;
  ``kill_mid_job``: the same while the deploy API holds a write request (the process whose
  worker holds the job is killed; the target applies it afterwards); ``kill_mid_post``: the
  same while a ``chat.postMessage`` hangs unanswered at Slack;
- ``slack_429`` / ``slack_5xx`` / ``slack_drop`` / ``slack_lost_response``: the next calls of
  one Web API method are rate limited (with ``Retry-After``), answered 5xx, cut, or applied
  and never answered (released after a few seconds);
- ``slack_outage``: every Web API call answered 503, or cut, for some seconds;
- ``llm_slow`` / ``llm_error`` / ``llm_malformed``: the model answers after its timeout, with
  a 5xx, or with a body that is not JSON, for some seconds;
- ``target_fail`` / ``target_slow`` / ``target_late_answer``: the deploy API answers 5xx,
  applies late, or applies and answers after the executor gave up;
- ``db_lock``: the database locked for some seconds (SQLite ``BEGIN EXCLUSIVE``; on
  PostgreSQL an ``ACCESS EXCLUSIVE`` lock on the events and jobs tables of this run's own
  database: the server is shared, so it is never restarted).
"""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy import text

from sandbox import Fault, SlackSandbox
from sandbox.llm_steps import Step, delay, error, malformed, reply, tool_call
from sandbox.records import JSON
from storage import create_engine

FaultKind = Literal[
    "kill",
    "kill_mid_job",
    "kill_mid_post",
    "slack_429",
    "slack_5xx",
    "slack_drop",
    "slack_lost_response",
    "slack_outage",
    "llm_slow",
    "llm_error",
    "llm_malformed",
    "target_fail",
    "target_slow",
    "target_late_answer",
    "db_lock",
]
_WEIGHTS: dict[FaultKind, int] = {
    "kill": 3,
    "kill_mid_job": 2,
    "kill_mid_post": 1,
    "slack_429": 3,
    "slack_5xx": 3,
    "slack_drop": 2,
    "slack_lost_response": 2,
    "slack_outage": 1,
    "llm_slow": 1,
    "llm_error": 1,
    "llm_malformed": 1,
    "target_fail": 2,
    "target_slow": 1,
    "target_late_answer": 2,
    "db_lock": 2,
}
_METHODS = (
    "chat.postMessage",
    "chat.postMessage",
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "conversations.replies",
    "chat.startStream",
    "chat.stopStream",
)
EXECUTOR_TIMEOUT = 2.0
"""The deploy API executors' timeout in the chaos config (a late answer outlasts it)."""
LLM_TIMEOUT = 2.0
"""The model provider's timeout in the chaos config (a slow model outlasts it)."""


@dataclass(frozen=True, slots=True)
class PlannedFault:
    """One fault at ``at`` seconds into the run."""

    at: float
    kind: FaultKind
    process: int = 0  # kill: which bot process
    method: str = ""  # slack faults: which Web API method
    times: int = 1
    seconds: float = 0.0  # how long it lasts (outage, lock, down time, model window)
    status: int = 0

    def describe(self) -> str:
        """One line for the replay report."""
        parts = [f"{self.at:6.2f}s {self.kind}"]
        if self.kind.startswith("kill"):
            parts.append(f"process={self.process} down={self.seconds:.2f}s")
        if self.method:
            parts.append(f"method={self.method}")
        if self.status:
            parts.append(f"status={self.status}")
        if self.times > 1:
            parts.append(f"times={self.times}")
        if self.seconds and not self.kind.startswith("kill"):
            parts.append(f"for={self.seconds:.2f}s")
        return " ".join(parts)


def plan(seed: int, *, duration: float, processes: int) -> list[PlannedFault]:
    """The faults of ``seed``: about one every two seconds, at seeded moments."""
    rng = random.Random(f"chaos-faults:{seed}")
    kinds = list(_WEIGHTS)
    weights = [_WEIGHTS[k] for k in kinds]
    count = max(3, round(duration / 2))
    faults = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        at = round(rng.uniform(0.5, max(1.0, duration - 1.0)), 2)
        faults.append(_draw(rng, kind, at=at, processes=processes))
    return sorted(faults, key=lambda f: f.at)


def _draw(rng: random.Random, kind: FaultKind, *, at: float, processes: int) -> PlannedFault:
    times = rng.randint(1, 3)
    if kind.startswith("kill"):
        return PlannedFault(
            at, kind, process=rng.randrange(processes), seconds=round(rng.uniform(0, 1.5), 2)
        )
    if kind.startswith("slack_") and kind != "slack_outage":
        status = {"slack_429": rng.randint(1, 2), "slack_5xx": rng.choice([500, 503])}
        return PlannedFault(
            at, kind, method=rng.choice(_METHODS), times=times, status=status.get(kind, 0),
            seconds=round(rng.uniform(1, 3), 2),
        )  # fmt: skip
    if kind == "slack_outage":
        return PlannedFault(
            at, kind, seconds=round(rng.uniform(2, 8), 2), status=rng.choice([0, 503])
        )
    if kind == "target_fail":
        return PlannedFault(at, kind, times=times, status=rng.choice([500, 503]))
    return PlannedFault(at, kind, times=times, seconds=round(rng.uniform(1, 3), 2))


class ModelBehaviour:
    """The scripted model: proposes ``release`` for a named service, answers in words
    otherwise, and during a fault window is slow, failing or malformed."""

    def __init__(self) -> None:
        self.mode: Literal["ok", "slow", "error", "malformed"] = "ok"

    def __call__(self, body: JSON) -> Step:
        if self.mode == "error":
            return error(503)
        if self.mode == "malformed":
            return malformed()
        answer = _answer(body)
        if self.mode == "slow":
            return delay(LLM_TIMEOUT + 1.0, answer)
        return answer


def _answer(body: JSON) -> Step:
    messages = body.get("messages") or [{}]
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    if last.get("role") == "tool":
        return reply("Done: the request is on its card.", usage=(800, 100))
    said = str(last.get("content") or "")
    tools = {str((t.get("function") or {}).get("name")) for t in body.get("tools") or []}
    service = re.search(r"\b(api|web)\b", said)
    if "release" in tools and service and "notes" not in said:
        return tool_call("release", {"service": service.group(1)}, usage=(900, 60))
    return reply(f"Noted: {said[-60:]}", usage=(700, 80))


class Fleet(Protocol):
    """The bot processes, as the injector needs them."""

    async def restart(self, index: int, down: float) -> None:
        """SIGKILL process ``index``; start a new one ``down`` seconds later."""

    async def job_holder(self) -> int | None:
        """The index of the process whose worker holds a running job, if any."""


@dataclass
class Injector:
    """Applies a schedule to the sandbox, the model, the deploy API, the bot processes and the
    database, and undoes what is still on at the end (:meth:`heal`)."""

    sandbox: SlackSandbox
    model: ModelBehaviour
    fleet: Fleet
    database_url: str
    sqlite_path: str | None
    fired: Counter[str] = field(default_factory=Counter)  # kinds that took effect

    async def run(self, schedule: list[PlannedFault], *, started: float) -> None:
        """Inject each fault at its moment (measured from ``started``, a monotonic time)."""
        loop = asyncio.get_running_loop()
        pending = []
        for fault in schedule:
            await asyncio.sleep(max(0.0, started + fault.at - loop.time()))
            pending.append(loop.create_task(self._inject(fault)))
        await asyncio.gather(*pending)

    async def _inject(self, fault: PlannedFault) -> None:
        """Inject one fault; count it in :attr:`fired` unless it found nothing to hit (an
        aimed kill with no write or post under way)."""
        if await self._hit(fault) is not False:
            self.fired[fault.kind] += 1

    async def _hit(self, fault: PlannedFault) -> bool | None:
        faults, kind = self.sandbox.faults, fault.kind
        if kind == "kill":
            await self.fleet.restart(fault.process, fault.seconds)
        elif kind == "kill_mid_job":
            return await self._kill_mid_job(fault)
        elif kind == "kill_mid_post":
            return await self._kill_mid_post(fault)
        elif kind == "slack_429":
            faults.inject(fault.method, Fault.rate_limited(fault.status, times=fault.times))
        elif kind == "slack_5xx":
            faults.inject(fault.method, Fault.server_error(fault.status, times=fault.times))
        elif kind == "slack_drop":
            faults.inject(fault.method, Fault.dropped(times=fault.times))
        elif kind == "slack_lost_response":
            faults.inject(fault.method, Fault.lost_response(times=fault.times))
            await asyncio.sleep(fault.seconds)
            self.sandbox.hangs.release()
        elif kind == "slack_outage":
            faults.outage(Fault.server_error(503) if fault.status else Fault.dropped())
            await asyncio.sleep(fault.seconds)
            faults.end_outage()
        elif kind.startswith("llm_"):
            self.model.mode = (
                "slow" if kind == "llm_slow" else "error" if kind == "llm_error" else "malformed"
            )
            await asyncio.sleep(fault.seconds)
            self.model.mode = "ok"
        elif kind == "target_fail":
            self.sandbox.deploy_api.fail_next(fault.status, times=fault.times)
        elif kind == "target_slow":
            self.sandbox.deploy_api.delay_next(EXECUTOR_TIMEOUT / 2, times=fault.times)
        elif kind == "target_late_answer":
            self.sandbox.deploy_api.answer_late_next(EXECUTOR_TIMEOUT + 1.0, times=fault.times)
        elif kind == "db_lock":
            await self._lock_database(fault.seconds)
        return None

    async def _kill_mid_job(self, fault: PlannedFault) -> bool:
        target = self.sandbox.deploy_api
        target.hold_next()
        try:
            await target.wait_for_arrivals(target.arrived + 1, timeout=5)
        except TimeoutError:  # no write came: nothing to kill in the middle of
            target.release()
            return False
        holder = await self.fleet.job_holder()
        await self.fleet.restart(fault.process if holder is None else holder, fault.seconds)
        target.release()  # the target goes on and applies what it held
        return True

    async def _kill_mid_post(self, fault: PlannedFault) -> bool:
        self.sandbox.faults.inject("chat.postMessage", Fault.hung())
        hung = self.sandbox.calls.count("chat.postMessage") + 1
        try:
            await self.sandbox.calls.wait_for("chat.postMessage", count=hung, timeout=5)
        except TimeoutError:
            self.sandbox.faults.clear("chat.postMessage")
            return False
        await self.fleet.restart(fault.process, fault.seconds)
        self.sandbox.hangs.release()
        return True

    async def _lock_database(self, seconds: float) -> None:
        if self.sqlite_path is not None:
            await asyncio.to_thread(_hold_sqlite, self.sqlite_path, seconds)
            return
        engine = create_engine(self.database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("LOCK TABLE events, jobs IN ACCESS EXCLUSIVE MODE"))
                await asyncio.sleep(seconds)
        finally:
            await engine.dispose()

    def heal(self) -> None:
        """End every fault still on: Slack answers, the model and the target behave."""
        self.sandbox.faults.end_outage()
        self.sandbox.faults.clear()
        self.sandbox.hangs.release()
        self.model.mode = "ok"
        self.sandbox.deploy_api.release()


def _hold_sqlite(path: str, seconds: float) -> None:
    """Hold SQLite's exclusive lock for ``seconds`` (writers and readers get SQLITE_BUSY)."""
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)  # in a worker thread: the event loop goes on
        connection.execute("COMMIT")
    finally:
        connection.close()
