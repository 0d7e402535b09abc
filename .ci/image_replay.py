"""Replay the image without a container engine (none can run or pull images here).

The Dockerfile's builder stage is replayed as written in a fresh directory, as an
unprivileged user (``nobody`` when run as root): its COPY sources are copied, each RUN runs
with the stage's ARG defaults and ENV, with ``/opt/switchboard``, ``/wheels`` and ``/src``
moved under that directory. Then the final stage's ENTRYPOINT + CMD runs from that install,
as that user, with the stage's ENV (``/data`` moved too, the host and port loopback and
free) against a local Slack sandbox; the HEALTHCHECK command must pass, SIGTERM must end the
process with 0 after a graceful shutdown, and the health check must fail afterwards.

    python3 .ci/image_replay.py

What it cannot check: the base image itself (the system Python stands in for it).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.deploy.dockerfile import Dockerfile, expand, parse  # noqa: E402

NOBODY = 65534
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


class ReplayError(Exception):
    """A step of the replay failed; the message says which."""


def _as_user(argv: list[str]) -> list[str]:
    """``argv`` run as an unprivileged user (as is when we are not root)."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise ReplayError("running as root and setpriv is missing: cannot drop to nobody")
    ids = [f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return [setpriv, *ids, *argv]


class Replay:
    """The replay's directory and the path mapping from the image into it."""

    def __init__(self, dockerfile: Dockerfile, root: Path) -> None:
        self.dockerfile = dockerfile
        self.root = root
        self.mapping = {p: str(root / p.lstrip("/")) for p in ("/opt/switchboard", "/wheels")}

    def moved(self, text: str) -> str:
        """``text`` with the image's absolute paths moved under the replay's directory."""
        for image_path, here in self.mapping.items():
            text = text.replace(image_path, here)
        return text.replace("/data/", f"{self.root}/data/")

    def prepare(self) -> Path:
        """Directories owned by the user, a ``python`` on PATH; the work directory."""
        builder = self.dockerfile.stage("builder")
        workdir = self.root / builder.last("WORKDIR").value.lstrip("/")
        for path in (workdir, self.root / "bin", self.root / "home", self.root / "data"):
            path.mkdir(parents=True, exist_ok=True)
        interpreter = shutil.which("python3", path=_SYSTEM_PATH)
        if interpreter is None:
            raise ReplayError("no system python3 to stand in for the base image's python")
        (self.root / "bin" / "python").symlink_to(interpreter)
        for copy in builder.all("COPY"):
            *sources, target = copy.value.split()
            into = target.endswith("/") or len(sources) > 1  # COPY a b ./ copies into ./
            for source in sources:
                destination = workdir / target / Path(source).name if into else workdir / target
                _copy(ROOT / source, destination)
        if os.geteuid() == 0:
            for path in [self.root, *self.root.rglob("*")]:
                os.lchown(path, NOBODY, NOBODY)
        return workdir

    def environment(self, stage_name: str) -> dict[str, str]:
        """A clean environment: the stage's ARG defaults and ENV (paths moved), pip's own
        settings of this machine, a home of the user's."""
        stage = self.dockerfile.stage(stage_name)
        args = self.dockerfile.stage_args(stage)
        path = f"{self.root / 'bin'}:{_SYSTEM_PATH}"
        env = {"PATH": path, "HOME": str(self.root / "home"), "LANG": "C.UTF-8"}
        env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
        env.update(args)
        for key, value in stage.env(args).items():
            env[key] = self.moved(expand(value, {"PATH": path}))
        return env

    def build(self) -> None:
        """Run the builder stage's RUN steps as written (paths moved), as the user."""
        workdir = self.prepare()
        env = self.environment("builder")
        for run in self.dockerfile.stage("builder").all("RUN"):
            started = time.monotonic()
            command = self.moved(run.value)
            done = _run(_as_user(["bash", "-euc", command]), env=env, cwd=workdir)
            if done.returncode != 0:
                raise ReplayError(f"builder RUN failed ({done.returncode}): {command}")
            print(f"replay: builder RUN ok in {time.monotonic() - started:.0f}s")


def _copy(source: Path, destination: Path) -> None:
    if source.is_dir():
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        shutil.copytree(source, destination, ignore=ignore)
    else:
        shutil.copy2(source, destination)


def _run(argv: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, text=True, check=False)  # noqa: S603


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _line(stream: asyncio.StreamReader, *, timeout: float) -> str:
    raw = await asyncio.wait_for(stream.readline(), timeout)
    if not raw:
        raise ReplayError("the process closed its output early")
    return raw.decode(errors="replace").strip()


async def _sandbox(replay: Replay) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """`switchboard sandbox --port 0` from the replayed install; the settings it prints."""
    switchboard = str(replay.root / "opt/switchboard/bin/switchboard")
    process = await asyncio.create_subprocess_exec(
        *_as_user([switchboard, "sandbox", "--port", "0"]),
        env=replay.environment("runtime"),
        cwd=replay.root / "data",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    printed: dict[str, str] = {}
    while len(printed) < 3:
        name, _, value = (await _line(process.stdout, timeout=60)).partition("=")
        printed[name] = value
    return process, printed


async def _health(replay: Replay, port: int) -> int:
    argv = replay.dockerfile.final.last("HEALTHCHECK").exec_form()
    env = {**replay.environment("runtime"), "SWITCHBOARD_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        *_as_user(argv),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), 15)


async def _serve(replay: Replay, slack: dict[str, str]) -> None:
    final = replay.dockerfile.final
    command = final.last("ENTRYPOINT").exec_form() + final.last("CMD").exec_form()
    port = _free_port()
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    command[0] = str(replay.root / "opt/switchboard/bin" / command[0])
    config = replay.root / "data" / "switchboard.yaml"
    shutil.copy(ROOT / "deploy" / "switchboard.yaml", config)
    env = {**replay.environment("runtime"), **slack, "SWITCHBOARD_CONFIG": str(config)}
    env["SWITCHBOARD_PORT"] = str(port)
    process = await asyncio.create_subprocess_exec(
        *_as_user(command), env=env, cwd=replay.root / "data", stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    events: list[str] = []
    try:
        while "http_listening" not in events:
            events.append(json.loads(await _line(process.stderr, timeout=60)).get("event", ""))
        uid = _uid(process.pid)
        if uid == 0:
            raise ReplayError("the entrypoint runs as root")
        if await _health(replay, port) != 0:
            raise ReplayError("the HEALTHCHECK command failed against the running entrypoint")
        print(f"replay: entrypoint serving on 127.0.0.1:{port} as uid {uid}; HEALTHCHECK ok")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stderr.read(), 30)
        code = await asyncio.wait_for(process.wait(), 30)
    events += [json.loads(line).get("event", "") for line in rest.decode().splitlines() if line]
    if code != 0 or "shutdown_requested" not in events or "runtime_stopped" not in events:
        raise ReplayError(f"SIGTERM: exit {code}, no graceful shutdown in {events[-5:]!r}")
    if not (replay.root / "data" / "switchboard.db").exists():
        raise ReplayError("the image's DATABASE_URL (SQLite on /data) was not used")
    if await _health(replay, port) == 0:
        raise ReplayError("the HEALTHCHECK command passed with nothing serving")
    print("replay: SIGTERM drained and exited 0; HEALTHCHECK fails once stopped")


def _uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise ReplayError("cannot read the process's uid")


async def _check(replay: Replay) -> None:
    sandbox, slack = await _sandbox(replay)
    try:
        await _serve(replay, slack)
    finally:
        sandbox.send_signal(signal.SIGTERM)
        await asyncio.wait_for(sandbox.wait(), 30)


def main() -> int:
    """Replay, check, clean up; 1 with the reason when a step fails."""
    root = Path(tempfile.mkdtemp(prefix="sb-image-"))
    root.chmod(0o755)
    try:
        replay = Replay(parse(), root)
        replay.build()
        asyncio.run(_check(replay))
    except (ReplayError, TimeoutError) as exc:
        print(f"replay: FAILED: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
