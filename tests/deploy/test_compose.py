"""compose.yaml's structure, read without an engine: PostgreSQL, a one-shot migration the
app waits for, the app with a health check, Prometheus and Grafana fed from deploy/, named
volumes for every state, and no secret written into the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.cli import build_parser
from tests.deploy.dockerfile import ROOT

COMPOSE = ROOT / "compose.yaml"
_SECRET_NAMES = re.compile(r"(TOKEN|SECRET|PASSWORD|KEY)", re.IGNORECASE)
_MOUNT = re.compile(r"^(\$\{\w+:-[^}]+\}|[^:]+):")
_INTERPOLATED = re.compile(r"^\$\{[A-Z_]+(:\?[^}]*)?\}$")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    assert isinstance(environment, dict), "environment as a mapping"
    return {str(k): str(v) for k, v in environment.items()}


def test_the_services_and_what_each_waits_for() -> None:
    """The app starts once PostgreSQL is healthy and the migration has completed; Prometheus
    once the app is healthy; Grafana once Prometheus is."""
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "switchboard", "prometheus", "grafana"}
    waits = {name: s.get("depends_on", {}) for name, s in services.items()}
    assert waits["migrate"] == {"postgres": {"condition": "service_healthy"}}
    assert waits["switchboard"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert waits["prometheus"] == {"switchboard": {"condition": "service_healthy"}}
    assert waits["grafana"] == {"prometheus": {"condition": "service_healthy"}}


def test_the_migration_is_a_one_shot_switchboard_db_upgrade() -> None:
    """Same image and environment as the app; `db upgrade` is a real CLI command; it is not
    restarted and has no health check (it exits)."""
    services = _compose()["services"]
    migrate, app = services["migrate"], services["switchboard"]
    assert migrate["image"] == app["image"] and migrate["environment"] == app["environment"]
    assert migrate["pull_policy"] == app["pull_policy"] == "build"  # never a stranger's image
    args = build_parser().parse_args(migrate["command"])
    assert (args.command, args.db_command) == ("db", "upgrade")
    assert migrate["restart"] == "no" and migrate["healthcheck"] == {"disable": True}
    assert build_parser().parse_args(app["command"]).command == "run"


def test_every_long_running_service_has_a_health_check() -> None:
    """The app's check is the image's (python against /healthz on the port it serves)."""
    services = _compose()["services"]
    for name in ("postgres", "switchboard", "prometheus", "grafana"):
        assert services[name]["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert services[name]["restart"] == "unless-stopped", name
    app = services["switchboard"]
    test = app["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"] and "127.0.0.1:3000/healthz" in test[3]
    assert "--port" in app["command"] and app["command"][app["command"].index("--port") + 1] == (
        "3000"
    )
    assert app["stop_grace_period"] == "30s"


def test_state_lives_in_named_volumes_and_mounted_files_exist() -> None:
    """PostgreSQL, Prometheus and Grafana keep their data in named volumes; every file or
    folder mounted from the repository exists (the config one by its default)."""
    compose = _compose()
    declared = set(compose["volumes"])
    assert declared == {"postgres-data", "prometheus-data", "grafana-data"}
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = _MOUNT.match(volume).group(1)  # type: ignore[union-attr]
            default = re.fullmatch(r"\$\{\w+:-([^}]+)\}", source)
            source = default.group(1) if default else source
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} mounts undeclared volume {source}"


def test_no_secret_is_written_in_the_file() -> None:
    """Every variable named like a secret is interpolated from the environment (.env), and
    the required ones say so when missing; the database URL takes its password the same
    way."""
    for name, service in _compose()["services"].items():
        for key, value in _environment(service).items():
            if key == "DATABASE_URL":
                assert "${POSTGRES_PASSWORD:?" in value, name
            elif _SECRET_NAMES.search(key):
                assert _INTERPOLATED.match(value), f"{name}: {key} is written inline"
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    example = (ROOT / "deploy" / "env.example").read_text()
    assert all(
        line.endswith("=") or "=./" in line or line.startswith("#") or not line
        for line in example.splitlines()
    )


def test_prometheus_and_grafana_are_fed_from_deploy() -> None:
    """Prometheus reads the config and rules beside each other; Grafana's provisioning and
    dashboards folders are the repository's."""
    services = _compose()["services"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in services["prometheus"]["volumes"]}
    assert mounts["./deploy/prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    assert mounts["./deploy/prometheus/alerts.yml"] == "/etc/prometheus/alerts.yml"
    grafana = {v.split(":")[0]: v.split(":")[1] for v in services["grafana"]["volumes"]}
    assert grafana["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/switchboard.yaml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == grafana["./deploy/grafana/dashboards"]
    source = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yaml").read_text()
    )
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    assert Path(ROOT / "deploy/grafana/dashboards/switchboard.json").is_file()
