"""Tokens and passwords."""

import time

import jwt
import pytest

from libs.common.auth import Role, check_password, hash_password, issue_token, verify_token
from libs.common.errors import Unauthenticated

SECRET = "s" * 40


def test_token_round_trip() -> None:
    principal = verify_token(SECRET, issue_token(SECRET, tenant="acme", role=Role.AGENT, user_id="u1"))
    assert (principal.tenant, principal.role, principal.user_id) == ("acme", Role.AGENT, "u1")


@pytest.mark.parametrize(
    "token",
    [
        issue_token("other-secret-" + "x" * 30, tenant="acme", role=Role.ADMIN),
        issue_token(SECRET, tenant="acme", role=Role.ADMIN, ttl_seconds=-10),
        "not-a-token",
    ],
)
def test_forged_expired_or_garbage_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthenticated):
        verify_token(SECRET, token)


def _signed(**claims: object) -> str:
    now = int(time.time())
    base = {"iss": "vertice360", "sub": "s", "tenant": "acme", "role": "admin", "uid": "", "iat": now, "exp": now + 60}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


# Found by tests/fuzz: a signed token with "tenant": null was read as the tenant "None".
@pytest.mark.parametrize("claims", [{"tenant": None}, {"tenant": ""}, {"tenant": 7}, {"uid": None}, {"role": None}])
def test_signed_tokens_without_a_textual_tenant_role_and_uid_are_refused(claims: dict[str, object]) -> None:
    with pytest.raises(Unauthenticated):
        verify_token(SECRET, _signed(**claims))


def test_passwords_check_only_the_right_one() -> None:
    stored = hash_password("correct horse battery")
    assert stored != hash_password("correct horse battery")
    assert check_password("correct horse battery", stored)
    assert not check_password("correct horse batterY", stored)
    assert not check_password("anything", None)
    assert not check_password("anything", "scrypt$garbage$")
