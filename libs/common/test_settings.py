"""The token secret: no default, the public development one only in dev mode."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from libs.common.settings import DEV_AUTH_SECRET, CommonSettings


@pytest.fixture(autouse=True)
def _no_secret_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("V360_AUTH_SECRET", "V360_DEV_MODE"):
        monkeypatch.delenv(name, raising=False)


def test_without_a_secret_settings_load_but_a_server_may_not_use_them() -> None:
    settings = CommonSettings()
    assert settings.auth_secret == ""
    with pytest.raises(ValueError, match="V360_AUTH_SECRET is not set"):
        settings.require_auth_secret()


def test_the_public_development_secret_is_refused_outside_dev_mode() -> None:
    with pytest.raises(ValidationError, match="public development secret"):
        CommonSettings(V360_AUTH_SECRET=DEV_AUTH_SECRET)
    assert CommonSettings(V360_DEV_MODE=True).require_auth_secret() == DEV_AUTH_SECRET
    assert CommonSettings(V360_DEV_MODE=True, V360_AUTH_SECRET="s" * 40).auth_secret == "s" * 40


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        CommonSettings(V360_AUTH_SECRET="short")
