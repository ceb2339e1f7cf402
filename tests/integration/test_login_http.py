"""Login and roles through the gateway over HTTP, against the real services."""

from __future__ import annotations

import secrets

import pytest

from libs.common.auth import Role
from tests.support.gateway import PREFIX, Api
from vertice360.supervisor.v1 import supervisor_pb2 as pb

pytestmark = pytest.mark.integration


async def user(api: Api, tenant: str, *, role: int, password: str, active: bool = True) -> str:
    email = f"u{secrets.token_hex(3)}@example.com"
    await api.stack.supervisor.UpsertUser(
        pb.UpsertUserRequest(user=pb.User(name="Ana", email=email, role=role, active=active), password=password),
        metadata=api.stack.md(tenant, Role.ADMIN),
        timeout=10,
    )
    return email


async def login(api: Api, tenant: str, email: str, password: str) -> tuple[int, dict]:
    reply = await api.client.post(
        f"{PREFIX}/auth/login", json={"cliente": tenant, "email": email, "password": password}
    )
    return reply.status_code, reply.json()


async def test_login_issues_a_token_the_api_accepts(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    email = await user(api, tenant, role=pb.ROLE_SUPERVISOR, password="una-clave-larga")
    status, body = await login(api, tenant, email.upper(), "una-clave-larga")
    assert status == 200, body
    assert body["user"]["role"] == "supervisor"
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert (await api.client.get(f"{PREFIX}/bootstrap", headers=headers)).status_code == 200
    # A supervisor is not an admin.
    assert (await api.client.get(f"{PREFIX}/dead_letters", headers=headers)).status_code == 403


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "inactive user", "other tenant"])
async def test_bad_logins_are_one_401(api: Api, case: str) -> None:
    tenant = await api.stack.new_tenant()
    email = await user(api, tenant, role=pb.ROLE_AGENT, password="una-clave-larga", active=case != "inactive user")
    password = "otra-clave-larga" if case == "wrong password" else "una-clave-larga"
    if case == "unknown email":
        email = "nadie@example.com"
    if case == "other tenant":
        tenant = await api.stack.new_tenant()
    status, body = await login(api, tenant, email, password)
    assert status == 401
    assert body["error"]["message"] == "email or password is wrong"


async def test_no_token_is_401_and_admins_list_their_dead_letters(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    assert (await api.client.get(f"{PREFIX}/dead_letters")).status_code == 401
    listed = await api.client.get(f"{PREFIX}/dead_letters", headers=api.auth(tenant, Role.ADMIN))
    assert listed.status_code == 200
    assert listed.json()["dead_letters"] == []
