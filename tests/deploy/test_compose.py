"""docker-compose.yml and deploy/compose/ hang together: health-gated start, files, ports, settings, metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from console.settings import ConsoleSettings
from gateway.settings import GatewaySettings
from libs.common.settings import DEV_AUTH_SECRET
from services.ingest.settings import IngestSettings
from services.supervisor.settings import SupervisorSettings
from services.visits.settings import VisitsSettings
from tests.deploy.conftest import ROOT, settings_vars

COMPOSE_DIR = ROOT / "deploy" / "compose"
PROCESSES: dict[str, type[BaseSettings]] = {
    "ingest": IngestSettings,
    "visits": VisitsSettings,
    "supervisor": SupervisorSettings,
    "gateway": GatewaySettings,
    "console": ConsoleSettings,
}
# Addresses are fixed by the compose file and deliberately not passed from .env (see its header).
NOT_PASSED = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def test_every_dependency_waits_on_something_that_reports_it(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dep, condition in depends_on(service).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert condition in CONDITIONS, f"{name} -> {dep}: {condition}"
            if condition == "service_healthy":
                check = services[dep].get("healthcheck", {})
                assert check.get("test") and not check.get("disable"), f"{name} waits for {dep}'s missing healthcheck"
            if condition == "service_completed_successfully":
                assert services[dep].get("restart") == "no", f"{dep} is a one-shot, it must not restart"


def test_the_apps_start_after_their_dependencies_are_healthy(services: dict[str, Any]) -> None:
    for name in ("ingest", "visits", "supervisor"):
        assert depends_on(services[name]) == {
            "migrate": "service_completed_successfully",
            "redis": "service_healthy",
            "otel-collector": "service_started",
        }
        assert services[name]["healthcheck"]["test"]
    assert depends_on(services["migrate"]) == {"postgres": "service_healthy"}
    # Webhook intake must not wait for what only the dashboard needs.
    assert depends_on(services["gateway"]) == {
        "ingest": "service_healthy",
        "visits": "service_started",
        "supervisor": "service_started",
        "redis": "service_started",
        "otel-collector": "service_started",
    }
    assert "/readyz'" in " ".join(services["gateway"]["healthcheck"]["test"])
    console = depends_on(services["console"])
    assert {console[name] for name in ("ingest", "visits", "supervisor", "redis")} == {"service_healthy"}
    assert depends_on(services["grafana"]) == {"prometheus": "service_healthy"}
    assert depends_on(services["otel-collector"]) == {"jaeger": "service_healthy"}


def test_every_mounted_file_exists(services: dict[str, Any]) -> None:
    mounted = 0
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
                mounted += 1
    assert mounted >= 4  # collector, prometheus, grafana provisioning and dashboards


def test_nothing_is_published_beyond_the_loopback(services: dict[str, Any]) -> None:
    published = {}
    for name, service in services.items():
        for port in service.get("ports", []):
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name}: {port}"
            published[name] = port
    assert published["gateway"] == "127.0.0.1:8080:8080"
    assert published["console"] == "127.0.0.1:8090:8090"
    assert {"jaeger", "prometheus", "grafana"} <= set(published)


@pytest.mark.parametrize("process", PROCESSES)
def test_every_setting_reaches_its_container(services: dict[str, Any], process: str) -> None:
    """.env.example promises that what you set in .env reaches the containers: set here, or passed through."""
    environment = services[process]["environment"]
    missing = settings_vars(PROCESSES[process]) - set(environment) - NOT_PASSED
    assert not missing, f"docker-compose.yml: add {sorted(missing)} (no value: passed from .env) to {process}"


@pytest.mark.parametrize("process", PROCESSES)
def test_every_process_traces_to_the_collector(services: dict[str, Any], process: str) -> None:
    environment = services[process]["environment"]
    assert environment["OTEL_SERVICE_NAME"] == process
    endpoint = urlsplit(environment["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert endpoint.hostname == "otel-collector" and endpoint.hostname in services
    collector = yaml.safe_load((COMPOSE_DIR / "otel-collector.yaml").read_text())
    grpc = collector["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert grpc == f"0.0.0.0:{endpoint.port}"


def test_the_collector_forwards_traces_to_jaeger(services: dict[str, Any]) -> None:
    collector = yaml.safe_load((COMPOSE_DIR / "otel-collector.yaml").read_text())
    pipeline = collector["service"]["pipelines"]["traces"]
    assert "otlp" in pipeline["receivers"]
    assert set(pipeline["processors"]) <= set(collector["processors"])
    assert set(collector["service"]["extensions"]) <= set(collector["extensions"])
    (exporter,) = pipeline["exporters"]
    assert collector["exporters"][exporter]["endpoint"] == "jaeger:4317"
    assert services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"


def test_compose_ships_no_usable_secret(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert DEV_AUTH_SECRET not in text and "v360-dev-password" not in text
    common = compose["x-common-env"]
    # `${VAR:?message}`: compose refuses to start until .env sets it.
    assert common["V360_AUTH_SECRET"].startswith("${V360_AUTH_SECRET:?")
    assert "${POSTGRES_PASSWORD:?" in common["DATABASE_URL"]
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_prometheus_scrapes_every_process_on_its_metrics_port(services: dict[str, Any]) -> None:
    config = yaml.safe_load((COMPOSE_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["dns_sd_configs"][0] for job in config["scrape_configs"]}
    assert set(jobs) == set(PROCESSES)
    for name, sd in jobs.items():
        assert sd["names"] == [name] and name in services
        environment = services[name]["environment"]
        if name == "console":
            assert sd["port"] == int(environment["CONSOLE_PORT"])
        else:
            assert sd["port"] == int(environment[f"{name.upper()}_METRICS_PORT"])
            assert environment["METRICS_HOST"] == "0.0.0.0"
    # The gateway's public port serves no metrics; its metrics port is not published.
    assert int(services["gateway"]["environment"]["GATEWAY_PORT"]) != jobs["gateway"]["port"]
    assert not any(str(jobs["gateway"]["port"]) in str(port) for port in services["gateway"]["ports"])


def defined_metrics() -> set[str]:
    """Every `v360_*` series name the code registers (a Counter named without _total is exposed with it)."""
    names = set()
    for folder in ("gateway", "console", "libs", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" in path.parts or path.name.startswith("test_"):
                continue
            names.update(re.findall(r"[\"'](v360_[a-z0-9_]+)[\"']", path.read_text()))
    return names | {f"{name}_total" for name in names}


def test_grafana_dashboard_queries_series_the_code_exports(services: dict[str, Any]) -> None:
    grafana = COMPOSE_DIR / "grafana"
    datasources = yaml.safe_load((grafana / "provisioning" / "datasources" / "datasources.yaml").read_text())
    uids = {ds["uid"] for ds in datasources["datasources"]}
    for ds in datasources["datasources"]:
        assert urlsplit(ds["url"]).hostname in services
    providers = yaml.safe_load((grafana / "provisioning" / "dashboards" / "dashboards.yaml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboards = list(Path(grafana / "dashboards").glob("*.json"))
    assert len(dashboards) == 1
    dashboard = json.loads(dashboards[0].read_text())
    known = defined_metrics()
    queried = set()
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in uids
        for target in panel["targets"]:
            for name in re.findall(r"\bv360_[a-z0-9_]+", target["expr"]):
                base = name.removesuffix(next((s for s in HISTOGRAM_SUFFIXES if name.endswith(s)), ""))
                assert name in known or base in known, f"panel {panel['title']!r} queries unknown {name}"
                queried.add(base)
    assert {
        "v360_grpc_server_handling_seconds",
        "v360_http_request_duration_seconds",
        "v360_webhooks_total",
        "v360_supervisor_deliveries_total",
        "v360_outbox_backlog",
    } <= queried
