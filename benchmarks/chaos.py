"""Chaos: real ``switchboard run`` processes under seeded faults, then invariants (issue 15).

Each seed runs, on 127.0.0.1 only, one bot process on SQLite or two replicas on a fresh
PostgreSQL database, behind one in-process ``SlackSandbox`` (which hands deliveries to the
replicas in turn), a scripted LLM server and the sandbox's deploy API. For ``--duration``
seconds a seeded workload (:mod:`chaos_workload`) asks and clicks while a seeded schedule
(:mod:`chaos_faults`) kills processes and makes Slack, the model, the target and the database
fail. Then every fault is healed, the run is given a quiet period to finish (bounded), the
processes are stopped gracefully, and the invariants (:mod:`chaos_invariants`) are checked.

    python benchmarks/chaos.py [--seeds 20 | --seed N] [--first 1] [--engine sqlite|postgres]
        [--duration 15] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

A failing seed prints the command that replays it, its fault schedule and each violated
invariant with its ids; the exit code is 1 if any seed failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import secrets
import shlex
import string
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from chaos_faults import Injector, ModelBehaviour, plan
from chaos_invariants import (
    Rule,
    Violation,
    answers,
    answers_per_ask,
    check_all,
    read_records,
    settled,
)
from chaos_workload import Workload
from floor_report import migrated_sqlite, quiet
from replicas import fresh_postgres
from sqlalchemy import text

from bot.server import SLACK_EVENTS_PATH
from sandbox import SlackSandbox
from sandbox.app_process import AppProcess
from sandbox.llm_server import ScriptedLLMServer
from storage import create_engine

QUIET_SECONDS = 45.0
"""How long a run may take to finish its work once every fault is healed."""
STOP_SECONDS = 30.0
"""How long a process may take to stop after SIGTERM (its drain is 10 s)."""
_LLM_KEY = "sk-chaos-" + "0123456789abcdef"
_COMMAND = (sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0")

RULES = {
    "status": Rule(quorum=0, approvers=frozenset(), writes=False),
    "deploy": Rule(quorum=1, approvers=frozenset({"U0BOB", "U0CAROL"}), writes=True),
    "rollback": Rule(quorum=2, approvers=frozenset({"U0BOB", "U0CAROL"}), writes=True),
    "restart": Rule(quorum=1, approvers=frozenset({"U0BOB"}), writes=True),
    "release": Rule(quorum=1, approvers=frozenset({"U0BOB", "U0CAROL"}), writes=True),
}


def chaos_config(deploy_api: str, llm_url: str) -> str:
    """The YAML the bots run with (``chaos.yaml`` beside this script, filled in)."""
    template = string.Template((Path(__file__).parent / "chaos.yaml").read_text())
    return template.substitute(deploy_api=deploy_api, llm_url=llm_url)


class Fleet:
    """The bot processes of one run, restartable by index."""

    def __init__(self, sandbox: SlackSandbox, database_url: str, env: dict[str, str]) -> None:
        self._sandbox = sandbox
        self._database_url = database_url
        self._env = env
        self.processes: list[AppProcess] = []
        self.restarts = 0
        self._restarting = asyncio.Lock()  # one kill-and-restart at a time

    def _new(self) -> AppProcess:
        return AppProcess(
            self._sandbox, self._database_url, command=_COMMAND, events_path=SLACK_EVENTS_PATH,
            env=self._env,
        )  # fmt: skip

    async def start(self, count: int) -> None:
        """Start ``count`` processes and deliver to them in turn."""
        for _ in range(count):
            process = self._new()
            await process.start()
            self.processes.append(process)
        self._route()

    def _route(self) -> None:
        urls = [p.url for p in self.processes if p.url is not None]
        self._sandbox.driver.deliver_to_replicas(urls, fan_out=1)

    async def restart(self, index: int, down: float) -> None:
        """SIGKILL process ``index`` and start a new one ``down`` seconds later (Slack keeps
        delivering to the dead address meanwhile, as a load balancer would)."""
        async with self._restarting:
            await self._restart(index % len(self.processes), down)

    async def _restart(self, index: int, down: float) -> None:
        await self.processes[index].kill()
        await asyncio.sleep(down)
        for attempt in range(3):
            process = self._new()
            try:
                await process.start()
            except (AssertionError, TimeoutError):  # e.g. Slack unreachable at start-up
                await process.kill()
                await asyncio.sleep(1 + attempt)
                continue
            self.processes[index] = process
            self.restarts += 1
            self._route()
            return
        raise RuntimeError(f"process {index} did not come back after a kill")

    async def job_holder(self) -> int | None:
        """The index of the process whose worker holds a running job, if any."""
        engine = create_engine(self._database_url)
        try:
            async with engine.connect() as connection:
                query = text("SELECT lease_owner FROM jobs WHERE state = 'running'")
                owners = {str(owner) for owner in (await connection.execute(query)).scalars()}
        finally:
            await engine.dispose()
        for index, process in enumerate(self.processes):
            if any(e.get("event") == "worker_started" and e.get("owner") in owners
                   for e in process.logs):  # fmt: skip
                return index
        return None

    async def stop(self) -> list[Violation]:
        """SIGTERM each; one still running :data:`STOP_SECONDS` later is SIGKILLed, and is a
        violation (``clean_stop``)."""
        found = []
        for index, process in enumerate(self.processes):
            if not process.running:
                continue
            try:
                await asyncio.wait_for(process.terminate(), STOP_SECONDS)
            except TimeoutError:
                await process.kill()
                found.append(
                    Violation(
                        "clean_stop", f"process {index}", f"alive {STOP_SECONDS:g}s after SIGTERM"
                    )
                )
        return found


@dataclass
class SeedResult:
    """What one seed did and found."""

    seed: int
    engine: str
    seconds: float
    faults: Counter[str]
    schedule: list[str]
    asks: int
    answered: int
    actions: Counter[str]
    approvals: Counter[str]
    violations: list[Violation] = field(default_factory=list)
    settled: bool = True


@contextlib.asynccontextmanager
async def _database(engine: str, postgres: str, workdir: Path) -> AsyncIterator[str]:
    """A migrated SQLite file in ``workdir``, or a fresh PostgreSQL database (dropped after)."""
    if engine == "postgres":
        async with fresh_postgres(postgres) as url:
            yield url
        return
    await migrated_sqlite(workdir / "chaos.db")
    yield f"sqlite+aiosqlite:///{workdir / 'chaos.db'}"


async def run_seed(seed: int, *, engine: str, duration: float, postgres: str) -> SeedResult:
    """One seeded run (see the module docstring)."""
    started = time.monotonic()
    processes = 1 if engine == "sqlite" else 2
    schedule = plan(seed, duration=duration, processes=processes)
    model = ModelBehaviour()
    with tempfile.TemporaryDirectory(prefix="sb-chaos-") as tmp:
        workdir = Path(tmp)
        async with (
            SlackSandbox(signing_secret=secrets.token_hex(16)) as sandbox,
            ScriptedLLMServer(api_key=_LLM_KEY, responder=model) as llm,
            _database(engine, postgres, workdir) as url,
        ):
            sandbox.workspace.directory.add_usergroup("S0SRE", "sre", ["U0CAROL"])
            config = workdir / "switchboard.yaml"
            config.write_text(chaos_config(sandbox.base_url.rstrip("/"), llm.openai_base_url))
            env = {
                "SWITCHBOARD_CONFIG": str(config),
                "CHAOS_LLM_KEY": _LLM_KEY,
                "SWITCHBOARD_JOB_LEASE_SECONDS": "2",
                # short, as the job lease: a killed replica's messages are taken over
                # within seconds, inside the quiet period
                "SWITCHBOARD_EVENT_LEASE_SECONDS": "6",
            }
            fleet = Fleet(sandbox, url, env)
            await fleet.start(processes)
            sqlite_path = str(workdir / "chaos.db") if engine == "sqlite" else None
            injector = Injector(sandbox, model, fleet, url, sqlite_path)
            workload = Workload(sandbox, random.Random(f"chaos-workload:{seed}"))
            pacing = random.Random(f"chaos-pacing:{seed}")
            begin = asyncio.get_running_loop().time()
            faults = asyncio.create_task(injector.run(schedule, started=begin))
            while asyncio.get_running_loop().time() - begin < duration:
                await workload.step()
                await asyncio.sleep(pacing.uniform(0.05, 0.35))
            await faults
            injector.heal()
            await workload.settle()
            calm = await _quiet_period(sandbox, workload, url)
            unclean = await fleet.stop()
            records = await read_records(url)
            violations = check_all(sandbox, workload.asks, records, RULES) + unclean
            tallies = answers_per_ask(workload.asks, records, answers(sandbox))
    return SeedResult(
        seed=seed,
        engine=engine,
        seconds=time.monotonic() - started,
        faults=injector.fired,
        schedule=[f.describe() for f in schedule],
        asks=len(workload.asks),
        answered=sum(1 for _, total, _ in tallies if total == 1),
        actions=workload.done,
        approvals=Counter(str(a["state"]) for a in records.approvals),
        violations=violations,
        settled=calm,
    )


async def _quiet_period(sandbox: SlackSandbox, workload: Workload, url: str) -> bool:
    """Wait (bounded) until nothing is claimed or running and every acked ask is answered."""
    deadline = time.monotonic() + QUIET_SECONDS
    while time.monotonic() < deadline:
        records = await read_records(url)
        if settled(records, workload.asks, answers(sandbox)):
            await asyncio.sleep(1.0)  # a last post or card update under way
            return True
        await asyncio.sleep(0.5)
    return False


def replay_command(result: SeedResult, duration: float) -> str:
    """The command line that runs this seed again."""
    argv = ["python", "benchmarks/chaos.py", "--seed", str(result.seed)]
    argv += ["--engine", result.engine, "--duration", f"{duration:g}"]
    return shlex.join(argv)


def report(result: SeedResult, duration: float) -> None:
    """One line per seed; everything needed to replay a failing one."""
    status = "ok" if not result.violations else f"FAILED ({len(result.violations)} violations)"
    faults = ", ".join(f"{k}={v}" for k, v in sorted(result.faults.items()))
    print(
        f"seed {result.seed} [{result.engine}] {status} in {result.seconds:.1f}s: "
        f"{result.asks} asks ({result.answered} answered once), "
        f"approvals {dict(result.approvals)}, faults {faults}"
        + ("" if result.settled else " (quiet period ran out)"),
        flush=True,
    )
    if result.violations:
        print(f"  replay: {replay_command(result, duration)}")
        print("  fault schedule:")
        for line in result.schedule:
            print(f"    {line}")
        print("  violations:")
        for violation in result.violations:
            print(f"    {violation.describe()}")
        sys.stdout.flush()


def summary(results: list[SeedResult], wall: float) -> None:
    """Totals over every seed run."""
    faults: Counter[str] = sum((r.faults for r in results), Counter())
    by_invariant = Counter(v.invariant for r in results for v in r.violations)
    failed = [r.seed for r in results if r.violations]
    print(f"\n{len(results)} seeds in {wall:.0f}s ({wall / max(1, len(results)):.1f}s per seed)")
    print("faults injected: " + ", ".join(f"{k} {v}" for k, v in sorted(faults.items())))
    print(f"asks: {sum(r.asks for r in results)}")
    print(f"violations: {dict(by_invariant) or 0}; failing seeds: {failed or 'none'}")


async def main(argv: list[str] | None = None) -> int:
    """Run the seeds asked for; 1 if any broke an invariant."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds (from --first)")
    parser.add_argument("--first", type=int, default=1, help="the first seed")
    parser.add_argument("--seed", type=int, help="run (replay) this one seed")
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of workload")
    parser.add_argument("--budget", type=float, help="stop starting seeds after these seconds")
    parser.add_argument(
        "--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args(argv)
    quiet()
    seeds = [args.seed] if args.seed is not None else range(args.first, args.first + args.seeds)
    results = []
    failures = 0
    began = time.monotonic()
    for seed in seeds:
        if args.budget is not None and time.monotonic() - began > args.budget:
            break
        try:
            result = await run_seed(
                seed, engine=args.engine, duration=args.duration, postgres=args.postgres
            )
        except Exception as exc:  # the harness itself failed: say so, with the replay line
            failures += 1
            print(f"seed {seed} [{args.engine}] HARNESS ERROR: {type(exc).__name__}: {exc}")
            print(f"  replay: python benchmarks/chaos.py --seed {seed} --engine {args.engine} "
                  f"--duration {args.duration:g}", flush=True)  # fmt: skip
            continue
        report(result, args.duration)
        results.append(result)
    summary(results, time.monotonic() - began)
    if failures:
        print(f"harness errors: {failures}")
    return 1 if failures or any(r.violations for r in results) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
