"""Unit tests of `v360` argument handling, settings and the token command."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from devstack.cli import build_parser, main
from devstack.settings import DevSettings
from devstack.stackfile import load_or_create_secret
from libs.common.auth import Role, verify_token

SECRET = "unit-test-secret-0123456789-abcdefghij"


@pytest.mark.parametrize(
    "argv",
    [
        ["tenant", "add", "Bad_Slug"],
        ["tenant", "add", "acme", "--region", "Argentina"],
        ["tenant", "add", "acme", "--timezone", "Nowhere/City"],
        ["up", "--replicas", "ingest=0"],
        ["up", "--port", "70000"],
        ["token", "--tenant", "vertice360", "--role", "root"],
        ["token", "--tenant", "vertice360", "--ttl", "0"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_token_is_signed_with_the_environment_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("V360_AUTH_SECRET", SECRET)
    code = main(["token", "--tenant", "acme", "--role", "supervisor", "--user-id", "u-1", "--data-dir", str(tmp_path)])
    assert code == 0
    principal = verify_token(SECRET, capsys.readouterr().out.strip())
    assert (principal.tenant, principal.role, principal.user_id) == ("acme", Role.SUPERVISOR, "u-1")


def test_token_without_any_secret_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("V360_AUTH_SECRET", raising=False)
    assert main(["token", "--tenant", "acme", "--data-dir", str(tmp_path)]) == 1
    assert "no secret" in capsys.readouterr().err


def test_token_uses_the_data_dir_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("V360_AUTH_SECRET", raising=False)
    secret = load_or_create_secret(tmp_path)
    assert main(["token", "--tenant", "acme", "--data-dir", str(tmp_path)]) == 0
    assert verify_token(secret, capsys.readouterr().out.strip()).role == Role.ADMIN


def test_generated_secret_is_private_and_reused(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path)
    assert len(secret) >= 32
    assert stat.S_IMODE((tmp_path / "auth_secret").stat().st_mode) == 0o600
    assert load_or_create_secret(tmp_path) == secret


def test_tenant_add_without_a_running_stack_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["tenant", "add", "acme", "--data-dir", str(tmp_path)]) == 1
    assert "no running stack" in capsys.readouterr().err


def test_external_urls_count_only_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "V360_AUTH_SECRET"):
        monkeypatch.delenv(name, raising=False)
    unset = DevSettings()
    assert (unset.external_database_url(), unset.external_redis_url(), unset.explicit_auth_secret()) == (
        None,
        None,
        None,
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/v360")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example/1")
    given = DevSettings()
    assert given.external_database_url() == "postgresql://db.example/v360"
    assert given.external_redis_url() == "redis://cache.example/1"
