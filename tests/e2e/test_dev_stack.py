"""`v360 up` started exactly as the README says, driven over HTTP and gRPC, then stopped with SIGTERM.

Uses DATABASE_URL / REDIS_URL when the environment sets them (a fresh database is created and dropped),
otherwise the embedded Postgres and Redis.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.support.servers import isolated_env

pytestmark = pytest.mark.e2e

V360 = Path(sys.executable).parent / "v360"
READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 60.0
BOOTSTRAP = "/api/demo/vertice360-orquestador/bootstrap"
FULL_NAMES = {
    "ingest": "vertice360.ingest.v1.IngestService",
    "visits": "vertice360.visits.v1.VisitsService",
    "supervisor": "vertice360.supervisor.v1.SupervisorService",
}


def _free_port() -> int:
    """A free port below the usual ephemeral range, so no outgoing connection takes it before v360 binds it."""
    while True:
        port = secrets.choice(range(20000, 32768))
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that name `text` (e.g. a data dir) in their arguments."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and _alive(int(entry.name)):
            found.append(f"{entry.name}: {cmdline}")
    return found


@pytest.fixture(scope="module")
def stack_env() -> Iterator[dict[str, str]]:
    """The environment for `v360 up`: external services isolated per run when given, embedded otherwise."""
    env = dict(os.environ)
    with isolated_env(env, prefix="v360_e2e") as isolated:
        yield isolated


@dataclass
class RunningStack:
    """One `v360 up` subprocess and what it wrote to stack.json."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    log: Path
    env: dict[str, str]
    url: str
    ready_seconds: float

    def state(self) -> dict[str, Any]:
        return json.loads((self.data_dir / "stack.json").read_text())

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def v360(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(V360), *args, "--data-dir", str(self.data_dir)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def start_stack(env: dict[str, str], data_dir: Path, *extra: str) -> RunningStack:
    """Starts `v360 up` and waits for /readyz 200; fails with its output if it exits or times out."""
    port, console_port = _free_port(), _free_port()
    log = data_dir.with_suffix(".log")
    began = time.monotonic()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                str(V360),
                "up",
                "--port",
                str(port),
                "--console-port",
                str(console_port),
                "--data-dir",
                str(data_dir),
                *extra,
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    stack = RunningStack(
        process=process, data_dir=data_dir, log=log, env=env, url=f"http://127.0.0.1:{port}", ready_seconds=0.0
    )
    deadline = began + READY_TIMEOUT_SECONDS
    with httpx.Client(base_url=stack.url, timeout=2.0) as client:
        while not stack.ready_seconds:
            _check_starting(stack, deadline)
            try:
                if client.get("/readyz").status_code == 200:
                    stack.ready_seconds = time.monotonic() - began
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
    # The demo seed runs after readiness; `running` in stack.json says it is done.
    while not _status_is(stack, "running"):
        _check_starting(stack, deadline)
        time.sleep(0.25)
    backing = "external" if "DATABASE_URL" in env else "embedded"
    print(f"\nv360 up: /readyz 200 after {stack.ready_seconds:.1f}s ({backing} Postgres)")
    return stack


def _status_is(stack: RunningStack, status: str) -> bool:
    try:
        return stack.state().get("status") == status
    except (FileNotFoundError, json.JSONDecodeError):
        return False


def _check_starting(stack: RunningStack, deadline: float) -> None:
    """Fails the test with `v360 up`'s output if it exited or is past the startup deadline."""
    if stack.process.poll() is not None:
        pytest.fail(f"v360 up exited with {stack.process.returncode} before it was up:\n{stack.output()}")
    if time.monotonic() > deadline:
        stop_stack(stack)
        pytest.fail(f"v360 up not up within {READY_TIMEOUT_SECONDS:.0f}s:\n{stack.output()}")


def stop_stack(stack: RunningStack) -> int:
    """SIGTERM to `v360 up`; returns its exit status (kills everything it recorded if it hangs)."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
    try:
        return stack.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        for child in stack.state().get("processes", []):
            if _alive(child["pid"]):
                os.kill(child["pid"], signal.SIGKILL)
        stack.process.wait()
        pytest.fail(f"v360 up did not stop within {STOP_TIMEOUT_SECONDS:.0f}s:\n{stack.output()}")


def assert_stopped_cleanly(stack: RunningStack, state: dict[str, Any]) -> None:
    """SIGTERM makes `v360 up` exit 0 and leave nothing behind."""
    code = stop_stack(stack)
    assert code == 0, stack.output()
    assert_nothing_left(stack, state)


def assert_nothing_left(stack: RunningStack, state: dict[str, Any]) -> None:
    """stack.json marked stopped, no recorded process alive, no port open, no process naming the data dir."""
    assert stack.state()["status"] == "stopped"
    processes = state["processes"]
    assert "gateway" in {p["name"] for p in processes}
    assert [p for p in processes if _alive(p["pid"])] == []
    ports = [p["port"] for p in processes if p["port"]]
    assert [port for port in ports if _listening(port)] == []
    assert _processes_mentioning(str(stack.data_dir)) == []


@pytest.fixture(scope="module")
def stack(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(stack_env, tmp_path_factory.mktemp("v360") / "data")
    try:
        yield running
    finally:
        stop_stack(running)


def test_gateway_is_live_and_ready(stack: RunningStack) -> None:
    with httpx.Client(base_url=stack.url, timeout=5.0) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/docs").status_code == 200


def test_stack_file_describes_the_stack(stack: RunningStack) -> None:
    state = stack.state()
    assert state["status"] == "running"
    assert state["pid"] == stack.process.pid
    assert state["gateway_url"] == stack.url
    assert state["console_url"].startswith("http://127.0.0.1:")
    assert state["embedded"] == {
        "postgres": "DATABASE_URL" not in stack.env,
        "redis": "REDIS_URL" not in stack.env,
    }
    names = {p["name"] for p in state["processes"]}
    assert names >= {"gateway", "console", "ingest", "visits", "supervisor"}
    if "DATABASE_URL" not in stack.env:
        assert {"postgres", "redis"} <= names


@pytest.mark.parametrize("service", list(FULL_NAMES))
def test_service_is_serving_and_reflects(stack: RunningStack, service: str) -> None:
    for replica in stack.state()["services"][service]:
        with grpc.insecure_channel(replica["listen"]) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for name in ("", FULL_NAMES[service]):
                reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
                assert reply.status == health_pb2.HealthCheckResponse.SERVING, (replica, name)
            reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
            answers = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
            listed = {s.name for answer in answers for s in answer.list_services_response.service}
            assert FULL_NAMES[service] in listed


def test_console_is_ready_and_the_banner_says_how_to_log_in(stack: RunningStack) -> None:
    console = stack.state()["console_url"]
    with httpx.Client(base_url=console, timeout=5.0) as client:
        assert client.get("/readyz").status_code == 200
        login = client.get("/login")
        assert login.status_code == 200 and "Ingresar" in login.text
        assert client.get("/inbox").headers["location"] == "/login"
    banner = stack.output()
    assert f"console  {console}" in banner
    assert "agente@vertice360.dev" in banner and "v360 demo" in banner


def test_demo_tenant_is_seeded(stack: RunningStack) -> None:
    issued = stack.v360("token", "--tenant", "vertice360", "--role", "admin")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    with httpx.Client(base_url=stack.url, timeout=10.0) as client:
        assert client.get(BOOTSTRAP).status_code == 401
        response = client.get(BOOTSTRAP, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (len(body["projects"]), len(body["marketing_assets"]), len(body["users"])) == (3, 3, 2)
    assert {p["code"] for p in body["projects"]} == {"PALERMO-01", "BELGRANO-01", "NUNEZ-01"}


def test_tenant_add_upserts_through_ingest(stack: RunningStack) -> None:
    slug = f"e2e-{secrets.token_hex(3)}"
    first = stack.v360("tenant", "add", slug, "--name", "Acme Desarrollos", "--gupshup-app", f"{slug}-app")
    assert first.returncode == 0, first.stderr
    assert f"tenant {slug} created" in first.stdout
    again = stack.v360("tenant", "add", slug, "--name", "Acme Desarrollos S.A.")
    assert again.returncode == 0, again.stderr
    assert f"tenant {slug} updated" in again.stdout
    bad = stack.v360("tenant", "add", "Not_A_Slug")
    assert bad.returncode == 2
    assert "tenant slug" in bad.stderr
    with_account = stack.v360(
        "tenant", "add", slug, "--meta-phone-number-id", "123456789", "--meta-access-token", "EAAG-test-token"
    )
    assert with_account.returncode == 0, with_account.stderr
    assert "sending account: meta 123456789" in with_account.stdout
    assert "EAAG-test-token" not in with_account.stdout
    half = stack.v360("tenant", "add", slug, "--gupshup-api-key", "k")
    assert half.returncode == 2
    assert "--gupshup-source" in half.stderr


def test_sigterm_stops_everything(stack: RunningStack) -> None:
    state = stack.state()
    assert_stopped_cleanly(stack, state)


def test_restart_keeps_data_and_second_runner_is_refused(stack: RunningStack, stack_env: dict[str, str]) -> None:
    restarted = start_stack(stack_env, stack.data_dir)
    try:
        refused = subprocess.run(
            [str(V360), "up", "--port", str(_free_port()), "--data-dir", str(stack.data_dir)],
            env=stack_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1
        assert "another `v360 up`" in refused.stdout
        assert restarted.state()["status"] == "running"
        assert "tenant vertice360 updated" in restarted.output()
    finally:
        state = restarted.state()
        assert_stopped_cleanly(restarted, state)


def test_replicas_serve_and_a_dead_child_stops_the_stack(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    running = start_stack(stack_env, tmp_path_factory.mktemp("v360-replicas") / "data", "--replicas", "ingest=2")
    try:
        state = running.state()
        replicas = state["services"]["ingest"]
        assert [r["name"] for r in replicas] == ["ingest-1", "ingest-2"]
        assert state["targets"]["ingest"] == "ipv4:" + ",".join(r["listen"] for r in replicas)
        for replica in replicas:
            with grpc.insecure_channel(replica["listen"]) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=FULL_NAMES["ingest"]), timeout=5
                )
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
        token = running.v360("token", "--tenant", "vertice360").stdout.strip()
        with httpx.Client(base_url=running.url, timeout=10.0) as client:
            for _ in range(4):
                response = client.get(BOOTSTRAP, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text

        victim = next(p for p in state["processes"] if p["name"] == "ingest-2")
        os.kill(victim["pid"], signal.SIGKILL)
        assert running.process.wait(timeout=STOP_TIMEOUT_SECONDS) == 1
        assert "ingest-2 exited unexpectedly" in running.output()
        assert_nothing_left(running, state)
    finally:
        stop_stack(running)
