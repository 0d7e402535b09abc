"""The Dockerfile's shape, read without an engine (none can run or pull images here): a
builder stage and a slim final stage with no compilers, a non-root user, a health check on
/healthz, SIGTERM to stop, config and database from the environment and a volume."""

from __future__ import annotations

import re

from bot.cli import build_parser
from tests.deploy.dockerfile import ROOT, parse

_COMPILERS = re.compile(r"\b(gcc|g\+\+|cc|clang|make|build-essential|python3?-dev|libpq-dev)\b")


def test_two_stages_the_final_one_slim_and_fed_by_the_builder() -> None:
    """The builder makes the environment; the image copies only that environment."""
    dockerfile = parse()
    assert [s.name for s in dockerfile.stages] == ["builder", "runtime"]
    assert dockerfile.final.base.endswith("-slim")
    copies = dockerfile.final.all("COPY")
    assert [c.value for c in copies] == ["--from=builder /opt/switchboard /opt/switchboard"]
    assert "pip wheel" in dockerfile.stage("builder").last("RUN").value


def test_the_final_stage_installs_no_compiler_and_runs_as_a_non_root_user() -> None:
    """No apt/pip install or compiler in the image; USER is a numeric non-zero uid:gid that
    the stage created (so Kubernetes' runAsNonRoot can verify it)."""
    final = parse().final
    for run in final.all("RUN"):
        assert not _COMPILERS.search(run.value), run.value
        assert "apt-get install" not in run.value and "pip install" not in run.value
    user = final.last("USER").value
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
    created = " ".join(r.value for r in final.all("RUN"))
    assert f"--uid {uid}" in created and f"--gid {gid}" in created


def test_health_check_stop_signal_and_entrypoint() -> None:
    """HEALTHCHECK runs python (present in the image, unlike curl) against /healthz on the
    port CMD serves; STOPSIGNAL is SIGTERM, which `switchboard run` drains on; the
    entrypoint's command line parses as a real `switchboard run`."""
    dockerfile = parse()
    final = dockerfile.final
    health = final.last("HEALTHCHECK")
    argv = health.exec_form()
    assert argv[:2] == ["python", "-c"] and "/healthz" in argv[2]
    assert set(health.options()) >= {"interval", "timeout", "start-period", "retries"}
    assert final.last("STOPSIGNAL").value == "SIGTERM"
    command = final.last("ENTRYPOINT").exec_form() + final.last("CMD").exec_form()
    assert command[0] == "switchboard"
    args = build_parser().parse_args(command[1:])
    assert args.command == "run" and not args.socket
    env = final.env(dockerfile.stage_args(final))
    assert str(args.port) == env["SWITCHBOARD_PORT"] == final.last("EXPOSE").value


def test_config_and_database_come_from_the_environment_and_a_volume() -> None:
    """DATABASE_URL defaults to SQLite on the /data volume, writable by the image's user."""
    dockerfile = parse()
    final = dockerfile.final
    env = final.env(dockerfile.stage_args(final))
    assert env["DATABASE_URL"] == "sqlite:////data/switchboard.db"
    assert final.last("VOLUME").value == '["/data"]'
    assert "chown switchboard:switchboard /data" in " ".join(r.value for r in final.all("RUN"))
    assert env["SWITCHBOARD_LOG_FORMAT"] == "json"


def test_the_build_context_keeps_what_the_builder_copies_and_leaves_secrets_out() -> None:
    """.dockerignore drops the local environment, the git history, .env and databases, and
    none of the sources the builder stage copies."""
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env", "*.db", "var", "tests"} <= ignored
    for copy in parse().stage("builder").all("COPY"):
        for source in copy.value.split()[:-1]:
            assert source not in ignored and (ROOT / source).exists(), source
