"""`.env.example` documents every variable a settings class reads."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from console.settings import ConsoleSettings
from devstack.settings import DevSettings
from gateway.settings import GatewaySettings
from libs.common.settings import DEV_AUTH_SECRET
from services.ingest.settings import IngestSettings
from services.supervisor.settings import SupervisorSettings
from services.visits.settings import VisitsSettings

ROOT = Path(__file__).resolve().parents[1]


def variables(settings: type[BaseSettings]) -> set[str]:
    names = set()
    for field in settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias)
    return names


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    read = set().union(
        *(
            variables(s)
            for s in (ConsoleSettings, DevSettings, GatewaySettings, IngestSettings, SupervisorSettings, VisitsSettings)
        )
    )
    assert read - documented == set()


def test_no_usable_secret_is_shipped() -> None:
    text = (ROOT / ".env.example").read_text()
    assert re.search(r"^V360_AUTH_SECRET=$", text, re.MULTILINE)
    assert re.search(r"^POSTGRES_PASSWORD=$", text, re.MULTILINE)
    assert DEV_AUTH_SECRET not in text
