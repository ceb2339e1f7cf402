"""Rendered Kubernetes overlays, shared by the manifest tests (offline: no cluster, no network)."""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import kubernetes_validate
import kubernetes_validate.utils
import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from tests.deploy.kustomize import Obj, build

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(p.name for p in (KUBERNETES / "overlays").iterdir() if p.is_dir())


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Obj]]:
    """Every overlay rendered by tests/deploy/kustomize.py, by overlay name."""
    return {overlay: build(KUBERNETES / "overlays" / overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="session")
def validate() -> Iterator[Callable[[Obj, str], None]]:
    """kubernetes_validate.validate(obj, version, strict=True), with its schema files read once."""
    # The library parses the multi-megabyte _definitions.json on every call; caching its reader takes
    # these tests from seconds to a fraction of one (and is merely slower if the library renames it).
    with pytest.MonkeyPatch.context() as patch:
        cached = functools.lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)
        patch.setattr(kubernetes_validate.utils, "schema_contents", cached)
        yield lambda obj, version: kubernetes_validate.validate(obj, version, strict=True)


def real_kustomize() -> list[str] | None:
    """The command of an installed kustomize (`$KUSTOMIZE`, `kustomize`, or kubectl >= 1.24), else None."""
    if os.environ.get("KUSTOMIZE"):
        return shlex.split(os.environ["KUSTOMIZE"])
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return None
    try:
        out = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True, timeout=10)
        version = json.loads(out.stdout).get("kustomizeVersion", "")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    # kubectl 1.20 (Debian bookworm's kubernetes-client) embeds kustomize 2.0.3, without `labels`.
    found = re.match(r"v(\d+)\.(\d+)", version)
    if not found or (int(found[1]), int(found[2])) < (4, 5):
        return None
    return [kubectl, "kustomize"]


def settings_vars(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads."""
    names: set[str] = set()
    for field in settings.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            names.update(c for c in field.validation_alias.choices if isinstance(c, str))
    return names
