"""deploy/kubernetes renders, matches the Kubernetes schemas offline, and keeps the properties we rely on."""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from kubernetes_validate.utils import latest_version
from pydantic_settings import BaseSettings

from console.settings import ConsoleSettings
from gateway.settings import GatewaySettings
from services.ingest.settings import IngestSettings
from services.supervisor.settings import SupervisorSettings
from services.visits.settings import VisitsSettings
from tests.deploy.conftest import KUBERNETES, OVERLAYS, real_kustomize, settings_vars
from tests.deploy.kustomize import Obj

# Oldest Kubernetes we support (native gRPC probes are GA since 1.27), and the newest the package knows.
KUBERNETES_VERSIONS = ["1.29.0", latest_version()]
SERVICES = {"ingest": IngestSettings, "visits": VisitsSettings, "supervisor": SupervisorSettings}
FRONTS: dict[str, type[BaseSettings]] = {"gateway": GatewaySettings, "console": ConsoleSettings}
FRONT_PORTS = {"gateway": 8080, "console": 8090}
APPS: dict[str, type[BaseSettings]] = {**SERVICES, **FRONTS}
GRPC_PORTS = {"ingest": 50051, "visits": 50052, "supervisor": 50053}
METRICS_PORTS = {"ingest": 9101, "visits": 9102, "supervisor": 9103}
GATEWAY_METRICS_PORT = 9100
SECRET = "vertice360-secrets"
NAMESPACES = {"dev": "vertice360-dev", "prod": "vertice360"}
IMAGES = {"dev": "vertice360:dev", "prod": "registry.example.com/vertice360:0.1.0"}


def of_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(workload: Obj) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: Obj) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def all_containers(workload: Obj) -> list[Obj]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container.get("env", [])}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics for matchLabels and matchExpressions (In, NotIn, Exists)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value = labels.get(expr["key"])
        ok = {
            "In": value in expr.get("values", []),
            "NotIn": value not in expr.get("values", []),
            "Exists": expr["key"] in labels,
            "DoesNotExist": expr["key"] not in labels,
        }[expr["operator"]]
        if not ok:
            return False
    return True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_matches_the_kubernetes_schema(
    rendered: dict[str, list[Obj]], validate: Callable[[Obj, str], None], overlay: str
) -> None:
    for obj in rendered[overlay]:
        for version in KUBERNETES_VERSIONS:
            validate(obj, version)


def test_prod_secret_example_matches_the_schema_and_holds_every_referenced_key(
    rendered: dict[str, list[Obj]], validate: Callable[[Obj, str], None]
) -> None:
    example = yaml.safe_load((KUBERNETES / "overlays" / "prod" / "secret.example.yaml").read_text())
    for version in KUBERNETES_VERSIONS:
        validate(example, version)
    assert example["metadata"]["name"] == SECRET
    # prod never writes the Secret, so re-applying can't overwrite real credentials with placeholders.
    assert SECRET not in of_kind(rendered["prod"], "Secret")
    assert secret_keys(rendered["prod"]) <= set(example["stringData"])


def secret_keys(objects: list[Obj], *, required_only: bool = False) -> set[str]:
    keys = set()
    for workload in [*of_kind(objects, "Deployment").values(), *of_kind(objects, "Job").values()]:
        for container in all_containers(workload):
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref and not (required_only and ref.get("optional")):
                    assert ref["name"] == SECRET, var
                    keys.add(ref["key"])
    return keys


def test_dev_generates_every_required_secret_key(rendered: dict[str, list[Obj]]) -> None:
    secret = of_kind(rendered["dev"], "Secret")[SECRET]
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert secret_keys(rendered["dev"], required_only=True) <= set(values)
    assert len(values["V360_AUTH_SECRET"]) >= 32


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renders_like_the_real_kustomize(rendered: dict[str, list[Obj]], overlay: str) -> None:
    command = real_kustomize()
    if command is None:
        pytest.skip("no kustomize (nor kubectl >= 1.24) installed: rendered by tests/deploy/kustomize.py only")
    out = subprocess.run([*command, str(KUBERNETES / "overlays" / overlay)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr

    def by_name(objects: Any) -> dict[tuple[str, str, str], Obj]:
        found = {}
        for obj in objects:
            obj = yaml.safe_load(yaml.safe_dump(obj))  # same scalars on both sides
            if obj["kind"] == "Secret":
                # kustomize wraps long base64 lines.
                obj["data"] = {k: base64.b64decode("".join(v.split())) for k, v in obj.get("data", {}).items()}
            found[(obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])] = obj
        return found

    assert by_name(rendered[overlay]) == by_name(yaml.safe_load_all(out.stdout))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_namespace_with_restricted_pod_security(rendered: dict[str, list[Obj]], overlay: str) -> None:
    namespace = of_kind(rendered[overlay], "Namespace")[NAMESPACES[overlay]]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {o["metadata"].get("namespace") for o in rendered[overlay] if o["kind"] != "Namespace"} == {
        NAMESPACES[overlay]
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_is_locked_down_and_sized(rendered: dict[str, list[Obj]], overlay: str) -> None:
    workloads = [*of_kind(rendered[overlay], "Deployment").values(), *of_kind(rendered[overlay], "Job").values()]
    for workload in workloads:
        spec = pod_spec(workload)
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True, workload["metadata"]["name"]
        assert pod_security["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for container in all_containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert security.get("privileged") is not True, where
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert "memory" in resources["limits"], where
        if any(c["image"] == IMAGES[overlay] for c in spec["containers"]):
            # Our image: its user (Dockerfile), and a writable /tmp on the read-only root.
            assert pod_security["runAsUser"] == 10001
            volumes = {v["name"]: v for v in spec["volumes"]}
            for container in all_containers(workload):
                mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
                assert "emptyDir" in volumes[mounts["/tmp"]], workload["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_image_with_a_command_per_deployment(rendered: dict[str, list[Obj]], overlay: str) -> None:
    deployments = of_kind(rendered[overlay], "Deployment")
    for name in APPS:
        for container in all_containers(deployments[name]):
            assert container["image"] == IMAGES[overlay]
    for front in FRONTS:
        assert deployments[front]["spec"]["template"]["spec"]["containers"][0]["command"] == ["python", "-m", front]
    for name in SERVICES:
        init, main = all_containers(deployments[name])
        assert main["command"] == ["python", "-m", f"services.{name}", "serve"]
        # Each server migrates its own schema before serving (advisory lock: safe with many replicas).
        assert init["command"] == ["python", "-m", f"services.{name}", "migrate"]
    job = of_kind(rendered[overlay], "Job")["vertice360-migrate"]
    (container,) = pod_spec(job)["containers"]
    assert container["image"] == IMAGES[overlay]
    script = " ".join(container["command"])
    assert all(f"python -m services.{name} migrate" in script for name in SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_are_headless_with_grpc_probes_autoscaled_and_budgeted(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objects = rendered[overlay]
    deployments, services = of_kind(objects, "Deployment"), of_kind(objects, "Service")
    hpas, pdbs = of_kind(objects, "HorizontalPodAutoscaler"), of_kind(objects, "PodDisruptionBudget")
    for name, port in GRPC_PORTS.items():
        deployment, service = deployments[name], services[name]
        labels = pod_labels(deployment)
        assert selects(deployment["spec"]["selector"], labels)
        # Headless: DNS answers with every ready pod, and round_robin channels spread over them.
        assert service["spec"]["clusterIP"] == "None"
        assert selects({"matchLabels": service["spec"]["selector"]}, labels)
        grpc_port = service["spec"]["ports"][0]
        assert (grpc_port["name"], grpc_port["port"]) == ("grpc", port)
        main = pod_spec(deployment)["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in main["ports"]}
        assert ports == {"grpc": port, "metrics": METRICS_PORTS[name]}
        assert main["readinessProbe"]["grpc"] == {"port": port}
        assert main["livenessProbe"]["grpc"] == {"port": port}
        env = env_of(main)
        assert env[f"{name.upper()}_GRPC_LISTEN"]["value"] == f"0.0.0.0:{port}"
        assert env[f"{name.upper()}_METRICS_PORT"]["value"] == str(METRICS_PORTS[name])
        assert_autoscaled_and_budgeted(name, hpas, pdbs, labels)


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("front", FRONTS)
def test_http_fronts_have_a_service_http_probes_autoscaler_and_budget(
    rendered: dict[str, list[Obj]], overlay: str, front: str
) -> None:
    objects = rendered[overlay]
    deployment = of_kind(objects, "Deployment")[front]
    service = of_kind(objects, "Service")[front]
    labels = pod_labels(deployment)
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP" and "clusterIP" not in service["spec"]
    assert selects({"matchLabels": service["spec"]["selector"]}, labels)
    main = pod_spec(deployment)["containers"][0]
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # Intake's readiness: a visits, supervisor or Redis outage must not take webhooks out of service.
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert env_of(main)[f"{front.upper()}_HOST"]["value"] == "0.0.0.0"
    assert env_of(main)[f"{front.upper()}_PORT"]["value"] == str(FRONT_PORTS[front])
    # The gateway's metrics on their own port, which its Service does not expose.
    metrics = {"metrics": GATEWAY_METRICS_PORT} if front == "gateway" else {}
    assert {p["name"]: p["containerPort"] for p in main["ports"]} == {"http": FRONT_PORTS[front], **metrics}
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"]
    if front == "gateway":
        assert env_of(main)["GATEWAY_METRICS_PORT"]["value"] == str(GATEWAY_METRICS_PORT)
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(GATEWAY_METRICS_PORT)
    assert_autoscaled_and_budgeted(
        front, of_kind(objects, "HorizontalPodAutoscaler"), of_kind(objects, "PodDisruptionBudget"), labels
    )


def assert_autoscaled_and_budgeted(name: str, hpas: dict[str, Obj], pdbs: dict[str, Obj], labels: dict) -> None:
    hpa = hpas[name]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    pdb = pdbs[name]
    assert selects(pdb["spec"]["selector"], labels)
    # Never a budget that blocks every drain of a single replica.
    assert pdb["spec"].get("maxUnavailable") == 1 or pdb["spec"].get("minAvailable") in (None, 0)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grpc_targets_are_dns_names_of_headless_services(rendered: dict[str, list[Obj]], overlay: str) -> None:
    deployments = of_kind(rendered[overlay], "Deployment")
    for name, settings in APPS.items():
        main = pod_spec(deployments[name])["containers"][0]
        env = env_of(main)
        wanted = {var for var in settings_vars(settings) if var.endswith("_TARGET")}
        assert wanted and wanted <= set(env), name
        for var in wanted:
            target = var.removesuffix("_TARGET").lower()
            assert env[var]["value"] == (f"dns:///{target}.$(POD_NAMESPACE).svc.cluster.local:{GRPC_PORTS[target]}"), (
                f"{name}: {var}"
            )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_env_references_only_earlier_variables_and_existing_config(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    config_maps = of_kind(rendered[overlay], "ConfigMap")
    for workload in [*of_kind(rendered[overlay], "Deployment").values(), *of_kind(rendered[overlay], "Job").values()]:
        for container in all_containers(workload):
            defined: set[str] = set()
            for var in container.get("env", []):
                # Kubernetes leaves $(NAME) as is when NAME isn't defined above it.
                for ref in re.findall(r"\$\((\w+)\)", var.get("value", "")):
                    assert ref in defined, f"{workload['metadata']['name']}: {var['name']} uses {ref}"
                defined.add(var["name"])
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_fronts_and_the_services_reach_the_services(rendered: dict[str, list[Obj]], overlay: str) -> None:
    policies = list(of_kind(rendered[overlay], "NetworkPolicy").values())
    deployments = of_kind(rendered[overlay], "Deployment")
    namespace = NAMESPACES[overlay]
    prometheus = ({"app.kubernetes.io/name": "prometheus"}, {"kubernetes.io/metadata.name": "monitoring"})
    stranger = ({"app.kubernetes.io/name": "debug-shell"}, {"kubernetes.io/metadata.name": namespace})

    def allowed(source: tuple[dict, dict], target: Obj, port: int) -> bool:
        """Whether ingress policies admit `source` (pod labels, namespace labels) to `target` on `port`."""
        labels = pod_labels(target)
        container_ports = {p["name"]: p["containerPort"] for p in pod_spec(target)["containers"][0]["ports"]}
        applying = [p for p in policies if selects(p["spec"]["podSelector"], labels)]
        assert applying, f"no NetworkPolicy selects {target['metadata']['name']}"
        for policy in applying:
            for rule in policy["spec"].get("ingress", []):
                rule_ports = [container_ports.get(p["port"], p["port"]) for p in rule.get("ports", [])]
                if rule_ports and port not in rule_ports:
                    continue
                if "from" not in rule or any(peer_matches(peer, *source) for peer in rule["from"]):
                    return True
        return False

    def peer_matches(peer: dict, pod: dict, ns: dict) -> bool:
        same_namespace = ns.get("kubernetes.io/metadata.name") == namespace
        ns_ok = selects(peer["namespaceSelector"], ns) if "namespaceSelector" in peer else same_namespace
        return ns_ok and selects(peer.get("podSelector", {}), pod)

    callers = {name: (pod_labels(deployments[name]), {"kubernetes.io/metadata.name": namespace}) for name in APPS}
    for name, port in GRPC_PORTS.items():
        target = deployments[name]
        for caller in APPS:
            assert allowed(callers[caller], target, port), f"{caller} -> {name}"
        assert not allowed(stranger, target, port), f"stranger -> {name}"
        assert allowed(prometheus, target, METRICS_PORTS[name]), f"prometheus -> {name} metrics"
        assert not allowed(stranger, target, METRICS_PORTS[name])
    for front, port in FRONT_PORTS.items():
        scraped = GATEWAY_METRICS_PORT if front == "gateway" else port
        assert allowed(prometheus, deployments[front], scraped)
        if overlay == "prod":
            ingress_controller = ({"app": "any"}, {"kubernetes.io/metadata.name": "ingress-nginx"})
            assert allowed(ingress_controller, deployments[front], port)
            assert not allowed(stranger, deployments[front], port)
    assert not allowed(stranger, deployments["gateway"], GATEWAY_METRICS_PORT)
    # Everything not named above (the migrate Job, dev's Postgres and Redis) is covered by a policy too.
    default_deny = of_kind(rendered[overlay], "NetworkPolicy")["default-deny-ingress"]
    assert default_deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_otel_names_each_process(rendered: dict[str, list[Obj]], overlay: str) -> None:
    config = of_kind(rendered[overlay], "ConfigMap")["vertice360-config"]["data"]
    assert config["OTEL_TRACES_EXPORTER"] in ("otlp", "none")
    assert config["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://")
    assert config["METRICS_HOST"] == "0.0.0.0"
    # The public development secret of the dev overlay is accepted only in dev mode; prod never runs in it.
    assert config.get("V360_DEV_MODE") == ("true" if overlay == "dev" else None)
    # Only prod, where NetworkPolicy admits nothing but the ingress controller, believes forwarded addresses.
    assert bool(config["TRUSTED_PROXIES"]) == (overlay == "prod")
    for name in APPS:
        main = pod_spec(of_kind(rendered[overlay], "Deployment")[name])["containers"][0]
        assert env_of(main)["OTEL_SERVICE_NAME"]["value"] == name
