"""A small offline renderer for the kustomize features deploy/kubernetes uses, so CI can check manifests.

CI has no kustomize binary and no network, so this renders the overlays with PyYAML instead. It covers
only what our kustomizations use and raises `Unsupported` for anything else, rather than render it
wrong: `resources` (files and folders), `namespace`, `labels` (metadata only), `images`, `patches`
(JSON 6902 with a kind/name target), and `secretGenerator`/`configMapGenerator` from literals without a
name hash. Where a real kustomize is installed, test_manifests.py checks both render the same objects.

    python -m tests.deploy.kustomize deploy/kubernetes/overlays/dev    # prints the YAML, like `kustomize build`
"""

from __future__ import annotations

import base64
import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
FIELDS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "labels",
    "images",
    "patches",
    "generatorOptions",
    "secretGenerator",
    "configMapGenerator",
}
# Kinds whose objects get the kustomization's namespace; every other kind must be listed as cluster-wide,
# so a new kind (say a RoleBinding, whose subjects kustomize also rewrites) stops the renderer.
NAMESPACED = {
    "ConfigMap",
    "Secret",
    "Service",
    "ServiceAccount",
    "Deployment",
    "StatefulSet",
    "Job",
    "CronJob",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
}
CLUSTER_WIDE = {"Namespace"}


class Unsupported(Exception):
    """The kustomization uses something this renderer does not implement."""


def build(path: Path) -> list[Obj]:
    """The objects `kustomize build <path>` would print, in file order (kustomize sorts them by kind)."""
    path = Path(path)
    kustomization = _load_kustomization(path)
    unknown = set(kustomization) - FIELDS
    if unknown:
        raise Unsupported(f"{path}: fields {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        target = path / entry
        if target.is_dir():
            objects.extend(build(target))
        elif target.is_file():
            objects.extend(doc for doc in yaml.safe_load_all(target.read_text()) if doc is not None)
        else:
            raise Unsupported(f"{path}: resource {entry!r} is neither a file nor a folder here (no remote bases)")
    objects.extend(_generate(path, kustomization))
    for patch in kustomization.get("patches", []):
        _apply_patch(path, objects, patch)
    if "namespace" in kustomization:
        _set_namespace(objects, kustomization["namespace"])
    for labels in kustomization.get("labels", []):
        _add_labels(objects, labels)
    for image in kustomization.get("images", []):
        _set_image(objects, image)
    return objects


def _load_kustomization(path: Path) -> Obj:
    for name in KUSTOMIZATION_FILES:
        if (path / name).is_file():
            return yaml.safe_load((path / name).read_text()) or {}
    raise Unsupported(f"{path}: no kustomization file")


def _generate(path: Path, kustomization: Obj) -> list[Obj]:
    generators = [("Secret", g) for g in kustomization.get("secretGenerator", [])]
    generators += [("ConfigMap", g) for g in kustomization.get("configMapGenerator", [])]
    if generators and not kustomization.get("generatorOptions", {}).get("disableNameSuffixHash"):
        # kustomize would append a content hash to the name and rewrite every reference to it.
        raise Unsupported(f"{path}: generators need generatorOptions.disableNameSuffixHash: true")
    if set(kustomization.get("generatorOptions", {})) - {"disableNameSuffixHash"}:
        raise Unsupported(f"{path}: generatorOptions other than disableNameSuffixHash")
    objects = []
    for kind, generator in generators:
        if set(generator) - {"name", "literals", "type"} or generator.get("behavior", "create") != "create":
            raise Unsupported(f"{path}: {kind} generator {generator.get('name')}: only name, literals and type")
        data = {}
        for literal in generator.get("literals", []):
            key, sep, value = literal.partition("=")
            if not sep or value[:1] in ("'", '"'):
                raise Unsupported(f"{path}: literal {key!r} must be KEY=value, unquoted")
            data[key] = value
        obj: Obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": generator["name"]}}
        if kind == "Secret":
            obj["type"] = generator.get("type", "Opaque")
            obj["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        else:
            obj["data"] = data
        objects.append(obj)
    return objects


def _apply_patch(path: Path, objects: list[Obj], patch: Obj) -> None:
    target = patch.get("target") or {}
    if set(patch) - {"target", "patch", "path"} or set(target) - {"kind", "name"} or "kind" not in target:
        raise Unsupported(f"{path}: patches need a target with kind (and optionally name), nothing else")
    text = patch["patch"] if "patch" in patch else (path / patch["path"]).read_text()
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise Unsupported(f"{path}: only JSON 6902 patches (a list of operations), not strategic merge")
    # kustomize matches target names as anchored regular expressions.
    matched = [
        obj
        for obj in objects
        if obj["kind"] == target["kind"] and re.fullmatch(target.get("name", ".*"), obj["metadata"]["name"])
    ]
    if not matched:
        raise Unsupported(f"{path}: patch target {target} matches nothing")
    for obj in matched:
        for operation in operations:
            _json_patch(obj, operation)


def _json_patch(obj: Obj, operation: Obj) -> None:
    op = operation["op"]
    if op not in ("add", "replace", "remove"):
        raise Unsupported(f"JSON patch op {op!r}")
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in operation["path"].split("/")[1:]]
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            node[index] = copy.deepcopy(operation["value"])
        else:
            del node[index]
        return
    if op in ("replace", "remove") and last not in node:
        raise Unsupported(f"JSON patch {op} of missing {operation['path']}")
    if op == "remove":
        del node[last]
    else:
        node[last] = copy.deepcopy(operation["value"])


def _set_namespace(objects: list[Obj], namespace: str) -> None:
    for obj in objects:
        if obj["kind"] in NAMESPACED:
            obj["metadata"]["namespace"] = namespace
        elif obj["kind"] == "Namespace":
            if obj["metadata"]["name"] != namespace:
                raise Unsupported(f"Namespace {obj['metadata']['name']} differs from namespace: {namespace}")
        else:
            raise Unsupported(f"kind {obj['kind']}: add it to NAMESPACED or CLUSTER_WIDE")


def _add_labels(objects: list[Obj], labels: Obj) -> None:
    if set(labels) - {"pairs", "includeSelectors"} or labels.get("includeSelectors"):
        raise Unsupported("labels: only pairs with includeSelectors false (metadata labels only)")
    for obj in objects:
        obj["metadata"].setdefault("labels", {}).update(labels["pairs"])


def _set_image(objects: list[Obj], image: Obj) -> None:
    if set(image) - {"name", "newName", "newTag", "digest"}:
        raise Unsupported(f"images: {image}")
    for container in _containers(objects):
        name, tag, digest = _split_image(container["image"])
        if name != image["name"]:
            continue
        name = image.get("newName", name)
        if "digest" in image:
            container["image"] = f"{name}@{image['digest']}"
        elif "newTag" in image:
            container["image"] = f"{name}:{image['newTag']}"
        else:
            container["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _containers(node: Any) -> list[Obj]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                found.extend(value)
            else:
                found.extend(_containers(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_containers(item))
    return found


def _split_image(image: str) -> tuple[str, str, str]:
    name, _, digest = image.partition("@")
    # A colon after the last slash is a tag; one before it belongs to a registry host:port.
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    else:
        tag = ""
    return name, tag, digest


def main(argv: list[str]) -> int:
    """Prints the rendered YAML of the kustomization folder in argv[0]."""
    if len(argv) != 1:
        print("usage: python -m tests.deploy.kustomize <kustomization folder>", file=sys.stderr)
        return 2
    yaml.safe_dump_all(build(Path(argv[0])), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
